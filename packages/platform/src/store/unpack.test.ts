import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Readable } from 'node:stream';
import { createGunzip, createGzip, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';
import { AsporaError } from './errors.ts';
import { packFiles } from './pack.ts';
import { unpackBundle } from './unpack.ts';
import { haveOrSkip } from '../../test/tools.ts';

const MiB = 1024 * 1024;

/** Hand-made archive: any names and entry types, no validation — what an attacker could upload. */
async function rawTar(
  entries: { header: Partial<Header> & { name: string }; data?: string | Buffer }[],
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) pack.entry(e.header, e.data ?? Buffer.alloc(0));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
const tgz = async (...entries: Parameters<typeof rawTar>[0]) => gzipSync(await rawTar(entries));
const file = (name: string, data: string | Buffer = 'x', extra: Partial<Header> = {}) => ({
  header: { name, type: 'file' as const, ...extra },
  data,
});

async function rejectsWith(p: Promise<unknown>, expected: string, message?: RegExp): Promise<AsporaError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof AsporaError, `expected AsporaError, got ${String(caught)}`);
  assert.equal(caught.code, expected, caught.message);
  assert.ok(caught.hint);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Gzip of `total` bytes of zeros, produced in 1 MiB slices so the test itself stays small in memory. */
async function gzipZeros(prefix: Buffer, total: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((r) => gz.on('end', r));
  gz.write(prefix);
  const zeros = Buffer.alloc(MiB);
  for (let n = 0; n < total; n += MiB) if (!gz.write(zeros)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await ended;
  return Buffer.concat(out);
}

describe('unpackBundle: corrupt input', () => {
  test('not gzip, empty, truncated gzip, gzip of non-tar', async () => {
    const good = (await packFiles(new Map([['SKILL.md', Buffer.from('x'.repeat(5000))]]))).bytes;
    await rejectsWith(unpackBundle(Buffer.from('definitely not a bundle')), 'BUNDLE_CORRUPT', /gzip/);
    await rejectsWith(unpackBundle(Buffer.alloc(0)), 'BUNDLE_CORRUPT');
    await rejectsWith(unpackBundle(good.subarray(0, good.length - 20)), 'BUNDLE_CORRUPT');
    await rejectsWith(unpackBundle(gzipSync(Buffer.from('hello world'))), 'BUNDLE_CORRUPT', /tar/);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 6]! ^= 0xff; // damages the CRC/length trailer
    await rejectsWith(unpackBundle(flipped), 'BUNDLE_CORRUPT');
  });

  test('truncated tar inside a valid gzip', async () => {
    const t = await rawTar([file('a.txt', 'y'.repeat(3000))]);
    await rejectsWith(unpackBundle(gzipSync(t.subarray(0, 1024))), 'BUNDLE_CORRUPT');
  });

  test('bad tar header checksum', async () => {
    const t = await rawTar([file('a.txt')]);
    t[0] = 'b'.charCodeAt(0); // name changed without fixing the checksum
    await rejectsWith(unpackBundle(gzipSync(t)), 'BUNDLE_CORRUPT');
  });
});

