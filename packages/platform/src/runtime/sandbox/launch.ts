/**
 * Starts one worker process in the sandbox: bubblewrap namespaces (user, pid, ipc, uts, net,
 * cgroup), no network, the skill's bundle read-only at /skill, its allowed shared files read-only
 * under /shared, a writable /scratch, /tmp and /dev/shm (the worker's own host folders), /dev
 * read-only, an environment with nothing of the host's, and rlimits (address space, CPU seconds,
 * processes, file size, open files) via prlimit.
 * When the platform runs as root the sandbox runs as an unprivileged host user as well, so a
 * process cap counts and nothing root-owned is readable even if it were mounted.
 *
 * Every launch (workers, spare launchers, Bash, builds) also: closes every file descriptor above
 * the protocol's before anything else runs, forbids nested user namespaces (--disable-userns)
 * and runs under the seccomp filter of seccomp.ts, handed to bwrap on fd 4.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { LaunchSpec } from '../languages/types.ts';
import type { WorkerCgroup } from './cgroup.ts';
import { sandboxFeatures, uidDrop, type SandboxMode } from './detect.ts';
import { SECCOMP_FD, seccompFd } from './seccomp.ts';

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
  /** Host folders for /tmp and /dev/shm (a warm worker's, emptied between executions); size-capped tmpfs without. */
  tmpDir?: string | undefined;
  shmDir?: string | undefined;
  /** Allowed shared files/folders: host path → path under /shared. */
  shared: Array<{ host: string; sandbox: string }>;
}

export interface Launched {
  child: ChildProcess;
  channel: Socket;
}

/** The protocol socket's fd in every sandboxed process. */
const PROTOCOL_FD = 3;

/**
 * The first thing every launch runs: close each fd above $1. Node opens its own fds close-on-exec,
 * but one inherited without O_CLOEXEC (from whoever started the platform, or a library) stays open
 * in every child; this reads the shell's own fd table at exec time, so it also catches fds that
 * appeared after start. bash, because dash cannot name an fd above 9.
 */
export const CLOSE_FDS =
  '[ -d /proc/self/fd ] || exit 125; for f in /proc/self/fd/*; do n=${f##*/}; if [ "$n" -gt "$1" ]; then exec {n}>&- || exit 125; fi; done; shift; ';
/** bash -c CLOSE_FDS+script, with the highest fd to keep as $1 and the script's own arguments after. */
const chain = (script: string, keep: number, args: string[]) => [
  '/bin/bash',
  '-c',
  CLOSE_FDS + script,
  'bash',
  String(keep),
  ...args,
];

/**
 * Sets the rlimits a cgroup does not cover, joins the cgroups named by the next arguments, then
 * execs the rest — all in one shell, so nothing ran outside the group and no prlimit exec is spent.
 * Arguments: cpu seconds, file size in KiB (bash's unit outside POSIX mode), open files, the
 * number of procs files, the files, the command.
 */
const LIMIT_AND_JOIN =
  'ulimit -t "$1" && ulimit -f "$2" && ulimit -n "$3" && ulimit -c 0 || exit 125; shift 3; ' +
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

/** Runtimes reserve address space up front (V8's heap cage): the cap is memory + this. */
const ADDRESS_SPACE_SLACK_MB = 1536;

/**
 * bwrap's arguments; the process must have the seccomp program on fd 4 (seccompFd()). No nested user
 * namespace: without it, `unshare -Urmn` in the sandbox is uid 0 with every capability over a new
 * mount and network namespace — the way in for the user-namespace class of kernel escalations.
 */
