/**
 * The seccomp filter every sandboxed process runs under (bwrap --seccomp FD): a classic-BPF
 * program generated here, so no native dependency. It lets through what handlers use and refuses
 * the kernel surface they never need — mounts and namespaces (the nested user-namespace route to
 * root-in-a-namespace and its kernel bugs), process inspection, the keyring, BPF, perf,
 * io_uring, modules, time, the NUMA and obsolete calls — the union of what Docker's default
 * profile and Flatpak refuse, less what a handler process does need.
 *
 * Shape: the ABI first (x86_64 or aarch64; every other one — the i386 ABI via int 0x80, x32,
 * AArch32 — is refused whole, or a call could take a number this filter does not look at), then
 * the calls checked on an argument (clone's namespace flags, personality, ioctl, socket's
 * family), then the refused calls, then allow.
 */

import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** struct seccomp_data: int nr; u32 arch; u64 ip; u64 args[6] — little-endian on both ABIs. */
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLow = (i: number) => 16 + 8 * i;

/** AUDIT_ARCH_* of the ABIs allowed. */
export const AUDIT_ARCH = { x86_64: 0xc000003e, aarch64: 0xc00000b7 } as const;
export type SeccompArch = keyof typeof AUDIT_ARCH;
/** x32 calls are x86_64 numbers with this bit set: without the check, `mount | X32` would pass. */
export const X32_SYSCALL_BIT = 0x40000000;

export const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
export const EPERM = 1;
export const ENOSYS = 38;
export const EAFNOSUPPORT = 97;
export const retErrno = (errno: number) => (RET_ERRNO | errno) >>> 0;

/** clone's CLONE_NEW* flags (CLONE_NEWTIME is clone3/unshare-only: clone's low byte is the exit signal). */
export const CLONE_NEW_FLAGS = 0x7e020000;
/** personality(2): PER_LINUX (set the default) and 0xffffffff (query) are all a handler needs. */
export const PERSONALITY_ALLOWED = [0, 0xffffffff];
/** Terminal input injection (CVE-2017-5226) and its virtual-console twin (CVE-2023-28100). */
export const IOCTL_REFUSED = { TIOCSTI: 0x5412, TIOCLINUX: 0x541c };
/** AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6, AF_NETLINK (interface lists); others are old kernel bug farms. */
export const SOCKET_FAMILIES = [0, 1, 2, 10, 16];

type Nr = { x86_64?: number; aarch64?: number };

/**
 * Refused with EPERM. Numbers: x86_64 from asm/unistd_64.h, aarch64 from asm-generic/unistd.h
 * (absent where the ABI has no such call). seccomp.test.ts checks them against the headers.
 */
