/**
 * Runs one fuzz target inside a worker thread (started by harness/run.ts).
 * - assert: fast-check's assert — stops at the first failure, shrinks it, reports seed and path.
 * - survey: runs until the time or run budget is spent, counting failures by kind (bench:fuzz).
 */
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { FuzzFailure, kindOf, type FuzzTarget } from './target.ts';
import { Heartbeat, Phase } from './heartbeat.ts';
import { targetInfo } from '../targets/index.ts';

export interface WorkerInput {
  target: string;
  mode: 'assert' | 'survey';
  seed: number;
  runs?: number;
  seconds?: number;
  /** Replays one case (fast-check path), with its seed. */
  path?: string;
  sab: SharedArrayBuffer;
}

export interface FailureStat {
  kind: string;
  count: number;
  seed: number;
  path: string;
  preview: string;
  detail: string;
}

export interface WorkerResult {
  runs: number;
  ms: number;
  failures: FailureStat[];
  /** assert mode: fast-check's report of the first (shrunk) counterexample. */
  assertError?: string;
  /** The target's after() check failed (e.g. the platform no longer answers). */
  afterError?: string;
}

const input = workerData as WorkerInput;
const info = targetInfo(input.target);
const beat = new Heartbeat(input.sab);

// An exception thrown from an event listener (a socket's 'data', a timer) fails the case in progress.
let failCase: ((e: unknown) => void) | undefined;
let strayError: unknown;
const stray = (e: unknown) => {
  const f = new FuzzFailure(
    'uncaught exception',
    e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e),
  );
  if (failCase) failCase(f);
  else strayError ??= f;
};
process.on('uncaughtException', stray);
process.on('unhandledRejection', stray);

async function guarded<I, C>(target: FuzzTarget<I, C>, x: I, ctx: C): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      failCase = reject;
      timer = setTimeout(() => reject(new FuzzFailure('hang', `no answer within ${info.hangMs} ms`)), info.hangMs);
      Promise.resolve()
        .then(() => target.check(x, ctx))
        .then(resolve, reject);
    });
  } finally {
    clearTimeout(timer);
    failCase = undefined;
  }
  if (strayError) {
    const e = strayError;
    strayError = undefined;
    throw e;
  }
}

async function main(): Promise<WorkerResult> {
  const mod = (await import(info.module.replace('./', '../targets/'))) as { default: FuzzTarget<unknown, unknown> };
  const target = mod.default;
  beat.phase(Phase.Setup);
  const ctx = target.setup ? await target.setup() : undefined;
  const arb = target.arbitrary(ctx);
  const failures = new Map<string, FailureStat>();
  let runs = 0;
  let failedOnce = false;
  const started = Date.now();
  const result: WorkerResult = { runs: 0, ms: 0, failures: [] };

  try {
    if (input.mode === 'survey') {
      const prop = fc.asyncProperty(arb, async (x) => {
        const run = runs++;
        const preview = target.preview(x);
        beat.startCase(run, preview, false);
        try {
          await guarded(target, x, ctx);
        } catch (e) {
          const kind = kindOf(e);
          const seen = failures.get(kind);
          if (seen) seen.count++;
          else
            failures.set(kind, {
              kind,
              count: 1,
              seed: input.seed,
              path: String(run),
              preview,
              detail: e instanceof Error ? e.message.slice(0, 2000) : String(e),
            });
        } finally {
          beat.phase(Phase.Idle);
        }
        return true;
      });
      await fc.check(prop, {
        seed: input.seed,
        numRuns: input.runs ?? 2 ** 31 - 1,
        ...(input.seconds ? { interruptAfterTimeLimit: input.seconds * 1000, markInterruptAsFailure: false } : {}),
      });
    } else {
      const prop = fc.asyncProperty(arb, async (x) => {
        const run = runs++;
        beat.startCase(run, target.preview(x), failedOnce);
        try {
          await guarded(target, x, ctx);
        } catch (e) {
          failedOnce = true;
          throw e;
        } finally {
          beat.phase(Phase.Idle);
        }
      });
      try {
        await fc.assert(prop, {
          seed: input.seed,
          numRuns: input.runs ?? info.suiteRuns,
          ...(input.path ? { path: input.path } : {}),
        });
      } catch (e) {
        result.assertError = e instanceof Error ? e.message : String(e);
      }
    }
    result.runs = runs;
    result.ms = Date.now() - started;
    beat.phase(Phase.After);
    try {
      await target.after?.(ctx);
    } catch (e) {
      result.afterError = e instanceof Error ? e.message : String(e);
    }
  } finally {
    await target.teardown?.(ctx);
  }
  result.failures = [...failures.values()];
  return result;
}

main().then(
  (r) => parentPort!.postMessage({ type: 'result', result: r }),
  (e: unknown) =>
    parentPort!.postMessage({
      type: 'error',
      error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e),
    }),
);
