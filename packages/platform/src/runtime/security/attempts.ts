/**
 * The escape attempts every handler language is tested with. Each is one step of the probes
 * (probes/probe.{ts,py,go}); `blocked` says what a correct refusal looks like: the probe reports
 * ok: false (the sandbox stopped it), a host call ends in a typed denial, or the execution is
 * stopped by a limit. `$X` placeholders are filled by the test from the live fixture.
 */
import { CHECKED, REFUSED, type SeccompArch } from '../sandbox/seccomp.ts';

export interface Attempt {
  name: string;
  step: Record<string, unknown>;
  /** Matched against the probe's detail (or the execution's error code) of a blocked attempt. */
  detail?: RegExp;
  /** The attempt may end the execution itself (limits): that counts as blocked. */
  mayEndExecution?: boolean;
  /** Runs on the probe with the short timeout. */
  short?: boolean;
  /** The call may succeed; what must not happen is that its answer contains this. */
  leaks?: RegExp;
  /** What must not happen is a process outliving the execution: checked with ps afterwards. */
  lingers?: boolean;
}

const DENIED = /PERMISSION_DENIED/;

/**
 * Raw system calls for the probes that have none of their own: JavaScript cannot make one, so a
 * TypeScript handler (like a Bash command) reaches the kernel through a program in the sandbox —
 * python3 with ctypes, running this. argv[1] is the step as JSON: nr, args (integers; {str};
 * {buf: size, set: [[offset, bytes, value]]}; {child: true}, the pid of a fresh `sleep 5`), abi
 * ("x32": the number with bit 0x40000000; "i386": getpid through int 0x80 from mapped code) and
 * forks (a clone: the child exits at once, the parent reaps it). Prints {ok, detail}; exit 0 iff ok.
 */
export const PY_RAW = `
import ctypes, errno, json, mmap, os, subprocess, sys
s = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
keep, kids = [], []
def arg(a):
    if isinstance(a, int):
        return ctypes.c_long(a)
    if a.get("child"):
        kids.append(subprocess.Popen(["/bin/sleep", "5"]))
        return ctypes.c_long(kids[-1].pid)
    b = ctypes.create_string_buffer(a["str"].encode()) if "str" in a else ctypes.create_string_buffer(a["buf"])
    for off, size, v in a.get("set", []):
        ctypes.memmove(ctypes.addressof(b) + off, v.to_bytes(size, "little"), size)
    keep.append(b)
    return ctypes.c_void_p(ctypes.addressof(b))
def done(r, e):
    for k in kids:
        k.kill()
    print(json.dumps({"ok": r >= 0, "detail": "returned %d" % r if r >= 0 else errno.errorcode.get(e, str(e))}))
    sys.exit(0 if r >= 0 else 1)
if s.get("abi") == "i386":
    # push r8-r15; mov eax, 20 (getpid in the i386 table); int 0x80; pop r15-r8; ret
    m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    m.write(bytes.fromhex("41504151415241534154415541564157b814000000cd80415f415e415d415c415b415a41594158c3"))
    r = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))()
    done(r, -r)
r = libc.syscall(ctypes.c_long(s["nr"] | (0x40000000 if s.get("abi") == "x32" else 0)), *[arg(a) for a in s.get("args", [])])
e = ctypes.get_errno()
if s.get("forks") and r == 0:
    os._exit(0)
if s.get("forks") and r > 0:
    os.waitpid(r, 0)
done(r, e)
`;

const ARCH: SeccompArch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
const nr = (name: string) => (REFUSED[name] ?? CHECKED[name as keyof typeof CHECKED])![ARCH]!;
/** A raw system call, made natively by the Python and Go probes and through python3 by the TypeScript one. */
const sys = (name: string, args: unknown[] = [], extra: Record<string, unknown> = {}) => ({
  do: 'syscall',
  name,
  nr: nr(name),
  args,
  py: PY_RAW,
  ...extra,
});
/** The same from a Bash command. */
const bashSys = (name: string, args: unknown[] = [], extra: Record<string, unknown> = {}) => ({
  do: 'bash',
  command: `python3 -c ${shq(PY_RAW)} ${shq(JSON.stringify({ nr: nr(name), args, ...extra }))}`,
});
const shq = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
/** Refused by the seccomp filter (or, where this kernel lacks the call or ABI, by the kernel itself). */
const SYSCALL_REFUSED = /EPERM|ENOSYS|EAFNOSUPPORT|SIGSEGV/;
const NESTED_NS_REFUSED = /not permitted|No space left/;
const CLONE_NEWUSER = 0x10000000;
const SIGCHLD = 17;
const x86 = process.arch === 'x64';

