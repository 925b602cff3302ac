/**
 * Bundles as an attacker can upload them: valid archives of random file maps (packFiles), byte
 * mutations and truncations of those, and archives written header by header with any field an
 * attacker likes — links, devices, FIFOs, `..`, absolute and long names, pax and GNU long-name
 * records, sizes in base-256 or garbage, duplicate entries — plus small gzip bombs.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

// ---------- raw tar headers ----------

export interface RawEntry {
  name: Uint8Array | string;
  /** Typeflag byte as a character ('0' file, '1' hard link, '2' symlink, '3' char dev, '4' block dev, '5' dir, '6' fifo, 'x' pax, 'g' global pax, 'L' GNU long name …). */
  type: string;
  mode?: string;
  /** The size field as written (octal text, or raw bytes such as base-256); default: the data's length in octal. */
  size?: string | Uint8Array;
  linkname?: string;
  magic?: 'ustar' | 'gnu' | 'none';
  prefix?: string;
  data: Uint8Array;
}

const enc = new TextEncoder();
const bytesOf = (v: string | Uint8Array) => (typeof v === 'string' ? enc.encode(v) : v);

function put(block: Uint8Array, at: number, len: number, v: string | Uint8Array): void {
  block.set(bytesOf(v).subarray(0, len), at);
}

export function rawHeader(e: RawEntry): Uint8Array {
  const h = new Uint8Array(512);
  put(h, 0, 100, e.name);
  put(h, 100, 8, e.mode ?? '0000644\0');
  put(h, 108, 8, '0000000\0');
  put(h, 116, 8, '0000000\0');
  put(h, 124, 12, e.size ?? `${e.data.length.toString(8).padStart(11, '0')}\0`);
  put(h, 136, 12, '00000000000\0');
  h.fill(0x20, 148, 156);
  put(h, 156, 1, e.type);
  if (e.linkname) put(h, 157, 100, e.linkname);
  if (e.magic !== 'none') put(h, 257, 8, e.magic === 'gnu' ? 'ustar  \0' : 'ustar\u000000');
  if (e.prefix) put(h, 345, 155, e.prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A tar stream from raw entries: each header, its data padded to 512, and the two zero blocks (unless cut). */
export function rawTar(entries: RawEntry[], end = true): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(rawHeader(e));
    parts.push(e.data);
    const pad = (512 - (e.data.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  if (end) parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

/** A pax extended header record list ("<len> key=value\n"). */
export function paxRecords(records: [string, string][]): Uint8Array {
  let out = '';
  for (const [k, v] of records) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
    out += `${len}${body}`;
  }
  return enc.encode(out);
}

// ---------- arbitraries ----------

const segment = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/) },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
      .filter((s) => !s.includes('/') && s !== '.' && s !== '..' && !s.includes('\\') && !s.includes('\0')),
  },
);
/** Paths that packFiles accepts (so round trips can be checked). */
export const goodPath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));

const content = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 3000 }) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.nat(300)).map(([s, n]) => enc.encode(s.repeat(n))),
  },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
);

export const fileMap = fc
  .uniqueArray(
    fc.record({
      path: goodPath,
      data: content,
      mode: fc.option(fc.constantFrom(0o644, 0o755, 0o777, 0o4755, 0, 0o111, 0o100, 0o7777), { nil: undefined }),
    }),
    { selector: (f) => f.path, maxLength: 12 },
  )
  // "a" and "a/b" cannot both be files: drop the later one.
  .map((fs) =>
    fs.filter(
      (f, i) =>
        !fs.some((g, j) => j !== i && (f.path.startsWith(`${g.path}/`) || (j < i && g.path.startsWith(`${f.path}/`)))),
    ),
  );

