/**
 * Starts a fuzz target in a worker thread and watches it: a case that runs past the target's
 * hangMs — a promise that never settles or a stalled event loop — ends the worker and becomes a
 * failure naming the target, the seed, the path of the case and a preview of its input.
 */
import { Worker } from 'node:worker_threads';
import { Heartbeat, Phase } from './heartbeat.ts';
import type { FailureStat, WorkerInput, WorkerResult } from './worker.ts';
import { targetInfo } from '../targets/index.ts';

export interface RunOptions {
  mode: 'assert' | 'survey';
  seed: number;
  runs?: number;
  seconds?: number;
  path?: string;
}

export interface TargetReport extends WorkerResult {
  target: string;
  seed: number;
  /** Workers started: more than one when a hang ended one during a survey. */
  rounds: number;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url).href;
const TSX_API = import.meta.resolve('tsx/esm/api');
const WATCH_EVERY_MS = 250;

/** The fixed seed of `npm test` (override with FUZZ_SEED to explore). */
export const SUITE_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed13);

type Outcome =
  | { type: 'result'; result: WorkerResult }
  | { type: 'error'; error: string }
  | { type: 'hang'; failure: FailureStat; ms: number; runs: number };

function once(name: string, data: WorkerInput, hangMs: number, setupMs: number): Promise<Outcome> {
  const beat = new Heartbeat(data.sab);
  beat.phase(Phase.Setup);
  // tsx's loader hooks do not reach worker threads on Node 20: the worker loads its TypeScript through tsx's API.
  const boot = `import { tsImport } from ${JSON.stringify(TSX_API)}; await tsImport(${JSON.stringify(WORKER_URL)}, ${JSON.stringify(import.meta.url)});`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  const started = Date.now();
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      resolve(o);
      void worker.terminate();
    };
    const watch = setInterval(() => {
      const b = beat.read();
      const limit = b.phase === Phase.Case ? hangMs + 5000 : b.phase === Phase.Idle ? hangMs : setupMs;
      if (b.sinceMs <= limit) return;
      const what =
        b.phase === Phase.Case
          ? `case ${b.run}${b.shrinking ? ' (while shrinking)' : ''}`
          : b.phase === Phase.Setup
            ? 'setup'
            : b.phase === Phase.After
              ? 'the after-run check'
              : 'between cases';
      finish({
        type: 'hang',
        runs: b.run + 1,
        ms: Date.now() - started,
        failure: {
          kind: 'hang',
          count: 1,
          seed: data.seed,
          path: String(b.run),
          preview: b.phase === Phase.Case ? b.preview : '',
          detail: `${name}: ${what} still running after ${b.sinceMs} ms (thread stalled or a promise never settled)`,
        },
      });
    }, WATCH_EVERY_MS);
    worker.on('message', (m: Outcome) => finish(m));
    worker.on('error', (e) => finish({ type: 'error', error: `worker failed: ${e.stack ?? e.message}` }));
    worker.on('exit', (code) => finish({ type: 'error', error: `worker exited (code ${code}) before reporting` }));
  });
}

export async function runTarget(name: string, opts: RunOptions): Promise<TargetReport> {
  const info = targetInfo(name);
  const setupMs = info.setupMs ?? 60_000;
  const deadline = opts.seconds ? Date.now() + opts.seconds * 1000 : undefined;
  const report: TargetReport = { target: name, seed: opts.seed, rounds: 0, runs: 0, ms: 0, failures: [] };
  const add = (f: FailureStat) => {
    const seen = report.failures.find((x) => x.kind === f.kind);
    if (seen) seen.count += f.count;
    else report.failures.push(f);
  };
  let seed = opts.seed;
  for (;;) {
    report.rounds++;
    const remaining = deadline ? Math.max(1, (deadline - Date.now()) / 1000) : undefined;
    const data: WorkerInput = {
      target: name,
      mode: opts.mode,
      seed,
      ...(opts.runs !== undefined ? { runs: opts.runs - (opts.mode === 'survey' ? report.runs : 0) } : {}),
      ...(remaining !== undefined ? { seconds: remaining } : {}),
      ...(opts.path ? { path: opts.path } : {}),
      sab: new SharedArrayBuffer(new Heartbeat().sab.byteLength),
    };
    const o = await once(name, data, info.hangMs, setupMs);
    if (o.type === 'error') throw new Error(`fuzz target ${name}: ${o.error}`);
    if (o.type === 'result') {
      report.runs += o.result.runs;
      report.ms += o.result.ms;
      o.result.failures.forEach(add);
      if (o.result.assertError) report.assertError = o.result.assertError;
      if (o.result.afterError) report.afterError = o.result.afterError;
      return report;
    }
    report.runs += o.runs;
    report.ms += o.ms;
    add(o.failure);
    // A survey goes on with the next seed while time or runs are left; an assert stops at the hang.
    const left = deadline ? deadline - Date.now() > 1000 : opts.runs !== undefined && report.runs < opts.runs;
    if (opts.mode === 'assert' || !left) return report;
    seed++;
  }
}

/** For `npm test`: a bounded run with the suite's fixed seed; throws a message that says how to replay a failure. */
export async function assertTarget(name: string, opts: { runs?: number } = {}): Promise<TargetReport> {
  const runs = opts.runs ?? Number(process.env.FUZZ_RUNS ?? targetInfo(name).suiteRuns);
  const r = await runTarget(name, { mode: 'assert', seed: SUITE_SEED, runs });
  const replay = (path?: string) =>
    `replay: npm run bench:fuzz -- --target ${name} --seed ${r.seed}${path ? ` --path ${path}` : ''}`;
  const hang = r.failures.find((f) => f.kind === 'hang');
  if (hang)
    throw new Error(
      `${hang.detail}\nseed ${hang.seed}, path ${hang.path}; input: ${hang.preview}\n${replay(hang.path)}`,
    );
  if (r.assertError)
    throw new Error(
      `fuzz target ${name} failed (seed ${r.seed}):\n${r.assertError}\n${replay(/path: "([^"]+)"/.exec(r.assertError)?.[1])}`,
    );
  if (r.afterError) throw new Error(`fuzz target ${name}: after ${r.runs} runs: ${r.afterError}`);
  return r;
}
