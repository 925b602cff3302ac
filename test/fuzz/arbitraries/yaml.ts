/**
 * YAML documents that start valid and are then bent: field deletions, type swaps, huge and odd
 * strings, unicode, prototype keys, anchors/aliases/tags/merge keys, deep nesting — on the parsed
 * object and on the text — plus raw random text. Valid seeds make most cases reach the schema.
 */
import fc from 'fast-check';
import { parse, stringify } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

// ---------- values ----------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

const SPECIAL_STRINGS = [
  '',
  ' ',
  '~',
  'null',
  'Null',
  'true',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  '0x1F',
  '0o17',
  '+1',
  '-0',
  '1e400',
  '-1e400',
  '.inf',
  '-.inf',
  '.nan',
  '2001-12-14t21:59:43.10-05:00',
  '12:30:45',
  '1_000',
  '<<',
  '=',
  '?',
  '-',
  ':',
  '- x',
  'a: b',
  '{a: b}',
  '[a, b]',
  '!!str x',
  '!foo x',
  '&a x',
  '*a',
  '|',
  '>',
  '%YAML 1.1',
  '@x',
  '`x`',
  '# c',
  '---',
  '...',
  '\t',
  '\r',
  '\r\n',
  '\u2028',
  '\u2029',
  '\u0000',
  '\u0085',
  '\ufeff',
  '\u202e',
  '\u200b',
  'é',
  'é',
  '😀',
  '𝕏',
  '\ud800',
  '\udfff',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '../../etc/passwd',
  '/etc/shadow',
  '..',
  '.',
  '\\\\server\\share',
  'C:\\x',
  'file:///etc/passwd',
  'http://169.254.169.254/',
  '${HOME}',
  '${X:-y}',
  '$(id)',
  '0 0 * * *',
  '*/0 * * * *',
  '* * * * * * *',
  '0 0 31 2 *',
  'Asia/Dubai',
  'Etc/GMT+14',
  'Mars/Olympus',
  '99999999999h',
  '0ms',
  '1.5.5s',
  '1e9MB',
  '0.0000001Gi',
  'x'.repeat(1025),
  'a'.repeat(65),
  '1.0.0',
  '1.0.0-0',
  '01.0.0',
  `1.0.0+${'b'.repeat(300)}`,
  'shared/*(a*)*(a*)*(a*)b',
  '{a,b}{c,d}{e,f}',
  '[[:alpha:]]',
  '!(x)',
  '**/..',
  '../shared/',
];

const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 12, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 8, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 4, arbitrary: fc.string({ unit: loneSurrogate, maxLength: 4 }) },
  // Huge: past every max() of the schema, the 1024-char implicit-key limit and picomatch's 65 536.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'a/', '*(', '{a,', 'é', '\\', ' ', '0'), fc.integer({ min: 1000, max: 70_000 }))
      .map(([s, n]) => s.repeat(Math.ceil(n / s.length))),
  },
);

const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.05,
    16.0001,
    2 ** 31,
    2 ** 53 + 2,
    -(2 ** 53),
    1e308,
    5e-324,
    Number.MAX_VALUE,
    Infinity,
    -Infinity,
    NaN,
  ),
  fc.integer(),
  fc.double(),
);

const scalar: fc.Arbitrary<Json> = fc.oneof(
  { weight: 5, arbitrary: oddString },
  { weight: 3, arbitrary: oddNumber as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

const oddKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '<<',
    '',
    ' ',
    'name',
    'skill',
    'runtime',
    'type',
    'nmae',
    'entry-point',
    'Skill',
    'SKILL',
    'tools',
    'secrets',
  ),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  oddString,
);

const { value: oddValue } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(oddKey, tie('value'), { maxKeys: 4 }) as fc.Arbitrary<Json> },
  ),
}));

/** Nesting as a value (the text snippets below reach past what stringify can write). */
const deepValue: fc.Arbitrary<Json> = fc.tuple(fc.integer({ min: 10, max: 400 }), fc.boolean()).map(([n, arr]) => {
  let v: Json = 'x';
  for (let i = 0; i < n; i++) v = arr ? [v] : { a: v };
  return v;
});

// ---------- object mutations ----------

function pathsOf(v: Json, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(v)) for (const [i, x] of v.entries()) pathsOf(x, [...prefix, i], out);
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) pathsOf(v[k]!, [...prefix, k], out);
  return out;
}

function parentOf(root: Json, path: Path): { parent: Json; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let cur: Json = root;
  for (const k of path.slice(0, -1)) cur = (cur as Record<string | number, Json>)[k]!;
  return { parent: cur, key: path[path.length - 1]! };
}

type ObjOp =
  | { op: 'delete'; at: number }
  | { op: 'set'; at: number; value: Json }
  | { op: 'swap'; at: number }
  | { op: 'addKey'; at: number; key: string; value: Json }
  | { op: 'repeat'; at: number; times: number }
  | { op: 'deep'; at: number; value: Json };

