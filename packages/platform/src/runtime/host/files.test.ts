/**
 * The host's Read, Write and Grep on what a sandbox made, on real files: FIFOs and sockets never
 * block a thread of libuv's pool, reads stop at their cap, Grep at its byte budget, a call at its
 * deadline, and a failure names the path in the sandbox, never the host's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsporaError } from '@aspora/sdk';
import { PermissionGuard } from '../policy/guard.ts';
import type { SkillView } from '../policy/view.ts';
import { bounded, Deadline, readCapped } from './bounded.ts';
import { grepTool, readTool, writeTool } from './files.ts';

let root: string;
let view: SkillView;
let socket: Server;
const guard = new PermissionGuard({
  ref: 'test/files',
  domain: 'test',
  role: null,
  tools: ['Read', 'Write', 'Grep'],
  apis: [],
  secrets: [],
  sharedResources: [],
  blockedResources: [],
  webFetchHosts: [],
});

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'aspora-files-'));
  view = { bundleDir: join(root, 'bundle'), scratchDir: join(root, 'scratch') };
  mkdirSync(join(view.bundleDir, 'code'), { recursive: true });
  writeFileSync(join(view.bundleDir, 'DECISIONS.md'), '# Decisions\n');
  mkdirSync(join(view.scratchDir, 'dir'), { recursive: true });
  writeFileSync(join(view.scratchDir, 'file'), 'hello\n');
  spawnSync('mkfifo', [join(view.scratchDir, 'pipe'), join(view.scratchDir, 'dir', 'pipe')]);
  socket = createServer().listen(join(view.scratchDir, 'sock'));
  await new Promise((r) => socket.once('listening', r));
  symlinkSync('/etc', join(view.scratchDir, 'link'));
});
after(() => {
  // Should a FIFO open have blocked (the bug this guards against), open the other ends so the pool's threads come back.
  for (const f of ['pipe', 'dir/pipe'])
    closeSync(openSync(join(view.scratchDir, f), constants.O_RDWR | constants.O_NONBLOCK));
  socket.close();
  rmSync(root, { recursive: true, force: true });
});

/** The error a call ends in (it must end in one). */
async function failure(p: Promise<unknown>): Promise<AsporaError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AsporaError, `not typed: ${String(e)}`);
    return e;
  }
  assert.fail('the call succeeded');
}

describe('a FIFO or socket in /scratch', { timeout: 30_000 }, () => {
  test('Read, Write and Grep answer at once with a typed error (Grep passes over it), 32 at a time, and the thread pool stays free', async () => {
    const calls = [
      ...Array.from({ length: 12 }, () => failure(readTool(guard, view, '/scratch/pipe'))),
      ...Array.from({ length: 4 }, () => failure(readTool(guard, view, '/scratch/sock'))),
      ...Array.from({ length: 8 }, () => failure(writeTool(guard, view, '/scratch/pipe', 'x'))),
      ...Array.from({ length: 4 }, () => grepTool(guard, view, 'x', '/scratch/pipe')),
      ...Array.from({ length: 4 }, () => grepTool(guard, view, 'hello', '/scratch')),
    ];
    const out = await Promise.all(calls);
    for (const e of out.slice(0, 24) as AsporaError[]) {
      assert.equal(e.code, 'BAD_REQUEST', e.message);
      assert.match(e.message, /^(read|write): \/scratch\/(pipe|sock) is not a regular file/);
    }
    assert.deepEqual(out.slice(24, 28), [[], [], [], []]);
    for (const hits of out.slice(28)) assert.deepEqual(hits, [{ path: '/scratch/file', line: 1, text: 'hello' }]);
    // An fs call of the platform's own goes through the same pool.
    assert.equal(readFileSync(join(view.bundleDir, 'DECISIONS.md'), 'utf8'), '# Decisions\n');
    assert.equal(
      await (await import('node:fs/promises')).readFile(join(view.bundleDir, 'DECISIONS.md'), 'utf8'),
      '# Decisions\n',
    );
  });

  test('with a reader on the other end, Write still refuses it (the type is checked after the non-blocking open)', async () => {
    const reader = await open(join(view.scratchDir, 'pipe'), 'r+'); // O_RDWR: never blocks on a FIFO
    try {
      const e = await failure(writeTool(guard, view, '/scratch/pipe', 'x'));
      assert.equal(e.code, 'BAD_REQUEST');
    } finally {
      await reader.close();
    }
  });
});

