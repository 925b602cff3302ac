/**
 * The seccomp program's shape, run through a classic-BPF interpreter on the seccomp_data the
 * kernel would hand it: the ABI is checked first, x32 and foreign ABIs are refused whole, every
 * refused call is refused on both ABIs (numbers checked against the kernel headers where they are
 * installed), the argument checks hold, and everything else is allowed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  AUDIT_ARCH,
  CHECKED,
  CLONE_NEW_FLAGS,
  EAFNOSUPPORT,
  ENOSYS,
  EPERM,
  REFUSED,
  RET_ALLOW,
  X32_SYSCALL_BIT,
  retErrno,
  seccompProgram,
  type SeccompArch,
} from './seccomp.ts';

const prog = seccompProgram();
const ARCHES: SeccompArch[] = ['x86_64', 'aarch64'];
const ALLOW = RET_ALLOW;
const PERM = retErrno(EPERM);
const NOSYS = retErrno(ENOSYS);

/** Runs the program as the kernel does: A and a program counter over struct seccomp_data. */
function run(data: Buffer): number {
  const n = prog.length / 8;
  let a = 0;
  for (let pc = 0, steps = 0; pc < n; pc++, steps++) {
    assert.ok(steps <= n, 'the program loops');
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: // ld [k]
        assert.ok(k % 4 === 0 && k + 4 <= 64, `load at ${k}`);
        a = data.readUInt32LE(k);
        break;
      case 0x15: // jeq
        pc += a === k ? jt : jf;
        break;
      case 0x35: // jge (unsigned)
        pc += a >= k ? jt : jf;
        break;
      case 0x45: // jset
        pc += (a & k) >>> 0 !== 0 ? jt : jf;
        break;
      case 0x05: // ja
        pc += k;
        break;
      case 0x06: // ret
        return k;
      default:
        assert.fail(`unknown opcode ${code.toString(16)} at ${pc}`);
    }
  }
  return assert.fail('ran off the end of the program');
}

function call(arch: number, nr: number, args: Array<bigint | number> = []): number {
  const d = Buffer.alloc(64);
  d.writeUInt32LE(nr >>> 0, 0);
  d.writeUInt32LE(arch >>> 0, 4);
  d.writeBigUInt64LE(0x7f0000001000n, 8);
  for (const [i, v] of args.entries()) d.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), 16 + 8 * i);
  return run(d);
}

