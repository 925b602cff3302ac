/**
 * What the sandboxed TypeScript build costs: the cold `prepare` of a small skill (one build per
 * bundle digest), before and after, alternated in one run so both see the same machine.
 *   npm run bench:build [-- --runs 15]
 * Before: esbuild's API on the host, in the platform's process (its service already started, as it
 * is after the first build), with the options the platform used. After: typescriptAdapter.prepare —
 * bubblewrap, a cgroup, node and esbuild started for the build, the confining plugin.
 * Wall-clock times follow the machine's load; CPU time (this process and all it starts, counted by
 * a cpuacct cgroup) much less so: both are reported.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';
import { percentile, round } from '../registry/stats.ts';
import { typescriptAdapter } from '../../packages/platform/src/runtime/languages/typescript.ts';
import { buildSandbox } from '../../packages/platform/src/runtime/test-support.ts';

const args = process.argv.slice(2);
const i = args.indexOf('--runs');
const RUNS = i === -1 ? 15 : Number(args[i + 1]);
const NODE_PATHS = [
  fileURLToPath(new URL('../../packages/platform/node_modules', import.meta.url)),
  fileURLToPath(new URL('../../node_modules', import.meta.url)),
];

const root = mkdtempSync(join(tmpdir(), 'aspora-bench-build-'));
chmodSync(root, 0o755);
const bundleDir = join(root, 'bundle');
mkdirSync(join(bundleDir, 'code', 'lib'), { recursive: true });
writeFileSync(
  join(bundleDir, 'code', 'handler.ts'),
  "import type { SkillHandler } from '@aspora/sdk';\nimport { greet } from './lib/greet.ts';\nexport const handler: SkillHandler = async (ctx) => ({ success: true, message: greet(ctx.input.userMessage) });\n",
);
writeFileSync(join(bundleDir, 'code', 'lib', 'greet.ts'), 'export const greet = (s: string): string => `hi ${s}`;\n');
for (const d of [bundleDir, join(bundleDir, 'code'), join(bundleDir, 'code', 'lib')]) chmodSync(d, 0o755);
mkdirSync(join(root, 'build'), { mode: 0o755 });

/**
 * CPU time of this process and every process it starts, sandboxes included (bubblewrap's pid
 * namespace hides them from rusage): a cgroup v1 cpuacct group of its own, when one can be made.
 */
const ACCT = '/sys/fs/cgroup/cpuacct';
const acct = (() => {
  const own = /^\d+:(?:[^:]*,)?cpuacct(?:,[^:]*)?:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  if (own === undefined || !existsSync(join(ACCT, 'cpuacct.usage'))) return undefined;
  const parent = join(ACCT, own);
  const dir = join(parent, `aspora-bench-build-${process.pid}`);
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
  } catch {
    return undefined;
  }
  return {
    usage: () => Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1e6,
    leave: () => (writeFileSync(join(parent, 'cgroup.procs'), String(process.pid)), rmdirSync(dir)),
  };
})();
const cpu = () => acct?.usage() ?? NaN;

/** The platform's build before the sandbox (typescript.ts as it was): esbuild's API on the host. */
async function before(n: number): Promise<[number, number]> {
  const out = join(root, 'build', `before-${n}`);
  mkdirSync(out);
  const c = cpu();
  const t = performance.now();
  await build({
    entryPoints: [join(bundleDir, 'code/handler.ts')],
    outfile: join(out, 'handler.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
    absWorkingDir: bundleDir,
    nodePaths: NODE_PATHS,
    sourcemap: 'external',
  });
  return [performance.now() - t, cpu() - c];
}

async function after(n: number): Promise<[number, number]> {
  const cacheDir = join(root, 'build', `after-${n}`);
  mkdirSync(cacheDir, { mode: 0o755 });
  const c = cpu();
  const t = performance.now();
  await typescriptAdapter.prepare({ bundleDir, entryPoint: 'code/handler.ts', cacheDir, sandbox: buildSandbox() });
  return [performance.now() - t, cpu() - c];
}

const sb = buildSandbox();
process.stderr.write(
  `… ${RUNS} cold prepares each, alternated (sandbox: ${sb.mode}${sb.cgroups ? `, cgroups v${sb.cgroups.version}` : ''})\n`,
);
const [firstBefore] = await before(-1); // starts esbuild's service, as the platform's first build did
await after(-1); // page cache warm for both
const wall = { before: [] as number[], after: [] as number[] };
const cpuMs = { before: [] as number[], after: [] as number[] };
for (let n = 0; n < RUNS; n++) {
  for (const [k, f] of [
    ['before', before],
    ['after', after],
  ] as const) {
    const [w, c] = await f(n);
    wall[k].push(w);
    cpuMs[k].push(c);
  }
}
rmSync(root, { recursive: true, force: true });
await stop(); // esbuild's service leaves the group with this process
await new Promise((r) => setTimeout(r, 200));
acct?.leave();
const row = (name: string, v: number[], c: number[]) => ({
  build: name,
  'wall p50': round(percentile(v, 50)),
  'wall p90': round(percentile(v, 90)),
  'wall min': round(Math.min(...v)),
  'CPU p50': round(percentile(c, 50)),
  n: v.length,
});
console.table([
  row('before: esbuild on the host (service warm)', wall.before, cpuMs.before),
  row('after: sandboxed build script', wall.after, cpuMs.after),
]);
console.log(
  `first host build (esbuild's service starting): ${round(firstBefore)} ms; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${(await import('node:os')).availableParallelism()} cores`,
);
console.log(
  `after / before, wall p50: ${round(percentile(wall.after, 50) / percentile(wall.before, 50))}× (+${round(percentile(wall.after, 50) - percentile(wall.before, 50))} ms per bundle digest); CPU p50: ${round(percentile(cpuMs.after, 50) / Math.max(percentile(cpuMs.before, 50), 1))}× (+${round(percentile(cpuMs.after, 50) - percentile(cpuMs.before, 50))} ms)`,
);
process.exit(0);
