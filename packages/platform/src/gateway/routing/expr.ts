/**
 * The condition language of `cost_optimization.auto_downgrade.rules[].if`, e.g.
 * `task.input_tokens < 1000 AND task.complexity == 'low'`.
 *
 * Rules come from configuration, so this is a parser plus a tree walker and nothing more: a rule cannot run
 * code, call a function or reach a prototype. Every mistake surfaces once, from compileExpr at configuration
 * load, with a position; evaluate is total (a missing or mistyped value makes a comparison false, it never throws).
 *
 *   or    := and (("OR" | "||") and)*
 *   and   := not (("AND" | "&&") not)*
 *   not   := ("NOT" | "!") not | cmp
 *   cmp   := value (("==" | "!=" | "<" | "<=" | ">" | ">=") value | "in" (list | path))?
 *   value := number | string | true | false | null | path | "(" or ")"
 *   list  := "[" value ("," value)* "]"
 *   path  := ident ("." ident)*        (no spaces around the dots; keywords are case-insensitive)
 */
import { types } from 'node:util';

export const MAX_EXPR_LENGTH = 1000;
export const MAX_EXPR_DEPTH = 32;

/** A rule that does not compile. `position` is a 0-based offset into `source`; the message ends with its column. */
export class ExprError extends Error {
  override readonly name = 'ExprError';
  readonly position: number;
  /** The expression that failed; empty when a caller raises the error for a check of its own. */
  readonly source: string;
  constructor(message: string, position: number, source = '') {
    super(`${message} at column ${position + 1}`);
    this.position = position;
    this.source = source;
  }
}

export interface CompileOptions {
  /** The names a path may start with (default `['task']`). */
  roots?: readonly string[];
}

export type CompiledExpr = {
  source: string;
  /** Distinct paths the expression reads, in order of first use, so the caller can check them against known fields. */
  identifiers: string[];
  evaluate(scope: Record<string, unknown>): boolean;
};

export function compileExpr(source: string, options: CompileOptions = {}): CompiledExpr {
  const roots = new Set(options.roots ?? ['task']);
  for (const r of roots) {
    // A root is a programming decision, not configuration: a bad one is a bug in the caller.
    if (!IDENT.test(r) || KEYWORDS.has(r.toLowerCase()) || FORBIDDEN.has(r))
      throw new TypeError(`compileExpr: ${JSON.stringify(r)} cannot be a root`);
  }
  if (source.length > MAX_EXPR_LENGTH) {
    throw new ExprError(
      `expression is ${source.length} characters long, more than the limit of ${MAX_EXPR_LENGTH}`,
      MAX_EXPR_LENGTH,
      source,
    );
  }
  const parser = new Parser(source, roots);
  const tree = parser.parse();
  const identifiers = [...parser.identifiers];
  return {
    source,
    identifiers,
    evaluate: (scope) => truthy(evalNode(tree, scope)),
  };
}

// ---------------------------------------------------------------------------------------------- tree

type Literal = string | number | boolean | null;
type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
type PathNode = { kind: 'path'; segments: readonly string[] };
type Node =
  | { kind: 'lit'; value: Literal }
  | PathNode
  | { kind: 'not'; operand: Node }
  | { kind: 'and' | 'or'; operands: readonly Node[] }
  | { kind: 'cmp'; op: CmpOp; left: Node; right: Node }
  | { kind: 'in'; left: Node; right: { kind: 'list'; items: readonly Node[] } | PathNode };

// ---------------------------------------------------------------------------------------------- lexer

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENT_CHAR = /[A-Za-z0-9_.]/;
const KEYWORDS = new Map<string, Sym>([
  ['and', 'and'],
  ['or', 'or'],
  ['not', 'not'],
  ['in', 'in'],
  ['true', 'true'],
  ['false', 'false'],
  ['null', 'null'],
]);
/** Segments that lead to prototypes; refused outright so a rule can never even look like it reaches one. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
// Maps rather than object literals, so no lookup here can land on an Object.prototype member.
const ESCAPES = new Map([
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);
const SYMBOLS = new Map<string, Sym>([
  ['==', '=='],
  ['!=', '!='],
  ['<=', '<='],
  ['>=', '>='],
  ['&&', 'and'],
  ['||', 'or'],
  ['<', '<'],
  ['>', '>'],
  ['!', 'not'],
  ['(', '('],
  [')', ')'],
  ['[', '['],
  [']', ']'],
  [',', ','],
]);
/** Characters people reach for from other languages, with what to write instead. */
const HINTS = new Map([
  ['=', 'use "==" to compare'],
  ['&', 'use "&&" or AND'],
  ['|', 'use "||" or OR'],
]);

