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
import { textDeeperThan } from './protocol/json-depth.ts';
import { LIMITS } from './protocol/limits.ts';
import { parseResult } from './protocol/result.ts';
import { launch, type SandboxLayout, type SandboxLimits } from './sandbox/launch.ts';
import type { SandboxMode } from './sandbox/detect.ts';

export interface ExecutionFailure {
  code: ErrorCode | string;
  message: string;
  details?: Record<string, unknown>;
}

/** `bytes`: the size of the line that carried the result (the recorder need not measure a small one again). */
export type Outcome = { ok: true; result: SkillResult; bytes?: number } | { ok: false; error: ExecutionFailure };

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
  /** Host calls being carried out, and the bytes of their lines. */
  calls: number;
  callBytes: number;
}

const MAX_OUTPUT_LOG = 64 * 1024;
/** Of a longer stack, only the part that can be recorded is mapped to the skill's files (mapping is per line). */
const STACK_MAP_CHARS = 4 * LIMITS.errorStackBytes;
/** An error code a handler chooses: recorded, and a metrics label. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const mib = (n: number) => `${n / (1024 * 1024)} MiB`;
/**
 * A message field as text. The handler wrote it: String() of `{"toString":1}` throws, and a throw
 * in the socket's data listener ended the platform process.
 */
const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === null || typeof v !== 'object' ? String(v ?? '') : JSON.stringify(v);

export class Worker {
  #running: Running | undefined;
  #dead = false;
  #exitWhy = '';
  #outputBytes = 0;
  /** Bytes of protocol lines since the current (or last) execution started. */
  #sent = 0;
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
    const w = new Worker(
      o.key,
      o.limits.memoryMb,
      { scratchDir: o.layout.scratchDir, tmpDir: o.layout.tmpDir, shmDir: o.layout.shmDir },
      child,
      channel,
      cgroup,
    );
    w.#mapStack = o.spec.mapStack;
    // After the exit handlers have read the group's OOM counters.
    child.once('exit', () => setImmediate(() => void cleanUpAfter(cgroup, o.home ?? o.layout.scratchDir)));
    const startTimeoutMs = o.startTimeoutMs;
    return new Promise((resolve, reject) => {
      let stderr = '';
      const onErr = (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000));
      child.stderr!.on('data', onErr);
      const fail = (code: ErrorCode, message: string, cause?: unknown) => {
        clearTimeout(timer);
        w.kill();
        reject(
          new AsporaError(code, message, {
            hint: "run the skill's tests (aspora test) to see the handler load",
            ...(cause !== undefined ? { cause } : {}),
          }),
        );
      };
      // What the sandbox printed is the handler's; the host folders it names (bwrap's own errors) are not.
      const output = () => (stderr.trim() ? `: ${hidePaths(stderr.trim(), o.layout)}` : '');
      const timer = setTimeout(
        () => fail('HANDLER_LOAD_FAILED', `worker did not start within ${startTimeoutMs} ms${output()}`),
        startTimeoutMs,
      );
      // The runtime logs the cause under an error id; the caller gets neither it nor its paths.
      child.once('error', (e) => fail('SANDBOX_UNAVAILABLE', 'cannot start the worker', e));
      child.once('exit', (code, signal) =>
        fail('HANDLER_LOAD_FAILED', `worker exited before it was ready (${signal ?? `exit ${code}`})${output()}`),
      );
      // A worker that dies with host answers unread resets the channel (ECONNRESET): its exit is what
      // ends the execution; without a listener the error ended the platform process.
      channel.on('error', () =>
        w.#running ? w.#fail('WORKER_CRASHED', "the worker's protocol channel broke") : w.kill(),
      );
      readLines(
        channel,
        (m, bytes) => {
          if (m.t === 'ready') {
            clearTimeout(timer);
            if (Array.isArray(m.tools))
              w.tools = (m.tools as ExportedTool[]).filter((t) => t && typeof t.name === 'string');
            if (typeof m.pid === 'number') w.#nsPid = m.pid;
            child.removeAllListeners('exit');
            child.removeAllListeners('error');
            child.stderr!.off('data', onErr);
            w.#attach();
            resolve(w);
          } else if (m.t === 'fatal') {
            const e = (m.error ?? {}) as { message?: unknown };
            fail(
              'HANDLER_LOAD_FAILED',
              typeof e.message === 'string'
                ? hidePaths(e.message.slice(0, LIMITS.errorMessageBytes), o.layout)
                : 'the handler could not be loaded',
            );
          } else w.#dispatch(m, bytes);
        },
        (why) =>
          w.#running ? w.#fail('PROTOCOL_ERROR', `the worker broke the protocol: ${why}`) : fail('PROTOCOL_ERROR', why),
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
    if (this.#dead)
      return Promise.resolve({
        ok: false,
        error: { code: 'WORKER_CRASHED', message: `worker is gone: ${this.#exitWhy}` },
      });
    if (this.#running) throw new Error('worker is busy'); // the pool never does this
    this.executions++;
    this.#outputBytes = 0;
    this.#sent = 0;
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(
        () =>
          this.#fail('TIMEOUT', `the handler did not finish within ${timeoutMs} ms (runtime.timeout); it was killed`),
        timeoutMs,
      );
      this.#running = {
        exec,
        hooks,
        timer,
        calls: 0,
        callBytes: 0,
        done: (o) => {
          clearTimeout(timer);
          this.#running = undefined;
          this.lastUsed = Date.now();
          // Processes the handler left behind are killed; a worker that had any is not reused
          // either (their zombies, open files and threads would weigh on the next execution).
          if (
            !this.#dead &&
            this.cgroup &&
            this.child.pid &&
            this.#nsPid &&
            reapLeftovers(this.cgroup, this.child.pid, this.#nsPid) > 0
          )
            this.kill();
          resolve(o);
        },
      };
      try {
        writeMessage(this.channel, { t: 'execute', exec, context });
      } catch (e) {
        // Nothing was sent: stop the worker rather than leave it busy with an execution it never got.
        this.#fail('BAD_REQUEST', `the execution could not be sent to the worker: ${(e as Error).message}`);
      }
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
      // Lines are cut to the log message limit (and scrubbed) by the runtime.
      for (const line of d.toString('utf8').split('\n')) {
        if (line.trim()) this.#running.hooks.log({ level: source === 'stdout' ? 'info' : 'warn', msg: line, source });
      }
      if (this.#outputBytes > MAX_OUTPUT_LOG)
        this.#running.hooks.log({
          level: 'warn',
          msg: `[truncated: stdout and stderr past ${MAX_OUTPUT_LOG / 1024} KiB in this execution are not recorded]`,
          source: 'platform',
        });
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
      if (this.#running && !wasDead)
        this.#fail('WORKER_CRASHED', `the worker process ended during the execution (${this.#exitWhy})`);
    });
  }

  #fail(code: ErrorCode, message: string): void {
    const r = this.#running;
    this.kill();
    r?.done({ ok: false, error: { code, message } });
  }

