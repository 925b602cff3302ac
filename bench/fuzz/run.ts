/**
 * Longer fuzz runs than `npm test` does: each target for a time or a number of runs, counting
 * failures by kind instead of stopping at the first. Prints a table and, per kind, the first
 * input that showed it with the seed and path that replay it.
 *
 *   npm run bench:fuzz -- [--seconds 60] [--runs N] [--seed S] [--target config,bundle] [--path P]
 *
 * --path replays one case of --seed in assert mode (shrinking it) and prints fast-check's report.
 */
import { parseArgs } from 'node:util';
import { runTarget, type TargetReport } from '../../test/fuzz/harness/run.ts';
import { TARGETS } from '../../test/fuzz/targets/index.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    target: { type: 'string' },
    path: { type: 'string' },
  },
});

const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const runs = values.runs !== undefined ? Number(values.runs) : undefined;
const seconds = values.seconds !== undefined ? Number(values.seconds) : runs === undefined ? 60 : undefined;
const names = values.target ? values.target.split(',') : TARGETS.map((t) => t.name);

if (values.path) {
  if (names.length !== 1) throw new Error('--path replays one case: name its --target');
  const r = await runTarget(names[0]!, { mode: 'assert', seed, path: values.path, runs: 1 });
  console.log(
    r.assertError ??
      r.failures.map((f) => `${f.kind}: ${f.detail}\ninput: ${f.preview}`).join('\n') ??
      'the case passes',
  );
  if (!r.assertError && !r.failures.length) console.log(`case ${values.path} of seed ${seed} passes`);
  process.exit(r.assertError || r.failures.length ? 1 : 0);
}

console.log(`fuzz: seed ${seed}, ${seconds !== undefined ? `${seconds} s` : `${runs} runs`} per target\n`);
const reports: TargetReport[] = [];
for (const name of names) {
  const r = await runTarget(name, {
    mode: 'survey',
    seed,
    ...(seconds !== undefined ? { seconds } : {}),
    ...(runs !== undefined ? { runs } : {}),
  });
  reports.push(r);
  console.log(
    `${name}: ${r.runs} runs, ${r.failures.reduce((n, f) => n + f.count, 0)} failures${r.afterError ? `, AFTER: ${r.afterError}` : ''}`,
  );
}

const rows = reports.map((r) => [
  r.target,
  String(r.runs),
  String(r.failures.reduce((n, f) => n + f.count, 0)),
  String(r.failures.length),
  `${(r.ms / 1000).toFixed(1)} s`,
  r.ms ? `${Math.round((r.runs * 1000) / r.ms)}/s` : '-',
  r.afterError ? 'FAILED' : 'ok',
]);
const head = ['target', 'runs', 'failures', 'kinds', 'time', 'rate', 'after'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`\n${line(head)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}`);

for (const r of reports) {
  for (const f of r.failures) {
    console.log(
      `\n[${r.target}] ${f.kind} ×${f.count}\n  replay: npm run bench:fuzz -- --target ${r.target} --seed ${f.seed} --path ${f.path}\n  input: ${f.preview}\n  ${f.detail.split('\n').slice(0, 6).join('\n  ')}`,
    );
  }
  if (r.afterError) console.log(`\n[${r.target}] after the run: ${r.afterError}`);
}
process.exit(reports.some((r) => r.failures.length || r.afterError) ? 1 : 0);