const objOp: fc.Arbitrary<ObjOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: oddValue }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('swap' as const), at: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('addKey' as const), at: fc.nat(), key: oddKey, value: oddValue }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), times: fc.integer({ min: 2, max: 100 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deep' as const), at: fc.nat(), value: deepValue }) },
);

/** A value of another type that still says the same thing where it can (type confusion). */
function swapped(v: Json): Json {
  if (typeof v === 'string') return /^\d+(\.\d+)?$/.test(v) ? Number(v) : [v];
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 0;
  if (Array.isArray(v)) return v.length ? (v[0] as Json) : {};
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => ({ [k]: x }));
  return {};
}

function applyObjOp(root: Json, o: ObjOp): Json {
  const paths = pathsOf(root);
  const path = paths[o.at % paths.length]!;
  const loc = parentOf(root, path);
  const get = () => (loc ? (loc.parent as Record<string | number, Json>)[loc.key]! : root);
  const put = (v: Json): Json => {
    if (!loc) return v;
    (loc.parent as Record<string | number, Json>)[loc.key] = v;
    return root;
  };
  switch (o.op) {
    case 'delete':
      if (!loc) return {};
      if (Array.isArray(loc.parent)) loc.parent.splice(loc.key as number, 1);
      else delete (loc.parent as Record<string, Json>)[loc.key];
      return root;
    case 'set':
    case 'deep':
      return put(o.value);
    case 'swap':
      return put(swapped(get()));
    case 'addKey': {
      const target = get();
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        // defineProperty: "__proto__" becomes a real key, as YAML would read it, not a prototype change.
        Object.defineProperty(target, o.key, { value: o.value, enumerable: true, writable: true, configurable: true });
        return root;
      }
      return put({ [o.key]: o.value });
    }
    case 'repeat': {
      const v = get();
      const size = (JSON.stringify(v) ?? '').length + 1;
      return put(Array.from({ length: Math.max(2, Math.min(o.times, Math.floor(MAX_TEXT / 4 / size))) }, () => v));
    }
  }
}

function dump(v: Json, flow: boolean): string {
  let json: string;
  try {
    json = JSON.stringify(v) ?? 'null';
  } catch {
    return 'x: 1';
  }
  // JSON is YAML too; yaml's stringify is the costly part of generating a case, so big values go as JSON.
  if (json.length > 20_000) return json;
  try {
    return stringify(v, {
      lineWidth: 0,
      ...(flow ? { collectionStyle: 'flow' as const } : {}),
      aliasDuplicateObjects: false,
    });
  } catch {
    return json;
  }
}

// ---------- text mutations ----------

