/**
 * The shadow diff's cost (issue 17 part 4); prints one table.
 *   npm run bench:shadow [-- --n 200]
 * diffOutputs (packages/platform/src/releases/diff.ts) on outputs shaped like triage's: an
 * assignment list keyed by order_id with one order in 20 changed, at 200 orders (seed 003's batch),
 * 2,000 (a compare tab at its bound) and 100,000 (a hostile output: the diff stops at its 20,000
 * items). The diff runs after stable's answer, off its path; this is the CPU a comparison takes.
 * The ratio column is each size against 200 orders, in the same run.
 */
import { percentile, round } from '../registry/stats.ts';
import { diffOutputs } from '../../packages/platform/src/releases/diff.ts';

const args = process.argv.slice(2);
const N = args.includes('--n') ? Number(args[args.indexOf('--n') + 1]) : 200;

function outputs(orders: number) {
  const list = Array.from({ length: orders }, (_, i) => ({
    order_id: String(100_000 + i),
    priority: `P${(i % 5) + 1}`,
    agent: `agent${i % 17}@example.com`,
    hours_stuck: i % 48,
    reason: 'BENEFICIARY_NAME_MISMATCH',
  }));
  const changed = list.map((o, i) => (i % 20 === 1 ? { ...o, priority: 'P1' } : o));
  return [
    { success: true, data: { runId: 'triage-2026-12-05T07:00:00.000Z', assignments: list } },
    { success: true, data: { runId: 'triage-2026-12-05T07:00:02.500Z', assignments: changed } },
  ] as const;
}

const rows: string[][] = [];
let base = 0;
for (const size of [200, 2_000, 100_000]) {
  const [a, b] = outputs(size);
  const runs = Math.max(5, Math.round((N * 200) / size));
  const ms: number[] = [];
  let r = diffOutputs(a, b);
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    r = diffOutputs(a, b);
    ms.push(performance.now() - t);
  }
  const p50 = percentile(ms, 50);
  if (size === 200) base = p50;
  rows.push([
    String(size),
    String(runs),
    String(round(p50, 3)),
    String(round(percentile(ms, 99), 3)),
    `${r.percentage}%`,
    String(r.changes.length),
    String(JSON.stringify(r).length),
    r.truncated ? 'yes' : 'no',
    `${round(p50 / base, 1)}×`,
  ]);
}
const head = ['orders', 'runs', 'p50 ms', 'p99 ms', 'diff', 'changes kept', 'report bytes', 'truncated', 'vs 200'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padStart(w[i]!)).join('  '));
