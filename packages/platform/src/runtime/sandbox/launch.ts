/**
 * Starts one worker process in the sandbox: bubblewrap namespaces (user, pid, ipc, uts, net,
 * cgroup), no network, the skill's bundle read-only at /skill, its allowed shared files read-only
 * under /shared, a writable /scratch, a size-capped tmpfs /tmp, an environment with nothing of the
 * host's, and rlimits (address space, CPU seconds, processes, file size, open files) via prlimit.
 * When the platform runs as root the sandbox runs as an unprivileged host user as well, so a
 * process cap counts and nothing root-owned is readable even if it were mounted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { LaunchSpec } from '../languages/types.ts';
import type { WorkerCgroup } from './cgroup.ts';
import type { SandboxMode } from './detect.ts';

export interface SandboxLimits {
  memoryMb: number;
  /** Cores (runtime.cpu); enforced as a CFS quota where cgroups are available. */
  cpu: number;
  /** CPU seconds (RLIMIT_CPU); the wall-clock timeout is enforced by the host separately. */
  cpuSeconds: number;
  maxProcesses: number;
  maxFileMb: number;
  tmpMb: number;
}

export interface SandboxLayout {
  bundleDir: string;
  scratchDir: string;
  /** Allowed shared files/folders: host path → path under /shared. */
  shared: Array<{ host: string; sandbox: string }>;
}

export interface Launched {
  child: ChildProcess;
  channel: Socket;
}

/** Joins the cgroups named by the first arguments, then execs the rest (no race: nothing ran yet). */
const JOIN_CGROUPS = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

const SANDBOX_UID = 65534;
/** Runtimes reserve address space up front (V8's heap cage): the cap is memory + this. */
const ADDRESS_SPACE_SLACK_MB = 1536;

export function bwrapArgs(spec: LaunchSpec, layout: SandboxLayout, limits: SandboxLimits): string[] {
  const a = ['--unshare-all', '--die-with-parent', '--new-session', '--clearenv', '--hostname', 'skill'];
  a.push('--ro-bind', '/usr', '/usr');
  for (const d of ['/bin', '/lib', '/lib64', '/sbin']) {
    if (!existsSync(d)) continue;
    a.push(...(isUsrSymlink(d) ? ['--symlink', `usr${d}`, d] : ['--ro-bind', d, d]));
  }
  for (const f of ['/etc/ld.so.cache', '/etc/alternatives', '/etc/localtime']) if (existsSync(f)) a.push('--ro-bind', f, f);
  a.push('--proc', '/proc', '--dev', '/dev');
  a.push('--size', String(limits.tmpMb * 1024 * 1024), '--tmpfs', '/tmp');
  a.push('--ro-bind', layout.bundleDir, '/skill');
  for (const s of layout.shared) a.push('--ro-bind', s.host, s.sandbox);
  a.push('--bind', layout.scratchDir, '/scratch', '--chdir', '/scratch');
  for (const m of spec.mounts) a.push('--ro-bind', m.host, m.sandbox);
  // bwrap builds the root on a tmpfs: make it read-only once everything is mounted, so that only
  // /scratch and /tmp are writable.
  a.push('--remount-ro', '/');
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/scratch', TMPDIR: '/tmp', LANG: 'C.UTF-8', ...spec.env };
  for (const [k, v] of Object.entries(env)) a.push('--setenv', k, v);
  a.push('--', ...spec.command);
  return a;
}

/** Merged-/usr systems have /bin → usr/bin: recreate the link rather than mounting twice. */
function isUsrSymlink(d: string): boolean {
  try {
    return readlinkSync(d) === `usr${d}`;
  } catch {
    return false;
  }
}

function prlimitArgs(l: SandboxLimits, cgroup: boolean): string[] {
  return [
    // A cgroup caps real memory and processes exactly; without one, address space and a per-user
    // process count are the best rlimits can do.
    ...(cgroup ? [] : [`--as=${(l.memoryMb + ADDRESS_SPACE_SLACK_MB) * 1024 * 1024}`, `--nproc=${l.maxProcesses}`]),
    `--cpu=${l.cpuSeconds}`,
    `--fsize=${l.maxFileMb * 1024 * 1024}`,
    '--nofile=256',
    '--core=0',
  ];
}

/**
 * Spawns the worker; fd 3 of the worker is the protocol socket returned as `channel`. With
 * `cgroup`, the process joins it (its procs files) before it execs anything else.
 */
export function launch(mode: SandboxMode, spec: LaunchSpec, layout: SandboxLayout, limits: SandboxLimits, cgroup?: WorkerCgroup): Launched {
  const asRoot = process.getuid?.() === 0;
  const join = cgroup ? ['/bin/sh', '-c', JOIN_CGROUPS, 'sh', String(cgroup.procsFiles.length), ...cgroup.procsFiles] : [];
  const limit = ['prlimit', ...prlimitArgs(limits, !!cgroup), '--'];
  let argv: string[];
  if (mode === 'bwrap') {
    const drop = asRoot ? ['setpriv', `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups', '--'] : [];
    argv = [...join, ...limit, ...drop, 'bwrap', ...bwrapArgs(spec, layout, limits)];
  } else {
    // No sandbox: same command with the in-sandbox paths mapped back to the host. Development only.
    const map = (s: string) => unsafePath(s, spec, layout);
    argv = [...join, ...limit, ...spec.command.map(map)];
  }
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    cwd: mode === 'bwrap' ? '/' : layout.scratchDir,
    env: mode === 'bwrap' ? {} : { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: layout.scratchDir, ...mapEnv(spec, layout) },
    // Its own process group: a timeout kills the whole tree with one signal.
    detached: true,
  });
  return { child, channel: child.stdio[3] as Socket };
}

function unsafePath(s: string, spec: LaunchSpec, layout: SandboxLayout): string {
  const table: Array<[string, string]> = [
    ...spec.mounts.map((m) => [m.sandbox, m.host] as [string, string]),
    ['/skill', layout.bundleDir],
    ['/scratch', layout.scratchDir],
  ];
  for (const [from, to] of table) if (s === from || s.startsWith(`${from}/`)) return to + s.slice(from.length);
  return s;
}

function mapEnv(spec: LaunchSpec, layout: SandboxLayout): Record<string, string> {
  return Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, v.split(':').map((p) => unsafePath(p, spec, layout)).join(':')]));
}
