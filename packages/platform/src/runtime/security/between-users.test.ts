/**
 * Two users in a row on the same warm worker: nothing the first execution wrote anywhere its
 * sandbox can write (/scratch, /tmp, /dev/shm, /dev, HOME, TMPDIR, whatever mountinfo says is
 * read-write) is there for the second. The handler itself finds the places: every candidate and
 * every read-write mount it can see.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeFixture } from '../test-support.ts';

const CANDIDATES = [
  '/',
  '/dev',
  '/dev/shm',
  '/dev/mqueue',
  '/dev/pts',
  '/tmp',
  '/var/tmp',
  '/run',
  '/scratch',
  '/skill',
  '/shared',
  '/opt',
  '/etc',
  '/home',
  '/root',
  '/usr/local',
];

const HANDLERS = {
  typescript: `import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const CANDIDATES = ${JSON.stringify(CANDIDATES)};
/** Which worker process answered (pids are 2 in every sandbox). */
const worker = Math.random();

function places() {
  const rw = readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').map((l) => l.split(' ')).filter((f) => (f[5] ?? '').split(',').includes('rw')).map((f) => f[4]).filter((m) => m !== '/proc' && !m.startsWith('/proc/'));
  return [...new Set([...CANDIDATES, ...rw, process.env.HOME, process.env.TMPDIR].filter(Boolean))];
}

export const handler = async (ctx) => {
  const user = ctx.user.email;
  if (ctx.input.metadata.write) {
    const wrote = [];
    for (const p of places()) {
      try {
        writeFileSync(p + '/last-user', user);
        mkdirSync(p + '/of-' + user + '/deep', { recursive: true });
        wrote.push(p);
      } catch {}
    }
    // Bash runs beside the handler with the same writable folders.
    await ctx.tools.bash({ command: 'echo ' + user + ' > /tmp/bash-last-user; echo ' + user + ' > /dev/shm/bash-last-user' });
    return { success: true, message: 'wrote', data: { wrote, worker } };
  }
  const seen = [];
  for (const p of places()) {
    try {
      for (const n of readdirSync(p)) if (n.includes('last-user') || n.startsWith('of-')) seen.push(p + '/' + n);
    } catch {}
  }
  return { success: true, message: 'read', data: { seen, worker } };
};
`,
  python: `import os
import random

from aspora_sdk import SkillResult, skill_handler

CANDIDATES = ${JSON.stringify(CANDIDATES)}
# Which worker process answered (pids are 2 in every sandbox).
WORKER = random.random()


def places():
    rw = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            p = line.split(" ")
            if len(p) > 5 and "rw" in p[5].split(",") and p[4] != "/proc" and not p[4].startswith("/proc/"):
                rw.append(p[4])
    out = []
    for p in CANDIDATES + rw + [os.environ.get("HOME"), os.environ.get("TMPDIR")]:
        if p and p not in out:
            out.append(p)
    return out


@skill_handler
async def handler(context):
    user = context.user.email
    if context.input.metadata.get("write"):
        wrote = []
        for p in places():
            try:
                with open(p.rstrip("/") + "/last-user", "w") as f:
                    f.write(user)
                os.makedirs(p.rstrip("/") + "/of-" + user + "/deep", exist_ok=True)
                wrote.append(p)
            except OSError:
                pass
        return SkillResult(success=True, message="wrote", data={"wrote": wrote, "worker": WORKER})
    seen = []
    for p in places():
        try:
            seen += [p.rstrip("/") + "/" + n for n in os.listdir(p) if "last-user" in n or n.startswith("of-")]
        except OSError:
            pass
    return SkillResult(success=True, message="read", data={"seen": seen, "worker": WORKER})
`,
};

/** System V IPC objects and POSIX message queues live in the worker's IPC namespace, not in a folder. */
const IPC_HANDLER = `import ctypes
import os

from aspora_sdk import SkillResult, skill_handler

import random

libc = ctypes.CDLL(None, use_errno=True)
librt = ctypes.CDLL("librt.so.1", use_errno=True)
KEY = 0x41535052
CREAT = 0o1000
WORKER = random.random()


@skill_handler
async def handler(context):
    flags = CREAT | 0o600 if context.input.metadata.get("write") else 0
    made = {
        "shm": libc.shmget(KEY, 4096, flags),
        "msg": libc.msgget(KEY, flags),
        "sem": libc.semget(KEY, 1, flags),
        "mq": librt.mq_open(b"/last-user", (os.O_CREAT if flags else 0) | os.O_RDWR, 0o600, None),
    }
    return SkillResult(success=True, message="ipc", data={"there": sorted(k for k, v in made.items() if v >= 0), "worker": WORKER})
