/**
 * The remover of sandbox-writable trees, on real files: what it removes, that it never follows a
 * link (also while another process keeps swapping a folder for a symlink to host files), that it
 * copes with folders made unreadable, and that a writer refilling a folder cannot hold it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyDir, removeTree } from './remove.ts';

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'aspora-remove-'));
  chmodSync(base, 0o755);
});
after(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
const fresh = (): string => {
  const d = join(base, `t${n++}`);
  mkdirSync(d, { mode: 0o755 });
  return d;
};

/** A host folder the tests must never touch: files and a subfolder. */
function victim(): { dir: string; count: () => number } {
  const dir = fresh();
  mkdirSync(join(dir, 'sub'));
  for (let i = 0; i < 50; i++) {
    writeFileSync(join(dir, `f${i}`), 'host');
    writeFileSync(join(dir, 'sub', `f${i}`), 'host');
  }
  const count = (d = dir): number =>
    readdirSync(d, { withFileTypes: true }).reduce((k, e) => k + (e.isDirectory() ? count(join(d, e.name)) : 1), 0);
  return { dir, count: () => count() };
}

/** Until the writer (a Python process, slow to start behind a version manager's shim) has written into `d`. */
async function written(d: string): Promise<void> {
  for (let i = 0; i < 300 && readdirSync(d).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(readdirSync(d).length > 0, 'the writer did not start');
}

describe('emptyDir', () => {
  test('removes files, folders, FIFOs, non-UTF-8 names and symlinks (never their targets), and keeps the folder', async () => {
    const v = victim();
    const d = fresh();
    mkdirSync(join(d, 'a/b/c'), { recursive: true });
    writeFileSync(join(d, 'a/b/c/file'), 'x');
    writeFileSync(join(d, 'top'), 'x');
    spawnSync('mkfifo', [join(d, 'fifo')]);
    writeFileSync(Buffer.from(`${d}/n\xff`, 'latin1'), 'x');
    symlinkSync(v.dir, join(d, 'link-to-host-folder'));
    symlinkSync(join(v.dir, 'f0'), join(d, 'a', 'link-to-host-file'));
    const r = await emptyDir(d);
    assert.equal(r.complete, true);
    assert.deepEqual(readdirSync(d), []);
    assert.equal(v.count(), 100, 'the link targets are intact');
  });

  test('a chain deeper than its handle limit is emptied too (moved up and continued)', async () => {
    const d = fresh();
    let p = d;
    for (let i = 0; i < 100; i++) {
      p = join(p, 'd');
      mkdirSync(p);
      writeFileSync(join(p, 'f'), 'x');
    }
    const r = await emptyDir(d, { maxDepth: 8 });
    assert.equal(r.complete, true);
    assert.deepEqual(readdirSync(d), []);
  });

  test('folders made unreadable and unwritable (mode 000, 500) are emptied', async () => {
    const d = fresh();
    mkdirSync(join(d, 'locked/inner'), { recursive: true });
    writeFileSync(join(d, 'locked/inner/f'), 'x');
    mkdirSync(join(d, 'readonly'));
    writeFileSync(join(d, 'readonly/f'), 'x');
    chmodSync(join(d, 'locked/inner'), 0o000);
    chmodSync(join(d, 'locked'), 0o000);
    chmodSync(join(d, 'readonly'), 0o500);
    assert.equal((await emptyDir(d)).complete, true);
    assert.deepEqual(readdirSync(d), []);
  });

  test('as a user that is not root, it chmods what it owns through handles and empties it', {
    skip: process.getuid?.() !== 0 ? 'needs root to switch to uid 65534' : undefined,
  }, () => {
    const d = fresh();
    mkdirSync(join(d, 'locked/inner'), { recursive: true });
    writeFileSync(join(d, 'locked/inner/f'), 'x');
    mkdirSync(join(d, 'readonly'));
    writeFileSync(join(d, 'readonly/f'), 'x');
    for (const p of ['', 'locked', 'locked/inner', 'locked/inner/f', 'readonly', 'readonly/f'])
      chownSync(join(d, p), 65534, 65534);
    chmodSync(join(d, 'locked/inner'), 0o000);
    chmodSync(join(d, 'locked'), 0o000);
    chmodSync(join(d, 'readonly'), 0o500);
    const script = `import { emptyDir } from ${JSON.stringify(fileURLToPath(new URL('./remove.ts', import.meta.url)))}; const r = await emptyDir(process.argv[1]); console.log(JSON.stringify(r));`;
    const out = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--',
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        d,
      ],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)) },
    );
    assert.equal(out.status, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).complete, true, out.stdout);
    assert.deepEqual(readdirSync(d), []);
  });

  describe('against another process that keeps swapping folders for symlinks to a host folder', () => {
    let swapper: ChildProcess | undefined;
    after(() => swapper?.kill('SIGKILL'));

    test('no host file is ever deleted', async () => {
      const v = victim();
      const d = fresh();
      // Each slot flips every round: a real folder with files (named like the host's), then a symlink to the victim.
      const py = `
import os, shutil, sys
d, victim = sys.argv[1], sys.argv[2]
r = 0
while True:
    for k in range(16):
        s, o = "%s/d%d" % (d, k), "%s/o%d" % (d, k)
        try:
            if r % 2 == 0:
                if os.path.islink(s): os.remove(s)
                shutil.rmtree(o, ignore_errors=True)
                os.mkdir(s)
                os.mkdir(s + "/sub")
                for j in range(3):
                    open("%s/f%d" % (s, j), "w").close()
                    open("%s/sub/f%d" % (s, j), "w").close()
            else:
                os.rename(s, o)
                os.symlink(victim, s)
        except OSError:
            pass
    r += 1
`;
      swapper = spawn('python3', ['-c', py, d, v.dir], { stdio: 'ignore' });
      await written(d);
      for (let i = 0; i < 200; i++) await emptyDir(d, { maxEntries: 5_000 });
      swapper.kill('SIGKILL');
      await new Promise((r) => swapper!.once('exit', r));
      assert.equal(v.count(), 100, `host files deleted: ${100 - v.count()}`);
      assert.equal((await emptyDir(d)).complete, true, 'once the writer is gone the folder empties');
    });
  });

  test('a writer that refills as fast as it is emptied cannot hold it: the call ends within its entry bound', async () => {
    const d = fresh();
    const py = `
import os, sys
d = sys.argv[1]
i = 0
while True:
    try:
        open("%s/f%d" % (d, i % 100000), "w").close()
    except OSError:
        pass
    i += 1
`;
    const w = spawn('python3', ['-c', py, d], { stdio: 'ignore' });
    try {
      await written(d);
      // Whether a listing happens to find it empty is up to the scheduler; the bound is not.
      for (let i = 0; i < 5; i++) {
        const r = await emptyDir(d, { maxEntries: 2_000 });
        assert.ok(r.visited <= 2_000, `visited ${r.visited}`);
      }
    } finally {
      w.kill('SIGKILL');
    }
  });
});

describe('removeTree', () => {
  test('removes the folder and what is in it, a symlink as a link, and an absent path is complete', async () => {
    const v = victim();
    const d = fresh();
    mkdirSync(join(d, 'tree/a'), { recursive: true });
    writeFileSync(join(d, 'tree/a/f'), 'x');
    symlinkSync(v.dir, join(d, 'tree/host'));
    assert.equal((await removeTree(join(d, 'tree'))).complete, true);
    assert.equal(existsSync(join(d, 'tree')), false);
    symlinkSync(v.dir, join(d, 'link'));
    assert.equal((await removeTree(join(d, 'link'))).complete, true);
    assert.equal(existsSync(join(d, 'link')), false);
    assert.deepEqual(await removeTree(join(d, 'absent')), { visited: 0, complete: true });
    await assert.rejects(removeTree('/'), /does not name a folder/);
    assert.equal(v.count(), 100);
  });
});
