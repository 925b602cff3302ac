/**
 * Asynchronous runs through the API, on PGlite and PostgreSQL: 202 with the id, the record going
 * queued → running → done; an Idempotency-Key answering the same execution (async and sync) with
 * one run; a bad key refused; `GET /v1/executions?status=` listing what waits. Then, with real
 * `aspora up` processes on one PostgreSQL: a process killed (-9) mid-run → another process retries
 * the execution, which completes once.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { PG_URL } from '../src/registry/test-support.ts';
import { engineSchema } from '../src/jobs/engine.ts';
import { dbBackends } from './db-backends.ts';
import { packFiles } from '../src/store/index.ts';
import { upProcess } from './up-process.ts';
import { bundle, skillFolder, tempPlatform } from './helpers.ts';
import { postgres, skipUnless } from './tools.ts';
import { until } from './until.ts';
import { dropSchemas } from '../src/jobs/test-support.ts';

/** Sleeps metadata.ms, then answers; fails when metadata.fail. */
const HANDLER = `export const handler = async (ctx) => {
  if (ctx.input.metadata.ms) await new Promise((r) => setTimeout(r, ctx.input.metadata.ms));
  if (ctx.input.metadata.fail) throw new Error('asked to fail');
  return { success: true, message: 'n=' + ctx.input.metadata.n };
};`;

/** The test skill's bundle, with runtime.max_concurrency: 1. */
async function narrowBundle(): Promise<Buffer> {
  const files = skillFolder({ handler: HANDLER });
  const cfg = files.get('aspora.config.yaml')!.toString();
  files.set(
    'aspora.config.yaml',
    Buffer.from(
      cfg.replace('  entry_point: code/handler.ts\n', '  entry_point: code/handler.ts\n  max_concurrency: 1\n'),
    ),
  );
  return (await packFiles(files)).bytes;
}

const RUN = '/v1/skills/fraud/block-transaction/executions';

for (const backend of dbBackends) {
  describe(`asynchronous runs on ${backend.name}`, { skip: backend.skip }, () => {
    test('202 with the id; the record goes queued → running → done; keys answer the same execution', async () => {
      const schema = backend.name === 'postgres' ? `aspora_t_${randomBytes(6).toString('hex')}` : undefined;
      const p = await tempPlatform(schema ? { databaseUrl: PG_URL, databaseSchema: schema } : {});
      const post = (body: unknown, headers: Record<string, string> = {}) =>
        p.fetch(RUN, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json', ...headers },
        });
      const get = async (id: string) => (await (await p.fetch(`/v1/executions/${id}`)).json()) as Record<string, any>;
      try {
        await p.fetch('/v1/bundles', {
          method: 'POST',
          body: await narrowBundle(),
          headers: { 'content-type': 'application/gzip' },
        });
        await p.fetch('/v1/skills/fraud/block-transaction/deployments', {
          method: 'POST',
          body: JSON.stringify({ environment: 'production', version: '1.0.0' }),
          headers: { 'content-type': 'application/json' },
        });

        // The first holds the skill's one slot for a while: the second waits, queued.
        const first = await post({ async: true, input: { metadata: { ms: 2500, n: 1 } } });
        assert.equal(first.status, 202);
        const a = (await first.json()) as { id: string; status: string };
        assert.equal(a.status, 'queued');
        const second = (await (await post({ async: true, input: { metadata: { ms: 1500, n: 2 } } })).json()) as {
          id: string;
        };
        const seen: string[] = [];
        const note = async () => {
          const s = (await get(second.id)).status as string;
          if (seen.at(-1) !== s) seen.push(s);
          return s;
        };
        await until('the second done', async () => (await note()) === 'done');
        assert.deepEqual(seen, ['queued', 'running', 'done']);
        const done = await get(second.id);
        assert.equal(done.success, true);
        assert.equal(done.attempts, 1);
        assert.deepEqual(done.result, { success: true, message: 'n=2' });
        assert.equal((await get(a.id)).status, 'done');

        // Idempotency: the same key (same caller) answers the same execution, which runs once.
        const key = { 'idempotency-key': `order-${randomBytes(4).toString('hex')}` };
        const k1 = (await (await post({ async: true, input: { metadata: { n: 3 } } }, key)).json()) as any;
        const k2r = await post({ async: true, input: { metadata: { n: 3 } } }, key);
        const k2 = (await k2r.json()) as any;
        assert.equal(k2.id, k1.id);
        assert.equal(k2.existing, true);
        await until('the keyed run done', async () => (await get(k1.id)).status === 'done');
        const again = await post({ input: { metadata: { n: 3 } } }, key);
        assert.equal(again.status, 200, 'a sync request with a used key answers the finished execution');
        assert.equal(((await again.json()) as any).id, k1.id);
        // Sync first, then the same key again: one run.
        const sk = { 'idempotency-key': 'sync-key-1' };
        const s1 = (await (await post({ input: { metadata: { n: 4 } } }, sk)).json()) as any;
        const s2 = (await (await post({ input: { metadata: { n: 4 } } }, sk)).json()) as any;
        assert.equal(s2.id, s1.id);
        const runs = (await (await p.fetch(`${RUN}?limit=100`)).json()) as { executions: { input: any }[] };
        assert.equal(runs.executions.filter((e) => e.input.metadata.n === 3).length, 1);
        assert.equal(runs.executions.filter((e) => e.input.metadata.n === 4).length, 1);

        // A key that is not a key.
        for (const bad of ['has space', 'x'.repeat(201), 'tab\tkey']) {
          const r = await post({ async: true }, { 'idempotency-key': bad });
          assert.equal(r.status, 400, bad);
          assert.equal(((await r.json()) as any).error.code, 'BAD_REQUEST');
        }

        // A run that always fails: dead after its attempts, listed as dead.
        const poison = (await (
          await post({ async: true, maxAttempts: 2, input: { metadata: { fail: true } } })
        ).json()) as { id: string };
        await until('the poison run dead', async () => (await get(poison.id)).status === 'dead');
        const dead = (await (await p.fetch('/v1/executions?status=dead')).json()) as { executions: any[] };
        const row = dead.executions.find((e) => e.id === poison.id);
        assert.equal(row.attempts, 2);
        assert.equal(row.error.code, 'HANDLER_ERROR');
      } finally {
        await p.cleanup();
        if (schema) await dropSchemas(schema);
      }
    });
  });
}

