/**
 * Runtime benchmarks; prints one table per area.
 *   npm run bench:runtime [-- --cold 30 --warm 2000 --seconds 5 --concurrency 16 --workers 6 --no-postgres]
 * Cold start: a sandboxed worker from spawn to its `ready` (handler loaded), per language, next to
 * raw `bwrap … node -e 0` with the same mounts, in the same run; and what the launch hardening
 * costs, interleaved in that run: bwrap with and without --disable-userns and the seccomp filter,
 * and the whole launch chain before (sh → setpriv → bwrap) and now (bash closing inherited fds →
 * setpriv → bwrap hardened). Warm: a trivial handler's
 * execution through SkillRuntime.run (execution record written) and the bare protocol round trip.
 * Throughput: trivial executions, records written, at a given concurrency. Memory: RSS per warm
 * worker (its processes in the sandbox). Reset: emptying a warm worker's writable folders between
 * executions, the way it was done before issue 13 (readdir + rm by path, /scratch only) next to
 * the way it is done now (by handle, /scratch, /tmp and /dev/shm, the worker frozen), in one run.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile, round } from '../registry/stats.ts';
import { runtimeFixture } from '../../packages/platform/src/runtime/test-support.ts';
import { bwrapArgs, CLOSE_FDS } from '../../packages/platform/src/runtime/sandbox/launch.ts';
import { uidDrop } from '../../packages/platform/src/runtime/sandbox/detect.ts';
import { SECCOMP_FD, seccompFd } from '../../packages/platform/src/runtime/sandbox/seccomp.ts';
import { resetWorker } from '../../packages/platform/src/runtime/sandbox/reset.ts';
import { makeWorkerDirs, scratchRoot } from '../../packages/platform/src/runtime/sandbox/scratch.ts';
import { Worker } from '../../packages/platform/src/runtime/worker.ts';
import type { SandboxMode } from '../../packages/platform/src/runtime/sandbox/detect.ts';

const args = process.argv.slice(2);
const num = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const COLD = num('--cold', 30);
const WARM = num('--warm', 2000);
const SECONDS = num('--seconds', 5);
const CONCURRENCY = num('--concurrency', 16);
const WORKERS = num('--workers', 6);
const RESETS = num('--resets', 500);
const step = (s: string) => process.stderr.write(`… ${s}\n`);

const HANDLERS = {
  typescript: 'export const handler = async (ctx) => ({ success: true, message: "ok " + ctx.input.userMessage });',
  python:
    'from aspora_sdk import SkillResult, skill_handler\n\n@skill_handler\nasync def handler(context):\n    return SkillResult(success=True, message="ok " + context.input.user_message)\n',
  go: 'package main\n\nimport aspora "github.com/aspora/sdk-go"\n\nfunc Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {\n\treturn &aspora.SkillResult{Success: true, Message: "ok " + ctx.Input.UserMessage}, nil\n}\n',
} as const;
type Lang = keyof typeof HANDLERS;

const f = await runtimeFixture({
  pool: { maxWorkers: WORKERS + 2, maxIdlePerVersion: WORKERS },
  secrets: { BENCH_TOKEN: 'bench-token-0123456789', BENCH_PIN: 'k3y' },
});
const rt = f.runtime;
if (rt.mode !== 'bwrap') throw new Error(`bubblewrap is needed for this benchmark (mode ${rt.mode})`);
for (const lang of Object.keys(HANDLERS) as Lang[])
  await f.deploy({ name: `trivial-${lang}`, language: lang, memory: '256MB', handler: HANDLERS[lang] });
// Secrets handed to it and a log line: every execution's record is scrubbed and its log bounded.
await f.deploy({
  name: 'secrets-typescript',
  memory: '256MB',
  permissions: '  secrets: [BENCH_TOKEN, BENCH_PIN]',
  handler:
    'export const handler = async (ctx) => { ctx.log.info("checked " + ctx.input.userMessage, { n: 1 }); return { success: true, message: "ok " + ctx.input.userMessage }; };',
});

const stats = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)), n: xs.length });
const scratch = mkdtempSync(join(tmpdir(), 'aspora-bench-'));
chmodSync(scratch, 0o777);

/** Time from spawn to exit; with `filter`, the seccomp program on fd 4 as launches have it. */
function timeExit(argv: string[], filter = false): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const fd = filter ? seccompFd() : undefined;
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'ignore', 'ignore', fd ?? 'ignore'] });
    if (fd !== undefined) closeSync(fd);
    c.once('error', reject);
    c.once('exit', (code) =>
      code === 0 ? resolve(performance.now() - t) : reject(new Error(`exit ${code}: ${argv.join(' ')}`)),
    );
  });
}

