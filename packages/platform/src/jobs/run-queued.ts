/**
 * A queued execution's attempt: the runtime runs it under the id its row already has. A run
 * whose handler failed is a failed attempt (retried, dead at the last); a request that cannot run
 * at all (the skill gone, paused by its budget, a bad input) ends at once as an error, recorded as
 * such; a platform that could not run it now (no worker free, the sandbox down) retries later.
 */
import { isAsporaError } from '@aspora/sdk';
import type { SkillRuntime } from '../runtime/runtime.ts';
import type { Handler } from './queue.ts';
import { isTransient } from './transient.ts';

/** A run waits out the sandbox too (no worker free, the sandbox down), beside every job's "not now". */
const RUN_TRANSIENT = ['SANDBOX_UNAVAILABLE'] as const;

export function runQueued(runtime: SkillRuntime): Handler {
  return async (d) => {
    try {
      const r = await runtime.run({
        ref: d.ref,
        executionId: d.executionId,
        input: d.input,
        trigger: d.trigger,
        ...(d.user ? { user: d.user } : {}),
        ...(d.caller ? { caller: d.caller } : {}),
        ...(d.source ? { source: d.source } : {}),
        ...(d.version ? { version: d.version } : { environment: d.environment ?? 'production' }),
        ...(d.workflowId ? { workflowId: d.workflowId } : {}),
      });
      // Its row is written before the queue marks the attempt's end on it.
      await runtime.recorder.settled?.(r.id);
      if (r.success) return { ok: true };
      return { ok: false, error: r.error ?? { code: 'HANDLER_ERROR', message: 'the handler did not succeed' } };
    } catch (e) {
      const error = isAsporaError(e)
        ? { code: e.code, message: e.message }
        : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
      return { ok: false, error, final: !isTransient(error.code, RUN_TRANSIENT) };
    }
  };
}