export function bwrapArgs(spec: LaunchSpec, layout: SandboxLayout, limits: SandboxLimits): string[] {
  const a = ['--unshare-all', '--die-with-parent', '--new-session', '--clearenv', '--hostname', 'skill'];
  if (sandboxFeatures().disableUserns) a.push('--unshare-user', '--disable-userns', '--assert-userns-disabled');
  a.push('--seccomp', String(SECCOMP_FD));
  a.push('--ro-bind', '/usr', '/usr');
  for (const d of ['/bin', '/lib', '/lib64', '/sbin']) {
    if (!existsSync(d)) continue;
    a.push(...(isUsrSymlink(d) ? ['--symlink', `usr${d}`, d] : ['--ro-bind', d, d]));
  }
  for (const f of ['/etc/ld.so.cache', '/etc/alternatives', '/etc/localtime'])
    if (existsSync(f)) a.push('--ro-bind', f, f);
  a.push('--proc', '/proc', '--dev', '/dev');
  const tmpfs = (dest: string) => ['--size', String(limits.tmpMb * 1024 * 1024), '--tmpfs', dest];
  a.push(...(layout.tmpDir ? ['--bind', layout.tmpDir, '/tmp'] : tmpfs('/tmp')));
  a.push(...(layout.shmDir ? ['--bind', layout.shmDir, '/dev/shm'] : tmpfs('/dev/shm')));
  // bwrap's /dev is a tmpfs the sandbox user owns: read-only, or what one execution left in it
  // would be there for the next.
  a.push('--remount-ro', '/dev');
  a.push('--ro-bind', layout.bundleDir, '/skill');
  for (const s of layout.shared) a.push('--ro-bind', s.host, s.sandbox);
  a.push('--bind', layout.scratchDir, '/scratch', '--chdir', '/scratch');
  for (const m of spec.mounts) a.push(m.writable ? '--bind' : '--ro-bind', m.host, m.sandbox);
  // bwrap builds the root on a tmpfs: make it read-only once everything is mounted, so that only
  // /scratch, /tmp and /dev/shm are writable.
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

const NOFILE = 256;
/**
 * RLIMIT_NPROC counts every process and thread of the real uid, and every sandbox runs as the
 * same one (65534 when the platform is root): the cap is for all sandboxes together, not per
 * worker. A worker's own 128 would refuse the next launch as soon as a few workers' threads add up
 * (a Python check's 16 failed with exit 126 beside two warm Node workers).
 */
export const SANDBOX_USER_PROCESSES = 4096;

/** Without a cgroup, address space and a process count for all sandboxes together are the best rlimits can do. */
function prlimitArgs(l: SandboxLimits): string[] {
  return [
    `--as=${(l.memoryMb + ADDRESS_SPACE_SLACK_MB) * 1024 * 1024}`,
    `--nproc=${SANDBOX_USER_PROCESSES}`,
    `--cpu=${l.cpuSeconds}`,
    `--fsize=${l.maxFileMb * 1024 * 1024}`,
    `--nofile=${NOFILE}`,
    '--core=0',
  ];
}

/** The command after the cgroup join: rlimits, the uid drop when root, bwrap and the handler. */
function commandLine(mode: SandboxMode, spec: LaunchSpec, layout: SandboxLayout, limits: SandboxLimits): string[] {
  const drop = mode === 'bwrap' ? uidDrop() : [];
  // No sandbox: same command with the in-sandbox paths mapped back to the host. Development only.
  const inner =
    mode === 'bwrap'
      ? ['bwrap', ...bwrapArgs(spec, layout, limits)]
      : spec.command.map((s) => unsafePath(s, spec, layout));
  return [...drop, ...inner];
}

/** Spawns `argv` with the sandbox's fds: the protocol on 3 and, under bwrap, the seccomp program on 4. */
function spawnSandboxed(
  mode: SandboxMode,
  argv: string[],
  opts: { stdin: 'ignore' | 'pipe'; cwd: string; env: NodeJS.ProcessEnv },
): ChildProcess {
  const filter = mode === 'bwrap' ? seccompFd() : undefined;
  try {
    const stdio: StdioOptions = [opts.stdin, 'pipe', 'pipe', 'pipe', filter ?? 'ignore'];
    // Its own process group: a timeout kills the whole tree with one signal.
    return spawn(argv[0]!, argv.slice(1), { stdio, cwd: opts.cwd, env: opts.env, detached: true });
  } finally {
    if (filter !== undefined) closeSync(filter);
  }
}

/** The highest fd a launch keeps open past CLOSE_FDS. */
const keepFds = (mode: SandboxMode) => (mode === 'bwrap' ? SECCOMP_FD : PROTOCOL_FD);

function spawnOptions(mode: SandboxMode, spec: LaunchSpec, layout: SandboxLayout) {
  return {
    stdin: 'ignore' as const,
    cwd: mode === 'bwrap' ? '/' : layout.scratchDir,
    env:
      mode === 'bwrap'
        ? {}
        : {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: layout.scratchDir,
            ...(layout.tmpDir ? { TMPDIR: layout.tmpDir } : {}),
            ...mapEnv(spec, layout),
          },
  };
}

/**
 * Spawns the worker; fd 3 of the worker is the protocol socket returned as `channel`. With
 * `cgroup`, the process joins it (its procs files) before it execs anything else.
 */
export function launch(
  mode: SandboxMode,
  spec: LaunchSpec,
  layout: SandboxLayout,
  limits: SandboxLimits,
  cgroup?: WorkerCgroup,
): Launched {
  // With a cgroup, the shell sets the few rlimits left; without, prlimit sets them all (address
  // space and process count included, which the shell cannot set portably).
  const command = commandLine(mode, spec, layout, limits);
  const argv = cgroup
    ? chain(LIMIT_AND_JOIN, keepFds(mode), [
        String(limits.cpuSeconds),
        String(limits.maxFileMb * 1024),
        String(NOFILE),
        String(cgroup.procsFiles.length),
        ...cgroup.procsFiles,
        ...command,
      ])
    : chain('exec "$@"', keepFds(mode), ['prlimit', ...prlimitArgs(limits), '--', ...command]);
  const child = spawnSandboxed(mode, argv, spawnOptions(mode, spec, layout));
  return { child, channel: child.stdio[3] as Socket };
}

/**
 * A shell that has already joined a fresh cgroup and waits for its command on stdin. Moving a
 * process into a cgroup waits for an RCU grace period (~9 ms on v1 here): a spare does that
 * ahead of time, so a cold start does not.
 */
export interface SpareLauncher {
  readonly child: ChildProcess;
  readonly channel: Socket;
  readonly cgroup: WorkerCgroup;
  /** Sets the rlimits and execs the sandbox with `spec` in the waiting shell. */
  start(mode: SandboxMode, spec: LaunchSpec, layout: SandboxLayout, limits: SandboxLimits): Launched;
}

const SPARE =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; echo joined; IFS= read -r cmd && eval "$cmd"';
const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;

/**
 * Resolves once the shell is in the group (its "joined" line); rejects if it could not join. The
 * command is not known yet, so the shell gets the seccomp program on fd 4 now and closes every
 * other inherited fd before it joins; spares exist only under bwrap (they need cgroups).
 */
export function spawnSpare(cgroup: WorkerCgroup): Promise<SpareLauncher> {
  const child = spawnSandboxed(
    'bwrap',
    chain(SPARE, SECCOMP_FD, [String(cgroup.procsFiles.length), ...cgroup.procsFiles]),
    { stdin: 'pipe', cwd: '/', env: {} },
  );
  const channel = child.stdio[3] as Socket;
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!out.includes('joined\n')) return;
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      // Held until the worker attaches its own reader: its output is its logs.
      child.stdout!.pause();
      resolve({
        child,
        channel,
        cgroup,
        start(mode, spec, layout, limits) {
          // Outside bwrap nothing reads fd 4: close it rather than hand it on.
          const line = `ulimit -t ${limits.cpuSeconds} && ulimit -f ${limits.maxFileMb * 1024} && ulimit -n ${NOFILE} && ulimit -c 0 || exit 125; ${mode === 'bwrap' ? '' : `exec ${SECCOMP_FD}<&-; `}exec ${commandLine(mode, spec, layout, limits).map(quote).join(' ')}`;
          child.stdin!.end(`${line}\n`);
          return { child, channel };
        },
      });
    };
    const onExit = (code: number | null) =>
      reject(new Error(`the spare launcher could not join its cgroup (exit ${code})`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
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
  return Object.fromEntries(
    Object.entries(spec.env).map(([k, v]) => [
      k,
      v
        .split(':')
        .map((p) => unsafePath(p, spec, layout))
        .join(':'),
    ]),
  );
}