const badName = fc.constantFrom(
  '..',
  '../x',
  '../../etc/passwd',
  '/etc/passwd',
  '/',
  './',
  '.',
  'a/../../b',
  'a/../b',
  'a//b',
  'a/./b',
  './a',
  '././a',
  'a/',
  'a\\b',
  '..\\x',
  'C:x',
  'c:\\x',
  'a\0b',
  '\0',
  'SKILL.md',
  'aspora.config.yaml',
  'code/handler.ts',
  'a',
  'a/b',
  'é',
  'e\u0301',
  '\ufeffa',
  'a\u202eb',
  'con',
  'a'.repeat(100),
  'a'.repeat(256),
  `${'a/'.repeat(60)}f`,
  `${'d'.repeat(255)}/f`,
  '\u00ff\u00fe',
  '\ud800',
);
const longName = fc
  .tuple(fc.integer({ min: 100, max: 60_000 }), fc.constantFrom('a/', 'x', 'é/', '../', './'))
  .map(([n, s]) => s.repeat(Math.ceil(n / s.length)));
const anyName = fc.oneof(
  { weight: 3, arbitrary: badName },
  { weight: 3, arbitrary: goodPath },
  { weight: 1, arbitrary: longName },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 100 }) },
);

const typeflag = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('0', '\0', '5') },
  {
    weight: 4,
    arbitrary: fc.constantFrom('1', '2', '3', '4', '6', '7', 'x', 'g', 'L', 'K', 'S', 'V', 'M', 'N', 'D', 'A', 'Z'),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) },
);

const sizeField = fc.oneof(
  fc.constantFrom(
    '77777777777\0',
    '00000000000\0',
    '-0000000001\0',
    'zzzzzzzzzzz\0',
    '           ',
    '\0\0\0\0',
    '1e10',
    'NaN',
    '0x100',
    '00000001000 ',
  ),
  fc.constantFrom(
    new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0]),
    new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]),
    new Uint8Array([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  ),
  fc.nat(2 ** 33).map((n) => `${n.toString(8).padStart(11, '0')}\0`),
);

const paxKey = fc.constantFrom(
  'path',
  'linkpath',
  'size',
  'uid',
  'gid',
  'mtime',
  'uname',
  'GNU.sparse.size',
  'GNU.sparse.map',
  'SCHILY.xattr.user.x',
  'charset',
  'hdrcharset',
  '',
  '=',
  'path\0',
);
const paxValue = fc.oneof(
  anyName.map((n) => (typeof n === 'string' ? n : Buffer.from(n).toString('latin1'))),
  fc.constantFrom('-1', '0', '1e9', '99999999999999999999', 'NaN', ' ', '0x10', '1024'),
);
const pax = fc.array(fc.tuple(paxKey, paxValue), { minLength: 1, maxLength: 4 }).map(paxRecords);

const rawEntry: fc.Arbitrary<RawEntry[]> = fc.oneof(
  // One ordinary-looking entry with odd fields.
  {
    weight: 6,
    arbitrary: fc
      .record({
        name: anyName.map((n) => (typeof n === 'string' && n.length > 100 ? n.slice(0, 100) : n)),
        type: typeflag,
        mode: fc.option(fc.constantFrom('0000755\0', '0004777\0', '7777777\0', 'zzzzzzz\0', '\0\0\0\0\0\0\0\0'), {
          nil: undefined,
        }),
        size: fc.option(sizeField, { nil: undefined }),
        linkname: fc.option(
          fc.constantFrom('/etc/shadow', '../../etc/passwd', 'SKILL.md', '/proc/self/environ', '.', 'a'.repeat(100)),
          { nil: undefined },
        ),
        magic: fc.constantFrom('ustar' as const, 'gnu' as const, 'none' as const),
        prefix: fc.option(fc.constantFrom('', '..', '/etc', 'a', 'a/..', 'x'.repeat(155)), { nil: undefined }),
        data: content,
      })
      .map((e) => [e as RawEntry]),
  },
  // A pax record (or a GNU long name) then the entry it describes.
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'g', 'L', 'K'), pax, longName, typeflag, content)
      .map(([t, p, long, ty, data]) => [
        { name: 'PaxHeader/x', type: t, data: t === 'L' || t === 'K' ? enc.encode(`${long}\0`) : p },
        { name: 'short', type: ty, data },
      ]),
  },
);

