/**
 * The host services of one execution: what its handler's calls do once the guard has allowed
 * them. Child executions, state, Bash in a sibling sandbox, platform APIs, WebFetch and the model
 * gateway. Everything an execution starts (Bash processes) ends with it.
 */
import type { ChildProcess } from 'node:child_process';
import { AsporaError, type SkillResult } from '@aspora/sdk';
import type { Redactor } from '../../secrets/redactor.ts';
import type { SkillModelPrefs } from '../../gateway/gateway.ts';
import type { ModelCallRecord } from '../../gateway/types.ts';
import { webFetch, type WebFetchPolicy } from '../../integrations/web-fetch.ts';
import type { RecordRow } from '../../observe/recorder.ts';
import type { ExecutionTrace } from '../../observe/tracing/index.ts';
import type { LaunchSpec } from '../languages/types.ts';
import type { PermissionGuard } from '../policy/guard.ts';
import type { Prepared } from '../prepare.ts';
import type { RunRequest, RuntimeDeps, SkillRuntime } from '../runtime.ts';
import type { SandboxMode } from '../sandbox/detect.ts';
import { launch, type SandboxLimits } from '../sandbox/launch.ts';
import type { Worker } from '../worker.ts';
import type { HostServices } from './dispatch.ts';
import { stateTables } from '../../state/tables.ts';
import { shadowFetchRefusal, twinStateKey } from '../../releases/targets.ts';

const MAX_INVOKE_DEPTH = 5;
const BASH_OUTPUT_CAP = 256 * 1024;

export interface ServiceContext {
  runtime: SkillRuntime;
  req: RunRequest;
  row: RecordRow;
  guard: PermissionGuard;
  prepared: Prepared;
  mode: SandboxMode;
  limits: SandboxLimits;
  deps: RuntimeDeps;
  webFetch: WebFetchPolicy;
  prefs: SkillModelPrefs;
  ownerTeam: string | null;
  /** The worker running the execution (Bash joins its cgroup). */
  worker: () => Worker | undefined;
  /** Its trace: a child execution continues it. */
  trace?: ExecutionTrace | undefined;
  /** What scrubs this execution's secrets: a child execution scrubs them too. */
  redactor?: Redactor;
  onModelCall: (c: ModelCallRecord) => void;
}

