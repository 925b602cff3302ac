import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { bundle, countFiles, skillFolder, tempPlatform } from './helpers.ts';
import { packFiles } from '../src/store/index.ts';

type P = Awaited<ReturnType<typeof tempPlatform>>;
let p: P;
before(async () => {
  p = await tempPlatform({ maxBundleBytes: 256 * 1024 });
});
after(async () => p.cleanup());

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const init: RequestInit = { method, headers: { ...headers } };
  if (Buffer.isBuffer(body)) {
    init.body = new Uint8Array(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/gzip';
  } else if (typeof body === 'string') {
    init.body = body;
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await p.fetch(`${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};
const storeFiles = () => countFiles(join(p.dataDir, 'bundles'));

describe('health and discovery of the API itself', () => {
  test('healthz and readyz answer', async () => {
    assert.deepEqual((await call('GET', '/healthz')).body, { status: 'ok' });
    const r = await call('GET', '/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.body.checks.database, 'ok');
    assert.equal(r.body.checks.store, 'ok');
  });

  test('/openapi.json documents every route', async () => {
    const r = await call('GET', '/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    for (const path of [
      '/v1/bundles',
      '/v1/skills',
      '/v1/search',
      '/v1/skills/{domain}/{name}',
      '/v1/skills/{domain}/{name}/deployments',
      '/v1/skills/{domain}/{name}/rollback',
      '/v1/skills/{domain}/{name}/load',
      '/healthz',
      '/readyz',
    ]) {
      assert.ok(r.body.paths[path], `missing ${path}`);
    }
    assert.ok(r.body.components.schemas.Error);
  });

  test('unknown routes get the JSON error shape', async () => {
    const r = await call('GET', '/v1/nope');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'NOT_FOUND');
    assert.ok(r.body.error.hint);
  });
});

describe('publishing, deploying and rolling back', () => {
  test('upload registers a version; the same bytes again are idempotent', async () => {
    const b = await bundle({ version: '1.0.0' });
    const first = await call('POST', '/v1/bundles', b);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.ref, 'fraud/block-transaction');
    assert.match(first.body.digest, /^sha256:[0-9a-f]{64}$/);
    const again = await call('POST', '/v1/bundles', b);
    assert.equal(again.status, 200);
    assert.equal(again.body.created, false);
    assert.equal(again.body.digest, first.body.digest);
  });

  test('a re-deploy of an existing version with other content is refused and changes nothing', async () => {
    const before = storeFiles();
    const r = await call(
      'POST',
      '/v1/bundles',
      await bundle({ version: '1.0.0', description: 'Something else entirely.' }),
    );
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'VERSION_CONFLICT');
    assert.match(r.body.error.hint, /bump skill\.version/);
    assert.equal(storeFiles(), before, 'nothing new in the store');
    const d = await call('GET', '/v1/skills/fraud/block-transaction');
    assert.equal(d.body.versions.length, 1);
  });

  test('an invalid skill is refused with every issue positioned, and nothing is stored', async () => {
    const before = storeFiles();
    const b = await bundle({ name: 'broken-skill', version: 'not-semver', handler: null });
    const r = await call('POST', '/v1/bundles', b);
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'BUNDLE_INVALID');
    const paths = r.body.error.issues.map((i: { path?: string }) => i.path);
    assert.ok(paths.includes('skill.version'), JSON.stringify(r.body.error.issues));
    const v = r.body.error.issues.find((i: { path?: string }) => i.path === 'skill.version');
    assert.equal(v.file, 'aspora.config.yaml');
    assert.equal(v.line, 4);
    assert.equal(storeFiles(), before);
    assert.equal((await call('GET', '/v1/skills/fraud/broken-skill')).status, 404);
  });

  test('a YAML alias bomb in aspora.config.yaml is a 422 naming the file and line, never a 500', async () => {
    const lines = ['metadata:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `  ${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const files = skillFolder({ name: 'bomb-skill' });
    files.set(
      'aspora.config.yaml',
      Buffer.concat([files.get('aspora.config.yaml')!, Buffer.from(`${lines.join('\n')}\n`)]),
    );
    const r = await call('POST', '/v1/bundles', (await packFiles(files)).bytes);
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'BUNDLE_INVALID');
    const issue = r.body.error.issues[0];
    assert.equal(issue.file, 'aspora.config.yaml');
    assert.equal(typeof issue.line, 'number');
    assert.match(issue.message, /aliases expand too much/);
  });

  test('corrupt and oversized bundles get 4xx, never 500', async () => {
    const corrupt = await call('POST', '/v1/bundles', Buffer.from('definitely not a tarball'));
    assert.equal(corrupt.status, 400);
    assert.equal(corrupt.body.error.code, 'BUNDLE_CORRUPT');
    const big = await call(
      'POST',
      '/v1/bundles',
      gzipSync(Buffer.alloc(1)).length ? Buffer.alloc(300 * 1024, 7) : Buffer.alloc(0),
    );
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'BUNDLE_TOO_LARGE');
    const empty = await call('POST', '/v1/bundles', Buffer.alloc(0));
    assert.equal(empty.status, 400);
  });

  test('deploy moves environments; rollback walks the history back', async () => {
    for (const v of ['1.1.0', '1.2.0'])
      assert.equal((await call('POST', '/v1/bundles', await bundle({ version: v }))).status, 201);
    const path = '/v1/skills/fraud/block-transaction';
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      const r = await call(
        'POST',
        `${path}/deployments`,
        { environment: 'production', version: v },
        { 'x-aspora-actor': 'alice' },
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.version, v);
    }
    const same = await call('POST', `${path}/deployments`, { environment: 'production', version: '1.2.0' });
    assert.equal(same.body.changed, false);
    const rb1 = await call('POST', `${path}/rollback`, { environment: 'production' });
    assert.equal(rb1.body.version, '1.1.0');
    assert.equal(rb1.body.previousVersion, '1.2.0');
    const rb2 = await call('POST', `${path}/rollback`, { environment: 'production' });
    assert.equal(rb2.body.version, '1.0.0');
    const rb3 = await call('POST', `${path}/rollback`, { environment: 'production' });
    assert.equal(rb3.status, 409);
    assert.equal(rb3.body.error.code, 'NOTHING_TO_ROLL_BACK');
    const d = await call('GET', path);
    assert.equal(d.body.environments.production, '1.0.0');
    assert.equal(d.body.latestVersion, '1.2.0');
    // The actor is the token's user: the x-aspora-actor header it once took names no one now.
    assert.ok(d.body.deployments.every((h: { actor: string | null }) => h.actor === 'admin@localhost'));
  });

  test('deploying an unknown version or skill is a 404 with a hint', async () => {
    const r = await call('POST', '/v1/skills/fraud/block-transaction/deployments', {
      environment: 'staging',
      version: '9.9.9',
    });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'VERSION_NOT_FOUND');
    const s = await call('POST', '/v1/skills/fraud/nope/deployments', { environment: 'staging', version: '1.0.0' });
    assert.equal(s.body.error.code, 'SKILL_NOT_FOUND');
  });

  test('malformed requests are 400 with the offending field', async () => {
    const badEnv = await call('POST', '/v1/skills/fraud/block-transaction/deployments', {
      environment: 'prod',
      version: '1.0.0',
    });
    assert.equal(badEnv.status, 400);
    assert.equal(badEnv.body.error.code, 'BAD_REQUEST');
    assert.match(badEnv.body.error.message, /environment/);
    const badJson = await call('POST', '/v1/skills/fraud/block-transaction/deployments', '{"environment":');
    assert.equal(badJson.status, 400);
    const badParam = await call('GET', '/v1/skills/Fraud!/x');
    assert.equal(badParam.status, 400);
    const huge = await call(
      'POST',
      '/v1/skills/fraud/block-transaction/deployments',
      JSON.stringify({ environment: 'staging', version: 'x'.repeat(2 * 1024 * 1024) }),
    );
    assert.equal(huge.status, 413);
  });
});

