/**
 * Releases: time from a failing step to full rollback; prints one table.
 *   npm run bench:releases [-- --rollbacks 10]   (alone: npx tsx bench/releases/rollback.ts)
 * Two platform processes' worth (two platforms, each with its own pool, router and controller at
 * the production interval of 1 s) on one PostgreSQL. Each run starts a 10 % split, then writes
 * the step's failing evidence in one statement (450 stable successes, 10 failures in 50 canary
 * executions): its commit is t0, the moment the evidence is complete. From t0 both routers are
 * asked, every 2 ms, which side a canary user runs on; the row is the time until each answers
 * stable (nothing in flight), and until both do. Target (issue 17): ≤ 5 s after the window closes.
 *
 * `rollbackSection` is a section of bench/releases (it adds its rows to the shared table).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PG_URL } from '../../packages/platform/src/registry/test-support.ts';
import { bundle, tempPlatform } from '../../packages/platform/test/helpers.ts';
import { percentile, round } from '../registry/stats.ts';

const args = process.argv.slice(2);
const num = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const RUNS = num('--rollbacks', 10);
const step = (s: string) => process.stderr.write(`… ${s}\n`);

type Table = Record<string, Record<string, number | string>>;
const secs = (ms: number) => round(ms / 1000, 3);

export async function rollbackSection(table: Table): Promise<void> {
  const schema = `aspora_bench_${randomBytes(5).toString('hex')}`;
  step(`two platforms on PostgreSQL (schema ${schema})`);
  const a = await tempPlatform({ databaseUrl: PG_URL, databaseSchema: schema });
  const b = await tempPlatform({ databaseUrl: PG_URL, databaseSchema: schema });
  const ref = 'fraud/block-transaction';
  const versioning = 'versioning:\n  rollback_on_error: true\n  analysis:\n    window: 10m\n    min_samples: 100\n';
  try {
    for (const version of ['1.0.0', '1.1.0'])
      await a.publisher.publish(
        await bundle({ version, extra: { 'aspora.config.yaml': configOf(version, versioning) } }),
      );
    await a.publisher.deploy(ref, 'production', '1.0.0', 'bench', { canary: 'off' });
    const both: number[] = [];
    const acting: number[] = [];
    const other: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = await a.releases.deploy(ref, 'production', '1.1.0', { canary: 10 }, 'bench');
      const id = started.release!.id;
      // A user the split puts on the canary, as both routers see it.
      let user = '';
      for (let i = 0; !user; i++) {
        const c = await a.releases.router.choose(ref, 'production', `user${i}@example.com`);
        if (c?.variant === 'canary') user = `user${i}@example.com`;
      }
      const onCanary = async (p: typeof a) =>
        (await p.releases.router.choose(ref, 'production', user))?.variant === 'canary';
      while (!(await onCanary(b))) await sleep(5);
      const t0 = await evidence(a, id);
      const at: Array<number | undefined> = [undefined, undefined];
      while (at[0] === undefined || at[1] === undefined) {
        const [ca, cb] = await Promise.all([onCanary(a), onCanary(b)]);
        const now = performance.now();
        if (!ca && at[0] === undefined) at[0] = now - t0;
        if (!cb && at[1] === undefined) at[1] = now - t0;
        if (now - t0 > 30_000) throw new Error(`release ${id} still on the canary 30 s after its failing evidence`);
        await sleep(2);
      }
      const [rows] = await a.db.query<{ status: string; actor: string }>(
        `SELECT r.status, d.actor FROM releases r JOIN release_decisions d ON d.release_id = r.id AND d.outcome = 'fail' WHERE r.id = $1`,
        [id],
      );
      if (rows?.status !== 'rolled_back') throw new Error(`release ${id} is ${rows?.status}, not rolled back`);
      // Which process acted is the lock's choice; the acting one forgets at once, the other on its cache's expiry.
      const [first, second] = at[0]! <= at[1]! ? [at[0]!, at[1]!] : [at[1]!, at[0]!];
      acting.push(first);
      other.push(second);
      both.push(Math.max(at[0]!, at[1]!));
      step(`run ${run + 1}/${RUNS}: ${secs(first)} s / ${secs(second)} s`);
    }
    const row = (xs: number[], note: string) => ({
      'p50 s': secs(percentile(xs, 50)),
      'p99 s': secs(percentile(xs, 99)),
      'max s': secs(Math.max(...xs)),
      note,
    });
    table['failing step → rollback: first router on stable'] = row(acting, 'the process whose controller acted');
    table['failing step → rollback: second router on stable'] = row(other, 'the other process (≤ 1 s cache)');
    table['failing step → full rollback (every process)'] = row(
      both,
      `${RUNS} runs; controller every 1 s; target ≤ 5 s`,
    );
  } finally {
    await b.cleanup();
    await a.cleanup();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
  }
}

/** The step's failing evidence, in one statement; resolves with the time of its commit. */
async function evidence(p: Awaited<ReturnType<typeof tempPlatform>>, id: number): Promise<number> {
  await p.db.query(
    `INSERT INTO executions (skill_id, version_id, environment, release_id, variant, started_at, completed_at, duration_ms, success)
     SELECT r.skill_id, CASE WHEN g <= 450 THEN r.stable_version_id ELSE r.canary_version_id END, 'production', r.id,
            CASE WHEN g <= 450 THEN 'stable' ELSE 'canary' END, now(), now(), 5, g <= 490
     FROM releases r, generate_series(1, 500) AS g WHERE r.id = $1`,
    [id],
  );
  return performance.now();
}

function configOf(version: string, versioning: string): string {
  return `skill:
  name: block-transaction
  domain: fraud
  version: ${version}
  description: "Blocks suspicious transactions. Do NOT use for chargebacks or refund disputes."
runtime:
  language: typescript
  entry_point: code/handler.ts
triggers:
  - type: message
    patterns: ["fraud"]
permissions:
  tools: [Read]
owner_team: fraud-team
${versioning}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (import.meta.url === `file://${process.argv[1]}`) {
  const table: Table = {};
  await rollbackSection(table);
  console.log(`\nreleases: failing step → full rollback, ${RUNS} runs; two platforms on one PostgreSQL`);
  console.table(table);
}