export function executionServices(c: ServiceContext): HostServices & { close(): void } {
  const db = c.deps.registry.db;
  const skillId = c.row.skillId;
  const { ref, domain } = c.prepared.perms;
  const bashes = new Set<ChildProcess>();
  const user = c.req.user ?? null;
  // A shadow run (issue 17) reads stable's world and writes only to its twins (releases/targets.ts).
  const shadow = !!c.req.shadowOf;
  return {
    tables: stateTables({
      store: c.runtime.state,
      skill: ref,
      role: c.prepared.perms.role,
      team: c.ownerTeam,
      rules: c.prepared.perms.tables ?? new Map(),
      user: user && { email: user.email, id: user.id, name: user.name, team: user.team, role: user.role },
      executionId: c.row.record.id,
      ...(c.req.shadowOf ? { shadow: c.req.shadowOf } : {}),
    }),
    async invoke(skill, input): Promise<SkillResult> {
      const depth = (c.req.depth ?? 0) + 1;
      if (depth > MAX_INVOKE_DEPTH)
        throw new AsporaError('BAD_REQUEST', `invoke chain deeper than ${MAX_INVOKE_DEPTH}`, {
          hint: 'a skill that invokes itself (or a cycle) never ends',
        });
      // The child's record references this one: it must exist first.
      await c.runtime.recorder.ensureStarted(c.row);
      const child = await c.runtime.run({
        ref: skill,
        input,
        trigger: 'invoke',
        parentExecutionId: c.row.record.id,
        depth,
        ...(c.redactor?.active ? { redactor: c.redactor } : {}),
        ...(c.trace ? { traceParent: c.trace.context } : {}),
        ...(c.req.environment ? { environment: c.req.environment } : {}),
        ...(c.req.workflowId ? { workflowId: c.req.workflowId } : {}),
        // Role rules and visibility are checked against this skill, not against the end user.
        invoker: { ref, role: c.prepared.perms.role, ownerTeam: c.ownerTeam },
        // The child runs for the same end user, on the same caller's authority.
        ...(c.req.user ? { user: c.req.user } : {}),
        ...(c.req.caller ? { caller: c.req.caller } : {}),
        // A shadow's child is a shadow too: its writes go to twins as well.
        ...(c.req.shadowOf ? { shadowOf: c.req.shadowOf } : {}),
      });
      if (child.error)
        throw new AsporaError(child.error.code as 'HANDLER_ERROR', `${skill} failed: ${child.error.message}`, {
          details: { executionId: child.id, ...(child.error.details ?? {}) },
        });
      return child.result as SkillResult;
    },
    state: {
      get: async (key) =>
        (
          await db.query<{ value: unknown }>('SELECT value FROM skill_state WHERE skill_id = $1 AND key = $2', [
            skillId,
            key,
          ])
        )[0]?.value,
      set: async (key, value) => {
        if (shadow) key = twinStateKey(key);
        await db.query(
          `INSERT INTO skill_state (skill_id, key, value) VALUES ($1, $2, $3)
           ON CONFLICT (skill_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
          [skillId, key, JSON.stringify(value ?? null)],
        );
      },
    },
    bash: (command, timeoutMs) => bash(c, command, timeoutMs, bashes),
    api: (api, method, args) => {
      if (!c.deps.apis)
        throw new AsporaError('UNAVAILABLE', `api ${api} is not declared on this platform`, {
          hint: `a platform admin declares it under apis.${api} in aspora.platform.yaml`,
        });
      return c.deps.apis.call({ ref, domain, ...(shadow ? { shadow } : {}) }, api, method, args);
    },
    webFetch: (r) => {
      const refused = shadow ? shadowFetchRefusal(ref, r.method) : null;
      if (refused) throw refused;
      return webFetch(r, c.webFetch, c.guard);
    },
    chat: (args) => {
      if (!c.deps.gateway)
        throw new AsporaError('UNAVAILABLE', 'no model gateway on this platform', {
          hint: 'set OPENROUTER_API_KEY or ASPORA_MODEL_BASE_URL',
        });
      return c.deps.gateway.chat(
        args,
        {
          ref,
          domain,
          ownerTeam: c.ownerTeam,
          executionId: c.row.record.id,
          prefs: c.prefs,
          executionCost: () => c.row.record.model.cost,
          shadow: !!c.req.shadowOf,
        },
        c.onModelCall,
      );
    },
    close() {
      for (const b of bashes) killGroup(b);
    },
  };
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** A sibling process in an identical sandbox (same view, limits, cgroup, /scratch, /tmp and /dev/shm), collecting its output. */
function bash(c: ServiceContext, command: string, timeoutMs: number, running: Set<ChildProcess>) {
  const worker = c.worker();
  if (!worker) throw new AsporaError('UNAVAILABLE', 'bash: the execution has no worker');
  const spec: LaunchSpec = { mounts: [], command: ['/bin/sh', '-c', command], env: {} };
  const { child, channel } = launch(
    c.mode,
    spec,
    { bundleDir: c.prepared.bundleDir, ...worker.dirs, shared: c.prepared.shared },
    c.limits,
    worker.cgroup,
  );
  channel.destroy();
  running.add(child);
  return new Promise<{ stdout: string; stderr: string; exitCode: number }>((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => void (stdout.length < BASH_OUTPUT_CAP && (stdout += d)));
    child.stderr!.on('data', (d) => void (stderr.length < BASH_OUTPUT_CAP && (stderr += d)));
    const timer = setTimeout(() => {
      killGroup(child);
      stderr += `\n[aspora] killed after ${timeoutMs} ms`;
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ stdout, stderr, exitCode: code ?? (signal ? 128 + 9 : 1) });
    });
  });
}
