/**
 * The skill runtime: resolve the version, prepare its bundle once, take a warm sandboxed worker
 * (or start one), run the handler with every host call checked by the permission guard, and
 * record the execution. One failing handler never affects another execution or the platform.
 */
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AsporaError, type SkillResult } from '@aspora/sdk';
import type { LoadedSkill, SkillRegistry } from '../registry/index.ts';
import type { BundleStore } from '../store/index.ts';
import type { Logger } from '../observe/logger.ts';
import { materializeBundle } from './bundles.ts';
import { finishExecution, getExecution, startExecution, type ExecutionRecord } from './executions.ts';
import { hostCalls, type CallRecord, type HostServices } from './host/dispatch.ts';
import { adapterFor } from './languages/index.ts';
import type { LaunchSpec } from './languages/types.ts';
import { PermissionGuard, type SkillPermissions } from './policy/guard.ts';
import { toVisible, type SkillView } from './policy/view.ts';
import { WorkerPool } from './pool.ts';
import { chooseSandbox, type SandboxMode } from './sandbox/detect.ts';
import { launch, type SandboxLayout, type SandboxLimits } from './sandbox/launch.ts';
import { Worker, type LogEntry } from './worker.ts';

export interface RuntimeOptions {
  dataDir: string;
  /** Root of shared resources: `<root>/<domain>/shared/…` (examples/skills when `aspora up` runs the examples). */
  sharedRoot?: string;
  maxWorkers?: number;
  webFetchHosts?: string[];
  /** Secrets the vault holds (name → value); only declared ones reach a handler. */
  secrets?: Record<string, string>;
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunRequest {
  ref: string;
  input: Record<string, unknown>;
  environment?: 'staging' | 'production';
  version?: string;
  trigger?: string;
  userId?: string;
  workflowId?: string;
  parentExecutionId?: string;
  /** Depth of context.invoke chains, to stop runaway recursion. */
  depth?: number;
}

const MAX_INVOKE_DEPTH = 5;
const MAX_LOGS = 500;
const SANDBOX_UID = 65534;

interface Prepared {
  spec: LaunchSpec;
  bundleDir: string;
  shared: SandboxLayout['shared'];
  perms: SkillPermissions;
}

export class SkillRuntime {
  readonly mode: SandboxMode;
  readonly #pool: WorkerPool;
  readonly #prepared = new Map<string, Promise<Prepared>>();
  readonly #root: string;
  #closed = false;