/** Syscall numbers from the installed kernel headers (linux-libc-dev), when they are there. */
function headers(path: string): Map<string, number> | undefined {
  if (!existsSync(path)) return undefined;
  return new Map(
    [...readFileSync(path, 'utf8').matchAll(/#define __NR_(\w+)\s+(\d+)/g)].map((m) => [m[1]!, Number(m[2])]),
  );
}
const HEADERS: Record<SeccompArch, Map<string, number> | undefined> = {
  x86_64: headers('/usr/include/x86_64-linux-gnu/asm/unistd_64.h'),
  aarch64: headers('/usr/include/asm-generic/unistd.h'),
};

test('the program is whole instructions, within the kernel limit, and loads the ABI before anything else', () => {
  assert.equal(prog.length % 8, 0);
  assert.ok(prog.length / 8 <= 4096, `${prog.length / 8} instructions`);
  assert.equal(prog.readUInt16LE(0), 0x20, 'first instruction is a load');
  assert.equal(prog.readUInt32LE(4), 4, 'of seccomp_data.arch');
});

test('a foreign ABI is refused whole: i386 (int 0x80), AArch32, anything else', () => {
  for (const arch of [0x40000003 /* i386 */, 0x40000028 /* arm */, 0xc00000f3 /* riscv64 */, 0]) {
    for (const nr of [0, 1, 20 /* i386 getpid */, 39, 172])
      assert.equal(call(arch, nr), NOSYS, `arch ${arch.toString(16)} nr ${nr}`);
  }
});

test('x32 (x86_64 numbers with bit 0x40000000) is refused, whatever the call', () => {
  for (const nr of [0, 39 /* getpid */, 165 /* mount */, 512, 0x3fffffff])
    assert.equal(call(AUDIT_ARCH.x86_64, X32_SYSCALL_BIT | nr), NOSYS, `x32 ${nr}`);
  // The same numbers on aarch64 are merely unknown calls: the kernel answers ENOSYS itself.
});

for (const arch of ARCHES) {
  describe(`${arch}`, () => {
    const A = AUDIT_ARCH[arch];

    test("the numbers are the kernel headers' numbers", {
      skip: HEADERS[arch] ? undefined : 'kernel headers not installed',
    }, () => {
      const h = HEADERS[arch]!;
      for (const [name, nr] of Object.entries({ ...REFUSED, ...CHECKED })) {
        // open_tree_attr (Linux 6.15) is newer than some installed headers.
        if (!h.has(name) && nr[arch] !== undefined && name === 'open_tree_attr') continue;
        assert.equal(nr[arch], h.get(name), `${name}`);
      }
    });

    test('every refused call is refused with EPERM', () => {
      const names = Object.entries(REFUSED).filter(([, n]) => n[arch] !== undefined);
      assert.ok(names.length >= 50, `${names.length} refused`);
      for (const [name, n] of names) assert.equal(call(A, n[arch]!), PERM, name);
      for (const name of [
        'mount',
        'unshare',
        'setns',
        'ptrace',
        'keyctl',
        'bpf',
        'perf_event_open',
        'io_uring_setup',
        'userfaultfd',
        'pidfd_getfd',
        'fsopen',
        'open_by_handle_at',
      ]) {
        assert.ok(REFUSED[name]?.[arch] !== undefined, `${name} is on the list`);
      }
    });

    test('every other call number is allowed (the filter refuses only what it names)', () => {
      const named = new Set([
        ...Object.values(REFUSED).map((n) => n[arch]),
        ...Object.values(CHECKED).map((n) => n[arch]),
      ]);
      for (let nr = 0; nr < 600; nr++) if (!named.has(nr)) assert.equal(call(A, nr), ALLOW, `nr ${nr}`);
      const h = HEADERS[arch];
      if (h)
        for (const name of [
          'read',
          'write',
          'openat',
          'execve',
          'mmap',
          'futex',
          'exit_group',
          'wait4',
          'pidfd_open',
          'seccomp',
          'prctl',
        ])
          assert.equal(call(A, h.get(name)!), ALLOW, name);
    });

    test('clone: threads, fork and vfork pass; any CLONE_NEW* flag is refused', () => {
      const nr = CHECKED.clone[arch];
      const THREAD = 0x3d0f00; // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID (glibc pthread_create)
      for (const flags of [
        THREAD,
        0x01200011 /* glibc fork */,
        0x4111 /* vfork */,
        17 /* SIGCHLD */,
        0xffffffff00000011n /* high word ignored by the kernel */,
      ]) {
        assert.equal(call(A, nr, [flags]), ALLOW, `flags ${flags.toString(16)}`);
      }
      for (let bit = 0; bit < 32; bit++) {
        const f = 2 ** bit;
        if (!(CLONE_NEW_FLAGS & f)) continue;
        assert.equal(call(A, nr, [f | 17]), PERM, `flag ${f.toString(16)}`);
        assert.equal(call(A, nr, [f | THREAD]), PERM, `flag ${f.toString(16)} with threads`);
      }
      for (const f of [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000])
        assert.ok(CLONE_NEW_FLAGS & f, `NS flag ${f.toString(16)}`);
    });

    test('clone3 is ENOSYS, so libc falls back to clone, whose flags are checked', () => {
      assert.equal(call(A, CHECKED.clone3[arch], [0, 88]), NOSYS);
    });

    test('personality: only the query and the default', () => {
      const nr = CHECKED.personality[arch];
      assert.equal(call(A, nr, [0]), ALLOW);
      assert.equal(call(A, nr, [0xffffffff]), ALLOW);
      for (const p of [
        0x0040000 /* ADDR_NO_RANDOMIZE */, 0x0400000 /* READ_IMPLIES_EXEC */, 8 /* PER_LINUX32 */,
        0x20000 /* UNAME26 */, 1,
      ])
        assert.equal(call(A, nr, [p]), PERM, `persona ${p.toString(16)}`);
    });

    test('ioctl: TIOCSTI and TIOCLINUX are refused, with or without high bits; others pass', () => {
      const nr = CHECKED.ioctl[arch];
      for (const req of [0x5412, 0x541c, 0xdead00000000n | 0x5412n, 0xffffffff00000000n | 0x541cn])
        assert.equal(call(A, nr, [1, req]), PERM, `req ${req.toString(16)}`);
      for (const req of [0x541b /* FIONREAD */, 0x5401 /* TCGETS */, 0x5413 /* TIOCGWINSZ */])
        assert.equal(call(A, nr, [1, req]), ALLOW);
    });

    test('socket: unix, inet, inet6 and netlink; other families are EAFNOSUPPORT', () => {
      const nr = CHECKED.socket[arch];
      for (const fam of [0, 1, 2, 10, 16]) assert.equal(call(A, nr, [fam, 1, 0]), ALLOW, `family ${fam}`);
      for (const fam of [17 /* packet */, 38 /* alg */, 40 /* vsock */, 21 /* rds */, 30 /* tipc */, 44 /* xdp */])
        assert.equal(call(A, nr, [fam, 1, 0]), retErrno(EAFNOSUPPORT), `family ${fam}`);
    });
  });
}