type Mutation =
  | { op: 'flip'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'dupRange'; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }),
  }),
  fc.record({ op: fc.constant('dupRange' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 2048 }) }),
);

export function mutate(b: Uint8Array, m: Mutation): Uint8Array {
  const n = b.length;
  const at = n ? m.at % n : 0;
  switch (m.op) {
    case 'flip': {
      const out = Uint8Array.from(b);
      if (n) out[at] = m.value;
      return out;
    }
    case 'truncate':
      return b.subarray(0, at);
    case 'insert':
      return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    case 'dupRange':
      return Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
  }
}

export type BundleCase =
  | { kind: 'bytes'; label: string; bytes: Uint8Array }
  /** Files for packFiles; `mutations` are applied to its output (in the tar when inTar, else in the gzip). */
  | {
      kind: 'pack';
      files: { path: string; data: Uint8Array; mode?: number | undefined }[];
      mutations: Mutation[];
      inTar: boolean;
    };

/** What the uploader controls. */
export const bundleCase: fc.Arbitrary<BundleCase> = fc.oneof(
  // Valid archives of random files (round trips), and mutations of them.
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('pack' as const),
      files: fileMap,
      mutations: fc.array(mutation, { maxLength: 3 }),
      inTar: fc.boolean(),
    }),
  },
  // Crafted entries, around good ones.
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.array(rawEntry, { minLength: 1, maxLength: 4 }),
        fileMap,
        fc.boolean(),
        fc.array(mutation, { maxLength: 1 }),
      )
      .map(([crafted, files, end, ms]): BundleCase => {
        const good = files.map(
          (f): RawEntry => ({ name: f.path.length <= 100 ? f.path : 'x', type: '0', data: f.data }),
        );
        const entries = [...good.slice(0, 2), ...crafted.flat(), ...good.slice(2)];
        return { kind: 'bytes', label: 'crafted tar', bytes: gzipSync(ms.reduce(mutate, rawTar(entries, end))) };
      }),
  },
  // Duplicates: the same name twice, as file and dir, file under file, link then file.
  {
    weight: 1,
    arbitrary: fc
      .tuple(goodPath, fc.constantFrom(['0', '0'], ['0', '5'], ['5', '0'], ['5', '5'], ['0', 'under'], ['2', '0']))
      .map(([p, [a, b]]): BundleCase => {
        const second: RawEntry =
          b === 'under'
            ? { name: `${p}/x`, type: '0', data: enc.encode('y') }
            : { name: p, type: b!, data: enc.encode('y') };
        return {
          kind: 'bytes',
          label: 'duplicate',
          bytes: gzipSync(rawTar([{ name: p, type: a!, data: enc.encode('x') }, second])),
        };
      }),
  },
  // Bombs in small (the target's limits are small): zeros in a file, after the end, as many entries.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom('in-file', 'after-end', 'many-files', 'many-dirs'))
      .map(([mib, where]): BundleCase => {
        let tar: Uint8Array;
        if (where === 'in-file') tar = rawTar([{ name: 'big', type: '0', data: new Uint8Array(mib * 1024 * 1024) }]);
        else if (where === 'after-end')
          tar = Buffer.concat([
            rawTar([{ name: 'a', type: '0', data: enc.encode('x') }]),
            new Uint8Array(mib * 1024 * 1024),
          ]);
        else
          tar = rawTar(
            Array.from({ length: mib * 200 }, (_, i) => ({
              name: `d/${i}${where === 'many-dirs' ? '/' : ''}`,
              type: where === 'many-dirs' ? '5' : '0',
              data: new Uint8Array(0),
            })),
          );
        return { kind: 'bytes', label: `bomb ${where}`, bytes: gzipSync(tar, { level: 9 }) };
      }),
  },
  // Not a bundle at all.
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.uint8Array({ maxLength: 2000 }),
        fc.uint8Array({ maxLength: 2000 }).map((b) => Uint8Array.from(gzipSync(b))),
      )
      .map((bytes): BundleCase => ({ kind: 'bytes', label: 'random bytes', bytes })),
  },
);
