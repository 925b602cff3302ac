import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { isDigest, parseDigest, sha256Digest } from './digest.ts';
import { AsporaError } from './errors.ts';
import { LocalBundleStore } from './folder-store.ts';
import { packFiles } from './pack.ts';
import { openBundleStore } from './store.ts';

const tmpRoots: string[] = [];
after(async () => {
  await Promise.all(tmpRoots.map((d) => rm(d, { recursive: true, force: true })));
});
async function newStore(): Promise<LocalBundleStore> {
  const d = await mkdtemp(join(tmpdir(), 'aspora-store-'));
  tmpRoots.push(d);
  return new LocalBundleStore(d);
}
async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}
async function rejectsWith(p: Promise<unknown>, expected: string): Promise<AsporaError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => ((caught = e), true));
  assert.ok(caught instanceof AsporaError, String(caught));
  assert.equal(caught.code, expected, caught.message);
  assert.ok(caught.hint);
  return caught;
}
const bundle = (text: string) => packFiles(new Map([['SKILL.md', Buffer.from(text)]]));

describe('digest', () => {
  test('sha256Digest and parseDigest', () => {
    const d = sha256Digest(Buffer.from('abc'));
    assert.equal(d, 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.deepEqual(parseDigest(d), { algorithm: 'sha256', hex: d.slice(7) });
    assert.ok(isDigest(d));
    for (const bad of [
      '',
      'sha256:',
      d.toUpperCase(),
      `sha512:${d.slice(7)}`,
      `${d}0`,
      `sha256:${'g'.repeat(64)}`,
      `sha256:../../${'a'.repeat(58)}`,
    ]) {
      assert.throws(
        () => parseDigest(bad),
        (e: unknown) => e instanceof AsporaError && e.code === 'BAD_REQUEST' && !!e.hint,
        bad,
      );
      assert.equal(isDigest(bad), false);
    }
  });
});

describe('LocalBundleStore', () => {
  test('put stores under sha256/<2 hex>/<hex>.tar.gz; identical content is stored once', async () => {
    const store = await newStore();
    const b = await bundle('hello');
    const first = await store.put(b.bytes);
    assert.deepEqual(first, { digest: b.digest, size: b.size, created: true });
    const second = await store.put(Buffer.from(b.bytes));
    assert.deepEqual(second, { digest: b.digest, size: b.size, created: false });
    const hex = b.digest.slice(7);
    assert.deepEqual(await listTree(store.rootDir), [join('sha256', hex.slice(0, 2), `${hex}.tar.gz`)]);
    assert.ok((await store.get(b.digest)).equals(b.bytes));
    assert.equal(await store.has(b.digest), true);
    assert.deepEqual(await store.stat(b.digest), { size: b.size });
    assert.equal(store.kind, 'local');
  });

  test('20 concurrent puts of the same bytes: one file, exactly one created, no temp files left', async () => {
    const store = await newStore();
    const b = await bundle('concurrent');
    const results = await Promise.all(Array.from({ length: 20 }, () => store.put(Buffer.from(b.bytes))));
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.ok(results.every((r) => r.digest === b.digest && r.size === b.size));
    assert.equal((await listTree(store.rootDir)).length, 1);
    assert.ok((await store.get(b.digest)).equals(b.bytes));
  });

  test('different content → different files', async () => {
    const store = await newStore();
    const [a, b] = await Promise.all([bundle('a'), bundle('b')]);
    await Promise.all([store.put(a.bytes), store.put(b.bytes), store.put(a.bytes)]);
    assert.equal((await listTree(store.rootDir)).length, 2);
    assert.ok((await store.get(b.digest)).equals(b.bytes));
  });

  test('tampered or truncated file → BUNDLE_CORRUPT on get; a re-put repairs it', async () => {
    const store = await newStore();
    const b = await bundle('tamper me');
    await store.put(b.bytes);
    const file = store.pathFor(b.digest);
    const tampered = Buffer.from(b.bytes);
    tampered[tampered.length - 1]! ^= 1; // same size, different content
    await writeFile(file, tampered);
    const e = await rejectsWith(store.get(b.digest), 'BUNDLE_CORRUPT');
    assert.match(e.message, /does not match its digest/);
    assert.deepEqual(await store.put(b.bytes), { digest: b.digest, size: b.size, created: true });
    assert.ok((await store.get(b.digest)).equals(b.bytes));

    await truncate(file, 10);
    await rejectsWith(store.get(b.digest), 'BUNDLE_CORRUPT');
    await store.put(b.bytes);
    assert.ok((await readFile(file)).equals(b.bytes));
    assert.equal((await listTree(store.rootDir)).length, 1);
  });

  test('unknown digest → BUNDLE_NOT_FOUND; has false; stat null; malformed digest → BAD_REQUEST', async () => {
    const store = await newStore();
    const unknown = sha256Digest(Buffer.from('never stored'));
    const e = await rejectsWith(store.get(unknown), 'BUNDLE_NOT_FOUND');
    assert.match(e.message, new RegExp(unknown));
    assert.equal(e.status, 404);
    assert.equal(await store.has(unknown), false);
    assert.equal(await store.stat(unknown), null);
    await rejectsWith(store.get('sha256:../../etc/passwd'), 'BAD_REQUEST');
    await rejectsWith(store.has('nope'), 'BAD_REQUEST');
  });
});

describe('openBundleStore', () => {
  test('no url → local store in dataDir; file:// → local store at that path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aspora-open-'));
    tmpRoots.push(dir);
    const s1 = await openBundleStore(undefined, dir);
    assert.ok(s1 instanceof LocalBundleStore);
    assert.equal(s1.rootDir, dir);
    const other = join(dir, 'elsewhere');
    const s2 = await openBundleStore(pathToFileURL(other).href, '/unused');
    assert.ok(s2 instanceof LocalBundleStore);
    assert.equal(s2.rootDir, other);
    const b = await bundle('via url');
    await s2.put(b.bytes);
    assert.equal(await new LocalBundleStore(other).has(b.digest), true);
  });

  test('s3:// → the S3 store (s3-store.test.ts), its URL checked first; other schemes → BAD_REQUEST', async () => {
    const e = await rejectsWith(openBundleStore('s3://Not_A_Bucket/prefix', '/tmp/x'), 'BAD_REQUEST');
    assert.match(e.message, /not a valid bucket name/);
    const ftp = await rejectsWith(openBundleStore('ftp://user:secret@host/x', '/tmp/x'), 'BAD_REQUEST');
    assert.ok(!JSON.stringify(ftp.toJSON()).includes('secret'), 'no password in the error');
    const slashed = await rejectsWith(openBundleStore('s3://AKID:se/cret@bucket/x', '/tmp/x'), 'BAD_REQUEST');
    assert.ok(!JSON.stringify(slashed.toJSON()).includes('cret'), 'a secret holding / is hidden too');
    await rejectsWith(openBundleStore('not a url', '/tmp/x'), 'BAD_REQUEST');
  });
});