function aliasBomb(width: number, depth: number, key: string): string {
  const lines = [`l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let d = 1; d < depth; d++)
    lines.push(
      `l${d}: &l${d} [${Array(width)
        .fill(`*l${d - 1}`)
        .join(', ')}]`,
    );
  lines.push(`${key}: *l${depth - 1}`);
  return lines.join('\n');
}

const snippet: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'x: &a {b: 1}\ny: *a',
      'x: *nope',
      '<<: {name: evil}',
      '<<: [*a, *a]',
      'a: &a\n  <<: *a',
      '&a x: *a',
      '!!binary aGVsbG8=',
      'x: !!binary aGVsbG8=',
      'x: !!set {a, b}',
      'x: !!omap [a: 1]',
      'x: !!timestamp 2001-12-14',
      'x: !!int "12"',
      'x: !!float .nan',
      'x: !!str',
      'x: !foo bar',
      'x: !<tag:yaml.org,2002:js/function> "f"',
      'x: !!js/regexp /a/',
      '%YAML 1.1\n---',
      '%TAG ! tag:evil.com,2000:\n---',
      '%YAML 9.9',
      '---',
      '...',
      '--- |\n  text',
      '? [a, b]\n: c',
      '? {a: b}\n: c',
      '? |\n  k\n: v',
      'x: |+\n  keep\n\n',
      'x: >-\n  folded',
      'x: "\\u0000\\x00\\ud800"',
      "x: 'it''s'",
      'x: "unterminated',
      "x: 'unterminated",
      'x: [a, b',
      'x: {a: b',
      '\t- tab',
      'x:\ty',
      '\ufeffskill: x',
      'x: y\r\nz: w',
      'x: y\rz: w',
      '\u0000',
      '#\u0000',
      'skill: x\nskill: y',
      'a: b: c',
      '- - - - -',
      '&a &b x',
      'x: @y',
      'x: `y`',
      'x: ${HOME}',
      'x: ${NOPE}',
      'x: ${A:-}',
      'x: ${A:-${B}}',
      '__proto__: {polluted: true}',
      'constructor: {prototype: {polluted: true}}',
      'toString: 1',
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 2, max: 10 }),
        fc.constantFrom('skill', 'runtime', 'x', 'permissions'),
      )
      .map(([w, d, k]) => aliasBomb(w, d, k)),
  },
  // Deep nesting, in every way YAML can write it.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 50, max: 20_000 }), fc.constantFrom('[', '{', '- ', 'block', '{a: ', '? '))
      .map(([n, kind]) => {
        if (kind === '[') return `x: ${'['.repeat(n)}${']'.repeat(n)}`;
        if (kind === '{') return `x: ${'{a: '.repeat(n)}1${'}'.repeat(n)}`;
        if (kind === 'block')
          return Array.from({ length: Math.min(n, 3000) }, (_, i) => `${' '.repeat(i)}a:`).join('\n');
        if (kind === '{a: ') return `x: ${'{a: '.repeat(n)}`; // unclosed
        return `x:\n  ${kind.repeat(n)}y`;
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 100, max: 20_000 }), fc.constantFrom('k', 'x: ', '# ', '"', '- ', '? ', 'a: b\n'))
      .map(([n, s]) => s.repeat(n)),
  },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
);

type TextOp =
  | { op: 'insert'; line: number; text: string }
  | { op: 'deleteLine'; line: number }
  | { op: 'dupLine'; line: number }
  | { op: 'indent'; line: number; by: string }
  | { op: 'truncate'; at: number }
  | { op: 'flip'; at: number; char: string };

const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('insert' as const), line: fc.nat(), text: snippet }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteLine' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dupLine' as const), line: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('indent' as const),
      line: fc.nat(),
      by: fc.constantFrom(' ', '  ', '\t', '    ', '-', '- '),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('flip' as const),
      at: fc.nat(),
      char: fc.constantFrom(
        ':',
        '-',
        ' ',
        '\n',
        '"',
        "'",
        '[',
        '{',
        '&',
        '*',
        '!',
        '|',
        '>',
        '#',
        '%',
        '@',
        '\t',
        '\u0000',
        '\\',
        '?',
      ),
    }),
  },
);

function applyTextOp(text: string, o: TextOp): string {
  const lines = text.split('\n');
  const at = (n: number) => n % (lines.length + 1);
  switch (o.op) {
    case 'insert':
      lines.splice(at(o.line), 0, o.text);
      return lines.join('\n');
    case 'deleteLine':
      lines.splice(at(o.line), 1);
      return lines.join('\n');
    case 'dupLine': {
      const i = at(o.line);
      if (i < lines.length) lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
    case 'indent': {
      const i = at(o.line);
      if (i < lines.length) lines[i] = o.by + lines[i]!;
      return lines.join('\n');
    }
    case 'truncate':
      return text.slice(0, o.at % (text.length + 1));
    case 'flip': {
      const i = o.at % (text.length + 1);
      return text.slice(0, i) + o.char + text.slice(i + 1);
    }
  }
}

// ---------- documents ----------

/** Texts stay under this (the parser's own size limit is tested on its own); bigger ones are cut. */
export const MAX_TEXT = 140_000;
const capped = (t: string) => (t.length > MAX_TEXT ? t.slice(0, MAX_TEXT) : t);

/**
 * Mutated YAML texts from valid seed documents: some object mutations, then some text mutations,
 * with raw random text now and then.
 */
export function mutatedYaml(seeds: readonly string[]): fc.Arbitrary<string> {
  const objects = seeds.map((s) => parse(s) as Json);
  const fromObject = fc
    .record({
      seed: fc.nat(seeds.length - 1),
      ops: fc.array(objOp, { maxLength: 5 }),
      flow: fc.boolean(),
      texts: fc.array(textOp, { maxLength: 3 }),
    })
    .map(({ seed, ops, flow, texts }) => {
      let v: Json = structuredClone(objects[seed] as Json);
      for (const o of ops) v = applyObjOp(v, o);
      return capped(texts.reduce((t, o) => capped(applyTextOp(t, o)), dump(v, flow)));
    });
  const fromText = fc
    .record({ seed: fc.nat(seeds.length - 1), texts: fc.array(textOp, { minLength: 1, maxLength: 6 }) })
    .map(({ seed, texts }) => texts.reduce((t, o) => capped(applyTextOp(t, o)), seeds[seed]!));
  const raw = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc
      .array(
        fc.tuple(
          fc.constantFrom('', ' ', '  ', '- ', '\t'),
          fc.string({ maxLength: 8 }),
          fc.constantFrom(': ', ':', ' - ', ''),
          scalar,
        ),
        { maxLength: 20 },
      )
      .map((ls) => ls.map(([i, k, sep, v]) => `${i}${k}${sep}${typeof v === 'string' ? v : String(v)}`).join('\n')),
  );
  // Seeds as they are now and then, so the rest of the pipeline (manifest, search text) runs too.
  return fc.oneof(
    { weight: 10, arbitrary: fromObject },
    { weight: 8, arbitrary: fromText },
    { weight: 2, arbitrary: raw },
    { weight: 1, arbitrary: fc.constantFrom(...seeds) },
  );
}