export const ATTEMPTS: Attempt[] = [
  // Host files, directly.
  { name: 'read /etc/shadow', step: { do: 'read', path: '/etc/shadow' } },
  { name: "read the host's /etc/passwd (not mounted)", step: { do: 'read', path: '/etc/passwd' } },
  { name: 'list /root', step: { do: 'list', path: '/root' } },
  { name: "list the platform's data folder", step: { do: 'list', path: '$DATA_DIR' } },
  { name: "read the platform's database files", step: { do: 'list', path: '$DATA_DIR/db' } },
  { name: "read another skill's bundle by its host path", step: { do: 'read', path: '$OTHER_BUNDLE/DECISIONS.md' } },
  { name: 'read a blocked shared resource directly', step: { do: 'read', path: '/shared/runbooks/refund.md' } },
  { name: 'list a blocked shared folder', step: { do: 'list', path: '/shared/runbooks' } },
  {
    name: 'read a blocked shared resource through ../',
    step: { do: 'read', path: '/shared/queries/../runbooks/refund.md' },
  },
  // Through the host's tools: the guard resolves and checks every path.
  {
    name: 'tool Read of a blocked shared resource',
    step: { do: 'tool', op: 'read', args: { path: '/shared/runbooks/refund.md' } },
    detail: DENIED,
  },
  {
    name: 'tool Read out of the bundle with ../',
    step: { do: 'tool', op: 'read', args: { path: '../../../../etc/shadow' } },
    detail: DENIED,
  },
  {
    name: 'tool Read of a blocked resource through ../',
    step: { do: 'tool', op: 'read', args: { path: '/shared/queries/../runbooks/refund.md' } },
    detail: DENIED,
  },
  { name: 'tool Read of a host path', step: { do: 'tool', op: 'read', args: { path: '/etc/passwd' } }, detail: DENIED },
  {
    name: 'tool Grep over blocked files',
    step: { do: 'tool', op: 'grep', args: { pattern: 'runbook-secret', path: '/shared' } },
    leaks: /runbook-secret/,
  },
  {
    name: 'tool Read through a symlink in /scratch to a host file',
    step: {
      do: 'symlink',
      target: '/etc/shadow',
      link: '/scratch/l1',
      then: { do: 'tool', op: 'read', args: { path: '/scratch/l1' } },
    },
    detail: DENIED,
  },
  {
    name: 'tool Read through a symlink in /scratch to a blocked resource',
    step: {
      do: 'symlink',
      target: '$SHARED_SRC/ecm/shared/runbooks/refund.md',
      link: '/scratch/l2',
      then: { do: 'tool', op: 'read', args: { path: '/scratch/l2' } },
    },
    detail: DENIED,
  },
  {
    name: 'tool Write through a symlink in /scratch out of it',
    step: {
      do: 'symlink',
      target: '$DATA_DIR',
      link: '/scratch/l3',
      then: { do: 'tool', op: 'write', args: { path: '/scratch/l3/pwned', content: 'x' } },
    },
    detail: DENIED,
  },
  {
    name: 'tool Write into the bundle',
    step: { do: 'tool', op: 'write', args: { path: 'DECISIONS.md', content: 'x' } },
    detail: DENIED,
  },
  // Writes outside /scratch.
  { name: 'write into the bundle', step: { do: 'write', path: '/skill/pwned' } },
  { name: 'write into /usr', step: { do: 'write', path: '/usr/pwned' } },
  { name: 'write into /etc', step: { do: 'write', path: '/etc/pwned' } },
  // Network.
  { name: "TCP to the platform's own API on 127.0.0.1", step: { do: 'tcp', host: '127.0.0.1', port: '$API_PORT' } },
  { name: 'TCP to PostgreSQL on 127.0.0.1:5432', step: { do: 'tcp', host: '127.0.0.1', port: 5432 } },
  { name: 'TCP out to the internet', step: { do: 'tcp', host: '1.1.1.1', port: 443 } },
  { name: 'UDP out', step: { do: 'udp', host: '8.8.8.8', port: 53 } },
  { name: "a unix socket of the host (PostgreSQL's)", step: { do: 'unix', path: '/run/postgresql/.s.PGSQL.5432' } },
  { name: 'an abstract unix socket the host listens on', step: { do: 'abstract', name: '$ABSTRACT' } },
  { name: 'resolve DNS', step: { do: 'dns', name: 'example.com' } },
  // Environment and secrets.
  { name: "read the platform's environment", step: { do: 'env', name: 'ASPORA_HOST_ONLY_SECRET' } },
  { name: 'read an undeclared secret', step: { do: 'secret', name: 'OTHER_SECRET' } },
  { name: "find another execution's secret in any process", step: { do: 'scan', needle: '$OTHER_SECRET_VALUE' } },
  // Processes.
  { name: 'signal a host process', step: { do: 'signal', pid: '$HOST_PID' } },
  { name: 'ptrace a host process', step: { do: 'ptrace', pid: '$HOST_PID' } },
  { name: 'see the host processes', step: { do: 'procs' } },
  { name: 'mount a filesystem', step: { do: 'exec', argv: ['/bin/mount', '-t', 'tmpfs', 'none', '/scratch'] } },
  // Nested namespaces and the kernel's wider surface (bwrap --disable-userns, sandbox/seccomp.ts).
  {
    name: 'unshare -Urmn: root with every capability in a nested user namespace',
    step: { do: 'exec', argv: ['unshare', '-Urmn', 'true'] },
    detail: NESTED_NS_REFUSED,
  },
  {
    name: 'unshare -U: a nested user namespace',
    step: { do: 'exec', argv: ['unshare', '-U', 'true'] },
    detail: NESTED_NS_REFUSED,
  },
  {
    name: 'mount a tmpfs in a nested mount namespace',
    step: { do: 'exec', argv: ['unshare', '-Urm', 'mount', '-t', 'tmpfs', 'none', '/tmp'] },
    detail: NESTED_NS_REFUSED,
  },
  {
    name: 'clone a child into a new user namespace',
    step: sys('clone', [CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0], { forks: true }),
    detail: SYSCALL_REFUSED,
  },
  {
    name: 'clone3 a child into a new user namespace (flags the filter cannot read)',
    step: sys(
      'clone3',
      [
        {
          buf: 88,
          set: [
            [0, 8, CLONE_NEWUSER],
            [32, 8, SIGCHLD],
          ],
        },
        88,
      ],
      { forks: true },
    ),
    detail: SYSCALL_REFUSED,
  },
  {
    name: 'ptrace-attach a process of the sandbox',
    step: sys('ptrace', [16 /* PTRACE_ATTACH */, { child: true }, 0, 0]),
    detail: SYSCALL_REFUSED,
  },
  {
    name: 'keyctl: the kernel keyring (not namespaced)',
    step: sys('keyctl', [0 /* GET_KEYRING_ID */, -3 /* session */, 1]),
    detail: SYSCALL_REFUSED,
  },
  {
    name: 'bpf: create a map',
    step: sys('bpf', [
      0 /* MAP_CREATE */,
      {
        buf: 72,
        set: [
          [0, 4, 2],
          [4, 4, 4],
          [8, 4, 4],
          [12, 4, 1],
        ],
      },
      72,
    ]),
    detail: SYSCALL_REFUSED,
  },
  {
    name: 'perf_event_open on itself',
    step: sys('perf_event_open', [
      {
        buf: 128,
        set: [
          [0, 4, 1],
          [4, 4, 128],
          [40, 8, 0x60],
        ],
      },
      0,
      -1,
      -1,
      0,
    ]),
    detail: SYSCALL_REFUSED,
  },
  { name: 'io_uring_setup', step: sys('io_uring_setup', [1, { buf: 120 }]), detail: SYSCALL_REFUSED },
  { name: 'userfaultfd (user-mode faults)', step: sys('userfaultfd', [1]), detail: SYSCALL_REFUSED },
  {
    name: 'personality: turn address-space randomisation off',
    step: sys('personality', [0x0040000]),
    detail: SYSCALL_REFUSED,
  },
  {
    name: "a vsock socket (a virtual machine's channel to its host)",
    step: sys('socket', [40 /* AF_VSOCK */, 1, 0]),
    detail: SYSCALL_REFUSED,
  },
  ...(x86
    ? [
        {
          name: 'the x32 ABI: getpid with bit 0x40000000',
          step: { do: 'syscall', name: 'getpid', nr: 39, args: [], abi: 'x32', py: PY_RAW },
          detail: SYSCALL_REFUSED,
        },
        {
          name: 'the i386 ABI: getpid through int 0x80',
          step: { do: 'syscall', name: 'getpid', nr: 20, args: [], abi: 'i386', py: PY_RAW },
          detail: SYSCALL_REFUSED,
        },
      ]
    : []),
  // Limits.
  { name: 'fork bomb', step: { do: 'forkbomb' }, mayEndExecution: true },
  {
    name: 'memory bomb',
    step: { do: 'membomb' },
    mayEndExecution: true,
    detail: /runtime\.memory|MemoryError|ENOMEM|Cannot allocate/,
  },
  { name: 'fill the disk', step: { do: 'diskfill' }, mayEndExecution: true },
  // The same again through Bash (a sibling process in the same sandbox).
  { name: 'Bash: cat /etc/shadow', step: { do: 'bash', command: 'cat /etc/shadow' } },
  { name: "Bash: the platform's data folder", step: { do: 'bash', command: 'ls $DATA_DIR' } },
  { name: 'Bash: a blocked shared resource', step: { do: 'bash', command: 'cat /shared/runbooks/refund.md' } },
  { name: 'Bash: write outside /scratch', step: { do: 'bash', command: 'touch /skill/pwned' } },
  {
    name: 'Bash: TCP to the platform',
    step: {
      do: 'bash',
      command: 'python3 -c "import socket; socket.create_connection((\'127.0.0.1\', $API_PORT), 1)"',
    },
  },
  { name: 'Bash: DNS', step: { do: 'bash', command: 'getent hosts example.com' } },
  { name: "Bash: the platform's environment", step: { do: 'bash', command: 'env | grep ASPORA_HOST_ONLY_SECRET' } },
  { name: 'Bash: signal a host process', step: { do: 'bash', command: 'kill -0 $HOST_PID' } },
  { name: 'Bash: unshare -Urmn true', step: { do: 'bash', command: 'unshare -Urmn true' }, detail: NESTED_NS_REFUSED },
  { name: 'Bash: unshare -U true', step: { do: 'bash', command: 'unshare -U true' }, detail: NESTED_NS_REFUSED },
  {
    name: 'Bash: mount in a nested mount namespace',
    step: { do: 'bash', command: 'unshare -Urm mount -t tmpfs none /tmp' },
    detail: NESTED_NS_REFUSED,
  },
  {
    name: 'Bash: clone into a new user namespace (python3 ctypes)',
    step: bashSys('clone', [CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0], { forks: true }),
    detail: SYSCALL_REFUSED,
  },
  {
    name: 'Bash: ptrace-attach a process of the sandbox (python3 ctypes)',
    step: bashSys('ptrace', [16, { child: true }, 0, 0]),
    detail: SYSCALL_REFUSED,
  },
  { name: 'Bash: keyctl (python3 ctypes)', step: bashSys('keyctl', [0, -3, 1]), detail: SYSCALL_REFUSED },
  {
    name: 'Bash: perf_event_open (python3 ctypes)',
    step: bashSys('perf_event_open', [
      {
        buf: 128,
        set: [
          [0, 4, 1],
          [4, 4, 128],
          [40, 8, 0x60],
        ],
      },
      0,
      -1,
      -1,
      0,
    ]),
    detail: SYSCALL_REFUSED,
  },
  {
    name: 'Bash: io_uring_setup (python3 ctypes)',
    step: bashSys('io_uring_setup', [1, { buf: 120 }]),
    detail: SYSCALL_REFUSED,
  },
  {
    name: 'Bash: fork bomb',
    step: { do: 'bash', command: 'i=0; while [ $i -lt 3000 ]; do sleep 30 & i=$((i+1)); done; wait', timeoutMs: 6000 },
    mayEndExecution: true,
  },
  {
    name: 'Bash: fill the disk',
    step: { do: 'bash', command: 'dd if=/dev/zero of=/scratch/fill bs=16M count=128' },
    mayEndExecution: true,
  },
  // Leaving something behind.
  {
    name: 'leave a process running after the timeout',
    step: { do: 'linger', seconds: '$LINGER' },
    short: true,
    mayEndExecution: true,
    lingers: true,
  },
  {
    name: 'Bash: leave a process running after it returns',
    step: { do: 'bash', command: 'setsid sleep $LINGER_BASH > /dev/null 2>&1 & echo started', timeoutMs: 3000 },
    lingers: true,
  },
];