const TOKEN = `jobs-test-${randomBytes(16).toString('hex')}`;

const up = (dataDir: string, schema: string) =>
  upProcess(dataDir, TOKEN, { DATABASE_URL: PG_URL, ASPORA_DB_SCHEMA: schema });

const pgSkip = skipUnless(await postgres()) ?? false;

test('kill -9 of a process mid-run: another process retries it, and it completes once', { skip: pgSkip }, async () => {
  const schema = `aspora_t_${randomBytes(6).toString('hex')}`;
  // One data folder for both (the bundle store and the vault's key are shared, as on one host).
  const dir = mkdtempSync(join(tmpdir(), 'aspora-jobs-kill-'));
  chmodSync(dir, 0o755);
  const api = (url: string, path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${TOKEN}` },
    });
  const a = await up(dir, schema);
  let b: { url: string; child: ChildProcess } | undefined;
  try {
    await api(a.url, '/v1/bundles', {
      method: 'POST',
      body: await bundle({ handler: HANDLER }),
      headers: { 'content-type': 'application/gzip' },
    });
    await api(a.url, '/v1/skills/fraud/block-transaction/deployments', {
      method: 'POST',
      body: JSON.stringify({ environment: 'production', version: '1.0.0' }),
      headers: { 'content-type': 'application/json' },
    });
    // Only A is up: it takes the run, which lasts long enough to be killed in.
    const { id } = (await (
      await api(a.url, RUN, {
        method: 'POST',
        body: JSON.stringify({ async: true, input: { metadata: { ms: 4000, n: 7 } } }),
        headers: { 'content-type': 'application/json' },
      })
    ).json()) as { id: string };
    const status = async (url: string) =>
      ((await (await api(url, `/v1/executions/${id}`)).json()) as { status: string; attempts: number }).status;
    await until('A running it', async () => (await status(a.url)) === 'running');
    a.child.kill('SIGKILL');
    b = await up(dir, schema);
    const url = b.url;
    await until('B finishing it', async () => (await status(url)) === 'done', 90_000);
    const r = (await (await api(url, `/v1/executions/${id}`)).json()) as any;
    assert.equal(r.success, true);
    assert.equal(r.attempts, 2, 'the second attempt, by B');
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const [job] = (await c.query(`SELECT state, retry_count FROM "${engineSchema(schema)}".job WHERE id = $1`, [id]))
      .rows;
    await c.end();
    assert.equal(job, undefined, 'the finished job is gone, and its input with it (decision 014)');
  } finally {
    a.child.kill('SIGKILL');
    b?.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    b?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await dropSchemas(schema);
  }
});
