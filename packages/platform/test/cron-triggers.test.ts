/**
 * Cron triggers: schedules follow deploys (enabled ones only; a redeploy without them removes
 * them), GET /v1/triggers shows the next fire in the trigger's time zone and the last result,
 * `trigger fire` queues an execution with trigger 'cron'. Then three `aspora up` processes on one
 * PostgreSQL with a per-second schedule (the test setting `jobs.cron_seconds`): every fire runs
 * once, none is missed.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { CRON_QUEUE } from '../src/jobs/cron.ts';
import { PG_URL } from '../src/registry/test-support.ts';
import { packFiles } from '../src/store/index.ts';
import { dbBackends } from './db-backends.ts';
import { skillFolder, tempPlatform } from './helpers.ts';
import { postgres, skipUnless } from './tools.ts';
import { upProcess } from './up-process.ts';
import { until } from './until.ts';
import { dropSchemas } from '../src/jobs/test-support.ts';

const HANDLER = 'export const handler = async (ctx) => ({ success: true, message: ctx.input.metadata.trigger });\n';

/** The test skill at `version`, with these triggers (YAML lines under `triggers:`). */
async function withTriggers(version: string, triggers: string): Promise<Buffer> {
  const files = skillFolder({ handler: HANDLER, version });
  const cfg = files.get('aspora.config.yaml')!.toString();
  files.set(
    'aspora.config.yaml',
    Buffer.from(cfg.replace(/triggers:\n( {2}.*\n)+?(?=permissions:)/, `triggers:\n${triggers}`)),
  );
  return (await packFiles(files)).bytes;
}

const TRIAGE = `  - type: cron
    schedule: "0 7,14,20 * * *"
    timezone: Asia/Dubai
  - type: cron
    schedule: "*/5 * * * *"
    enabled: false
  - type: message
    patterns: [triage]
`;