type Sym = CmpOp | 'and' | 'or' | 'not' | 'in' | 'true' | 'false' | 'null' | '(' | ')' | '[' | ']' | ',';
type Token =
  | { kind: 'num'; pos: number; text: string; value: number }
  | { kind: 'str'; pos: number; text: string; value: string }
  | { kind: 'path'; pos: number; text: string; segments: string[] }
  | { kind: 'sym'; pos: number; text: string; sym: Sym }
  | { kind: 'eof'; pos: number; text: '' };

/** Scans on demand, so errors are reported left to right in the order a reader meets them. */
class Lexer {
  private i = 0;
  private peeked: Token | undefined;
  constructor(private readonly src: string) {}

  peek(): Token {
    return (this.peeked ??= this.scan());
  }
  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  fail(pos: number, message: string): never {
    throw new ExprError(message, pos, this.src);
  }

  private scan(): Token {
    const src = this.src;
    while (this.i < src.length && ' \t\r\n'.includes(src[this.i]!)) this.i++;
    const pos = this.i;
    if (pos >= src.length) return { kind: 'eof', pos, text: '' };
    const c = src[pos]!;
    if (c === "'" || c === '"') return this.string(pos, c);
    if (/\d/.test(c) || (c === '-' && /\d/.test(src[pos + 1] ?? ''))) return this.number(pos);
    if (/[A-Za-z_]/.test(c)) return this.path(pos);
    for (const text of [src.slice(pos, pos + 2), c]) {
      const sym = SYMBOLS.get(text);
      if (sym === undefined) continue;
      this.i += text.length;
      return { kind: 'sym', pos, text, sym };
    }
    const char = String.fromCodePoint(src.codePointAt(pos)!);
    const hint = HINTS.get(c);
    return this.fail(pos, `unexpected character ${JSON.stringify(char)}${hint ? ` (${hint})` : ''}`);
  }

  private string(pos: number, quote: string): Token {
    const src = this.src;
    let value = '';
    for (let j = pos + 1; j < src.length; j++) {
      const ch = src[j]!;
      if (ch === quote) {
        this.i = j + 1;
        return { kind: 'str', pos, text: src.slice(pos, j + 1), value };
      }
      if (ch === '\\') {
        const e = src[j + 1];
        if (e === undefined) break;
        const out = ESCAPES.get(e);
        if (out === undefined) this.fail(j, `unknown escape "\\${e}" in a string (write \\\\ for a backslash)`);
        value += out;
        j++;
      } else value += ch;
    }
    return this.fail(pos, `unterminated string (no closing ${quote}) starting`);
  }

  private number(pos: number): Token {
    NUMBER.lastIndex = pos;
    const text = NUMBER.exec(this.src)![0];
    const end = pos + text.length;
    const value = Number(text);
    if (IDENT_CHAR.test(this.src[end] ?? '')) {
      const bad = /[-+.\w]*/y;
      bad.lastIndex = pos;
      this.fail(pos, `malformed number "${bad.exec(this.src)![0]}"`);
    }
    if (!Number.isFinite(value)) this.fail(pos, `number ${text} is out of range`);
    this.i = end;
    return { kind: 'num', pos, text, value };
  }

  private path(pos: number): Token {
    PATH.lastIndex = pos;
    const text = PATH.exec(this.src)![0];
    const end = pos + text.length;
    if (this.src[end] === '.') this.fail(end + 1, `expected a field name after "${text}."`);
    this.i = end;
    const kw = text.includes('.') ? undefined : KEYWORDS.get(text.toLowerCase());
    if (kw !== undefined) return { kind: 'sym', pos, text, sym: kw };
    return { kind: 'path', pos, text, segments: text.split('.') };
  }
}

