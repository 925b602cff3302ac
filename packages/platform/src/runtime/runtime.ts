/**
 * The skill runtime: resolve the version, prepare it once, take a warm sandboxed worker (or start
 * one), run the handler with every host call checked by the permission guard and carried out by
 * host services, and record the execution before anyone sees its result. One failing handler
 * never affects another execution or the platform.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AsporaError } from '@aspora/sdk';
import { Redactor, type SecretValue } from '../secrets/redactor.ts';
import { SecretVault } from '../secrets/secrets.ts';
import type { ModelGateway, SkillModelPrefs } from '../gateway/gateway.ts';
import type { ModelCallRecord } from '../gateway/types.ts';
import type { PlatformApis } from '../integrations/apis.ts';
import type { WebFetchPolicy } from '../integrations/web-fetch.ts';
import { AddressPolicy } from '../integrations/address-policy.ts';
import { guardedDispatcher } from '../integrations/guarded-dispatcher.ts';
import type { ExecutionRecord, LogEntry } from '../observe/executions.ts';
import { getExecution, listExecutions, type ListExecutionsOptions } from '../observe/executions.ts';
import { causeWithErrorId, errorForLog, internalError } from '../observe/internal-error.ts';
import type { Logger } from '../observe/logger.ts';
import { ExecutionRecorder, type ExecutionSink, type RecordRow } from '../observe/recorder.ts';
import { RecordJournal } from '../observe/record-journal.ts';
import type { LoadedSkill, SkillRegistry } from '../registry/index.ts';
import type { BundleStore } from '../store/index.ts';
import { SkillAccess } from '../access/skill-access.ts';
import type { ExecutionTrace, PlatformTracer, SpanContextRef } from '../observe/tracing/index.ts';
import { hostCalls, type CallRecord } from './host/dispatch.ts';
import { executionServices } from './host/services.ts';
import { PermissionGuard } from './policy/guard.ts';
import { checkInvoke, type Invoker } from './policy/invoke.ts';
import type { AuditInput } from '../audit/entry.ts';
import { DEFAULT_ROLES, type RoleRules } from './policy/roles.ts';
import { valueDeeperThan } from './protocol/json-depth.ts';
import { LIMITS } from './protocol/limits.ts';
import { boundOutcome, LogBudget } from './record-bounds.ts';
import { WorkerPool, type PoolLimits } from './pool.ts';
import { prepareVersion, type Prepared } from './prepare.ts';
import { sharedBundleOf } from '../shared/link.ts';
import { SkillResolver } from './resolver.ts';
import { chooseForRun, ReleaseRouter } from '../releases/router.ts';
import { ReleaseStore } from '../releases/store.ts';
import { ShadowRunner } from '../releases/shadow.ts';
import type { ReleaseRouting } from '../releases/types.ts';
import { runSkillTests, type SkillTestRun } from './skill-tests.ts';
import { cgroupManager, type CgroupManager } from './sandbox/cgroup.ts';
import { chooseSandbox, probeBwrap, type SandboxMode } from './sandbox/detect.ts';
import { removeTree } from './sandbox/remove.ts';
import { resetWorker } from './sandbox/reset.ts';
import { makeWorkerDirs, scratchRoot } from './sandbox/scratch.ts';
import { SparePool } from './sandbox/spares.ts';
import type { SandboxLimits } from './sandbox/launch.ts';
import { Worker, type Outcome } from './worker.ts';
import { StateStore } from '../state/store.ts';
import { callerOf, endUserOf, type ExecutionUser } from './end-user.ts';

export interface RuntimeDeps {
  registry: SkillRegistry;
  store: BundleStore;
  log: Logger;
  /** Spans of executions, their model and tool calls (OTLP and the local spans table). */
  tracer?: PlatformTracer;
  recorder?: ExecutionSink;
  vault?: SecretVault;
  apis?: PlatformApis;
  gateway?: ModelGateway;
  /** Where a handler's denied host calls are audited (each names the skill, the resource and the rule). */
  audit?: { record(e: AuditInput): Promise<unknown> };
  /** Which version of an environment runs an execution while a release is in flight (default: read from the registry's database). */
  releases?: ReleaseRouting;
  /** Judges a shadow release after each comparison (releases/shadow-judge.ts); absent: comparisons are only recorded. */
  shadowJudge?: (releaseId: number) => Promise<unknown>;
}

