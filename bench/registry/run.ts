/**
 * Registry and foundation benchmarks; prints one table per area.
 *   npm run bench:registry [-- --skills 10000] [--pg postgres://…] [--no-postgres]
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb } from '../../packages/platform/src/db/index.ts';
import { benchRecall } from './recall.ts';
import { benchStartup } from './startup.ts';
import { benchRegistrySynthetic, type BenchRow } from './synthetic.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const skills = Number(arg('--skills') ?? 10_000);
const pgUrl = arg('--pg') ?? process.env.ASPORA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const withPostgres = !args.includes('--no-postgres');
const step = (s: string) => process.stderr.write(`… ${s}\n`);

step(`synthetic registry, ${skills} skills on PGlite`);
const results: Record<string, BenchRow[]> = {};
const lite = await openDb();
try {
  results.pglite = await benchRegistrySynthetic(lite, { skills });
} finally {
  await lite.close();
}

if (withPostgres) {
  step(`synthetic registry, ${skills} skills on PostgreSQL (${pgUrl})`);
  const schema = `aspora_bench_${randomBytes(4).toString('hex')}`;
  const db = await openDb({ url: pgUrl, schema });
  try {
    results.postgres = await benchRegistrySynthetic(db, { skills });
  } finally {
    await db.close();
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  }
}

step('search quality on the example skills (labelled queries)');
const recall = await benchRecall();

step('aspora up (cold, warm) and aspora deploy end to end');
const startup = await benchStartup();

console.log(`\nRegistry at scale (${skills} skills, one version each, deployed to production)`);
console.table(
  results.pglite!.map((r, i) => ({
    metric: r.metric,
    pglite: `${r.value} ${r.unit}`.trim(),
    ...(results.postgres ? { postgres: `${results.postgres[i]!.value} ${results.postgres[i]!.unit}`.trim() } : {}),
  })),
);

console.log('\nSearch quality: example skills, labelled queries (lexical ranking, no embeddings)');
console.table([
  { metric: 'queries', value: recall.queries },
  { metric: 'recall@1', value: recall.recallAt1 },
  { metric: 'recall@5', value: recall.recallAt5 },
  { metric: 'MRR', value: recall.mrr },
  { metric: 'latency p50 (ms)', value: recall.p50Ms },
  { metric: 'latency p99 (ms)', value: recall.p99Ms },
]);
if (args.includes('--misses'))
  for (const m of recall.misses)
    console.log(`  miss: "${m.query}" → expected ${m.expected}, got ${m.got.join(', ') || 'nothing'}`);

console.log('\nPlatform and CLI, wall clock');
console.table([
  { metric: `aspora up, cold (migrate + deploy ${startup.examples} examples)`, seconds: startup.upColdSeconds },
  { metric: 'aspora up, warm (same data folder)', seconds: startup.upWarmSeconds },
  { metric: 'aspora --version (CLI start)', seconds: startup.cliNoopSeconds },
  { metric: 'aspora deploy <folder> --env staging, p50', seconds: startup.deployP50Seconds },
  { metric: 'aspora deploy <folder> --env staging, max', seconds: startup.deployMaxSeconds },
]);