describe('sizes and time', () => {
  test('a read stops at its cap however long the file goes on (/dev/zero)', async () => {
    const fh = await open('/dev/zero', 'r');
    try {
      assert.equal(await readCapped(fh, 1024 * 1024, new Deadline('read', 10_000)), null);
    } finally {
      await fh.close();
    }
  });

  test('Read refuses a file over 8 MB with PAYLOAD_TOO_LARGE', async () => {
    writeFileSync(join(view.scratchDir, 'big'), Buffer.alloc(8 * 1024 * 1024 + 1));
    assert.equal((await failure(readTool(guard, view, '/scratch/big'))).code, 'PAYLOAD_TOO_LARGE');
  });

  test('Grep reads at most 32 MB per call: files past the budget are not read', async () => {
    const d = join(view.scratchDir, 'many');
    mkdirSync(d);
    // 10 files of 4 MB with a match on their last line: the first 8 fit the budget.
    for (let i = 0; i < 10; i++) writeFileSync(join(d, `f${i}`), `${'.'.repeat(4 * 1024 * 1024 - 7)}\nneedle`);
    const hits = await grepTool(guard, view, 'needle', '/scratch/many');
    assert.deepEqual(
      hits.map((h) => h.path),
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `/scratch/many/f${i}`),
    );
    rmSync(d, { recursive: true });
  });

  test('a call that outlives its deadline answers TIMEOUT', async () => {
    const e = await failure(bounded('grep', () => new Promise(() => {}), 50));
    assert.equal(e.code, 'TIMEOUT');
    assert.match(e.message, /^grep: did not finish within 50 ms/);
  });
});

describe('failures name the path in the sandbox, never the host path', () => {
  const cases: Array<[string, () => Promise<unknown>, string, RegExp]> = [
    [
      'a name too long in the bundle',
      () => readTool(guard, view, 'x'.repeat(300)),
      'BAD_REQUEST',
      /^read: a name in \/skill\/x+ is too long$/,
    ],
    [
      'a name too long in /scratch',
      () => readTool(guard, view, `/scratch/${'x'.repeat(300)}`),
      'BAD_REQUEST',
      /^read: a name in \/scratch\/x+ is too long$/,
    ],
    [
      'Grep of a name too long',
      () => grepTool(guard, view, 'x', `/scratch/${'x'.repeat(300)}`),
      'BAD_REQUEST',
      /^grep: a name in \/scratch\/x+ is too long$/,
    ],
    ['a missing file', () => readTool(guard, view, '/scratch/nope'), 'NOT_FOUND', /^no file \/scratch\/nope$/],
    [
      'a file used as a folder',
      () => readTool(guard, view, '/scratch/file/x'),
      'NOT_FOUND',
      /^no file \/scratch\/file\/x$/,
    ],
    [
      'a folder read as a file',
      () => readTool(guard, view, '/scratch/dir'),
      'BAD_REQUEST',
      /^read: \/scratch\/dir is a folder$/,
    ],
    [
      'a folder written as a file',
      () => writeTool(guard, view, '/scratch/dir', 'x'),
      'BAD_REQUEST',
      /^write: \/scratch\/dir is a folder$/,
    ],
    [
      'a folder of the bundle read as a file',
      () => readTool(guard, view, 'code'),
      'BAD_REQUEST',
      /^read: \/skill\/code is a folder$/,
    ],
    [
      'a write below a symlink',
      () => writeTool(guard, view, '/scratch/link/passwd', 'x'),
      'PERMISSION_DENIED',
      /may not use \/scratch\/link\/passwd: symlinks in \/scratch are not followed$/,
    ],
    [
      'a read of a symlink',
      () => readTool(guard, view, '/scratch/link'),
      'PERMISSION_DENIED',
      /may not use \/scratch\/link: symlinks in \/scratch are not followed$/,
    ],
  ];
  for (const [name, call, code, message] of cases) {
    test(name, async () => {
      const e = await failure(call());
      assert.equal(e.code, code, e.message);
      assert.match(e.message, message);
      assert.ok(
        !e.message.includes(root) && !e.message.includes('/proc/self/fd') && !(e.hint ?? '').includes(root),
        e.message,
      );
    });
  }

  test('a file the host may not open (mode 000, platform not root) is a denial naming it', {
    skip: process.getuid?.() === 0 ? 'root reads any mode' : undefined,
  }, async () => {
    writeFileSync(join(view.scratchDir, 'locked'), 'x');
    chmodSync(join(view.scratchDir, 'locked'), 0o000);
    const e = await failure(readTool(guard, view, '/scratch/locked'));
    assert.equal(e.code, 'PERMISSION_DENIED');
    assert.ok(!e.message.includes(root), e.message);
  });
});