for (const backend of dbBackends) {
  describe(`cron triggers on ${backend.name}`, { skip: backend.skip }, () => {
    test('schedules follow deploys; next fire in the time zone; a fire by hand runs as cron', async () => {
      const schema = backend.name === 'postgres' ? `aspora_t_${randomBytes(6).toString('hex')}` : undefined;
      const p = await tempPlatform(schema ? { databaseUrl: PG_URL, databaseSchema: schema } : {});
      const json = (body: unknown) => ({
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      const publish = async (b: Buffer) =>
        assert.ok(
          [200, 201].includes(
            (await p.fetch('/v1/bundles', { method: 'POST', body: b, headers: { 'content-type': 'application/gzip' } }))
              .status,
          ),
        );
      try {
        await publish(await withTriggers('1.0.0', TRIAGE));
        await p.fetch(
          '/v1/skills/fraud/block-transaction/deployments',
          json({ environment: 'production', version: '1.0.0' }),
        );
        const schedules = async () =>
          (await p.jobs.boss.getSchedules(CRON_QUEUE)).map((s) => [s.key, s.cron, s.timezone]);
        await until('the schedule', async () => (await schedules()).length === 1);
        assert.deepEqual(await schedules(), [
          ['fraud/block-transaction/production/0', '0 7,14,20 * * *', 'Asia/Dubai'],
        ]);

        const list = (await (await p.fetch('/v1/triggers?domain=fraud')).json()) as { triggers: any[] };
        const [triage, off, message] = list.triggers;
        assert.equal(triage.type, 'cron');
        assert.equal(triage.timezone, 'Asia/Dubai');
        // 07:00, 14:00, 20:00 in Dubai (UTC+4, no DST) are 03:00, 10:00, 16:00 UTC.
        const next = new Date(triage.nextFire);
        assert.ok([3, 10, 16].includes(next.getUTCHours()) && next.getUTCMinutes() === 0, triage.nextFire);
        assert.ok(next.getTime() > Date.now() && next.getTime() - Date.now() <= 13 * 3600_000);
        assert.equal(off.enabled, false);
        assert.equal(off.nextFire, null);
        assert.deepEqual([message.type, message.patterns], ['message', ['triage']]);

        const fired = await p.fetch('/v1/skills/fraud/block-transaction/triggers/fire', json({ type: 'cron' }));
        assert.equal(fired.status, 202);
        const { id } = (await fired.json()) as { id: string };
        const run = await until('the fired run', async () => {
          const r = (await (await p.fetch(`/v1/executions/${id}`)).json()) as any;
          return r.status === 'done' && r;
        });
        assert.equal(run.trigger, 'cron');
        assert.deepEqual(run.result, { success: true, message: 'cron' });
        const after = (await (await p.fetch('/v1/triggers?domain=fraud')).json()) as { triggers: any[] };
        assert.equal(after.triggers[0].lastResult.executionId, id);
        assert.equal(after.triggers[0].lastResult.status, 'done');

        // A version without the cron trigger, deployed: its schedule goes.
        await publish(await withTriggers('1.0.1', '  - type: message\n    patterns: [triage]\n'));
        await p.fetch(
          '/v1/skills/fraud/block-transaction/deployments',
          json({ environment: 'production', version: '1.0.1' }),
        );
        await until('the schedule gone', async () => (await schedules()).length === 0);
      } finally {
        await p.cleanup();
        if (schema) await dropSchemas(schema);
      }
    });
  });
}

const TOKEN = `cron-test-${randomBytes(16).toString('hex')}`;

const up = (dataDir: string, schema: string) =>
  upProcess(dataDir, TOKEN, {
    DATABASE_URL: PG_URL,
    ASPORA_DB_SCHEMA: schema,
    ASPORA_PLATFORM_CONFIG: join(dataDir, 'aspora.platform.yaml'),
  });

const pgSkip = skipUnless(await postgres()) ?? false;

test('three processes on one PostgreSQL: every fire of a per-second schedule runs once, none is missed', {
  skip: pgSkip,
  timeout: 240_000,
}, async () => {
  const schema = `aspora_t_${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'aspora-cron-'));
  chmodSync(dir, 0o755);
  // Per-second schedules (a test's setting): every process's timer races for every slot, a minute's
  // worth of fires in seconds; pg-boss's schedule (the safety net) sends its once-a-minute job too.
  writeFileSync(join(dir, 'aspora.platform.yaml'), 'jobs:\n  cron_seconds: true\n');
  const procs: { url: string; child: ChildProcess }[] = [];
  const api = (url: string, path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${TOKEN}` },
    });
  const deploy = async (version: string, triggers: string) => {
    await api(procs[0]!.url, '/v1/bundles', {
      method: 'POST',
      body: await withTriggers(version, triggers),
      headers: { 'content-type': 'application/gzip' },
    });
    await api(procs[0]!.url, '/v1/skills/fraud/block-transaction/deployments', {
      method: 'POST',
      body: JSON.stringify({ environment: 'production', version }),
      headers: { 'content-type': 'application/json' },
    });
  };
  try {
    // The first migrates; the other two start on the same schemas at once.
    procs.push(await up(dir, schema));
    procs.push(...(await Promise.all([up(dir, schema), up(dir, schema)])));
    await deploy('1.0.0', '  - type: cron\n    schedule: "* * * * * *"\n');
    // At least 20 s of fires, and a minute boundary (the safety net's send) among them.
    const start = Date.now();
    await until(
      '20 seconds and a minute boundary',
      async () => Date.now() - start >= 20_000 && Math.floor(Date.now() / 60_000) > Math.floor(start / 60_000),
      90_000,
    );
    // Fires stop (every process disarms within its refresh), and the last runs end.
    await deploy('1.0.1', '  - type: message\n    patterns: [triage]\n');
    await new Promise((r) => setTimeout(r, 10_000));
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const rows = (
      await c.query(
        `SELECT (input -> 'metadata' ->> 'scheduledAt')::timestamptz AS slot, count(*)::int AS n, bool_and(success) AS ok
           FROM "${schema}".executions WHERE trigger_type = 'cron' GROUP BY 1 ORDER BY 1`,
      )
    ).rows as { slot: Date | null; n: number; ok: boolean }[];
    await c.end();
    assert.ok(rows.length >= 20, `fires: ${rows.length}`);
    assert.ok(
      rows.every((r) => r.slot),
      'every execution ran (its record has the input, with the slot)',
    );
    for (const r of rows) {
      assert.equal(r.n, 1, `the fire of ${r.slot!.toISOString()} ran ${r.n} times`);
      assert.equal(r.ok, true);
    }
    for (let i = 1; i < rows.length; i++)
      assert.equal(
        rows[i]!.slot!.getTime() - rows[i - 1]!.slot!.getTime(),
        1000,
        `no slot missed after ${rows[i - 1]!.slot!.toISOString()}`,
      );
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await dropSchemas(schema);
  }
});