export const REFUSED: Record<string, Nr> = {
  // Mounts and namespaces.
  mount: { x86_64: 165, aarch64: 40 },
  umount2: { x86_64: 166, aarch64: 39 },
  pivot_root: { x86_64: 155, aarch64: 41 },
  chroot: { x86_64: 161, aarch64: 51 },
  unshare: { x86_64: 272, aarch64: 97 },
  setns: { x86_64: 308, aarch64: 268 },
  open_tree: { x86_64: 428, aarch64: 428 },
  move_mount: { x86_64: 429, aarch64: 429 },
  fsopen: { x86_64: 430, aarch64: 430 },
  fsconfig: { x86_64: 431, aarch64: 431 },
  fsmount: { x86_64: 432, aarch64: 432 },
  fspick: { x86_64: 433, aarch64: 433 },
  mount_setattr: { x86_64: 442, aarch64: 442 },
  open_tree_attr: { x86_64: 467, aarch64: 467 },
  // Other processes.
  ptrace: { x86_64: 101, aarch64: 117 },
  process_vm_readv: { x86_64: 310, aarch64: 270 },
  process_vm_writev: { x86_64: 311, aarch64: 271 },
  process_madvise: { x86_64: 440, aarch64: 440 },
  pidfd_getfd: { x86_64: 438, aarch64: 438 },
  kcmp: { x86_64: 312, aarch64: 272 },
  // Kernel surface with a record of escalations, and nothing a handler needs.
  keyctl: { x86_64: 250, aarch64: 219 },
  add_key: { x86_64: 248, aarch64: 217 },
  request_key: { x86_64: 249, aarch64: 218 },
  bpf: { x86_64: 321, aarch64: 280 },
  perf_event_open: { x86_64: 298, aarch64: 241 },
  userfaultfd: { x86_64: 323, aarch64: 282 },
  io_uring_setup: { x86_64: 425, aarch64: 425 },
  io_uring_enter: { x86_64: 426, aarch64: 426 },
  io_uring_register: { x86_64: 427, aarch64: 427 },
  lookup_dcookie: { x86_64: 212, aarch64: 18 },
  fanotify_init: { x86_64: 300, aarch64: 262 },
  // The machine's, not the sandbox's: modules, kexec, I/O ports, swap, reboot, logs, accounting, time, quotas.
  kexec_load: { x86_64: 246, aarch64: 104 },
  kexec_file_load: { x86_64: 320, aarch64: 294 },
  init_module: { x86_64: 175, aarch64: 105 },
  finit_module: { x86_64: 313, aarch64: 273 },
  delete_module: { x86_64: 176, aarch64: 106 },
  create_module: { x86_64: 174 },
  get_kernel_syms: { x86_64: 177 },
  query_module: { x86_64: 178 },
  iopl: { x86_64: 172 },
  ioperm: { x86_64: 173 },
  swapon: { x86_64: 167, aarch64: 224 },
  swapoff: { x86_64: 168, aarch64: 225 },
  reboot: { x86_64: 169, aarch64: 142 },
  syslog: { x86_64: 103, aarch64: 116 },
  acct: { x86_64: 163, aarch64: 89 },
  settimeofday: { x86_64: 164, aarch64: 170 },
  clock_settime: { x86_64: 227, aarch64: 112 },
  clock_adjtime: { x86_64: 305, aarch64: 266 },
  adjtimex: { x86_64: 159, aarch64: 171 },
  quotactl: { x86_64: 179, aarch64: 60 },
  quotactl_fd: { x86_64: 443, aarch64: 443 },
  vhangup: { x86_64: 153, aarch64: 58 },
  nfsservctl: { x86_64: 180, aarch64: 42 },
  // Files by handle: the route of the 2014 "shocker" container breakout.
  open_by_handle_at: { x86_64: 304, aarch64: 265 },
  name_to_handle_at: { x86_64: 303, aarch64: 264 },
  // NUMA placement.
  mbind: { x86_64: 237, aarch64: 235 },
  get_mempolicy: { x86_64: 239, aarch64: 236 },
  set_mempolicy: { x86_64: 238, aarch64: 237 },
  set_mempolicy_home_node: { x86_64: 450, aarch64: 450 },
  migrate_pages: { x86_64: 256, aarch64: 238 },
  move_pages: { x86_64: 279, aarch64: 239 },
  // System V IPC and POSIX message queues: their objects live in the worker's IPC namespace, which
  // outlives an execution, and the host cannot empty it between users as it empties /scratch.
  // (POSIX shared memory and semaphores are files in /dev/shm, which is reset.)
  shmget: { x86_64: 29, aarch64: 194 },
  msgget: { x86_64: 68, aarch64: 186 },
  semget: { x86_64: 64, aarch64: 190 },
  mq_open: { x86_64: 240, aarch64: 180 },
  // Obsolete, or 16-bit segments (modify_ldt: a history of information leaks).
  uselib: { x86_64: 134 },
  ustat: { x86_64: 136 },
  sysfs: { x86_64: 139 },
  _sysctl: { x86_64: 156 },
  modify_ldt: { x86_64: 154 },
};

/** The calls checked on an argument, and clone3 (its flags are in memory the filter cannot read). */
export const CHECKED: Record<'clone' | 'clone3' | 'personality' | 'ioctl' | 'socket', Required<Nr>> = {
  clone: { x86_64: 56, aarch64: 220 },
  clone3: { x86_64: 435, aarch64: 435 },
  personality: { x86_64: 135, aarch64: 92 },
  ioctl: { x86_64: 16, aarch64: 29 },
  socket: { x86_64: 41, aarch64: 198 },
};

// Classic BPF opcodes.
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const JA = 0x05;
const RET_K = 0x06;

type Ins = { code: number; k: number; jt?: string; jf?: string; to?: string } | { label: string };

/** A small assembler: jumps name labels; conditional jumps must land within 255 instructions. */
function assemble(src: Ins[]): Buffer {
  const at = new Map<string, number>();
  const code: Array<Exclude<Ins, { label: string }>> = [];
  for (const i of src) {
    if ('label' in i) at.set(i.label, code.length);
    else code.push(i);
  }
  const out = Buffer.alloc(code.length * 8);
  code.forEach((i, pc) => {
    const rel = (l: string | undefined, max: number) => {
      if (l === undefined) return 0;
      const target = at.get(l);
      if (target === undefined || target <= pc) throw new Error(`seccomp: bad jump to ${l}`);
      const d = target - pc - 1;
      if (d > max) throw new Error(`seccomp: jump to ${l} too far (${d})`);
      return d;
    };
    out.writeUInt16LE(i.code, pc * 8);
    out.writeUInt8(rel(i.jt, 255), pc * 8 + 2);
    out.writeUInt8(rel(i.jf, 255), pc * 8 + 3);
    out.writeUInt32LE(i.code === JA ? rel(i.to, 0xffffffff) : i.k >>> 0, pc * 8 + 4);
  });
  return out;
}

