/**
 * What row rules cost on state tables; prints one table.
 *   npm run bench:state [-- --n 2000 --rows 1000 --no-postgres]
 * A table of `--rows` assignments over ten agents. The same operations run through the host's
 * state layer (query-layer checks, then the store under row-level security) twice, interleaved so
 * load on the machine hits both alike: under seed 003's field rules for sarah, and under `all`
 * rules with the filter that gives the same rows (so both read and write the same rows, and the
 * difference is the rules). The ratio is of the same run. Target (issue 15): ≤ 1.3×.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { percentile, round } from '../registry/stats.ts';
import { migrate, openDb } from '../../packages/platform/src/db/index.ts';
import type { Db } from '../../packages/platform/src/db/types.ts';
import { PG_URL } from '../../packages/platform/src/registry/test-support.ts';
import { tableRulesOf } from '../../packages/platform/src/state/rules.ts';
import { StateStore } from '../../packages/platform/src/state/store.ts';
import { stateTables } from '../../packages/platform/src/state/tables.ts';

const args = process.argv.slice(2);
const num = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const N = num('--n', 2000);
const ROWS = num('--rows', 1000);
const step = (s: string) => process.stderr.write(`… ${s}\n`);

const FIELD = tableRulesOf({
  assignments_tab: {
    read: 'Assigned Agent = {user.email}',
    write: "Assigned Agent = {user.email} AND Status IN ('IN_PROGRESS', 'RESOLVED', 'ESCALATED')",
  },
});
const OPEN = tableRulesOf({ assignments_tab: { read: 'all', write: 'all' } });
const sarah = { email: 'agent0@example.com', id: 'u0', name: null, team: 'bench', role: 'field' };

type Op = 'select' | 'update' | 'insert';

async function measure(db: Db): Promise<Record<Op, { rules: number[]; none: number[] }>> {
  await migrate(db);
  const store = new StateStore(db);
  const tables = (rules: typeof FIELD) =>
    stateTables({
      store,
      skill: 'ecm/field/bench',
      role: 'field',
      team: 'bench',
      rules,
      user: sarah,
      executionId: 'bench',
    });
  const ruled = tables(FIELD);
  const open = tables(OPEN);
  const seed = Array.from({ length: ROWS }, (_, i) => ({
    'Order ID': `O${i}`,
    'Assigned Agent': `agent${i % 10}@example.com`,
    Status: i % 2 ? 'IN_PROGRESS' : 'ASSIGNED',
    Priority: i % 5,
  }));
  for (let i = 0; i < seed.length; i += 1000)
    await open.insert({ table: 'assignments', rows: seed.slice(i, i + 1000) });

  const mine = { 'Assigned Agent': sarah.email };
  const ops: Record<Op, (t: typeof ruled, extra: Record<string, unknown>, i: number) => Promise<unknown>> = {
    // The same rows either way: the rule selects sarah's, the open table is asked for them.
    select: (t, extra) => t.select({ table: 'assignments', where: { ...extra, Status: 'IN_PROGRESS' } }),
    update: (t, extra, i) =>
      t.update({
        table: 'assignments',
        where: { ...extra, 'Order ID': `O${(i * 10) % ROWS}` },
        set: { Status: i % 2 ? 'RESOLVED' : 'IN_PROGRESS' },
      }),
    insert: (t, _extra, i) =>
      t.insert({
        table: 'assignments',
        rows: [{ 'Order ID': `N${i}`, 'Assigned Agent': sarah.email, Status: 'IN_PROGRESS', Priority: 1 }],
      }),
  };
  const out = {} as Record<Op, { rules: number[]; none: number[] }>;
  for (const op of Object.keys(ops) as Op[]) {
    const r = { rules: [] as number[], none: [] as number[] };
    // Warm up both paths (plans, the role lookup).
    for (let i = 0; i < 50; i++) {
      await ops[op](ruled, {}, i);
      await ops[op](open, mine, i);
    }
    for (let i = 0; i < N; i++) {
      const first = i % 2 === 0;
      for (const which of first ? (['rules', 'none'] as const) : (['none', 'rules'] as const)) {
        const t0 = performance.now();
        await (which === 'rules' ? ops[op](ruled, {}, i) : ops[op](open, mine, i));
        r[which].push(performance.now() - t0);
      }
    }
    out[op] = r;
  }
  return out;
}

const table: Record<string, Record<string, number | string>> = {};
function report(backend: string, m: Awaited<ReturnType<typeof measure>>) {
  for (const op of Object.keys(m) as Op[]) {
    const { rules, none } = m[op];
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    table[`${backend} ${op}`] = {
      'ops/s rules': Math.round(1000 / mean(rules)),
      'ops/s all': Math.round(1000 / mean(none)),
      'p50 ms rules': round(percentile(rules, 50), 3),
      'p50 ms all': round(percentile(none, 50), 3),
      'p99 ms rules': round(percentile(rules, 99), 3),
      'p99 ms all': round(percentile(none, 99), 3),
      'cost ×': round(mean(rules) / mean(none), 2),
      verdict: mean(rules) / mean(none) <= 1.3 ? 'PASS ≤1.3×' : 'FAIL >1.3×',
    };
  }
}

step(`PGlite: ${ROWS} rows, ${N} of each operation per mode`);
{
  const db = await openDb();
  report('PGlite', await measure(db));
  await db.close();
}
if (!args.includes('--no-postgres')) {
  const schema = `aspora_bench_${randomBytes(4).toString('hex')}`;
  step(`PostgreSQL (${PG_URL}, schema ${schema})`);
  try {
    const db = await openDb({ url: PG_URL, schema, poolSize: 4 });
    try {
      report('PostgreSQL', await measure(db));
    } finally {
      await db.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
    }
  } catch (e) {
    step(`PostgreSQL skipped: ${(e as Error).message}`);
  }
}
console.log(
  `\nstate tables: ${ROWS} rows, ${N} of each operation per mode (interleaved); rules = seed 003's field rules, all = the same rows asked for by filter`,
);
console.table(table);