describe('discovery', () => {
  before(async () => {
    await call(
      'POST',
      '/v1/bundles',
      await bundle({
        domain: 'ecm',
        role: 'field',
        name: 'my-tickets',
        description: 'Shows the agent personal ticket queue. Do NOT use for triage.',
        patterns: ['my tickets', 'my queue'],
      }),
    );
    await call(
      'POST',
      '/v1/bundles',
      await bundle({
        domain: 'ecm',
        role: 'manager',
        name: 'triage-and-assign',
        description: 'Scores stuck orders and assigns them to agents.',
        patterns: ['run triage'],
      }),
    );
  });

  test('list by domain and role', async () => {
    const r = await call('GET', '/v1/skills?domain=ecm&role=field');
    assert.deepEqual(
      r.body.skills.map((s: { ref: string }) => s.ref),
      ['ecm/my-tickets'],
    );
    const all = await call('GET', '/v1/skills?domain=ecm');
    assert.equal(all.body.skills.length, 2);
  });

  test('search ranks by meaning and says why', async () => {
    const r = await call('GET', `/v1/search?q=${encodeURIComponent('show my ticket queue')}`);
    assert.equal(r.body.hits[0].skill.ref, 'ecm/my-tickets');
    assert.ok(r.body.hits[0].score > 0 && r.body.hits[0].score <= 1);
    assert.ok(r.body.hits[0].why.length > 0);
    const f = await call('GET', `/v1/search?q=${encodeURIComponent('block a suspicious payment')}&domain=fraud`);
    assert.equal(f.body.hits[0].skill.ref, 'fraud/block-transaction');
  });

  test('load resolves the environment version with config and bundle digest', async () => {
    const r = await call('GET', '/v1/skills/fraud/block-transaction/load?environment=production');
    assert.equal(r.status, 200);
    assert.equal(r.body.version.version, '1.0.0');
    assert.match(r.body.version.bundleDigest, /^sha256:/);
    const bytes = await p.fetch(`/v1/bundles/${r.body.version.bundleDigest}`);
    assert.equal(bytes.status, 200);
    assert.equal(bytes.headers.get('content-type'), 'application/gzip');
    const nope = await call('GET', '/v1/bundles/sha256:zz');
    assert.equal(nope.status, 400);
  });
});