// --- cold start ---------------------------------------------------------------------------
step(`cold starts: ${COLD} per language, and raw bwrap node -e 0`);
const RAW = 'raw bwrap … node -e 0';
const RAW_HARDENED = 'raw bwrap --disable-userns --seccomp … node -e 0';
const CHAIN_BEFORE = 'chain before: sh → setpriv → bwrap … node -e 0';
const CHAIN_NOW = 'chain now: bash closing fds → setpriv → bwrap hardened … node -e 0';
const cold: Record<string, number[]> = { [RAW]: [], [RAW_HARDENED]: [], [CHAIN_BEFORE]: [], [CHAIN_NOW]: [] };
const { prepared: tsPrepared } = await rt.prepared('test/trivial-typescript', { environment: 'production' });
const rawLayout = { bundleDir: tsPrepared.bundleDir, scratchDir: scratch, shared: [] };
const rawLimits = { memoryMb: 256, cpu: 0, cpuSeconds: 60, maxProcesses: 128, maxFileMb: 64, tmpMb: 64 };
const hardenedArgs = bwrapArgs({ mounts: [], command: [process.execPath, '-e', '0'], env: {} }, rawLayout, rawLimits);
// The same arguments without what the launch hardening added.
const HARDENING = new Set(['--unshare-user', '--disable-userns', '--assert-userns-disabled', '--seccomp']);
const plainArgs = hardenedArgs.filter((a, i) => !HARDENING.has(a) && hardenedArgs[i - 1] !== '--seccomp');
const rawArgv = ['bwrap', ...plainArgs];
const chains = {
  [CHAIN_BEFORE]: { argv: ['/bin/sh', '-c', 'exec "$@"', 'sh', ...uidDrop(), 'bwrap', ...plainArgs], filter: false },
  [CHAIN_NOW]: {
    argv: [
      '/bin/bash',
      '-c',
      `${CLOSE_FDS}exec "$@"`,
      'bash',
      String(SECCOMP_FD),
      ...uidDrop(),
      'bwrap',
      ...hardenedArgs,
    ],
    filter: true,
  },
  [RAW]: { argv: rawArgv, filter: false },
  [RAW_HARDENED]: { argv: ['bwrap', ...hardenedArgs], filter: true },
};
for (const c of Object.values(chains)) await timeExit(c.argv, c.filter); // page cache warm for all
for (const lang of Object.keys(HANDLERS) as Lang[]) {
  const { loaded, prepared } = await rt.prepared(`test/trivial-${lang}`, { environment: 'production' });
  const xs: number[] = [];
  for (let i = 0; i < COLD + 1; i++) {
    if (lang === 'typescript')
      for (const [k, c] of Object.entries(chains)) cold[k]!.push(await timeExit(c.argv, c.filter));
    const dir = join(scratch, randomUUID());
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    const t = performance.now();
    const w = await Worker.start({
      key: loaded.version.id,
      mode: rt.mode as SandboxMode,
      spec: prepared.spec,
      layout: { bundleDir: prepared.bundleDir, scratchDir: dir, shared: prepared.shared },
      limits: { ...rawLimits, memoryMb: loaded.version.runtime.memoryMb },
      startTimeoutMs: 15_000,
      cgroups: rt.cgroups,
      spares: rt.spares,
    });
    if (i > 0) xs.push(performance.now() - t); // the first start of a language warms its files
    w.kill();
    // Cold starts in a row, not a burst: the spare used is replaced before the next one.
    await new Promise((r) => setTimeout(r, 60));
  }
  cold[`${lang} worker (spawn → ready)`] = xs;
}
for (const k of Object.keys(chains)) cold[k] = cold[k]!.slice(1);

// --- warm round trip ------------------------------------------------------------------------
step(`warm executions: ${WARM} per language through SkillRuntime.run (records written)`);
const warm: Record<string, number[]> = {};
/** WARM timed executions of `ref` after 50 untimed ones. */
async function warmRuns(ref: string): Promise<number[]> {
  for (let i = 0; i < 50; i++) await rt.run({ ref, input: { userMessage: 'warm' } });
  const xs: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const t = performance.now();
    const r = await rt.run({ ref, input: { userMessage: 'x' } });
    xs.push(performance.now() - t);
    if (!r.success) throw new Error(`${ref}: ${JSON.stringify(r.error)}`);
  }
  return xs;
}
for (const lang of Object.keys(HANDLERS) as Lang[])
  warm[`${lang}: run() incl. record`] = await warmRuns(`test/trivial-${lang}`);
