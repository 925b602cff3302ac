/**
 * Builds of untrusted code — esbuild of a TypeScript handler, `go build` / `go test -c`, the Python
 * syntax check — run in the sandbox workers run in (launch.ts: namespaces, no network, uid 65534
 * when root, rlimits, a cgroup where there is one) with a wall-clock deadline. The build sees the
 * bundle at /skill, what its LaunchSpec mounts, and one writable folder: a fresh work folder at
 * /scratch (its working directory and HOME) where it writes its output. The host moves what it
 * expects out of that folder (regular files only) once every process of the build is gone, so the
 * build cache itself is never writable by a build.
 */
import { chownSync, lstatSync, mkdirSync } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { LaunchSpec } from '../languages/types.ts';
import type { CgroupManager } from './cgroup.ts';
import type { SandboxMode } from './detect.ts';
import { launch } from './launch.ts';

/** How this platform sandboxes builds: its sandbox mode and cgroups (the runtime's own). */
export interface BuildSandbox {
  mode: SandboxMode;
  cgroups?: CgroupManager | undefined;
  /** Overrides every build's wall-clock deadline (tests). */
  timeoutMs?: number;
}

export interface BuildLimits {
  /** Builds of one kind take turns (a slow Go build never holds up a TypeScript one). */
  kind: 'typescript' | 'go' | 'python';
  memoryMb: number;
  timeoutMs: number;
  cpuSeconds: number;
  maxProcesses: number;
  /** Largest file the build may write (RLIMIT_FSIZE). */
  maxFileMb: number;
}

export interface BuildRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** What the build wrote on fd 3 (its report), capped. */
  report: string;
  /** stdout and stderr, interleaved, capped: for compiler messages and the platform's log. */
  output: string;
  timedOut: boolean;
  outOfMemory: boolean;
}

const SANDBOX_UID = 65534;
/**
 * Builds of a kind at a time in this process; the rest wait their turn (their deadline starts with
 * their turn). Many first runs of new versions at once must not start a node, esbuild or go each.
 */
export const BUILD_SLOTS = Math.max(1, availableParallelism());
const queues = new Map<BuildLimits['kind'], { running: number; waiting: Array<() => void> }>();
async function turn(kind: BuildLimits['kind']): Promise<() => void> {
  let q = queues.get(kind);
  if (!q) queues.set(kind, (q = { running: 0, waiting: [] }));
  const queue = q;
  if (queue.running < BUILD_SLOTS) queue.running++;
  else await new Promise<void>((r) => queue.waiting.push(r)); // a finished build hands its slot over
  return () => {
    const next = queue.waiting.shift();
    if (next) next();
    else queue.running--;
  };
}
const REPORT_CAP = 1024 * 1024;
const OUTPUT_CAP = 256 * 1024;

/**
 * A fresh work folder beside `cacheDir` (same file system: outputs are renamed into the cache),
 * writable by the sandbox user and private to it; removed when `fn` is done.
 */
export async function withWorkDir<T>(sb: BuildSandbox, cacheDir: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(dirname(cacheDir), `.work-${randomUUID()}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  giveToSandbox(sb, [dir]);
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Hands `dir` and what the host put in it to the sandbox user (the build runs as uid 65534 when the platform is root). */
export function giveToSandbox(sb: BuildSandbox, paths: string[]): void {
  if (sb.mode !== 'bwrap' || process.getuid?.() !== 0) return;
  for (const p of paths) chownSync(p, SANDBOX_UID, SANDBOX_UID);
}

/** Runs `spec` in the sandbox with `workDir` at /scratch; resolves when every process of it is gone. */
export async function runBuild(
  sb: BuildSandbox,
  spec: LaunchSpec,
  bundleDir: string,
  workDir: string,
  l: BuildLimits,
): Promise<BuildRun> {
  const done = await turn(l.kind);
  try {
    return await runNow(sb, spec, bundleDir, workDir, l);
  } finally {
    done();
  }
}

async function runNow(
  sb: BuildSandbox,
  spec: LaunchSpec,
  bundleDir: string,
  workDir: string,
  l: BuildLimits,
): Promise<BuildRun> {
  const timeoutMs = sb.timeoutMs ?? l.timeoutMs;
  const limits = {
    memoryMb: l.memoryMb,
    cpu: 0,
    cpuSeconds: l.cpuSeconds,
    maxProcesses: l.maxProcesses,
    maxFileMb: l.maxFileMb,
    tmpMb: 64,
  };
  const cgroup = sb.cgroups?.create(`b-${randomUUID()}`, {
    memoryMb: l.memoryMb,
    maxProcesses: l.maxProcesses,
    cpu: 0,
  });
  try {
    const { child, channel } = launch(sb.mode, spec, { bundleDir, scratchDir: workDir, shared: [] }, limits, cgroup);
    let report = '';
    let output = '';
    let timedOut = false;
    (channel as Socket).on('data', (d: Buffer) => {
      if (report.length < REPORT_CAP) report += d.toString('utf8');
    });
    const take = (d: Buffer) => {
      if (output.length < OUTPUT_CAP) output += d.toString('utf8');
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      cgroup?.killAll();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    // 'close': the process has exited and its stdio (fd 3 included) is drained.
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', (e) => (clearTimeout(timer), reject(e)));
      child.once('close', (code, sig) => (clearTimeout(timer), resolve([code, sig])));
    });
    kill(); // anything left in its process group or cgroup
    return {
      exitCode,
      signal,
      report: report.slice(0, REPORT_CAP),
      output: output.slice(0, OUTPUT_CAP),
      timedOut,
      outOfMemory: cgroup?.oomKilled() ?? false,
    };
  } finally {
    cgroup?.killAll();
    await cgroup?.remove();
  }
}

/**
 * Moves a file the build wrote (`rel` in `workDir`) to `dest`, atomically. Only a regular file is
 * taken (lstat: a link the build left is refused, not followed); returns false when there is none.
 */
export async function takeOutput(workDir: string, rel: string, dest: string, mode?: number): Promise<boolean> {
  const src = join(workDir, rel);
  try {
    if (!lstatSync(src).isFile()) return false;
  } catch {
    return false;
  }
  if (mode !== undefined) await chmod(src, mode);
  mkdirSync(dirname(dest), { recursive: true, mode: 0o755 });
  await rename(src, dest);
  return true;
}

/** Why a build that did not report stopped, in the author's terms (no host path). */
export function stopped(what: string, r: BuildRun, l: BuildLimits, sb: BuildSandbox): string | undefined {
  if (r.timedOut)
    return `${what} did not finish within ${Math.round((sb.timeoutMs ?? l.timeoutMs) / 1000)} s and was stopped`;
  if (r.outOfMemory) return `${what} used more than its ${l.memoryMb} MB of memory and was stopped`;
  if (r.signal === 'SIGXFSZ' || /file size limit exceeded|file too large/i.test(r.output))
    return `${what} wrote a file larger than ${l.maxFileMb} MB and was stopped`;
  if (r.signal === 'SIGXCPU') return `${what} used more than ${l.cpuSeconds} CPU seconds and was stopped`;
  return undefined;
}