// ---------------------------------------------------------------------------------------------- parser

const CMP_OPS = new Set<Sym>(['==', '!=', '<', '<=', '>', '>=', 'in']);

const describe = (t: Token): string =>
  t.kind === 'eof' ? 'end of expression' : JSON.stringify(t.text.length > 24 ? `${t.text.slice(0, 24)}…` : t.text);
const isSym = (t: Token, sym: Sym): boolean => t.kind === 'sym' && t.sym === sym;

class Parser {
  readonly identifiers = new Set<string>();
  private readonly lex: Lexer;
  private prev: Token | undefined;
  private depth = 0;

  constructor(
    src: string,
    private readonly roots: ReadonlySet<string>,
  ) {
    this.lex = new Lexer(src);
  }

  parse(): Node {
    const first = this.lex.peek();
    if (first.kind === 'eof')
      this.lex.fail(first.pos, "empty expression: expected a condition such as task.type == 'classification'");
    const tree = this.or();
    const t = this.lex.peek();
    if (t.kind !== 'eof') {
      if (isSym(t, ')')) this.lex.fail(t.pos, 'unexpected ")" with no matching "("');
      this.lex.fail(
        t.pos,
        `expected AND, OR, a comparison or the end of the expression after ${describe(this.prev!)} but found ${describe(t)}`,
      );
    }
    return tree;
  }

  private next(): Token {
    return (this.prev = this.lex.next());
  }

  /** Parentheses, lists and NOT are what nest; bounding them bounds the parser's and the evaluator's recursion. */
  private enter(t: Token): void {
    if (++this.depth > MAX_EXPR_DEPTH) this.lex.fail(t.pos, `expression nests more than ${MAX_EXPR_DEPTH} levels deep`);
  }