describe('unpackBundle: unsafe entries', () => {
  const cases: [string, Parameters<typeof rawTar>[0], RegExp][] = [
    ['parent traversal', [file('../evil')], /"\.\.\/evil".*\.\./],
    ['nested traversal', [file('code/../../evil')], /\.\./],
    ['absolute path', [file('/etc/passwd')], /absolute/],
    ['backslash', [file('code\\evil.txt')], /backslash/],
    ['NUL byte (via pax path)', [file('a\u0000b', 'x', { pax: {} })], /NUL/],
    ['symlink entry', [{ header: { name: 'link', type: 'symlink', linkname: '/etc/passwd' } }], /"link".*symlink/],
    ['hardlink entry', [file('a'), { header: { name: 'b', type: 'link', linkname: 'a' } }], /"b".*link/],
    [
      'device entry',
      [{ header: { name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 } }],
      /character-device/,
    ],
    ['fifo entry', [{ header: { name: 'pipe', type: 'fifo' } }], /fifo/],
    ['duplicate file', [file('SKILL.md', 'one'), file('SKILL.md', 'two')], /"SKILL\.md" appears more than once/],
    ['duplicate after ./ normalisation', [file('a.txt'), file('./a.txt')], /appears more than once/],
    ['file also a directory', [file('code'), { header: { name: 'code/', type: 'directory' } }], /"code"/],
    ['file under a file', [file('code'), file('code/x.py')], /inside "code"/],
    // Accepted before, then every run failed to unpack it (ENAMETOOLONG) and left the partial copy behind.
    [
      'a name longer than 255 bytes (via pax path)',
      [file(`code/${'n'.repeat(256)}`)],
      /has a name longer than 255 bytes/,
    ],
    ['a path longer than 1024 bytes (via pax path)', [file(`${'d/'.repeat(600)}x`)], /is longer than 1024 bytes/],
  ];
  for (const [name, entries, message] of cases) {
    test(name, async () => {
      await rejectsWith(unpackBundle(await tgz(...entries)), 'BUNDLE_INVALID', message);
    });
  }

  test('an entry name is quoted cut short, however long the uploader made it', async () => {
    const e = await rejectsWith(
      unpackBundle(await tgz(file(`${'../'.repeat(20_000)}x`))),
      'BUNDLE_INVALID',
      /contains a "\.\." segment/,
    );
    assert.ok(e.message.length < 400, `${e.message.length} characters`);
    assert.ok(JSON.stringify(e.toJSON()).length < 1500);
  });

  test('an entry name reaches an error escaped, never as raw control characters (terminal escapes)', async () => {
    const name = 'x\u001b[2J\u009b31m\u0007';
    for (const [bytes, code] of [
      [await tgz({ header: { name, type: 'symlink', linkname: 'a' } }), 'BUNDLE_INVALID'],
      [await tgz(file(name, 'x'.repeat(100))), 'BUNDLE_TOO_LARGE'],
    ] as const) {
      const e = await rejectsWith(unpackBundle(bytes, { maxFileBytes: 10 }), code);
      assert.doesNotMatch(e.message, /[\u0000-\u001f\u007f-\u009f]/, JSON.stringify(e.message));
      assert.match(e.message, /"x\\u001b\[2J\\u009b31m\\u0007"/);
    }
  });

  test('names up to 255 bytes and paths up to 1024 bytes are accepted', async () => {
    const name = `${'é'.repeat(127)}x`; // 255 bytes
    const path = `${`${'p'.repeat(254)}/`.repeat(4)}${'q'.repeat(4)}`; // 1024 bytes
    const files = await unpackBundle(await tgz(file(name), file(path)));
    assert.deepEqual([...files.keys()], [name, path]);
  });

  test('directories and "./" prefixes from common tar tools are accepted', async (t) => {
    const files = await unpackBundle(
      await tgz(
        { header: { name: './', type: 'directory' } },
        { header: { name: './code/', type: 'directory' } },
        file('./code/run.sh', '#!/bin/sh', { mode: 0o4775 }),
        file('SKILL.md', 'hi', { mode: 0o600, uid: 1234 }),
      ),
    );
    assert.deepEqual([...files.keys()], ['code/run.sh', 'SKILL.md']);
    assert.equal(files.get('code/run.sh')!.mode, 0o755); // setuid and group-write dropped
    assert.equal(files.get('SKILL.md')!.mode, 0o644);

    if (!haveOrSkip(t, 'tar')) return;
    const dir = await mkdtemp(join(tmpdir(), 'aspora-unpack-'));
    try {
      await mkdir(join(dir, 'skill/code'), { recursive: true });
      await writeFile(join(dir, 'skill/SKILL.md'), 'made by system tar');
      await writeFile(join(dir, 'skill/code/x.py'), 'pass');
      const bytes = execFileSync('tar', ['-czf', '-', '-C', join(dir, 'skill'), '.']);
      const got = await unpackBundle(bytes);
      assert.deepEqual([...got.keys()].sort(), ['SKILL.md', 'code/x.py']);
      assert.equal(got.get('SKILL.md')!.data.toString(), 'made by system tar');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('unpackBundle: limits', () => {
  test('maxCompressedBytes, maxFiles, maxFileBytes name the limit and the size', async () => {
    const bundle = await packFiles(new Map(Array.from({ length: 6 }, (_, i) => [`f${i}.txt`, Buffer.alloc(2000, i)])));
    let e = await rejectsWith(
      unpackBundle(bundle.bytes, { maxCompressedBytes: 10 }),
      'BUNDLE_TOO_LARGE',
      /maxCompressedBytes/,
    );
    assert.deepEqual([e.details?.max, e.details?.actual], [10, bundle.size]);
    e = await rejectsWith(
      unpackBundle(bundle.bytes, { maxFiles: 5 }),
      'BUNDLE_TOO_LARGE',
      /maxFiles.*6 files.*limit 5 files/,
    );
    e = await rejectsWith(
      unpackBundle(bundle.bytes, { maxFileBytes: 1999 }),
      'BUNDLE_TOO_LARGE',
      /"f0\.txt" exceeds maxFileBytes/,
    );
    assert.equal(e.details?.actual, 2000);
    await rejectsWith(
      unpackBundle(bundle.bytes, { maxUncompressedBytes: 8000 }),
      'BUNDLE_TOO_LARGE',
      /maxUncompressedBytes/,
    );
    assert.equal((await unpackBundle(bundle.bytes, { maxFiles: 6, maxFileBytes: 2000 })).size, 6);
  });

  test('a file announcing 200 MiB is refused from its header, before its data is inflated', async () => {
    const header = await rawTar([file('big.bin', '')]);
    // Rewrite the size field of the first header (octal at offset 124) and its checksum.
    const h = header.subarray(0, 512);
    h.write(`${(200 * MiB).toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    h.fill(' ', 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    const bomb = await gzipZeros(h, 200 * MiB);
    let t0 = performance.now();
    await rejectsWith(unpackBundle(bomb), 'BUNDLE_TOO_LARGE', /"big\.bin" exceeds maxFileBytes: 200\.0 MiB/);
    const refusing = performance.now() - t0;
    // Against inflating it on this machine now, not a fixed bound: the machine may be shared.
    t0 = performance.now();
    for await (const chunk of Readable.from([bomb]).pipe(createGunzip())) void chunk;
    const inflating = performance.now() - t0;
    assert.ok(
      refusing < inflating / 4,
      `refused in ${Math.round(refusing)} ms; inflating takes ${Math.round(inflating)} ms`,
    );
  });

  test('gzip bomb (200 MiB of zeros) stops at maxUncompressedBytes, fast and with bounded memory', async () => {
    const bomb = await gzipZeros(Buffer.alloc(0), 200 * MiB);
    assert.ok(bomb.length < MiB, `bomb is small when compressed (${bomb.length} bytes)`);
    global.gc?.();
    const base = process.memoryUsage();
    let peak = 0;
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.arrayBuffers - base.arrayBuffers, m.rss - base.rss);
    }, 2);
    const t0 = performance.now();
    try {
      const e = await rejectsWith(
        unpackBundle(bomb),
        'BUNDLE_TOO_LARGE',
        /maxUncompressedBytes: at least 100\.\d MiB \(limit 100\.0 MiB\)/,
      );
      // Stopped close to the limit, never near the full 200 MiB.
      assert.ok((e.details?.actual as number) < 101 * MiB, `inflated ${String(e.details?.actual)}`);
    } finally {
      clearInterval(timer);
    }
    const ms = performance.now() - t0;
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.ok(peak < 48 * MiB, `peak extra memory ${(peak / MiB).toFixed(1)} MiB`);
  });

  test('many files just under maxFileBytes still hit the total limit early', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => file(`f${i}.bin`, Buffer.alloc(2 * MiB)));
    const bytes = gzipSync(await rawTar(entries));
    const e = await rejectsWith(
      unpackBundle(bytes, { maxFileBytes: 2 * MiB, maxUncompressedBytes: 5 * MiB }),
      'BUNDLE_TOO_LARGE',
      /maxUncompressedBytes/,
    );
    assert.ok((e.details?.actual as number) < 6 * MiB);
  });
});