`;

// Two end users of one skill, as the platform authenticated them.
const ALICE = { id: 'u-alice', email: 'alice', name: null, team: null, role: null };
const BOB = { id: 'u-bob', email: 'bob', name: null, team: null, role: null };

let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  f = await runtimeFixture();
});
after(() => f.close());

type Data = { wrote?: string[]; seen?: string[]; worker: number };

for (const lang of ['typescript', 'python'] as const) {
  describe(`a ${lang} handler run by alice, then by bob on the same warm worker`, () => {
    test('bob sees nothing alice wrote: the only writable places are /scratch, /tmp and /dev/shm, and all three are emptied', async () => {
      await f.deploy({
        name: `leftovers-${lang}`,
        language: lang,
        permissions: '  tools: [Bash]',
        handler: HANDLERS[lang],
      });
      const ref = `test/leftovers-${lang}`;
      // A worker whose reset is not clean is killed, and bob then gets a fresh one: secure, but it
      // proves nothing here. Seen once in CI under load (cause not found); so up to 3 pairs, every
      // one checked, until one pair shared a warm worker.
      let shared = 0;
      for (let pair = 0; pair < 3 && !shared; pair++) {
        const alice = await f.runtime.run({ ref, input: { metadata: { write: true } }, user: ALICE });
        assert.equal(alice.error, null, JSON.stringify(alice.error));
        const bob = await f.runtime.run({ ref, input: { metadata: {} }, user: BOB });
        assert.equal(bob.error, null, JSON.stringify(bob.error));
        const a = (alice.result as { data: Data }).data;
        const b = (bob.result as { data: Data }).data;
        assert.deepEqual(b.seen, [], 'what bob found of alice');
        assert.deepEqual([...a.wrote!].sort(), ['/dev/shm', '/scratch', '/tmp'], 'where alice could write');
        if (b.worker === a.worker) shared++;
      }
      assert.equal(shared, 1, 'a pair served by the same warm worker');
    });
  });
}

describe('Writes a typescript handler fires and does not wait for', () => {
  test('are done before the reset (the host wrote them after it, into the next execution)', async () => {
    await f.deploy({
      name: 'late-writes',
      permissions: '  tools: [Write]',
      handler: `import { readdirSync } from 'node:fs';
const worker = Math.random();
export const handler = async (ctx) => {
  if (ctx.input.metadata.write) {
    for (let i = 0; i < 20; i++) ctx.tools.write({ path: '/scratch/late-' + i, content: ctx.user.email }).catch(() => {});
    return { success: true, message: 'fired', data: { seen: [], worker } };
  }
  return { success: true, message: 'read', data: { seen: readdirSync('/scratch'), worker } };
};`,
    });
    for (let i = 0; i < 5; i++) {
      const alice = await f.runtime.run({
        ref: 'test/late-writes',
        input: { metadata: { write: true } },
        user: ALICE,
      });
      await new Promise((r) => setTimeout(r, 100)); // the next request comes a little later
      const bob = await f.runtime.run({ ref: 'test/late-writes', input: { metadata: {} }, user: BOB });
      const a = (alice.result as { data: Data }).data;
      const b = (bob.result as { data: Data }).data;
      assert.equal(b.worker, a.worker, 'the same warm worker served both');
      assert.deepEqual(b.seen, [], 'what bob found of alice');
    }
  });
});

describe('IPC objects of the sandbox (a Python handler, alice then bob on the same worker)', () => {
  // They would outlive the execution in the worker's IPC namespace: the seccomp filter refuses their creation.
  test('bob finds no System V shared memory, message queue, semaphore or POSIX message queue of alice', async () => {
    await f.deploy({ name: 'ipc-leftovers', language: 'python', handler: IPC_HANDLER });
    const alice = await f.runtime.run({
      ref: 'test/ipc-leftovers',
      input: { metadata: { write: true } },
      user: ALICE,
    });
    const bob = await f.runtime.run({ ref: 'test/ipc-leftovers', input: { metadata: {} }, user: BOB });
    const a = (alice.result as { data: { there: string[]; worker: number } }).data;
    const b = (bob.result as { data: { there: string[]; worker: number } }).data;
    assert.equal(b.worker, a.worker, 'the same warm worker served both');
    assert.deepEqual(a.there, [], 'what alice could make');
    assert.deepEqual(b.there, [], `alice made ${a.there.join(', ') || 'nothing'}; bob found`);
  });
});
