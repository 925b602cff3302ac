/** The S3 bundle store against a real S3 wire-protocol server (s3rver) on this machine. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AsporaError } from './errors.ts';
import { packFiles } from './pack.ts';
import { parseS3Url, S3BundleStore } from './s3-store.ts';
import { deadEndpoint, startFaultyProxy, startS3, type FaultyProxy, type TestS3 } from './s3-test-support.ts';
import { openBundleStore } from './store.ts';

const BUCKET = 'aspora-test';
let s3: TestS3;
let proxy: FaultyProxy;

before(async () => {
  s3 = await startS3([BUCKET]);
  proxy = await startFaultyProxy(s3.endpoint);
});
after(async () => {
  await proxy?.close();
  await s3?.stop();
});

async function sample(text = 'hello') {
  return packFiles(
    new Map([
      ['SKILL.md', Buffer.from(`# ${text}\n`)],
      ['code/handler.ts', Buffer.from(`export const text = ${JSON.stringify(text)};\n`)],
    ]),
  );
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<AsporaError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AsporaError, `expected AsporaError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** Writes bytes at a key behind the store's back. */
async function rawPut(key: string, body: Buffer): Promise<void> {
  const c = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  c.destroy();
}

const open = async (prefix: string, endpoint = s3.endpoint, env: NodeJS.ProcessEnv = {}) =>
  (await openBundleStore(`s3://${BUCKET}/${prefix}`, '/unused', {
    env: { ...s3.env(endpoint), ...env },
  })) as S3BundleStore;

describe('S3 bundle store on s3rver', () => {
  test('put stores under <prefix>sha256/<2 hex>/<hex>.tar.gz; get, has and stat find it', async () => {
    const store = await open('team/bundles');
    const b = await sample();
    assert.equal(store.kind, 's3');
    assert.equal(await store.has(b.digest), false);
    assert.equal(await store.stat(b.digest), null);
    assert.deepEqual(await store.put(b.bytes), { digest: b.digest, size: b.size, created: true });
    const hex = b.digest.slice('sha256:'.length);
    assert.equal(store.keyFor(b.digest), `team/bundles/sha256/${hex.slice(0, 2)}/${hex}.tar.gz`);
    assert.ok(
      existsSync(join(s3.dir, BUCKET, 'team', 'bundles', 'sha256', hex.slice(0, 2))),
      'the object sits under the prefix on the server',
    );
    assert.equal(await store.has(b.digest), true);
    assert.deepEqual(await store.stat(b.digest), { size: b.size });
    assert.ok((await store.get(b.digest)).equals(b.bytes));
    await store.close();
  });

  test('identical content is stored once: a second put is a HEAD, not an upload', async () => {
    const store = await open('dedupe', proxy.endpoint);
    const b = await sample('dedupe');
    assert.equal((await store.put(b.bytes)).created, true);
    proxy.reset();
    assert.deepEqual(await store.put(Buffer.from(b.bytes)), { digest: b.digest, size: b.size, created: false });
    assert.deepEqual(
      proxy.seen.map((s) => s.split(' ')[0]),
      ['HEAD'],
      'no PUT for content already stored',
    );
    // Concurrent puts of one bundle all succeed with the same address.
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(Buffer.from(b.bytes))));
    assert.ok(results.every((r) => r.digest === b.digest && r.size === b.size));
    await store.close();
  });

  test('an object changed behind the store is never served: BUNDLE_CORRUPT names the digest; a re-put repairs it', async () => {
    const store = await open('corrupt');
    const b = await sample('corrupt');
    await store.put(b.bytes);
    await rawPut(store.keyFor(b.digest), Buffer.concat([b.bytes, Buffer.from('tampered')]));
    const e = await rejectsWith(store.get(b.digest), 'BUNDLE_CORRUPT');
    assert.ok(e.message.includes(b.digest), e.message);
    assert.match(e.hint ?? '', /re-upload/);
    // Same digest, different size on the server: put replaces the bad copy instead of trusting the name.
    assert.equal((await store.put(b.bytes)).created, true);
    assert.ok((await store.get(b.digest)).equals(b.bytes));
    await store.close();
  });

  test('an object over the read limit is refused before it is read', async () => {
    const store = await open('huge');
    const b = await sample('huge');
    await rawPut(store.keyFor(b.digest), Buffer.alloc(21 * 1024 * 1024, 1));
    const e = await rejectsWith(store.get(b.digest), 'BUNDLE_CORRUPT');
    assert.match(e.message, /over the \d+-byte read limit/);
    await store.close();
  });

  test('absent bundles are BUNDLE_NOT_FOUND, malformed digests BAD_REQUEST', async () => {
    const store = await open('');
    await rejectsWith(store.get(`sha256:${'0'.repeat(64)}`), 'BUNDLE_NOT_FOUND');
    await rejectsWith(store.get('sha256:../../etc/passwd'), 'BAD_REQUEST');
    await rejectsWith(store.has('sha256:ABC'), 'BAD_REQUEST');
    await store.close();
  });
});

