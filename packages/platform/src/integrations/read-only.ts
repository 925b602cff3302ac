/**
 * `read_only: true` on an API of aspora.platform.yaml (seed 003's Redshift): the host sends only
 * reads, whatever the handler asks for. HTTP methods other than GET / HEAD / OPTIONS are refused;
 * a method that carries a SQL statement (`sql:` on the method) sends only a single SELECT (or
 * WITH … SELECT), its bound parameters and its path arguments. The SQL check is a conservative
 * tokenizer, not a parser: anything it cannot be sure of (dollar quoting, backslashes in strings,
 * nested comments, a second statement, SELECT INTO, row locks, data-modifying CTEs, functions with
 * side effects) is refused. The API's own credential should be read-only too: this is the
 * platform's fence in front of it, not a substitute.
 */
import type { ApiDefinition } from '../config/platform-file.ts';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** A statement longer than this is refused unread (the shared queries are a few KB). */
export const MAX_SQL_LENGTH = 64 * 1024;
const MAX_PARAMS = 1000;

/** Words that make a SELECT write, lock or leave the statement — refused anywhere outside quotes. */
const WRITE_WORDS = new Set([
  'insert',
  'update',
  'delete',
  'merge',
  'upsert',
  'into',
  'truncate',
  'drop',
  'create',
  'alter',
  'grant',
  'revoke',
  'copy',
  'unload',
  'call',
  'execute',
  'exec',
  'prepare',
  'vacuum',
  'set',
  'reset',
  'refresh',
]);

/** Functions that change state, sleep, or run other SQL (called as `name(`, schema-qualified or not). */
const SIDE_EFFECT_FUNCTIONS = new Set([
  'nextval',
  'setval',
  'set_config',
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
]);
/** Prefixes of the same: PostgreSQL admin functions (pg_terminate_backend, pg_sleep, pg_read_file …), large objects, dblink. */
const SIDE_EFFECT_PREFIXES = ['pg_', 'lo_', 'dblink'];

type MethodDefinition = ApiDefinition['methods'][string];

/** Why this call is not a read (the rule's wording after `apis.<api>.read_only`), or null when it is one. */
export function readOnlyRefusal(m: MethodDefinition, args: Record<string, unknown>): string | null {
  if (!m.sql)
    return READ_METHODS.has(m.method) ? null : `allows only GET, HEAD and OPTIONS (this method is ${m.method})`;
  const placeholders = new Set([...m.path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((x) => x[1]!));
  const extra = Object.keys(args).filter((k) => k !== m.sql!.arg && k !== m.sql!.params && !placeholders.has(k));
  if (extra.length)
    return `sends only ${m.sql.arg} and ${m.sql.params} to a SQL method (not ${extra.slice(0, 5).join(', ')})`;
  const params = args[m.sql.params];
  if (params !== undefined && !scalarsOnly(params))
    return `takes ${m.sql.params} as an array or object of plain values (strings, numbers, booleans, null), at most ${MAX_PARAMS}`;
  const sql = args[m.sql.arg];
  if (typeof sql !== 'string') return `needs ${m.sql.arg}: a SQL statement (a string)`;
  const why = selectOnlyRefusal(sql);
  return why ? `allows only a single SELECT: ${why}` : null;
}

function scalarsOnly(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const values = Array.isArray(v) ? v : Object.values(v);
  return (
    values.length <= MAX_PARAMS && values.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))
  );
}

type Token = { kind: 'word' | 'quoted' | 'punct' | 'other'; text: string };

/** Why `sql` is not one read-only SELECT / WITH … SELECT, or null when it is. */
export function selectOnlyRefusal(sql: string): string | null {
  if (sql.length > MAX_SQL_LENGTH) return `the statement is longer than ${MAX_SQL_LENGTH} characters`;
  const lexed = tokenize(sql);
  if (typeof lexed === 'string') return lexed;
  const tokens = lexed;
  while (tokens.length && tokens.at(-1)!.text === ';') {
    tokens.pop();
    if (tokens.at(-1)?.text === ';') return 'more than one statement';
  }
  if (tokens.length === 0) return 'an empty statement';
  if (tokens.some((t) => t.text === ';')) return 'more than one statement';
  const first = tokens[0]!;
  if (first.kind !== 'word' || (first.text !== 'select' && first.text !== 'with'))
    return `it starts with ${describe(first)}, not SELECT or WITH`;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.kind === 'word' && WRITE_WORDS.has(t.text)) return `found ${t.text.toUpperCase()}`;
    if (t.kind === 'word' && t.text === 'for' && next?.kind === 'word' && ['share', 'no', 'key'].includes(next.text))
      return 'found a row lock (FOR … SHARE)';
    if ((t.kind === 'word' || t.kind === 'quoted') && next?.text === '(') {
      const f = t.text.toLowerCase();
      if (SIDE_EFFECT_FUNCTIONS.has(f) || SIDE_EFFECT_PREFIXES.some((p) => f.startsWith(p)))
        return `found ${f}(), which may change state`;
    }
  }
  return null;
}

function describe(t: Token): string {
  return t.kind === 'word' ? t.text.toUpperCase() : JSON.stringify(t.text.slice(0, 20));
}

/** Words (lowercased), quoted identifiers, punctuation; comments and string literals dropped. A string when unsure. */
function tokenize(sql: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return 'an unterminated comment';
      // PostgreSQL nests block comments, Redshift does not: the two would end it in different places.
      if (sql.slice(i + 2, end).includes('/*')) return 'a nested comment';
      i = end + 2;
    } else if (c === "'") {
      const end = closing(sql, i, "'");
      if (end < 0) return 'an unterminated string';
      // Whether \' ends a string depends on the database's settings: refuse rather than guess.
      if (sql.slice(i, end).includes('\\')) return 'a backslash in a string literal';
      out.push({ kind: 'other', text: "'…'" });
      i = end + 1;
    } else if (c === '"') {
      const end = closing(sql, i, '"');
      if (end < 0) return 'an unterminated quoted name';
      out.push({ kind: 'quoted', text: sql.slice(i + 1, end).replaceAll('""', '"') });
      i = end + 1;
    } else if (c === '$') {
      // $1 is a parameter; $tag$ … $tag$ quoting is refused (its content would need a second lexer).
      if (!/[0-9]/.test(sql[i + 1] ?? '')) return 'dollar quoting';
      i++;
      while (i < n && /[0-9]/.test(sql[i]!)) i++;
      out.push({ kind: 'other', text: '$n' });
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(sql[j]!)) j++;
      out.push({ kind: 'word', text: sql.slice(i, j).toLowerCase() });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9.eE]/.test(sql[j]!)) j++;
      out.push({ kind: 'other', text: sql.slice(i, j) });
      i = j;
    } else if (/[(),.;:*+\-/<>=!%|&^~[\]?@#]/.test(c)) {
      out.push({ kind: 'punct', text: c });
      i++;
    } else {
      return `an unexpected character ${JSON.stringify(c)}`;
    }
  }
  return out;
}

/** Index of the quote that closes the literal opened at `start` (a doubled quote is an escaped one), or -1. */
function closing(sql: string, start: number, q: string): number {
  let i = start + 1;
  for (;;) {
    const j = sql.indexOf(q, i);
    if (j < 0) return -1;
    if (sql[j + 1] === q) {
      i = j + 2;
      continue;
    }
    return j;
  }
}
