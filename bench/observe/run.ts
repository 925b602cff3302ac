/**
 * Observability benchmarks; prints two tables.
 *   npm run bench:observe [-- --runs 2000 --executions 1000000 --no-postgres]
 * 1. What recording, metrics and tracing add to an execution: the same trivial handler on a
 *    runtime with everything on (the platform's) and on one with a null sink and no listeners,
 *    sequentially (latency added to one execution; its row's database write, which follows the
 *    answer, overlaps the next run) and at concurrency 8 (cost per execution, timed until every
 *    row is in the database), on PGlite and on PostgreSQL.
 * 2. `aspora metrics --last 24h` over N executions on PostgreSQL: the rollup query, the API
 *    request, and the CLI end to end.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { percentile, round } from '../registry/stats.ts';
import { runtimeFixture } from '../../packages/platform/src/runtime/test-support.ts';
import { SkillRuntime } from '../../packages/platform/src/runtime/runtime.ts';
import { RollupJob } from '../../packages/platform/src/observe/rollups/job.ts';
import { rollup } from '../../packages/platform/src/observe/rollups/query.ts';
import { startPlatform } from '../../packages/platform/src/platform.ts';
import { platformConfigFromEnv } from '../../packages/platform/src/config/platform-config.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { SkillRegistry } from '../../packages/platform/src/registry/index.ts';
import { openDb, migrate } from '../../packages/platform/src/db/index.ts';
import { skillInput } from '../../packages/platform/src/registry/test-support.ts';

/** The first admin's token, brought the operator's way: every route but health asks for one. */
const TOKEN = `bench-observe-${Date.now()}-admin-token`;

const args = process.argv.slice(2);
const num = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const RUNS = num('--runs', 2000);
const EXECUTIONS = num('--executions', 1_000_000);
const step = (s: string) => process.stderr.write(`… ${s}\n`);
const CLI = fileURLToPath(new URL('../../packages/cli/bin/aspora.js', import.meta.url));

// --- 1. the added cost per execution ----------------------------------------------------------
async function addedCost(env: NodeJS.ProcessEnv): Promise<Record<string, number | string>> {
  const f = await runtimeFixture({ env });
  try {
    await f.deploy({
      name: 'trivial',
      handler: 'export const handler = async (ctx) => ({ success: true, message: "ok" });',
    });
    const bare = new SkillRuntime(
      {
        registry: f.registry,
        store: f.store,
        log: createLogger('silent'),
        recorder: { ensureStarted: async () => undefined, finish: async () => undefined, drain: async () => undefined },
      },
      { dataDir: f.dataDir },
    );
    const sequential = async (rt: SkillRuntime) => {
      for (let i = 0; i < 200; i++) await rt.run({ ref: 'test/trivial', input: {} });
      const xs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await rt.run({ ref: 'test/trivial', input: {} });
        xs.push(performance.now() - t);
      }
      return xs;
    };
    const concurrent = async (rt: SkillRuntime) => {
      let left = RUNS;
      const t = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (left-- > 0) await rt.run({ ref: 'test/trivial', input: {} });
        }),
      );
      // Until every row is in the database: the writes that follow the answers count too.
      await rt.recorder.drain();
      return (performance.now() - t) / RUNS;
    };
    // Interleaved, twice, so that machine noise falls on both sides alike; the first concurrent
    // round also starts the extra workers, so the better of the two is kept.
    const on: number[] = [];
    const off: number[] = [];
    const onC: number[] = [];
    const offC: number[] = [];
    for (let round = 0; round < 2; round++) {
      off.push(...(await sequential(bare)));
      on.push(...(await sequential(f.runtime)));
      offC.push(await concurrent(bare));
      onC.push(await concurrent(f.runtime));
    }
    await bare.close();
    const p50 = (xs: number[]) => percentile(xs, 50);
    return {
      'one at a time: p50 added (ms)': round(p50(on) - p50(off), 3),
      'one at a time: p50 with / without (ms)': `${round(p50(on), 3)} / ${round(p50(off), 3)}`,
      'concurrency 8: added per execution (ms)': round(Math.min(...onC) - Math.min(...offC), 3),
      'concurrency 8: per execution with / without (ms)': `${round(Math.min(...onC), 3)} / ${round(Math.min(...offC), 3)}`,
    };
  } finally {
    await f.close();
  }
}

