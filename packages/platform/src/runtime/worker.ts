/**
 * One sandboxed worker process: started once per skill version, runs one execution at a time,
 * answers its host calls, and is killed (with its whole process tree) on timeout, protocol
 * violation or crash. Whatever happens, `execute` resolves with an outcome; it never throws.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { AsporaError, type ErrorCode, type SkillResult } from '@aspora/sdk';
import type { LogEntry } from '../observe/executions.ts';
import type { LaunchSpec } from './languages/types.ts';
import type { CgroupManager, WorkerCgroup } from './sandbox/cgroup.ts';
import { reapLeftovers } from './sandbox/reap.ts';
import { cleanUpAfter } from './sandbox/reset.ts';
import type { SparePool } from './sandbox/spares.ts';
import { readLines, writeMessage, type Message } from './protocol/lines.ts';
import { parseResult } from './protocol/result.ts';
import { launch, type SandboxLayout, type SandboxLimits } from './sandbox/launch.ts';
import type { SandboxMode } from './sandbox/detect.ts';

export interface ExecutionFailure {
  code: ErrorCode | string;
  message: string;
  details?: Record<string, unknown>;
}

export type Outcome = { ok: true; result: SkillResult } | { ok: false; error: ExecutionFailure };

export type { LogEntry };

export interface WorkerStart {
  /** The skill version this worker serves (pool key). */
  key: string;
  mode: SandboxMode;
  spec: LaunchSpec;
  layout: SandboxLayout;
  limits: SandboxLimits;
  startTimeoutMs: number;
  cgroups?: CgroupManager | undefined;
  /** The folder holding the worker's writable folders, removed when it ends (default: its scratch folder). */
  home?: string;
  /** Shells already in fresh cgroups: a cold start skips the wait of joining one. */
  spares?: SparePool | undefined;
}

/** A custom tool the handler exports (listed in its ready message). */
export interface ExportedTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface ExecutionHooks {
  call(op: string, args: Record<string, unknown>): Promise<unknown>;
  log(entry: LogEntry): void;
  metric(name: string, value: number): void;
}

interface Running {
  exec: string;
  hooks: ExecutionHooks;
  done: (o: Outcome) => void;
  timer: NodeJS.Timeout;
}

const MAX_OUTPUT_LOG = 64 * 1024;

export class Worker {
  #running: Running | undefined;
  #dead = false;
  #exitWhy = '';
  #outputBytes = 0;
  lastUsed = Date.now();
  executions = 0;
  tools: ExportedTool[] = [];
  /** The worker's pid inside its sandbox (from `ready`). */
  #nsPid = 0;
  #mapStack: ((stack: string) => string) | undefined;
  readonly startedAt = performance.now();

  private constructor(
    readonly key: string,
    readonly memoryMb: number,
    /** The host folders of its /scratch, /tmp and /dev/shm: Bash beside it mounts the same; emptied between executions. */
    readonly dirs: Pick<SandboxLayout, 'scratchDir' | 'tmpDir' | 'shmDir'>,
    private readonly child: ChildProcess,
    private readonly channel: Socket,
    readonly cgroup: WorkerCgroup | undefined,
  ) {}

