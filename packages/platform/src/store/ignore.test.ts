/**
 * .asporaignore has git's semantics: the same patterns and paths give the same answers as
 * `git check-ignore` on a real repository (skipped, counted, where git is not installed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { createIgnore } from './ignore.ts';

// Cases a home-made matcher tends to get wrong: ** in its three places, a slash in the middle or
// at the end, character classes, escaped ! and #, trailing spaces, negation inside and outside
// an ignored directory, case.
const PATTERNS = [
  '# a comment',
  '*.log',
  '!keep.log',
  'build/',
  '/top.txt',
  'docs/*.tmp',
  'a/**/z.txt',
  '**/cache',
  'deep/**',
  '!deep/keep.md',
  'x[0-9].bin',
  '\\!bang.txt',
  '\\#hash.txt',
  'spaced.txt   ',
  'out/',
  '!out/keep.txt',
  'README.MD',
];
const FILES = [
  'a.log',
  'keep.log',
  'sub/b.log',
  'sub/keep.log',
  'build/x.js',
  'code/build/y.js',
  'code/build.txt',
  'top.txt',
  'code/top.txt',
  'docs/x.tmp',
  'docs/sub/x.tmp',
  'a/z.txt',
  'a/b/c/z.txt',
  'b/a/z.txt',
  'cache/v',
  'p/q/cache/w',
  'deep/f.txt',
  'deep/keep.md',
  'deep/e/keep.md',
  'x1.bin',
  'x12.bin',
  'xa.bin',
  '!bang.txt',
  'bang.txt',
  '#hash.txt',
  'spaced.txt',
  'out/keep.txt',
  'out/o.txt',
  'README.md',
  'docs/README.MD',
  'plain.txt',
];

const git = spawnSync('git', ['--version']).status === 0;

test('the same answers as git check-ignore', { skip: git ? false : 'git is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-ignore-'));
  try {
    const run = (args: string[], input?: string) =>
      spawnSync('git', ['-c', 'core.ignorecase=false', ...args], { cwd: dir, input, encoding: 'utf8' });
    assert.equal(run(['init', '-q']).status, 0);
    writeFileSync(join(dir, '.gitignore'), `${PATTERNS.join('\n')}\n`);
    for (const f of FILES) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), '');
    }
    // Every file and every directory on the way to one.
    const dirs = [
      ...new Set(
        FILES.flatMap((f) =>
          f
            .split('/')
            .slice(0, -1)
            .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
        ),
      ),
    ];
    const paths = [...FILES.map((p) => ({ p, isDir: false })), ...dirs.map((p) => ({ p, isDir: true }))];
    const r = run(['check-ignore', '--stdin', '-z'], paths.map((x) => x.p).join('\0'));
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const byGit = new Set(r.stdout.split('\0').filter(Boolean));
    const isIgnored = createIgnore(PATTERNS);
    const differ = paths
      .filter(({ p, isDir }) => isIgnored(p, isDir) !== byGit.has(p))
      .map(({ p, isDir }) => `${p}${isDir ? '/' : ''}: git ${byGit.has(p) ? 'ignores' : 'keeps'} it`);
    assert.deepEqual(differ, []);
    assert.ok(byGit.size > 10 && byGit.size < paths.length - 5, 'the cases exercise both answers');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('built-in ignores cannot be negated; they apply at any depth', () => {
  const isIgnored = createIgnore(['!.git/', '!node_modules/', '!*.pyc']);
  assert.equal(isIgnored('.git', true), true);
  assert.equal(isIgnored('code/node_modules', true), true);
  assert.equal(isIgnored('code/m.pyc', false), true);
  assert.equal(isIgnored('code/main.py', false), false);
});

test('.asporaignore is read only as a plain file of bounded size', async () => {
  const { packFolder } = await import('./pack.ts');
  const { symlinkSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'aspora-ignore-file-'));
  try {
    writeFileSync(join(dir, 'main.py'), 'print(1)\n');
    writeFileSync(join(dir, 'elsewhere'), '*.py\n');
    symlinkSync(join(dir, 'elsewhere'), join(dir, '.asporaignore'));
    await assert.rejects(packFolder(dir), /\.asporaignore is a symbolic link/);
    rmSync(join(dir, '.asporaignore'));
    writeFileSync(join(dir, '.asporaignore'), `${'x'.repeat(100)}\n`.repeat(1000));
    await assert.rejects(packFolder(dir), /more than 65536/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