describe('S3 bundle store when the server fails', () => {
  const noStack = (e: AsporaError) => assert.doesNotMatch(e.message, /\n\s+at /, 'a sentence, not a stack');

  test('a server that is down: opening fails with UNAVAILABLE naming the endpoint', async () => {
    const dead = await deadEndpoint();
    const started = Date.now();
    const e = await rejectsWith(open('x', dead), 'UNAVAILABLE');
    assert.ok(e.message.includes(dead), e.message);
    assert.match(e.message, /unreachable \(ECONNREFUSED\)/);
    assert.match(e.hint ?? '', /AWS_ENDPOINT_URL_S3/);
    noStack(e);
    assert.ok(Date.now() - started < 10_000, 'fails in seconds');
  });

  test('a server that goes away after the start: put and get fail with UNAVAILABLE naming the endpoint', async () => {
    const other = await startS3([BUCKET]);
    const store = await open('gone', other.endpoint);
    const b = await sample('gone');
    await store.put(b.bytes);
    await other.stop();
    const other2 = (await sample('gone2')).bytes;
    for (const op of [() => store.put(other2), () => store.get(b.digest), () => store.has(b.digest)]) {
      const e = await rejectsWith(op(), 'UNAVAILABLE');
      assert.ok(e.message.includes(other.endpoint), e.message);
      noStack(e);
    }
    await store.close();
  });

  test('a server that accepts connections and never answers: UNAVAILABLE once the request times out', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((sock) => void sockets.push(sock));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const store = new S3BundleStore(`s3://${BUCKET}/p`, { env: s3.env(endpoint), idleTimeoutMs: 300 });
      const e = await rejectsWith(store.has(`sha256:${'1'.repeat(64)}`), 'UNAVAILABLE');
      assert.ok(e.message.includes(endpoint), e.message);
      assert.match(e.message, /unreachable \(.*time.*\)/i);
      noStack(e);
      await store.close();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('a bucket that does not exist is named at the start', async () => {
    const e = await rejectsWith(openBundleStore('s3://no-such-bucket/p', '/unused', { env: s3.env() }), 'UNAVAILABLE');
    assert.match(e.message, /bucket "no-such-bucket" does not exist/);
    assert.match(e.hint ?? '', /create the bucket/);
  });

  test('errors mid-upload: every PUT answered 500 → UNAVAILABLE after the retries, nothing stored', async () => {
    const store = await open('err500', proxy.endpoint);
    const b = await sample('err500');
    proxy.reset((req) => (req.method === 'PUT' ? 'error' : 'pass'));
    const e = await rejectsWith(store.put(b.bytes), 'UNAVAILABLE');
    assert.match(e.message, /answered 500 InternalError/);
    assert.ok(e.message.includes(proxy.endpoint), e.message);
    assert.match(e.hint ?? '', /nothing was registered/);
    assert.equal(proxy.seen.filter((s) => s.startsWith('PUT')).length, 3, 'the SDK retried before giving up');
    proxy.reset();
    assert.equal(await store.has(b.digest), false);
    await store.close();
  });

  test('errors mid-upload: the connection cut halfway through the body → UNAVAILABLE, nothing stored', async () => {
    const store = await open('cut', proxy.endpoint);
    const b = await packFiles(
      new Map([
        ['SKILL.md', Buffer.from('# big\n')],
        ['data.bin', randomBytes(64 * 1024)],
      ]),
    );
    proxy.reset((req) => (req.method === 'PUT' ? 'cut' : 'pass'));
    const e = await rejectsWith(store.put(b.bytes), 'UNAVAILABLE');
    assert.ok(e.message.includes(proxy.endpoint), e.message);
    noStack(e);
    proxy.reset();
    assert.equal(await store.has(b.digest), false);
    await store.close();
  });

  test('a download cut halfway is UNAVAILABLE, never a partial bundle', async () => {
    const store = await open('truncated', proxy.endpoint);
    const b = await packFiles(
      new Map([
        ['SKILL.md', Buffer.from('# big\n')],
        ['data.bin', randomBytes(64 * 1024)],
      ]),
    );
    await store.put(b.bytes);
    proxy.reset((req) => (req.method === 'GET' ? 'truncate' : 'pass'));
    const e = await rejectsWith(store.get(b.digest), 'UNAVAILABLE');
    assert.ok(e.message.includes(proxy.endpoint), e.message);
    noStack(e);
    proxy.reset();
    assert.ok((await store.get(b.digest)).equals(b.bytes));
    await store.close();
  });

  test('one failed PUT is retried by the SDK and the bundle is stored', async () => {
    const store = await open('transient', proxy.endpoint);
    const b = await sample('transient');
    let puts = 0;
    proxy.reset((req) => (req.method === 'PUT' && ++puts === 1 ? 'error' : 'pass'));
    assert.equal((await store.put(b.bytes)).created, true);
    proxy.reset();
    assert.ok((await store.get(b.digest)).equals(b.bytes));
    await store.close();
  });
});

describe('parseS3Url', () => {
  const env = { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_REGION: 'eu-west-1' };
  test('bucket, prefix, endpoint and region from the URL and the AWS variables', () => {
    assert.deepEqual(parseS3Url('s3://my-bucket/a/b/', env), {
      bucket: 'my-bucket',
      prefix: 'a/b/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      pathStyle: true,
    });
    assert.equal(parseS3Url('s3://my-bucket', env).prefix, '');
    assert.equal(
      parseS3Url('s3://b12', { AWS_ENDPOINT_URL: 'http://h:1', AWS_ENDPOINT_URL_S3: 'http://s3:2' }).endpoint,
      'http://s3:2',
      'the S3-specific endpoint wins',
    );
    assert.equal(
      parseS3Url('s3://b12', { AWS_ENDPOINT_URL: 'http://h:1' }).region,
      'us-east-1',
      'a custom endpoint without a region signs for us-east-1',
    );
    assert.equal(
      parseS3Url('s3://b12', { AWS_ENDPOINT_URL: 'http://u:secret@h:1/?token=secret' }).endpoint,
      'http://h:1',
      'no credentials kept in the endpoint',
    );
  });

  test('path style: the URL parameter, then AWS_S3_FORCE_PATH_STYLE, else on exactly with a custom endpoint', () => {
    assert.equal(parseS3Url('s3://bkt', { AWS_REGION: 'eu-west-1' }).pathStyle, false, 'AWS: virtual-hosted');
    assert.equal(parseS3Url('s3://bkt', env).pathStyle, true, 'custom endpoint: path style');
    assert.equal(parseS3Url('s3://bkt?path_style=false', env).pathStyle, false);
    assert.equal(parseS3Url('s3://bkt', { ...env, AWS_S3_FORCE_PATH_STYLE: 'false' }).pathStyle, false);
    assert.equal(parseS3Url('s3://bkt?path_style=true', { AWS_S3_FORCE_PATH_STYLE: 'false' }).pathStyle, true);
  });

  test('refuses what would be misread or leak: credentials, ports, bad names, .. segments, unknown parameters', () => {
    const bad = (url: string, re: RegExp, e: NodeJS.ProcessEnv = env) =>
      assert.throws(
        () => parseS3Url(url, e),
        (err: unknown) => err instanceof AsporaError && re.test(err.message) && !err.message.includes('secret'),
      );
    bad('s3://key:secret@bucket/p', /credentials do not belong/);
    bad('s3://bucket:9000/p', /names a bucket, not a host/);
    bad('s3://Bad_Bucket/p', /not a valid bucket name/);
    bad('s3://ab/p', /not a valid bucket name/);
    bad('s3://bucket/a/%00/b', /prefix segment "\\u0000"/);
    bad('s3://bucket/a%ZZ', /prefix segment/);
    bad('s3://bucket/p?region=x', /unknown parameter "region"/);
    bad('s3://bucket/p?path_style=maybe', /path_style must be true or false/);
    assert.throws(() => parseS3Url('s3://bucket', { AWS_ENDPOINT_URL_S3: 'ftp://x' }), /http:\/\/ or https:\/\//);
  });

  test("no secret in the store's description", () => {
    const store = new S3BundleStore('s3://bkt/p', {
      env: { ...env, AWS_ACCESS_KEY_ID: 'AKIDSECRET', AWS_SECRET_ACCESS_KEY: 'verysecret' },
    });
    assert.equal(store.where, 's3://bkt/p/ at http://127.0.0.1:9000');
    assert.ok(!JSON.stringify(store.location).includes('secret'));
    void store.close();
  });
});

// Keeps the helper honest: the proxy forwards bodies intact.
test('the test proxy forwards uploads byte for byte', async () => {
  const store = await open('proxy', proxy.endpoint);
  const b = await sample('proxy');
  proxy.reset();
  await store.put(b.bytes);
  const hex = b.digest.slice(7);
  const dir = join(s3.dir, BUCKET, 'proxy', 'sha256', hex.slice(0, 2));
  assert.ok(existsSync(dir));
  assert.ok((await store.get(b.digest)).equals(b.bytes));
  assert.ok(proxy.seen.some((s) => s.startsWith('PUT')));
  await store.close();
});