describe('requests from a hostile client (found by fuzzing the API, test/fuzz)', () => {
  /** Written on the socket as it stands: fetch() would turn the backslash into a slash first. */
  const raw = (requestLine: string) =>
    new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
      const s = connect(Number(new URL(p.url).port), '127.0.0.1');
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('error', reject);
      s.on('close', () => {
        const text = Buffer.concat(chunks).toString('latin1');
        const [head = '', body = ''] = text.split('\r\n\r\n');
        resolve({ status: Number(head.slice(9, 12)), type: /content-type: *([^\r\n]*)/i.exec(head)?.[1], body });
      });
      s.end(`${requestLine}\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`);
    });

  test('a path the HTTP adapter cannot take (a backslash) is answered with the typed error body', async () => {
    const r = await raw('GET /v1/skills/fraud/\\/load HTTP/1.1');
    assert.equal(r.status, 400);
    assert.match(r.type ?? '', /application\/json/);
    const body = JSON.parse(r.body) as { error: { code: string; message: string; hint: string } };
    assert.equal(body.error.code, 'BAD_REQUEST');
    assert.match(body.error.message, /backslash/i);
    assert.ok(body.error.hint);
  });

  test('logs with a limit that is not a number is a 400, not a database error', async () => {
    await call('POST', '/v1/bundles', await bundle({ version: '1.0.0' }));
    for (const limit of ['abc', '2026-02-16', '0', '-5', '1.5', '1e400']) {
      const r = await call('GET', `/v1/skills/fraud/block-transaction/logs?limit=${limit}`);
      assert.equal(r.status, 400, `limit=${limit}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'BAD_REQUEST');
    }
    assert.equal((await call('GET', '/v1/skills/fraud/block-transaction/logs?limit=5')).status, 200);
  });
});

describe('NUL characters, which PostgreSQL cannot hold (found by fuzzing the API, test/fuzz)', () => {
  test('in a version or a reason: a 400 naming the NUL, not a 500', async () => {
    await call('POST', '/v1/bundles', await bundle({ version: '1.0.0' }));
    for (const [method, path, body] of [
      ['POST', '/v1/skills/fraud/block-transaction/tests', { version: '\u0000' }],
      ['GET', '/v1/skills/fraud/block-transaction/load?version=%00', undefined],
      ['POST', '/v1/skills/fraud/block-transaction/budget/lift', { reason: 'a\u0000b' }],
    ] as const) {
      const r = await call(method, path, body);
      assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'BAD_REQUEST');
      assert.match(r.body.error.message, /NUL/);
    }
  });

  test('in an execution input: the execution is recorded, NUL kept as the text \\u0000', async () => {
    await call('POST', '/v1/bundles', await bundle({ version: '1.0.0' }));
    await call('POST', '/v1/skills/fraud/block-transaction/deployments', {
      environment: 'production',
      version: '1.0.0',
    });
    const run = await call('POST', '/v1/skills/fraud/block-transaction/executions', {
      input: { userMessage: 'a\u0000b', metadata: { k: '\u0000' } },
    });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    // The row in the database, not the answer kept in memory: a NUL made the batch's write fail.
    await p.runtime.recorder.settled?.();
    const rows = await p.db.query<{ input: { userMessage: string } }>('SELECT input FROM executions WHERE id = $1', [
      run.body.id,
    ]);
    assert.equal(rows.length, 1, 'the execution left no record');
    assert.equal(rows[0]!.input.userMessage, 'a\\u0000b');
  });
});

describe('deeply nested JSON bodies (found by fuzzing the API, test/fuzz)', () => {
  const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

  test('are refused with a 400 before anything recurses into them (they made RangeErrors, 500s)', async () => {
    for (const [path, body] of [
      ['/v1/skills/fraud/block-transaction/executions', `{"input":{"userMessage":"x","metadata":${deep(100_000)}}}`],
      ['/v1/skills/fraud/block-transaction/deployments', `{"environment":"production","version":${deep(10_000)}}`],
    ]) {
      const r = await call('POST', path!, body);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.equal(r.body.error.code, 'BAD_REQUEST');
      assert.match(r.body.error.message, /nested deeper than 72 levels/);
    }
    for (const path of ['/v1/embeddings', '/v1/chat/completions']) {
      const r = await call('POST', path, `{"model":"x","input":"a","messages":[],"then":${deep(100_000)}}`);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.equal(r.body.error.type, 'invalid_request_error');
      assert.match(r.body.error.message, /nested deeper than 72 levels/);
    }
  });

  test('nesting up to the limit is accepted', async () => {
    await call('POST', '/v1/bundles', await bundle({ version: '1.0.0' }));
    await call('POST', '/v1/skills/fraud/block-transaction/deployments', {
      environment: 'production',
      version: '1.0.0',
    });
    const r = await call(
      'POST',
      '/v1/skills/fraud/block-transaction/executions',
      `{"input":{"userMessage":"x","metadata":{"k":${deep(60)}}}}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
  });
});

test('a bundle labelled JSON is still read as bytes, and a body that is not JSON is still a 400 from validation', async () => {
  const b = await bundle({ version: '1.0.0' });
  const r = await call('POST', '/v1/bundles', b, { 'content-type': 'application/json' });
  assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
  const bad = await call('POST', '/v1/skills/fraud/block-transaction/deployments', '{"environment": ', {
    'content-type': 'application/json',
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'BAD_REQUEST');
});