const ld = (off: number): Ins => ({ code: LD_W_ABS, k: off });
const ret = (k: number): Ins => ({ code: RET_K, k });
const jeq = (k: number, jt?: string, jf?: string): Ins => ({
  code: JEQ_K,
  k,
  ...(jt ? { jt } : {}),
  ...(jf ? { jf } : {}),
});

/** The checks of one ABI, from its syscall number on; labels are prefixed so the two ABIs do not clash. */
function abiSection(arch: SeccompArch): Ins[] {
  const L = (s: string) => `${arch}:${s}`;
  const refused = Object.values(REFUSED)
    .map((n) => n[arch])
    .filter((n): n is number => n !== undefined);
  const c = (name: keyof typeof CHECKED) => CHECKED[name][arch];
  return [
    { label: L('start') },
    ld(OFF_NR),
    ...(arch === 'x86_64' ? [{ code: JGE_K, k: X32_SYSCALL_BIT, jt: L('enosys') }] : []),
    jeq(c('clone'), L('clone')),
    jeq(c('clone3'), L('enosys')),
    jeq(c('personality'), L('personality')),
    jeq(c('ioctl'), L('ioctl')),
    jeq(c('socket'), L('socket')),
    ...refused.map((n) => jeq(n, L('eperm'))),
    ret(RET_ALLOW),
    // clone: the kernel reads only the low 32 bits of the flags.
    { label: L('clone') },
    ld(argLow(0)),
    { code: JSET_K, k: CLONE_NEW_FLAGS, jt: L('eperm') },
    ret(RET_ALLOW),
    { label: L('personality') },
    ld(argLow(0)),
    ...PERSONALITY_ALLOWED.map((p) => jeq(p, L('allow'))),
    ret(retErrno(EPERM)),
    // ioctl's request is an unsigned int: compare the low word only, whatever the high one says.
    { label: L('ioctl') },
    ld(argLow(1)),
    ...Object.values(IOCTL_REFUSED).map((r) => jeq(r, L('eperm'))),
    ret(RET_ALLOW),
    { label: L('socket') },
    ld(argLow(0)),
    ...SOCKET_FAMILIES.map((f) => jeq(f, L('allow'))),
    ret(retErrno(EAFNOSUPPORT)),
    { label: L('allow') },
    ret(RET_ALLOW),
    { label: L('eperm') },
    ret(retErrno(EPERM)),
    { label: L('enosys') },
    ret(retErrno(ENOSYS)),
  ];
}

let program: Buffer | undefined;

/** The program as bwrap reads it: struct sock_filter[], 8 bytes each, host (little-endian) order. */
export function seccompProgram(): Buffer {
  program ??= assemble([
    ld(OFF_ARCH),
    jeq(AUDIT_ARCH.x86_64, undefined, 'not-x86_64'),
    { code: JA, k: 0, to: 'x86_64:start' },
    { label: 'not-x86_64' },
    jeq(AUDIT_ARCH.aarch64, undefined, 'other-abi'),
    { code: JA, k: 0, to: 'aarch64:start' },
    // i386 (int 0x80 from a 64-bit process), AArch32 and anything else: not one call gets through.
    { label: 'other-abi' },
    ret(retErrno(ENOSYS)),
    ...abiSection('x86_64'),
    ...abiSection('aarch64'),
  ]);
  return program;
}

/** Whether this host's processes run under one of the ABIs the filter allows. */
export function hostArchSupported(arch: string = process.arch): boolean {
  return arch === 'x64' || arch === 'arm64';
}

/** The fd bwrap is told to read the program from (--seccomp 4); it closes it before the handler runs. */
export const SECCOMP_FD = 4;

let held: number | undefined;

/**
 * A new read-only fd on the program, for one launch's fd 4; the caller closes it once spawned.
 * The program is written once, to a private file that is unlinked at once and held open; each
 * launch reopens it through /proc/self/fd, so each gets an offset of its own (bwrap reads to the
 * end) and nothing can replace the file in between.
 */
export function seccompFd(): number {
  if (held === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'aspora-seccomp-'));
    try {
      writeFileSync(join(dir, 'filter'), seccompProgram(), { mode: 0o400 });
      held = openSync(join(dir, 'filter'), 'r');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return openSync(`/proc/self/fd/${held}`, 'r');
}