  /** A message the handling of which throws is the worker's fault, never the platform's. */
  #dispatch(m: Message, bytes: number): void {
    try {
      this.#onMessage(m, bytes);
    } catch (e) {
      if (this.#running)
        this.#fail(
          'PROTOCOL_ERROR',
          `the worker sent a message the host could not read (${m.t.slice(0, 40)}): ${(e as Error).message?.slice(0, 200)}`,
        );
      else this.kill();
    }
  }

  #onMessage(m: Message, bytes: number): void {
    const r = this.#running;
    // Counted between executions too: a worker flooding the channel while idle is stopped as well.
    this.#sent += bytes;
    if (this.#sent > LIMITS.executionBytes) {
      if (!r) return this.kill();
      return this.#fail(
        'PROTOCOL_ERROR',
        `the worker sent more than ${mib(LIMITS.executionBytes)} in one execution (the protocol's limit); it was stopped`,
      );
    }
    if (!r) return; // late messages of a finished execution are dropped
    if (m.exec !== undefined && m.exec !== r.exec)
      return this.#fail('PROTOCOL_ERROR', `message for execution ${text(m.exec).slice(0, 100)} during ${r.exec}`);
    switch (m.t) {
      case 'call': {
        const id = m.id;
        const op = text(m.op);
        const name = op.slice(0, 100);
        // Refused at once, not queued: 100,000 calls fired together never become 100,000 pending promises.
        if (r.calls >= LIMITS.callsInFlight || r.callBytes + bytes > LIMITS.callBytesInFlight) {
          return this.#answer(id, name, {
            ok: false,
            error: {
              code: 'RATE_LIMITED',
              message: `${name}: ${LIMITS.callsInFlight} host calls (or ${mib(LIMITS.callBytesInFlight)} of them) are already in flight; await some before starting more`,
            },
          });
        }
        r.calls++;
        r.callBytes += bytes;
        const settled = () => {
          r.calls--;
          r.callBytes -= bytes;
        };
        r.hooks.call(op, (m.args ?? {}) as Record<string, unknown>).then(
          (value) => (settled(), this.#answer(id, name, { ok: true, value: value ?? null })),
          (e: unknown) => (settled(), this.#answer(id, name, { ok: false, error: toWire(e) })),
        );
        return;
      }
      case 'log': {
        const level =
          typeof m.level === 'string' && ['debug', 'info', 'warn', 'error'].includes(m.level)
            ? (m.level as LogEntry['level'])
            : 'info';
        r.hooks.log({
          level,
          msg: text(m.msg),
          ...(m.fields && typeof m.fields === 'object' && !Array.isArray(m.fields)
            ? { fields: m.fields as Record<string, unknown> }
            : {}),
          source: 'handler',
        });
        return;
      }
      case 'metric':
        if (typeof m.value === 'number' && typeof m.name === 'string') r.hooks.metric(m.name, m.value);
        return;
      case 'result': {
        const p = parseResult(m.result);
        return r.done(
          p.ok
            ? { ...p, bytes }
            : {
                ok: false,
                error: {
                  code: 'BAD_RESULT',
                  message: `the handler returned something that is not a SkillResult: ${p.why.slice(0, 2000)}`,
                },
              },
        );
      }
      case 'error': {
        const e = (m.error ?? {}) as { code?: unknown; message?: unknown; details?: unknown; stack?: unknown };
        // The stack of the handler's own failure, in the skill's files and lines, for the record (cut to size by the runtime).
        const stack = typeof e.stack === 'string' ? this.#mappedStack(e.stack) : undefined;
        const given =
          e.details && typeof e.details === 'object' && !Array.isArray(e.details)
            ? (e.details as Record<string, unknown>)
            : undefined;
        const details = given || stack ? { ...given, ...(stack ? { stack } : {}) } : undefined;
        const code = typeof e.code === 'string' && ERROR_CODE.test(e.code) ? e.code : 'HANDLER_ERROR';
        return r.done({
          ok: false,
          error: {
            code,
            message: typeof e.message === 'string' ? e.message : 'the handler failed',
            ...(details ? { details } : {}),
          },
        });
      }
      default:
        return this.#fail('PROTOCOL_ERROR', `unknown message type ${JSON.stringify(m.t.slice(0, 100))}`);
    }
  }

  #mappedStack(raw: string): string {
    const head = raw.length > STACK_MAP_CHARS ? raw.slice(0, STACK_MAP_CHARS) : raw;
    const mapped = this.#mapStack?.(head) ?? head;
    return head === raw ? mapped : mapped + raw.slice(STACK_MAP_CHARS);
  }

  /** A call's return; an answer the worker could not take (too large, too deep) fails the call instead. */
  #answer(id: unknown, op: string, body: { ok: true; value: unknown } | { ok: false; error: ExecutionFailure }): void {
    if (this.#dead || this.channel.destroyed) return;
    const refuse = (code: ErrorCode, why: string) =>
      JSON.stringify({
        t: 'return',
        id,
        ok: false,
        error: { code, message: `the answer to ${op} cannot be sent to the handler: ${why}` },
      });
    let line: string;
    try {
      line = JSON.stringify({ t: 'return', id, ...body });
      if (line.length * 3 > LIMITS.answerLineBytes && Buffer.byteLength(line) > LIMITS.answerLineBytes)
        line = refuse('PAYLOAD_TOO_LARGE', `it is larger than ${mib(LIMITS.answerLineBytes)}`);
      else if (textDeeperThan(line, LIMITS.messageDepth))
        line = refuse('UPSTREAM_ERROR', `it is nested deeper than ${LIMITS.valueDepth} levels`);
    } catch {
      line = refuse('UPSTREAM_ERROR', `it is nested deeper than ${LIMITS.valueDepth} levels`); // JSON.stringify ran out of stack
    }
    this.channel.write(`${line}\n`);
    // Answers pile up in the host's memory when the worker stops reading them.
    if (this.channel.writableLength > LIMITS.unreadBytes) {
      if (this.#running)
        this.#fail(
          'PROTOCOL_ERROR',
          `the worker left more than ${mib(LIMITS.unreadBytes)} of the host's answers unread; it was stopped`,
        );
      else this.kill();
    }
  }
}

/** The sandbox's names for the host folders mounted into it (error text from bwrap or a handler). */
function hidePaths(text: string, layout: SandboxLayout): string {
  let out = text;
  for (const [host, inside] of [
    [layout.bundleDir, '/skill'],
    [layout.scratchDir, '/scratch'],
    ...layout.shared.map((s) => [s.host, s.sandbox]),
  ] as Array<[string, string]>) {
    if (host) out = out.split(host).join(inside);
  }
  return out;
}

function toWire(e: unknown): ExecutionFailure {
  // The hint travels in the message: SDKs rebuild the error from code, message and details.
  if (e instanceof AsporaError)
    return {
      code: e.code,
      message: e.hint ? `${e.message} (${e.hint})` : e.message,
      ...(e.details ? { details: e.details } : {}),
    };
  // Never a raw error's message (host paths, internals): the runtime's call hook logs those under an error id first.
  return { code: 'INTERNAL', message: 'internal error' };
}