  static start(o: WorkerStart): Promise<Worker> {
    const caps = { memoryMb: o.limits.memoryMb, maxProcesses: o.limits.maxProcesses, cpu: o.limits.cpu };
    const spare = o.spares?.take();
    const cgroup = spare?.cgroup ?? o.cgroups?.create(`w-${randomUUID()}`, caps);
    let launched;
    try {
      if (spare) {
        spare.cgroup.setLimits(caps);
        launched = spare.start(o.mode, o.spec, o.layout, o.limits);
      } else launched = launch(o.mode, o.spec, o.layout, o.limits, cgroup);
    } catch (e) {
      if (spare) spare.child.kill('SIGKILL');
      void cgroup?.remove();
      throw e;
    }
    const { child, channel } = launched;
    const w = new Worker(o.key, o.limits.memoryMb, { scratchDir: o.layout.scratchDir, tmpDir: o.layout.tmpDir, shmDir: o.layout.shmDir }, child, channel, cgroup);
    w.#mapStack = o.spec.mapStack;
    // After the exit handlers have read the group's OOM counters.
    child.once('exit', () => setImmediate(() => void cleanUpAfter(cgroup, o.home ?? o.layout.scratchDir)));
    const startTimeoutMs = o.startTimeoutMs;
    return new Promise((resolve, reject) => {
      let stderr = '';
      const onErr = (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000));
      child.stderr!.on('data', onErr);
      const fail = (code: ErrorCode, message: string) => {
        clearTimeout(timer);
        w.kill();
        reject(new AsporaError(code, message, { hint: 'run the skill\'s tests (aspora test) to see the handler load' }));
      };
      const timer = setTimeout(() => fail('HANDLER_LOAD_FAILED', `worker did not start within ${startTimeoutMs} ms${stderr ? `: ${stderr.trim()}` : ''}`), startTimeoutMs);
      child.once('error', (e) => fail('SANDBOX_UNAVAILABLE', `cannot start the worker: ${e.message}`));
      child.once('exit', (code, signal) => fail('HANDLER_LOAD_FAILED', `worker exited before it was ready (${signal ?? `exit ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`));
      readLines(
        channel,
        (m) => {
          if (m.t === 'ready') {
            clearTimeout(timer);
            if (Array.isArray(m.tools)) w.tools = (m.tools as ExportedTool[]).filter((t) => t && typeof t.name === 'string');
            if (typeof m.pid === 'number') w.#nsPid = m.pid;
            child.removeAllListeners('exit');
            child.removeAllListeners('error');
            child.stderr!.off('data', onErr);
            w.#attach();
            resolve(w);
          } else if (m.t === 'fatal') {
            const e = (m.error ?? {}) as { message?: string };
            fail('HANDLER_LOAD_FAILED', e.message ?? 'the handler could not be loaded');
          } else w.#onMessage(m);
        },
        (why) => (w.#running ? w.#fail('PROTOCOL_ERROR', `the worker broke the protocol: ${why}`) : fail('PROTOCOL_ERROR', why)),
      );
    });
  }

  get alive(): boolean {
    return !this.#dead;
  }

  get busy(): boolean {
    return this.#running !== undefined;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get scratchDir(): string {
    return this.dirs.scratchDir;
  }

  execute(exec: string, context: Record<string, unknown>, hooks: ExecutionHooks, timeoutMs: number): Promise<Outcome> {
    if (this.#dead) return Promise.resolve({ ok: false, error: { code: 'WORKER_CRASHED', message: `worker is gone: ${this.#exitWhy}` } });
    if (this.#running) throw new Error('worker is busy'); // the pool never does this
    this.executions++;
    this.#outputBytes = 0;
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => this.#fail('TIMEOUT', `the handler did not finish within ${timeoutMs} ms (runtime.timeout); it was killed`), timeoutMs);
      this.#running = {
        exec,
        hooks,
        timer,
        done: (o) => {
          clearTimeout(timer);
          this.#running = undefined;
          this.lastUsed = Date.now();
          // Processes the handler left behind are killed; a worker that had any is not reused
          // either (their zombies, open files and threads would weigh on the next execution).
          if (!this.#dead && this.cgroup && this.child.pid && this.#nsPid && reapLeftovers(this.cgroup, this.child.pid, this.#nsPid) > 0) this.kill();
          resolve(o);
        },
      };
      writeMessage(this.channel, { t: 'execute', exec, context });
    });
  }

  kill(): void {
    if (this.#dead) return;
    this.#dead = true;
    try {
      // Negative pid: the whole process group (prlimit → bwrap → the sandbox's pid namespace).
      if (this.child.pid) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    // And whatever is in its cgroup, should anything have left the group or the namespace.
    this.cgroup?.killAll();
    this.channel.destroy();
  }

  /** Graceful stop of an idle worker. */
  shutdown(): void {
    if (this.#dead) return;
    writeMessage(this.channel, { t: 'shutdown' });
    setTimeout(() => this.kill(), 2000).unref();
  }

  #attach(): void {
    const out = (source: 'stdout' | 'stderr') => (d: Buffer) => {
      if (!this.#running || this.#outputBytes > MAX_OUTPUT_LOG) return;
      this.#outputBytes += d.length;
      for (const line of d.toString('utf8').split('\n')) {
        if (line.trim()) this.#running.hooks.log({ level: source === 'stdout' ? 'info' : 'warn', msg: line.slice(0, 2000), source });
      }
    };
    this.child.stdout!.on('data', out('stdout'));
    this.child.stdout!.resume(); // a spare launcher's stdout was paused until now
    this.child.stderr!.on('data', out('stderr'));
    this.child.once('exit', (code, signal) => {
      const oom = this.cgroup?.oomKilled() ?? false;
      this.#exitWhy = oom
        ? `killed: it used more than its ${this.memoryMb} MB of memory (runtime.memory)`
        : signal
          ? `killed by ${signal}${signal === 'SIGKILL' || signal === 'SIGXCPU' ? ' (a memory, CPU or process limit, or a timeout)' : ''}`
          : `exit code ${code}`;
      const wasDead = this.#dead;
      this.#dead = true;
      if (this.#running && !wasDead) this.#fail('WORKER_CRASHED', `the worker process ended during the execution (${this.#exitWhy})`);
    });
  }

  #fail(code: ErrorCode, message: string): void {
    const r = this.#running;
    this.kill();
    r?.done({ ok: false, error: { code, message } });
  }

  #onMessage(m: Message): void {
    const r = this.#running;
    if (!r) return; // late messages of a finished execution are dropped
    if (m.exec !== undefined && m.exec !== r.exec) return this.#fail('PROTOCOL_ERROR', `message for execution ${String(m.exec)} during ${r.exec}`);
    switch (m.t) {
      case 'call': {
        const id = m.id;
        r.hooks.call(String(m.op), (m.args ?? {}) as Record<string, unknown>).then(
          (value) => writeMessage(this.channel, { t: 'return', id, ok: true, value: value ?? null }),
          (e: unknown) => writeMessage(this.channel, { t: 'return', id, ok: false, error: toWire(e) }),
        );
        return;
      }
      case 'log': {
        const level = ['debug', 'info', 'warn', 'error'].includes(String(m.level)) ? (m.level as LogEntry['level']) : 'info';
        r.hooks.log({ level, msg: String(m.msg ?? ''), ...(m.fields && typeof m.fields === 'object' ? { fields: m.fields as Record<string, unknown> } : {}), source: 'handler' });
        return;
      }
      case 'metric':
        if (typeof m.value === 'number') r.hooks.metric(String(m.name), m.value);
        return;
      case 'result': {
        const p = parseResult(m.result);
        return r.done(p.ok ? p : { ok: false, error: { code: 'BAD_RESULT', message: `the handler returned something that is not a SkillResult: ${p.why}` } });
      }
      case 'error': {
        const e = (m.error ?? {}) as { code?: string; message?: string; details?: Record<string, unknown>; stack?: unknown };
        // The stack of the handler's own failure, in the skill's files and lines, for the record.
        const stack = typeof e.stack === 'string' ? (this.#mapStack?.(e.stack) ?? e.stack).slice(0, 4000) : undefined;
        const details = e.details || stack ? { ...e.details, ...(stack ? { stack } : {}) } : undefined;
        return r.done({ ok: false, error: { code: e.code ?? 'HANDLER_ERROR', message: e.message ?? 'the handler failed', ...(details ? { details } : {}) } });
      }
      default:
        return this.#fail('PROTOCOL_ERROR', `unknown message type ${JSON.stringify(m.t)}`);
    }
  }
}

function toWire(e: unknown): ExecutionFailure {
  // The hint travels in the message: SDKs rebuild the error from code, message and details.
  if (e instanceof AsporaError) return { code: e.code, message: e.hint ? `${e.message} (${e.hint})` : e.message, ...(e.details ? { details: e.details } : {}) };
  return { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
}