  private or(): Node {
    const operands = [this.and()];
    while (isSym(this.lex.peek(), 'or')) {
      this.next();
      operands.push(this.and());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private and(): Node {
    const operands = [this.not()];
    while (isSym(this.lex.peek(), 'and')) {
      this.next();
      operands.push(this.not());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private not(): Node {
    const t = this.lex.peek();
    if (!isSym(t, 'not')) return this.cmp();
    this.next();
    this.enter(t);
    const operand = this.not();
    this.depth--;
    return { kind: 'not', operand };
  }

  private cmp(): Node {
    const left = this.value();
    const op = this.lex.peek();
    if (op.kind !== 'sym' || !CMP_OPS.has(op.sym)) return left;
    this.next();
    const node: Node =
      op.sym === 'in'
        ? { kind: 'in', left, right: this.inRight() }
        : { kind: 'cmp', op: op.sym as CmpOp, left, right: this.value() };
    const after = this.lex.peek();
    if (after.kind === 'sym' && CMP_OPS.has(after.sym))
      this.lex.fail(after.pos, `comparisons cannot be chained: unexpected ${describe(after)} (join them with AND)`);
    return node;
  }

  private inRight(): { kind: 'list'; items: readonly Node[] } | PathNode {
    const t = this.lex.peek();
    if (t.kind === 'path') return this.value() as PathNode;
    if (!isSym(t, '['))
      this.lex.fail(
        t.pos,
        `expected a list such as ['a', 'b'] or a path after ${describe(this.prev!)} but found ${describe(t)}`,
      );
    this.next();
    this.enter(t);
    const items: Node[] = [];
    for (;;) {
      const item = this.lex.peek();
      if (isSym(item, '[')) this.lex.fail(item.pos, 'lists cannot be nested');
      items.push(this.value());
      const sep = this.lex.peek();
      if (isSym(sep, ']')) break;
      if (!isSym(sep, ','))
        this.lex.fail(
          sep.pos,
          `expected "," or "]" in the list opened at column ${t.pos + 1} but found ${describe(sep)}`,
        );
      this.next();
    }
    this.next();
    this.depth--;
    return { kind: 'list', items };
  }

  private value(): Node {
    const t = this.lex.peek();
    switch (t.kind) {
      case 'num':
      case 'str':
        this.next();
        return { kind: 'lit', value: t.value };
      case 'path':
        this.next();
        return this.path(t);
      case 'sym':
        if (t.sym === 'true' || t.sym === 'false' || t.sym === 'null') {
          this.next();
          return { kind: 'lit', value: t.sym === 'null' ? null : t.sym === 'true' };
        }
        if (t.sym === '(') {
          this.next();
          this.enter(t);
          const inner = this.or();
          const close = this.lex.peek();
          if (!isSym(close, ')'))
            this.lex.fail(
              close.pos,
              `expected ")" to close the "(" at column ${t.pos + 1} but found ${describe(close)}`,
            );
          this.next();
          this.depth--;
          return inner;
        }
        if (t.sym === '[') this.lex.fail(t.pos, 'a list is only allowed after "in"');
    }
    const after = this.prev ? ` after ${describe(this.prev)}` : '';
    return this.lex.fail(t.pos, `expected a value${after} but found ${describe(t)}`);
  }

  private path(t: Extract<Token, { kind: 'path' }>): PathNode {
    const root = t.segments[0]!;
    if (!this.roots.has(root))
      this.lex.fail(t.pos, `unknown identifier "${root}" (a path starts with ${[...this.roots].join(' or ')})`);
    let at = t.pos;
    for (const s of t.segments) {
      if (FORBIDDEN.has(s)) this.lex.fail(at, `"${s}" is not allowed in a path`);
      at += s.length + 1;
    }
    const after = this.lex.peek();
    if (isSym(after, '('))
      this.lex.fail(after.pos, `function calls are not supported: unexpected "(" after "${t.text}"`);
    if (isSym(after, '['))
      this.lex.fail(after.pos, `indexing is not supported: unexpected "[" after "${t.text}" (write ${t.text}.field)`);
    this.identifiers.add(t.text);
    return { kind: 'path', segments: t.segments };
  }
}

// ---------------------------------------------------------------------------------------------- evaluation

function evalNode(n: Node, scope: unknown): unknown {
  switch (n.kind) {
    case 'lit':
      return n.value;
    case 'path':
      return lookup(scope, n.segments);
    case 'not':
      return !truthy(evalNode(n.operand, scope));
    case 'and':
      return n.operands.every((o) => truthy(evalNode(o, scope)));
    case 'or':
      return n.operands.some((o) => truthy(evalNode(o, scope)));
    case 'cmp':
      return compare(n.op, evalNode(n.left, scope), evalNode(n.right, scope));
    case 'in': {
      const needle = evalNode(n.left, scope);
      if (n.right.kind === 'list') return n.right.items.some((i) => evalNode(i, scope) === needle);
      return contains(lookup(scope, n.right.segments), needle);
    }
  }
}

/** Boolean() never converts objects to primitives, so no valueOf/toString of scope data runs. */
const truthy = (v: unknown): boolean => Boolean(v);

function compare(op: CmpOp, l: unknown, r: unknown): boolean {
  if (op === '==') return l === r;
  if (op === '!=') return l !== r;
  // Ordering only between two numbers or two strings; anything else (undefined, NaN, mixed types) is false.
  let c: number | undefined;
  if (typeof l === 'number' && typeof r === 'number') c = l < r ? -1 : l > r ? 1 : l === r ? 0 : undefined;
  else if (typeof l === 'string' && typeof r === 'string') c = l < r ? -1 : l > r ? 1 : 0;
  if (c === undefined) return false;
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

function lookup(scope: unknown, segments: readonly string[]): unknown {
  let cur = scope;
  for (const s of segments) {
    cur = ownData(cur, s);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * An own data property, else undefined. Reading the descriptor rather than `obj[key]` after Object.hasOwn means
 * a getter is never run; proxies are skipped because even a descriptor read runs their traps.
 */
function ownData(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object' || types.isProxy(obj)) return undefined;
  const d = Object.getOwnPropertyDescriptor(obj, key);
  return d !== undefined && 'value' in d ? d.value : undefined;
}

const INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * Membership in a real array, elements read as ownData reads them. Walking own keys rather than 0..length keeps
 * a sparse array with a huge length from turning one evaluation into billions of steps.
 */
function contains(list: unknown, needle: unknown): boolean {
  if (!Array.isArray(list) || types.isProxy(list)) return false;
  return Object.keys(list).some((k) => INDEX.test(k) && ownData(list, k) === needle);
}