warm['typescript, 2 secrets + a log line: run() incl. record'] = await warmRuns('test/secrets-typescript');
// The bare protocol round trip on a warm TypeScript worker, without resolving or recording.
{
  const { loaded, prepared } = await rt.prepared('test/trivial-typescript', { environment: 'production' });
  const dir = join(scratch, 'rt');
  mkdirSync(dir, { mode: 0o777 });
  const w = await Worker.start({
    key: loaded.version.id,
    mode: rt.mode as SandboxMode,
    spec: prepared.spec,
    layout: { bundleDir: prepared.bundleDir, scratchDir: dir, shared: [] },
    limits: rawLimits,
    startTimeoutMs: 15_000,
    cgroups: rt.cgroups,
  });
  const hooks = { call: async () => null, log: () => undefined, metric: () => undefined };
  const ctx = {
    executionId: 'b',
    input: { userMessage: 'x', metadata: {} },
    skill: { domain: 'test', name: 'trivial-typescript', role: null, version: '1.0.0' },
    secrets: {},
  };
  for (let i = 0; i < 200; i++) await w.execute(`w${i}`, ctx, hooks, 5000);
  const xs: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const t = performance.now();
    await w.execute(`e${i}`, ctx, hooks, 5000);
    xs.push(performance.now() - t);
  }
  warm['typescript: protocol round trip only'] = xs;
  w.kill();
}

// --- the reset between executions ----------------------------------------------------------
step(`resets: ${RESETS} per case, by path (before) and by handle with the worker frozen (now), alternating`);
const resets: Record<string, { before: number[]; now: number[] }> = {
  'nothing written': { before: [], now: [] },
  '5 files and a folder': { before: [], now: [] },
};
{
  const { loaded, prepared } = await rt.prepared('test/trivial-typescript', { environment: 'production' });
  const { home, ...dirs } = makeWorkerDirs(scratchRoot(f.dataDir).dir, process.getuid?.() === 0 ? 65534 : undefined);
  const w = await Worker.start({
    key: loaded.version.id,
    mode: rt.mode as SandboxMode,
    spec: prepared.spec,
    layout: { bundleDir: prepared.bundleDir, ...dirs, shared: [] },
    home,
    limits: rawLimits,
    startTimeoutMs: 15_000,
    cgroups: rt.cgroups,
  });
  // What a handler that uses its scratch space leaves: files in /scratch, a folder, a file in /tmp.
  const fill = (many: boolean) => {
    if (!many) return;
    for (let i = 0; i < 3; i++) writeFileSync(join(dirs.scratchDir, `f${i}`), 'x');
    mkdirSync(join(dirs.scratchDir, 'd'));
    writeFileSync(join(dirs.scratchDir, 'd', 'f'), 'x');
    writeFileSync(join(dirs.tmpDir, 't'), 'x');
  };
  // Before issue 13: readdir and rm by path, /scratch only.
  const before = async (dir: string) => {
    const left = await readdir(dir).catch(() => []);
    await Promise.all(left.map((name) => rm(join(dir, name), { recursive: true, force: true })));
  };
  for (const [name, many] of [
    ['nothing written', false],
    ['5 files and a folder', true],
  ] as const) {
    for (let i = 0; i < RESETS; i++) {
      fill(many);
      let t = performance.now();
      await before(dirs.scratchDir);
      resets[name]!.before.push(performance.now() - t);
      await rm(join(dirs.tmpDir, 't'), { force: true });
      fill(many);
      t = performance.now();
      if (!(await resetWorker(w))) throw new Error('the reset left something');
      resets[name]!.now.push(performance.now() - t);
    }
  }
  w.kill();
}