export interface RuntimeOptions {
  dataDir: string;
  /** Root of shared resources: `<root>/<domain>/shared/…` (examples/skills when `aspora up` runs the examples). */
  sharedRoot?: string | undefined;
  pool?: Partial<PoolLimits>;
  webFetch?: Partial<Omit<WebFetchPolicy, 'dispatcher'>> & {
    allowHosts?: string[];
    /** Internal addresses WebFetch may still connect to (web_fetch.allow_private): `ip`, `ip:port`, CIDR. */
    allowPrivate?: string[];
  };
  /** Role rules (aspora.platform.yaml `roles:`): what roles never read, which roles they may invoke. Default: seed 003's. */
  roles?: RoleRules;
  /** Fixed secret values (tests, embedded use); the vault's sources otherwise. */
  secrets?: Record<string, string>;
  startTimeoutMs?: number;
  /** How long an environment's version is cached before the registry is asked again. */
  resolveTtlMs?: number;
  /** Processes and threads per worker (cgroup pids.max). */
  maxProcesses?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunRequest {
  ref: string;
  /** The execution's id when it was given one before it ran (a queued execution: its row exists). */
  executionId?: string;
  input: Record<string, unknown>;
  environment?: 'staging' | 'production';
  version?: string;
  trigger?: string;
  /** The end user the execution runs for (the authenticated caller, or whom an act-as token names); none: no user. */
  user?: ExecutionUser;
  /** Who called: a user's email or `service:<team>/<token>`; differs from the user when a channel acts on a user's behalf. */
  caller?: string;
  /** Where the work came from (its event id, its channel), recorded so the result can go back there. */
  source?: { eventId?: string | undefined; channel?: string | undefined };
  workflowId?: string;
  parentExecutionId?: string;
  /** A child execution continues its parent's trace. */
  traceParent?: SpanContextRef;
  /** Depth of context.invoke chains, to stop runaway recursion. */
  depth?: number;
  /** A child execution keeps scrubbing its parent's secrets from its own record. */
  redactor?: Redactor;
  /** The skill whose context.invoke asks for this execution: role rules and visibility are checked against it. */
  invoker?: Invoker;
  /**
   * A shadow run (issue 17): the candidate of release `releaseId` on stable execution
   * `stableExecutionId`'s input, recorded as variant 'shadow'. It writes only to shadow targets
   * (releases/targets.ts).
   */
  shadowOf?: { releaseId: number; stableExecutionId: string };
}

export interface RuntimeEvents {
  /** A finished execution, with its host calls. */
  execution: [ExecutionRecord, CallRecord[]];
  /** A log line as the handler writes it (for `aspora logs --follow`). */
  log: [{ ref: string; executionId: string; entry: LogEntry }];
  /** context.metrics.set of a metric the skill declares (monitoring.custom_metrics); undeclared ones are dropped. */
  metric: [{ ref: string; executionId: string; name: string; value: number; kind: 'gauge' | 'counter' | 'histogram' }];
}

/** How long the platform's own credentials (to scrub) are kept before the vault is read again (a rotated file). */
const CREDENTIALS_TTL_MS = 10_000;
/** What the host-side Write tool may write per execution (the sandbox's own writes count against its memory). */
const WRITE_BUDGET_BYTES = 64 * 1024 * 1024;
const SANDBOX_UID = 65534;
/** A run this long gets its row written while it runs (visible, and linked children can reference it). */
const VISIBLE_AFTER_MS = 2_000;

export class SkillRuntime extends EventEmitter<RuntimeEvents> {
  /** 'none': no usable sandbox and no opt-out: the platform serves, but runs no handler. */
  readonly mode: SandboxMode | 'none';
  readonly #unavailable: AsporaError | undefined;
  readonly cgroups: CgroupManager | undefined;
  readonly recorder: ExecutionSink;
  /** The owner teams' state tables (context.state.table), under row-level security. */
  readonly state: StateStore;
  readonly #pool: WorkerPool<Worker>;
  readonly #prepared = new Map<string, Promise<Prepared>>();
  /** Versions whose preparation has finished: a run of one waits for no build. */
  readonly #ready = new Set<string>();
  /** ref → ids of its versions that have been prepared here (their workers may be warm). */
  readonly #versions = new Map<string, Set<string>>();
  readonly #resolver: SkillResolver;
  readonly #releases: ReleaseRouting;
  /** Candidates of shadow releases, run beside stable after its run (releases/shadow.ts). */
  readonly shadows: ShadowRunner;
  /** Owner and visibility of skills (context.invoke sees what the calling skill's team sees). */
  readonly #skills: SkillAccess;
  readonly #spares: SparePool | undefined;
  readonly #vault: SecretVault;
  readonly #root: string;
  readonly #scratch: string;
  readonly #running = new Map<string, ExecutionRecord>();
  /** WebFetch's connections, checked address by address at connect time; one pool for all executions. */
  readonly #webFetch: WebFetchPolicy;
  #credentials: { at: number; values: SecretValue[] } | undefined;
  /** Redactors by the secrets they scrub: built once, not per execution. */
  readonly #redactors = new Map<string, Redactor>();
  #closed = false;

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly opts: RuntimeOptions,
  ) {
    super();
    let mode: SandboxMode | 'none' = 'none';
    try {
      mode = chooseSandbox(opts.env);
    } catch (e) {
      this.#unavailable = e as AsporaError;
      deps.log.error(
        { code: this.#unavailable.code, hint: this.#unavailable.hint },
        `${this.#unavailable.message}: skills cannot run on this platform`,
      );
    }
    this.mode = mode;
    if (this.mode === 'unsafe')
      deps.log.warn(
        'ASPORA_UNSAFE_NO_SANDBOX=1: skill handlers run WITHOUT a sandbox (no isolation of files, network or processes). Never use this in production.',
      );
    this.cgroups = this.mode === 'bwrap' ? cgroupManager(opts.env) : undefined;
    this.#spares = this.cgroups ? new SparePool(this.cgroups) : undefined;
    this.#spares?.warm();
    const hardening = this.mode === 'bwrap' ? probeBwrap().warning : undefined;
    if (hardening) deps.log.warn(hardening);
    if (this.mode === 'bwrap' && !this.cgroups)
      deps.log.warn(
        'no writable cgroups: per-worker memory and process caps fall back to rlimits (address space, per-user process count)',
      );
    this.state = new StateStore(deps.registry.db);
    this.recorder =
      deps.recorder ??
      new ExecutionRecorder(
        deps.registry.db,
        deps.log,
        () => this.#running.size,
        new RecordJournal(join(opts.dataDir, 'journal')),
      );
    const vault = deps.vault ?? new SecretVault({}, {});
    this.#vault = opts.secrets ? vault.withFixed(opts.secrets) : vault;
    this.#resolver = new SkillResolver(deps.registry, opts.resolveTtlMs);
    this.#releases =
      deps.releases ??
      new ReleaseRouter(new ReleaseStore(deps.registry.db), opts.resolveTtlMs, (l) =>
        deps.registry.onEnvironmentChange(l),
      );
    this.shadows = new ShadowRunner({
      db: deps.registry.db,
      log: deps.log,
      run: (r) => this.run(r),
      state: this.state,
      settled: () => this.recorder.settled?.() ?? Promise.resolve(),
      ...(deps.shadowJudge ? { judge: deps.shadowJudge } : {}),
    });
    this.#skills = new SkillAccess(deps.registry.db);
    this.#root = join(opts.dataDir, 'runtime');
    // Traversable by the sandbox user; each worker's scratch folder below is private to it.
    mkdirSync(this.#root, { recursive: true, mode: 0o755 });
    this.#scratch = scratchRoot(opts.dataDir, opts.env).dir;
    this.#webFetch = {
      maxBytes: (opts.webFetch?.maxBytes ?? 2) * 1024 * 1024,
      timeoutMs: opts.webFetch?.timeoutMs ?? 10_000,
      dispatcher: guardedDispatcher(new AddressPolicy(opts.webFetch?.allowPrivate ?? []), {
        connectTimeoutMs: opts.webFetch?.timeoutMs ?? 10_000,
      }),
    };
    this.#pool = new WorkerPool<Worker>({
      maxWorkers: 16,
      maxMemoryMb: 8192,
      maxIdlePerVersion: 4,
      idleTimeoutMs: 600_000,
      queueTimeoutMs: 30_000,
      ...opts.pool,
    });
  }

  async run(req: RunRequest): Promise<ExecutionRecord> {
    if (this.#closed) throw new AsporaError('UNAVAILABLE', 'the runtime is shutting down');
    if (this.#unavailable) throw this.#unavailable;
    // Before anything serialises it (a deep input overflowed JSON.stringify with the worker already busy).
    if (valueDeeperThan(req.input, LIMITS.valueDepth)) {
      throw new AsporaError('BAD_REQUEST', `the execution input is nested deeper than ${LIMITS.valueDepth} levels`, {
        hint: `nest objects and arrays at most ${LIMITS.valueDepth} levels deep`,
      });
    }
    let loaded = await this.#resolver.load(
      req.ref,
      req.version ? { version: req.version } : { environment: req.environment ?? 'production' },
    );
    // A release in flight: the split (or shadow) chooses stable or the canary, once, pinned (releases/).
    const release = await chooseForRun(this.#releases, loaded.ref, req);
    if (release && release.version !== loaded.version.version)
      loaded = await this.#resolver.load(loaded.ref, { version: release.version });
    const v = loaded.version;
    // Before anything of the target is prepared or recorded: a refused invoke leaves no trace of it.
    if (req.invoker) await checkInvoke(this.#skills, this.opts.roles ?? DEFAULT_ROLES, req.invoker, loaded);
    // A skill paused by its monthly model budget does not start (the gateway would refuse its calls).
    if (v.model.monthlyLimit && this.deps.gateway) {
      const b = await this.deps.gateway.budgets.status({
        ref: loaded.ref,
        monthlyLimit: v.model.monthlyLimit,
        shadow: !!req.shadowOf,
      });
      if (b.mode === 'paused') {
        throw new AsporaError(
          'BUDGET_EXCEEDED',
          `skill ${loaded.ref} is paused: it spent $${b.spent.toFixed(2)} of its $${b.limit!.toFixed(2)} monthly model budget`,
          {
            hint: `it runs again next month, or when an admin lifts it: aspora budget lift ${loaded.ref}`,
            details: { skill: loaded.ref, period: b.period, spent: b.spent, limit: b.limit },
          },
        );
      }
    }
    const ready = this.#ready.has(v.id);
    const preparing = performance.now();
    const prepared = await this.#prepare(loaded).catch((e: unknown) => {
      throw e instanceof AsporaError ? e : internalError(this.deps.log, e, { ref: loaded.ref, during: 'prepare' });
    });
    // Apart from durationMs (the handler's run): the first run of a Go version waits seconds for its build.
    const buildMs = ready ? null : Math.round(performance.now() - preparing);
    const [domain, name] = loaded.ref.split('/') as [string, string];
    const input: Record<string, unknown> = {
      userMessage: '',
      ...req.input,
      metadata: obj(req.input.metadata),
      domain: typeof req.input.domain === 'string' ? req.input.domain : domain,
    };
    // Its owner team's own secrets first, then the platform's (a cached lookup: no query per run).
    const secrets = await this.#vault.forSkill(v.ownerTeam, prepared.perms.secrets);
    // Every secret handed to this execution (and its parent's) and every platform credential: scrubbed from all it records.
    const redactor = this.#redactor(secrets, req.redactor);
    // The end user as the handler sees it: its five fields, each bounded.
    const user = req.user ? endUserOf(req.user) : null;
    const record: ExecutionRecord = {
      id: req.executionId ?? randomUUID(),
      ref: loaded.ref,
      version: v.version,
      environment: req.version ? null : (req.environment ?? 'production'),
      trigger: req.trigger ?? 'api',
      // Who the platform authenticated, never a field of the input (anyone can write one there).
      userId: user?.email || null,
      caller: callerOf(req.caller),
      sourceEventId: callerOf(req.source?.eventId),
      channel: callerOf(req.source?.channel),
      workflowId: req.workflowId ?? null,
      parentExecutionId: req.parentExecutionId ?? null,
      startedAt: new Date().toISOString(),
      completedAt: null,
      durationMs: null,
      success: null,
      error: null,
      input: redactor.value(input),
      result: null,
      logs: [],
      hostCalls: 0,
      deniedCalls: 0,
      model: { calls: 0, promptTokens: 0, completionTokens: 0, cost: 0, providers: [] },
      buildMs,
      ...(req.shadowOf
        ? { releaseId: req.shadowOf.releaseId, variant: 'shadow' as const }
        : release
          ? { releaseId: release.releaseId, variant: release.variant }
          : {}),
    };
    const modelCalls: ModelCallRecord[] = [];
    const row: RecordRow = { record, skillId: loaded.skillId, versionId: v.id, modelCalls };
    const trace: ExecutionTrace | undefined = this.deps.tracer?.startExecution({
      executionId: record.id,
      ref: loaded.ref,
      domain,
      version: v.version,
      ...(record.variant ? { releaseVariant: record.variant, releaseId: record.releaseId! } : {}),
      trigger: record.trigger,
      userId: record.userId,
      caller: record.caller,
      workflowId: record.workflowId,
      startTime: Date.parse(record.startedAt),
      ...(req.traceParent ? { parent: req.traceParent } : {}),
    });
    this.#running.set(record.id, record);
    const visible = setTimeout(() => void this.recorder.ensureStarted(row).catch(() => undefined), VISIBLE_AFTER_MS);

    const started = performance.now();
    const calls: CallRecord[] = [];
    const guard = new PermissionGuard(prepared.perms);
    let outcome: Outcome;
    let worker: Worker | undefined;
    const services = executionServices({
      runtime: this,
      req,
      row,
      guard,
      prepared,
      mode: this.mode as SandboxMode,
      limits: this.#limits(v.runtime),
      deps: this.deps,
      webFetch: this.#webFetch,
      prefs: modelPrefs(v),
      ownerTeam: v.ownerTeam,
      worker: () => worker,
      trace,
      redactor,
      onModelCall: (m) => {
        const c = redactor.active
          ? { ...m, requestedModel: redactor.text(m.requestedModel), model: redactor.text(m.model) }
          : m;
        modelCalls.push(c);
        if (trace) {
          const end = Date.now();
          trace.modelCall({ ...c, startTime: end - c.latencyMs, endTime: end });
        }
        const providers = record.model.providers!.includes(c.provider)
          ? record.model.providers!
          : [...record.model.providers!, c.provider];
        if (c.ok)
          record.model = {
            calls: record.model.calls + 1,
            promptTokens: record.model.promptTokens + c.promptTokens,
            completionTokens: record.model.completionTokens + c.completionTokens,
            cost: record.model.cost + c.cost,
            providers,
          };
        else record.model = { ...record.model, providers };
      },
    });
    const logs = new LogBudget(redactor);
    try {
      worker = await this.#pool.acquire(v.id, v.runtime.memoryMb, () => this.#startWorker(v.id, prepared, v.runtime));
      const view = {
        bundleDir: prepared.bundleDir,
        scratchDir: worker.scratchDir,
        writeBudget: { bytes: WRITE_BUDGET_BYTES },
        writes: new Set<Promise<unknown>>(),
        ...(prepared.sharedDir ? { sharedDir: prepared.sharedDir } : {}),
      };
      outcome = await worker.execute(
        record.id,
        {
          executionId: record.id,
          input,
          skill: { domain, name, role: v.role, version: v.version },
          user,
          secrets,
        },
        {
          call: this.#guarded(
            hostCalls(
              guard,
              view,
              services,
              calls,
              trace
                ? (c) =>
                    trace.toolCall({
                      op: c.op,
                      ...(c.name ? { name: redactor.text(c.name) } : {}),
                      ok: c.ok,
                      ...(c.code ? { code: c.code } : {}),
                      startTime: Date.now() - c.ms,
                      endTime: Date.now(),
                    })
                : undefined,
            ),
            { execution: record.id, ref: loaded.ref },
            redactor,
          ),
          log: (e: LogEntry) => {
            // Cut to size and scrubbed before anyone (a live follower) sees it.
            const bounded = logs.admit(e);
            if (!bounded) return;
            const entry = { ...bounded, at: new Date().toISOString() };
            record.logs.push(entry);
            if (this.listenerCount('log')) this.emit('log', { ref: loaded.ref, executionId: record.id, entry });
          },
          metric: (metric, value) => {
            const kind = prepared.customMetrics.get(metric);
            if (kind) this.emit('metric', { ref: loaded.ref, executionId: record.id, name: metric, value, kind });
          },
        },
        v.runtime.timeoutMs,
      );
      // Its Bash commands end and its Writes land first: nothing of this execution but the worker may write during the reset.
      services.close();
      await Promise.allSettled(view.writes);
      if (worker.alive && !(await resetWorker(worker))) worker.kill();
    } catch (e) {
      // A raw error's message (host paths, internals) goes to the server log under an error id, not to the caller.
      const ctx = { execution: record.id, ref: loaded.ref };
      const err =
        e instanceof AsporaError
          ? causeWithErrorId(this.deps.log, e, ctx, redactor)
          : internalError(this.deps.log, e, ctx, redactor);
      outcome = {
        ok: false,
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      };
    } finally {
      clearTimeout(visible);
      services.close();
      if (worker) this.#pool.release(worker);
    }

    // What is recorded, returned and logged from here on is cut to size and scrubbed of secrets.
    outcome = boundOutcome(outcome, redactor);
    const note = logs.note();
    if (note) record.logs.push({ ...note, at: new Date().toISOString() });
    record.completedAt = new Date().toISOString();
    record.durationMs = Math.round(performance.now() - started);
    record.success = outcome.ok ? outcome.result.success : false;
    record.result = outcome.ok ? outcome.result : null;
    record.error = outcome.ok
      ? null
      : {
          code: String(outcome.error.code),
          message: outcome.error.message,
          ...(outcome.error.details ? { details: outcome.error.details } : {}),
        };
    record.hostCalls = calls.length;
    record.deniedCalls = calls.filter((c) => c.code === 'PERMISSION_DENIED').length;
    // A handler's denials are audited, at most ten per execution (a loop of denied calls is one story).
    for (const c of calls.filter((x) => x.denial).slice(0, 10))
      void this.deps.audit
        ?.record({
          actor: `skill:${loaded.ref}`,
          action: 'access.denied',
          target: c.name ?? c.op,
          outcome: 'denied',
          details: {
            execution: record.id,
            ...(record.userId ? { user: record.userId } : {}),
            op: c.op,
            reason: redactor.text(c.denial!),
          },
        })
        .catch(() => {}); // logged by the audit log
    this.#running.delete(record.id);
    trace?.end({
      success: record.success,
      errorCode: record.error?.code ?? null,
      errorMessage: record.error?.message ?? null,
      endTime: Date.parse(record.completedAt),
      modelCost: record.model.cost,
      promptTokens: record.model.promptTokens,
      completionTokens: record.model.completionTokens,
    });
    try {
      await this.recorder.finish(row);
    } catch (e) {
      // The run happened (its effects too): report it, and say loudly that it is not on record.
      this.deps.log.error(
        { execution: record.id, ref: loaded.ref, err: errorForLog(e, redactor) },
        'execution finished but its record could not be written',
      );
    }
    if (!outcome.ok)
      this.deps.log.info({ execution: record.id, ref: loaded.ref, code: outcome.error.code }, outcome.error.message);
    // Shadow mode: the candidate runs on the same input once stable's record is written, detached.
    if (release?.shadow) this.shadows.start(req, record, { releaseId: release.releaseId, ...release.shadow });
    this.emit('execution', record, calls);
    return record;
  }

  /** A running execution, or one whose row is on its way to the database (from memory), else the record. */
  async getExecution(id: string): Promise<ExecutionRecord | undefined> {
    const live = this.#running.get(id);
    if (live) return { ...live, status: 'running' };
    const pending = this.recorder.pending?.(id);
    if (pending) return { ...pending, status: pending.success ? 'done' : 'error' };
    return getExecution(this.deps.registry.db, id);
  }

  /** Includes the executions of this process whose rows were still on their way. */
  async listExecutions(o: ListExecutionsOptions): Promise<ExecutionRecord[]> {
    await this.recorder.settled?.();
    return listExecutions(this.deps.registry.db, o);
  }

  /** Loads a skill version the way run() does (for `aspora test` of a deployed version). */
  async prepared(
    ref: string,
    target: { environment?: string; version?: string },
  ): Promise<{ loaded: LoadedSkill; prepared: Prepared }> {
    const loaded = await this.#resolver.load(ref, target);
    return { loaded, prepared: await this.#prepare(loaded) };
  }

  /** The skill's unit tests (tests/unit) of a deployed version, in the sandbox its handler runs in. */
  async testSkill(
    ref: string,
    target: { environment?: string; version?: string },
    onOutput?: (chunk: string) => void,
  ): Promise<SkillTestRun & { ref: string; version: string }> {
    if (this.#unavailable) throw this.#unavailable;
    const { loaded, prepared } = await this.prepared(ref, target);
    const v = loaded.version;
    const run = await runSkillTests(
      {
        bundleDir: prepared.bundleDir,
        language: v.runtime.language,
        entryPoint: v.runtime.entryPoint,
        cacheDir: join(this.#root, 'build', v.bundleDigest.slice(7)),
        memoryMb: v.runtime.memoryMb,
        shared: prepared.shared,
      },
      {
        mode: this.mode as SandboxMode,
        scratchRoot: this.#scratch,
        cgroups: this.cgroups,
        ...(onOutput ? { onOutput } : {}),
      },
    );
    return { ...run, ref: loaded.ref, version: v.version };
  }

  get stats() {
    return {
      workers: this.#pool.size,
      idle: this.#pool.idle,
      waiting: this.#pool.waiting,
      memoryMb: this.#pool.memoryMb,
      running: this.#running.size,
    };
  }

  /** Pre-joined launchers for cold starts (the benchmark starts workers the same way). */
  get spares(): SparePool | undefined {
    return this.#spares;
  }

  get warmWorkers(): number {
    return this.#pool.size;
  }

  get root(): string {
    return this.#root;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.shadows.stop();
    this.#spares?.close();
    this.#pool.close();
    await (this.recorder.close ? this.recorder.close() : this.recorder.drain());
    await removeTree(this.#scratch);
    await this.#webFetch.dispatcher.close();
  }

  /** Host calls whose unexpected errors reach the handler as INTERNAL with an error id (the detail is logged). */
  #guarded(
    call: (op: string, args: Record<string, unknown>) => Promise<unknown>,
    ctx: Record<string, unknown>,
    redactor: Redactor,
  ) {
    return (op: string, args: Record<string, unknown>) =>
      call(op, args).catch((e: unknown) => {
        throw e instanceof AsporaError ? e : internalError(this.deps.log, e, { ...ctx, op }, redactor);
      });
  }

  /** A redactor of these secrets, the parent's, and the platform's own credentials. */
  #redactor(secrets: Record<string, string>, parent: Redactor | undefined): Redactor {
    const now = Date.now();
    if (!this.#credentials || now - this.#credentials.at > CREDENTIALS_TTL_MS) {
      this.#credentials = {
        at: now,
        values: [...this.#vault.reservedValues(), ...(this.deps.apis?.credentials() ?? [])],
      };
    }
    const values = [...this.#credentials.values, ...(parent?.secrets ?? [])];
    for (const name in secrets) values.push({ name, value: secrets[name]! });
    if (!values.length) return Redactor.NONE;
    const key = values.map((x) => `${x.name}\0${x.value}`).join('\0\0');
    let r = this.#redactors.get(key);
    if (!r) {
      if (this.#redactors.size >= 256) this.#redactors.clear();
      this.#redactors.set(key, (r = new Redactor(values)));
    }
    return r;
  }

  /** Limits of a worker (and of the Bash processes beside it) from the skill's runtime section. */
  #limits(rt: { memoryMb: number; timeoutMs: number; cpu: number }): SandboxLimits {
    return {
      memoryMb: rt.memoryMb,
      cpu: rt.cpu,
      // CPU seconds over the worker's whole life (it is reused); the wall-clock timeout is per execution.
      cpuSeconds: Math.max(60, Math.ceil((rt.timeoutMs / 1000) * 100)),
      maxProcesses: this.opts.maxProcesses ?? 128,
      maxFileMb: 64,
      tmpMb: 64,
    };
  }

  /** Stops the idle warm workers of every version of a skill (busy ones finish their execution first). */
  retire(ref: string): void {
    for (const id of this.#versions.get(ref) ?? []) this.#pool.retire(id);
  }

  #prepare(loaded: LoadedSkill): Promise<Prepared> {
    // Builds run in the sandbox too: without one (and no opt-out) nothing is built.
    if (this.#unavailable) return Promise.reject(this.#unavailable);
    const key = loaded.version.id;
    let p = this.#prepared.get(key);
    if (!p) {
      this.#versions.set(loaded.ref, (this.#versions.get(loaded.ref) ?? new Set()).add(key));
      p = prepareVersion(loaded, {
        store: this.deps.store,
        root: this.#root,
        sharedRoot: this.opts.sharedRoot,
        sharedBundle: (id) => sharedBundleOf(this.deps.registry.db, id),
        webFetchHosts: this.opts.webFetch?.allowHosts ?? [],
        roles: this.opts.roles ?? DEFAULT_ROLES,
        sandbox: { mode: this.mode as SandboxMode, cgroups: this.cgroups },
        log: (ref, msg) => this.deps.log.info({ ref }, msg),
      });
      this.#prepared.set(key, p);
      p.then(
        () => this.#ready.add(key),
        () => this.#prepared.delete(key),
      );
    }
    return p;
  }

  async #startWorker(
    versionId: string,
    p: Prepared,
    rt: { memoryMb: number; timeoutMs: number; cpu: number },
  ): Promise<Worker> {
    const { home, ...dirs } = makeWorkerDirs(
      this.#scratch,
      process.getuid?.() === 0 && this.mode === 'bwrap' ? SANDBOX_UID : undefined,
    );
    try {
      return await Worker.start({
        key: versionId,
        mode: this.mode as SandboxMode,
        spec: p.spec,
        layout: { bundleDir: p.bundleDir, ...dirs, shared: p.shared },
        home,
        limits: this.#limits(rt),
        startTimeoutMs: this.opts.startTimeoutMs ?? 15_000,
        cgroups: this.cgroups,
        spares: this.#spares,
      });
    } catch (e) {
      await removeTree(home);
      throw e;
    }
  }
}

/** The skill's model section as the gateway reads it. */
export function modelPrefs(v: LoadedSkill['version']): SkillModelPrefs {
  const m = v.model;
  const cfg = (v.config as { model?: { cache_responses?: boolean } } | null)?.model;
  return {
    primary: m.primary ?? undefined,
    fallback: m.fallback ?? undefined,
    temperature: m.temperature ?? undefined,
    maxTokens: m.maxTokens ?? undefined,
    cacheResponses: cfg?.cache_responses,
    maxPerExecution: m.maxCostPerExecution ?? undefined,
    monthlyLimit: m.monthlyLimit ?? undefined,
  };
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