  constructor(
    private readonly registry: SkillRegistry,
    private readonly store: BundleStore,
    private readonly log: Logger,
    private readonly opts: RuntimeOptions,
  ) {
    this.mode = chooseSandbox(opts.env);
    if (this.mode === 'unsafe') log.warn('ASPORA_UNSAFE_NO_SANDBOX=1: skill handlers run WITHOUT a sandbox (no isolation of files, network or processes). Never use this in production.');
    this.#root = join(opts.dataDir, 'runtime');
    // Traversable by the sandbox user; each worker's scratch folder below is private to it.
    mkdirSync(join(this.#root, 'scratch'), { recursive: true, mode: 0o755 });
    this.#pool = new WorkerPool(opts.maxWorkers ?? 16);
  }

  async run(req: RunRequest): Promise<ExecutionRecord> {
    if (this.#closed) throw new AsporaError('UNAVAILABLE', 'the runtime is shutting down');
    const loaded = await this.registry.loadSkill(req.ref, {
      ...(req.version ? { version: req.version } : { environment: req.environment ?? 'production' }),
    });
    const v = loaded.version;
    const prepared = await this.#prepare(loaded);
    const [domain, name] = loaded.ref.split('/') as [string, string];
    const skillId = await this.#skillId(domain, name);
    const input: Record<string, unknown> = { userMessage: '', metadata: {}, ...req.input, domain: (req.input.domain as string | undefined) ?? domain };
    const id = await startExecution(this.registry.db, {
      skillId,
      versionId: v.id,
      environment: req.version ? null : (req.environment ?? 'production'),
      trigger: req.trigger ?? 'api',
      userId: typeof input.userId === 'string' ? input.userId : (req.userId ?? null),
      workflowId: req.workflowId ?? null,
      parentExecutionId: req.parentExecutionId ?? null,
      input,
    });

    const started = performance.now();
    const logs: LogEntry[] = [];
    const calls: CallRecord[] = [];
    let outcome;
    const guard = new PermissionGuard(prepared.perms);
    let worker: Worker | undefined;
    try {
      worker = await this.#worker(v.id, prepared, v.runtime);
      const scratchDir = this.#scratchOf(worker);
      const view: SkillView = { bundleDir: prepared.bundleDir, scratchDir, ...(this.#sharedDir(domain) ? { sharedDir: this.#sharedDir(domain)! } : {}) };
      const services = this.#services(req, id, skillId, prepared, v.runtime, scratchDir);
      const call = hostCalls(guard, view, services, calls);
      outcome = await worker.execute(
        id,
        {
          executionId: id,
          input,
          skill: { domain, name, role: v.role, version: v.version },
          secrets: this.#secretsFor(prepared.perms),
        },
        {
          call,
          log: (e) => void (logs.length < MAX_LOGS && logs.push(e)),
          metric: () => undefined,
        },
        v.runtime.timeoutMs,
      );
      await rm(scratchDir, { recursive: true, force: true }).then(() => this.#mkScratch(scratchDir));
    } catch (e) {
      const err = e instanceof AsporaError ? e : new AsporaError('INTERNAL', (e as Error).message);
      outcome = { ok: false as const, error: { code: err.code, message: err.message } };
    } finally {
      if (worker) {
        if (worker.alive) this.#pool.give(worker);
        else this.#pool.forget();
      }
    }

    const denied = calls.filter((c) => c.code === 'PERMISSION_DENIED').length;
    await finishExecution(this.registry.db, id, {
      success: outcome.ok ? outcome.result.success : false,
      errorCode: outcome.ok ? null : String(outcome.error.code),
      errorMessage: outcome.ok ? null : outcome.error.message,
      result: outcome.ok ? outcome.result : null,
      logs,
      hostCalls: calls.length,
      deniedCalls: denied,
      durationMs: performance.now() - started,
    });
    if (!outcome.ok) this.log.info({ execution: id, ref: loaded.ref, code: outcome.error.code }, outcome.error.message);
    return (await getExecution(this.registry.db, id))!;
  }

  getExecution(id: string): Promise<ExecutionRecord | undefined> {
    return getExecution(this.registry.db, id);
  }

  close(): void {
    this.#closed = true;
    this.#pool.close();
  }

  get warmWorkers(): number {
    return this.#pool.size;
  }

  async #skillId(domain: string, name: string): Promise<string> {
    const [r] = await this.registry.db.query<{ id: string }>('SELECT id FROM skills WHERE domain = $1 AND name = $2', [domain, name]);
    return r!.id;
  }

  #prepare(loaded: LoadedSkill): Promise<Prepared> {
    const key = loaded.version.id;
    let p = this.#prepared.get(key);
    if (!p) {
      p = this.#doPrepare(loaded);
      this.#prepared.set(key, p);
      p.catch(() => this.#prepared.delete(key));
    }
    return p;
  }

  async #doPrepare(loaded: LoadedSkill): Promise<Prepared> {
    const v = loaded.version;
    const bundleDir = await materializeBundle(this.store, v.bundleDigest, join(this.#root, 'bundles'));
    const cacheDir = join(this.#root, 'build', v.bundleDigest.slice(7));
    await mkdir(cacheDir, { recursive: true, mode: 0o755 });
    const spec = await adapterFor(v.runtime.language).prepare({ bundleDir, entryPoint: v.runtime.entryPoint, cacheDir, log: (m) => this.log.info({ ref: loaded.ref }, m) });
    const of = (kind: string) => loaded.permissions.filter((p) => p.kind === kind).map((p) => p.value);
    const [domain] = loaded.ref.split('/') as [string];
    const perms: SkillPermissions = {
      ref: loaded.ref,
      domain,
      role: v.role,
      tools: of('tool'),
      apis: of('api'),
      secrets: of('secret'),
      sharedResources: of('shared_resource'),
      blockedResources: of('blocked_resource'),
      webFetchHosts: this.opts.webFetchHosts ?? [],
    };
    return { spec, bundleDir, perms, shared: await this.#allowedShared(domain, new PermissionGuard(perms)) };
  }

  #sharedDir(domain: string): string | undefined {
    if (!this.opts.sharedRoot) return undefined;
    const d = join(this.opts.sharedRoot, domain, 'shared');
    return existsSync(d) ? d : undefined;
  }

  /** Only the shared files the rules allow are mounted: a blocked file is absent from the sandbox, not just refused. */
  async #allowedShared(domain: string, guard: PermissionGuard): Promise<SandboxLayout['shared']> {
    const root = this.#sharedDir(domain);
    if (!root) return [];
    const out: SandboxLayout['shared'] = [];
    const walk = async (rel: string): Promise<void> => {
      for (const name of await readdir(join(root, rel))) {
        const r = rel ? `${rel}/${name}` : name;
        const s = await stat(join(root, r));
        const v = toVisible(`/shared/${r}`)!;
        if (s.isDirectory()) await walk(r);
        else if (s.isFile() && guard.resources.check(v).allowed) out.push({ host: join(root, r), sandbox: v.path });
      }
    };
    await walk('');
    return out;
  }

  async #worker(versionId: string, p: Prepared, rt: { memoryMb: number; timeoutMs: number }): Promise<Worker> {
    const warm = this.#pool.take(versionId);
    if (warm) return warm;
    this.#pool.reserve();
    const scratchDir = join(this.#root, 'scratch', randomUUID());
    this.#mkScratch(scratchDir);
    try {
      const w = await Worker.start(versionId, this.mode, p.spec, { bundleDir: p.bundleDir, scratchDir, shared: p.shared }, this.#limits(rt), this.opts.startTimeoutMs ?? 15_000);
      this.#scratch.set(w, scratchDir);
      return w;
    } catch (e) {
      this.#pool.forget();
      throw e;
    }
  }

  readonly #scratch = new WeakMap<Worker, string>();

  #scratchOf(w: Worker): string {
    return this.#scratch.get(w)!;
  }

  #mkScratch(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.getuid?.() === 0 && this.mode === 'bwrap') chownSync(dir, SANDBOX_UID, SANDBOX_UID);
  }

  #limits(rt: { memoryMb: number; timeoutMs: number }): SandboxLimits {
    // RLIMIT_NPROC counts every process and thread of the (shared) sandbox user: a platform-wide net, not a per-worker cap.
    return { memoryMb: rt.memoryMb, cpuSeconds: Math.max(1, Math.ceil((rt.timeoutMs / 1000) * 2)), maxProcesses: 4096, maxFileMb: 64, tmpMb: 64 };
  }

  #secretsFor(perms: SkillPermissions): Record<string, string> {
    const vault = this.opts.secrets ?? {};
    return Object.fromEntries(perms.secrets.filter((s) => vault[s] !== undefined).map((s) => [s, vault[s]!]));
  }

  #services(req: RunRequest, executionId: string, skillId: string, p: Prepared, rt: { memoryMb: number; timeoutMs: number }, scratchDir: string): HostServices {
    const db = this.registry.db;
    return {
      invoke: async (skill, input): Promise<SkillResult> => {
        const depth = (req.depth ?? 0) + 1;
        if (depth > MAX_INVOKE_DEPTH) throw new AsporaError('BAD_REQUEST', `invoke chain deeper than ${MAX_INVOKE_DEPTH}`);
        const child = await this.run({ ref: skill, input, trigger: 'invoke', parentExecutionId: executionId, depth, ...(req.environment ? { environment: req.environment } : {}), ...(req.workflowId ? { workflowId: req.workflowId } : {}) });
        if (child.error) throw new AsporaError(child.error.code as 'HANDLER_ERROR', `${skill} failed: ${child.error.message}`, { details: { executionId: child.id } });
        return child.result as SkillResult;
      },
      state: {
        get: async (key) => (await db.query<{ value: unknown }>('SELECT value FROM skill_state WHERE skill_id = $1 AND key = $2', [skillId, key]))[0]?.value,
        set: async (key, value) => {
          await db.query(
            `INSERT INTO skill_state (skill_id, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (skill_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
            [skillId, key, JSON.stringify(value ?? null)],
          );
        },
      },
      bash: (command, timeoutMs) => this.#bash(p, command, timeoutMs, rt, scratchDir),
    };
  }

  /** A sibling process in an identical sandbox (same view, limits and scratch), collecting its output. */
  #bash(p: Prepared, command: string, timeoutMs: number, rt: { memoryMb: number; timeoutMs: number }, scratchDir: string) {
    const spec: LaunchSpec = { mounts: [], command: ['/bin/sh', '-c', command], env: {} };
    const { child, channel } = launch(this.mode, spec, { bundleDir: p.bundleDir, scratchDir, shared: p.shared }, this.#limits(rt));
    channel.destroy();
    return new Promise<{ stdout: string; stderr: string; exitCode: number }>((resolve) => {
      let stdout = '';
      let stderr = '';
      const cap = 256 * 1024;
      child.stdout!.on('data', (d) => void (stdout.length < cap && (stdout += d)));
      child.stderr!.on('data', (d) => void (stderr.length < cap && (stderr += d)));
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
        stderr += `\n[aspora] killed after ${timeoutMs} ms`;
      }, timeoutMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, exitCode: code ?? (signal ? 128 + 9 : 1) });
      });
    });
  }
}