// --- throughput -----------------------------------------------------------------------------
async function throughput(fx: typeof f): Promise<{ perSecond: number; failed: number; recorded: number }> {
  await fx.deploy({ name: 'tput', handler: HANDLERS.typescript });
  for (let i = 0; i < 100; i++) await fx.runtime.run({ ref: 'test/tput', input: { userMessage: 'w' } });
  let done = 0;
  let failed = 0;
  const until = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const r = await fx.runtime.run({ ref: 'test/tput', input: { userMessage: 't' } });
        if (r.success) done++;
        else failed++;
      }
    }),
  );
  // Until every row is in the database (records are written just after their answers).
  await fx.runtime.recorder.drain();
  const elapsed = (performance.now() - t0) / 1000;
  const [row] = await fx.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM executions e JOIN skills s ON s.id = e.skill_id WHERE s.name = 'tput' AND completed_at IS NOT NULL",
  );
  return { perSecond: round(done / elapsed, 0), failed, recorded: row?.n ?? 0 };
}
const tput: Record<string, { 'executions/s': number; failed: number; 'records in db': number }> = {};
step(`throughput on PGlite: ${SECONDS} s of trivial executions at concurrency ${CONCURRENCY}`);
{
  const t = await throughput(f);
  tput.pglite = { 'executions/s': t.perSecond, failed: t.failed, 'records in db': t.recorded };
}
if (!args.includes('--no-postgres')) {
  const url = process.env.ASPORA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  step(`throughput on PostgreSQL (${url})`);
  const schema = `aspora_bench_${randomUUID().slice(0, 8)}`;
  const pgf = await runtimeFixture({
    pool: { maxWorkers: WORKERS + 2, maxIdlePerVersion: WORKERS },
    env: { DATABASE_URL: url, ASPORA_DB_SCHEMA: schema },
  });
  try {
    const t = await throughput(pgf);
    tput.postgres = { 'executions/s': t.perSecond, failed: t.failed, 'records in db': t.recorded };
    await pgf.db.query(`DROP SCHEMA ${schema} CASCADE`);
  } finally {
    await pgf.close();
  }
}

// --- memory per warm worker ------------------------------------------------------------------
step('memory of one warm worker per language');
const memory: Record<string, { 'worker RSS MB': number; 'sandbox total RSS MB': number }> = {};
for (const lang of Object.keys(HANDLERS) as Lang[]) {
  const { loaded, prepared } = await rt.prepared(`test/trivial-${lang}`, { environment: 'production' });
  const dir = join(scratch, `mem-${lang}`);
  mkdirSync(dir, { mode: 0o777 });
  chmodSync(dir, 0o777);
  const w = await Worker.start({
    key: loaded.version.id,
    mode: rt.mode as SandboxMode,
    spec: prepared.spec,
    layout: { bundleDir: prepared.bundleDir, scratchDir: dir, shared: [] },
    limits: rawLimits,
    startTimeoutMs: 15_000,
    cgroups: rt.cgroups,
    spares: rt.spares,
  });
  const ctx = {
    executionId: 'm',
    input: { userMessage: 'm', metadata: {} },
    skill: { domain: 'test', name: `trivial-${lang}`, role: null, version: '1.0.0' },
    secrets: {},
  };
  for (let i = 0; i < 20; i++)
    await w.execute(`m${i}`, ctx, { call: async () => null, log: () => undefined, metric: () => undefined }, 5000);
  // Every process of the worker's sandbox (launcher, bwrap's init, the worker) from its cgroup.
  const rss = (w.cgroup?.pids() ?? []).map((pid) => ({
    pid,
    kb: Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0),
  }));
  memory[lang] = {
    'worker RSS MB': round(Math.max(0, ...rss.map((r) => r.kb)) / 1024, 1),
    'sandbox total RSS MB': round(rss.reduce((a, r) => a + r.kb, 0) / 1024, 1),
  };
  w.kill();
}

await f.close();
rmSync(scratch, { recursive: true, force: true });

const raw = percentile(cold[RAW]!, 50);
console.log(`\nCold start (ms; ${COLD} each, build cached, cgroups ${rt.cgroups ? `v${rt.cgroups.version}` : 'off'})`);
console.table(
  Object.fromEntries(
    Object.entries(cold).map(([k, xs]) => [
      k,
      { ...stats(xs), 'vs raw bwrap p50': `${round(percentile(xs, 50) / raw)}×` },
    ]),
  ),
);
console.log('\nWarm execution (ms)');
console.table(Object.fromEntries(Object.entries(warm).map(([k, xs]) => [k, stats(xs)])));
console.log(
  `\nReset between executions (ms; ${RESETS} each, alternating; before = readdir + rm by path of /scratch; now = /scratch, /tmp and /dev/shm by handle, frozen when not empty, cgroups ${rt.cgroups ? `v${rt.cgroups.version}` : 'off'})`,
);
console.table(
  Object.fromEntries(
    Object.entries(resets).map(([k, { before, now }]) => [
      k,
      {
        'before p50': round(percentile(before, 50)),
        'before p99': round(percentile(before, 99)),
        'now p50': round(percentile(now, 50)),
        'now p99': round(percentile(now, 99)),
        'now / before (p50)': `${round(percentile(now, 50) / percentile(before, 50))}×`,
      },
    ]),
  ),
);
console.log(
  `\nThroughput (trivial TypeScript handler, execution records written; concurrency ${CONCURRENCY}, up to ${WORKERS + 2} workers)`,
);
console.table(tput);
console.log('\nMemory per warm worker (RSS after 20 executions; the sandbox adds bwrap and its init)');
console.table(memory);
