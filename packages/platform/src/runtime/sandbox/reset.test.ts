/**
 * resetWorker's fast path: a folder whose ctime has not moved since it was last seen empty is
 * not listed again. Whatever is added after that look must still be found and removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resetWorker, type Resettable } from './reset.ts';

function worker(): Resettable & { home: string } {
  const home = mkdtempSync(join(tmpdir(), 'aspora-reset-'));
  const dirs = { scratchDir: join(home, 'scratch'), tmpDir: join(home, 'tmp'), shmDir: join(home, 'shm') };
  for (const d of Object.values(dirs)) mkdirSync(d);
  return { home, dirs, cgroup: undefined };
}

test("a file added after a clean reset is found by the next one, in each folder, even with its folder's mtime set back", async () => {
  const w = worker();
  try {
    await sleep(80); // past the settling time: the clean look is trusted from here on
    for (const dir of [w.dirs.scratchDir, w.dirs.tmpDir!, w.dirs.shmDir!]) {
      assert.equal(await resetWorker(w), true, 'clean');
      const file = join(dir, 'left-by-alice');
      writeFileSync(file, 'alice');
      utimesSync(dir, 0, 0); // a handler may set mtime back; ctime it cannot
      assert.equal(await resetWorker(w), true);
      assert.equal(existsSync(file), false, `${file} survived the reset`);
      await sleep(80);
    }
  } finally {
    rmSync(w.home, { recursive: true, force: true });
  }
});

test('a file added within the same instant as the clean look is found too (a ctime that recent is not trusted)', async () => {
  const w = worker();
  try {
    for (let i = 0; i < 50; i++) {
      assert.equal(await resetWorker(w), true);
      const file = join(w.dirs.scratchDir, `f${i}`);
      writeFileSync(file, 'x'); // no wait: within the kernel's tick of the look, often
      assert.equal(await resetWorker(w), true);
      assert.equal(existsSync(file), false, `${file} survived the reset`);
    }
  } finally {
    rmSync(w.home, { recursive: true, force: true });
  }
});