const PG_URL = process.env.ASPORA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
step(`added cost of recording, metrics and tracing: ${RUNS} executions each way, PGlite`);
const added: Record<string, Record<string, number | string>> = { pglite: await addedCost({}) };
if (!args.includes('--no-postgres')) {
  step('the same on PostgreSQL');
  const schema = `aspora_bench_${randomUUID().slice(0, 8)}`;
  added.postgres = await addedCost({ DATABASE_URL: PG_URL, ASPORA_DB_SCHEMA: schema });
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}

// --- 2. aspora metrics over a million executions on PostgreSQL ---------------------------------
let query: Record<string, string | number> | undefined;
if (!args.includes('--no-postgres')) {
  const url = PG_URL;
  const schema = `aspora_bench_${randomUUID().slice(0, 8)}`;
  step(`${EXECUTIONS.toLocaleString()} executions of 200 skills over 24 h on PostgreSQL (${schema})`);
  const db = await openDb({ url, schema });
  try {
    await migrate(db);
    const registry = new SkillRegistry(db);
    for (let i = 0; i < 200; i++) await registry.registerVersion(skillInput(`d${i % 10}`, `skill-${i}`));
    const ids = (await db.query<{ id: string }>('SELECT id FROM skills')).map((r) => r.id);
    const chunk = 100_000;
    for (let done = 0; done < EXECUTIONS; done += chunk) {
      const n = Math.min(chunk, EXECUTIONS - done);
      await db.query(
        `INSERT INTO executions (skill_id, environment, trigger_type, started_at, completed_at, duration_ms, success, error_code, input, logs, cost, model_calls, prompt_tokens, completion_tokens)
         SELECT ($1::uuid[])[1 + (i % 200)], 'production', 'api', t, t + d * interval '1 millisecond', d, ok, CASE WHEN ok THEN NULL ELSE 'HANDLER_ERROR' END, '{}'::jsonb, '[]'::jsonb, 0.002, 1, 120, 40
         FROM (SELECT i, now() - random() * interval '24 hours' AS t, (exp(random() * 7))::int AS d, random() > 0.03 AS ok FROM generate_series(1, $2::int) i) x`,
        [ids, n],
      );
      step(`  ${(done + n).toLocaleString()} rows`);
    }
    await db.query('ANALYZE executions');
    step('the rollup job finalizes the closed hours');
    const rb = performance.now();
    const rolled = await new RollupJob(db, createLogger('silent')).run();
    const rebuildMs = performance.now() - rb;
    if (rolled < 22) throw new Error(`only ${rolled} hours were finalized`);
    const times = async (fn: () => Promise<unknown>) => {
      const xs: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        await fn();
        xs.push(performance.now() - t);
      }
      return xs;
    };
    const q = await times(() => rollup(db, undefined, '24h'));
    const qd = await times(() => rollup(db, 'd3', '24h'));
    const platform = await startPlatform(
      platformConfigFromEnv(
        {},
        {
          port: 0,
          dataDir: `/tmp/aspora-bench-observe-${schema}`,
          databaseUrl: url,
          databaseSchema: schema,
          adminToken: TOKEN,
        },
      ),
      createLogger('silent'),
    );
    const http = await times(() =>
      fetch(`${platform.url}/v1/metrics?last=24h`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) =>
        r.json(),
      ),
    );
    const cli: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      // Not spawnSync: the platform serving it runs in this process.
      const r = await run(process.execPath, [CLI, 'metrics', '--last', '24h', '--json'], {
        ...process.env,
        ASPORA_URL: platform.url,
        ASPORA_TOKEN: TOKEN,
      });
      cli.push(performance.now() - t);
      if (r.status !== 0) throw new Error(r.stderr);
      if ((JSON.parse(r.stdout) as { figures: { executions: number } }).figures.executions !== EXECUTIONS)
        throw new Error('the rollups do not add up to the rows');
    }
    await platform.close();
    query = {
      executions: EXECUTIONS,
      'rollup job: the closed hours of the rows (s)': round(rebuildMs / 1000, 1),
      'platform, last 24h: query p50 / p99 (ms)': `${round(percentile(q, 50), 1)} / ${round(percentile(q, 99), 1)}`,
      'one domain: query p50 (ms)': round(percentile(qd, 50), 1),
      'GET /v1/metrics p50 (ms)': round(percentile(http, 50), 1),
      'aspora metrics --last 24h, CLI end to end p50 (ms)': round(percentile(cli, 50), 0),
    };
  } finally {
    await db.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  }
}

function run(
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, argv, { env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

console.log('\nAdded by recording, metrics and tracing, per execution (trivial TypeScript handler)');
console.table(added);
if (query) {
  console.log('\naspora metrics over executions on PostgreSQL (hourly rollups)');
  console.table(query);
}
