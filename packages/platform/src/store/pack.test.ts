import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AsporaError } from './errors.ts';
import { packFiles, packFolder } from './pack.ts';
import { unpackBundle } from './unpack.ts';
import { haveOrSkip } from '../../test/tools.ts';

const tmpRoots: string[] = [];
after(async () => {
  await Promise.all(tmpRoots.map((d) => rm(d, { recursive: true, force: true })));
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'aspora-pack-'));
  tmpRoots.push(d);
  return d;
}

type Spec = Record<string, string | { text: string; mode: number }>;
async function writeTree(root: string, spec: Spec, order: string[] = Object.keys(spec)): Promise<void> {
  for (const rel of order) {
    const v = spec[rel]!;
    const abs = join(root, rel);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, typeof v === 'string' ? v : v.text);
    if (typeof v !== 'string') await chmod(abs, v.mode);
  }
}

function code(e: unknown): string {
  assert.ok(e instanceof AsporaError, `expected AsporaError, got ${String(e)}`);
  assert.ok(e.hint, 'every error carries a hint');
  return e.code;
}

const skill: Spec = {
  'SKILL.md': '---\nname: demo\n---\nHello\n',
  'aspora.config.yaml': 'skill:\n  name: demo\n  version: 1.0.0\n',
  'code/main.py': 'print("hi")\n',
  'code/run.sh': { text: '#!/bin/sh\necho hi\n', mode: 0o755 },
  'tests/test_main.py': 'def test(): pass\n',
  'assets/data/ü-unicode.txt': 'unicode name\n',
};

describe('packFolder determinism', () => {
  test('same content → identical bytes, regardless of creation order, mtimes and permission bits', async () => {
    const a = await tmp();
    const b = await tmp();
    await writeTree(a, skill);
    await writeTree(b, skill, Object.keys(skill).reverse());
    // Different mtimes and non-executable permission noise on b.
    await utimes(join(b, 'SKILL.md'), new Date('2001-02-03'), new Date('2001-02-03'));
    await utimes(join(a, 'code/main.py'), new Date(), new Date('2024-05-06'));
    await chmod(join(b, 'code/main.py'), 0o600);
    await chmod(join(b, 'SKILL.md'), 0o664);
    await chmod(join(b, 'code/run.sh'), 0o700); // still executable

    const pa = await packFolder(a);
    const pb = await packFolder(b);
    assert.equal(pa.digest, pb.digest);
    assert.ok(pa.bytes.equals(pb.bytes));
    assert.match(pa.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(pa.size, pa.bytes.length);
    // Entries in byte order of their path.
    assert.deepEqual(
      pa.files.map((f) => f.path),
      [
        'SKILL.md',
        'aspora.config.yaml',
        'assets/data/ü-unicode.txt',
        'code/main.py',
        'code/run.sh',
        'tests/test_main.py',
      ],
    );
    // gzip header: no mtime, no file name, fixed OS byte.
    assert.deepEqual([...pa.bytes.subarray(3, 8)], [0, 0, 0, 0, 0]);
    assert.equal(pa.bytes[9], 3);
  });

  test('one changed byte → different digest', async () => {
    const a = await tmp();
    await writeTree(a, skill);
    const before = await packFolder(a);
    await writeFile(join(a, 'code/main.py'), 'print("hI")\n');
    const afterChange = await packFolder(a);
    assert.notEqual(before.digest, afterChange.digest);
    const changed = afterChange.files.find((f) => f.path === 'code/main.py')!;
    assert.notEqual(changed.sha256, before.files.find((f) => f.path === 'code/main.py')!.sha256);
  });

  test('executable bit kept, other mode bits normalised; round trip is exact', async () => {
    const a = await tmp();
    await writeTree(a, skill);
    await chmod(join(a, 'code/main.py'), 0o640);
    const packed = await packFolder(a);
    const modes = Object.fromEntries(packed.files.map((f) => [f.path, f.mode]));
    assert.equal(modes['code/run.sh'], 0o755);
    assert.equal(modes['code/main.py'], 0o644);

    const files = await unpackBundle(packed.bytes);
    assert.deepEqual([...files.keys()].sort(), Object.keys(skill).sort());
    for (const [path, v] of Object.entries(skill)) {
      const got = files.get(path)!;
      assert.equal(got.data.toString(), typeof v === 'string' ? v : v.text);
      assert.equal(got.mode, path === 'code/run.sh' ? 0o755 : 0o644);
    }
  });

  test('system tar reads the archive with zeroed owner and time', async (t) => {
    if (!haveOrSkip(t, 'tar')) return;
    const a = await tmp();
    await writeTree(a, skill);
    const out = join(await tmp(), 'b.tar.gz');
    await writeFile(out, (await packFolder(a)).bytes);
    const listing = execFileSync('tar', ['-tvzf', out, '--numeric-owner'], { encoding: 'utf8' });
    assert.match(listing, /-rwxr-xr-x 0\/0 .* 1970-01-01 00:00 code\/run\.sh/);
    assert.equal(listing.trim().split('\n').length, Object.keys(skill).length);
  });
});

describe('packFolder ignore rules', () => {
  test('built-in ignores, .asporaignore (negation, dir-only, anchored) and opts.ignore', async () => {
    const a = await tmp();
    await writeTree(a, {
      ...skill,
      '.git/HEAD': 'ref: x',
      'node_modules/x/index.js': '',
      'code/node_modules/y.js': '',
      '.DS_Store': '',
      'code/__pycache__/m.cpython.pyc': '',
      'code/util.pyc': '',
      '.aspora/state.json': '{}',
      '.asporaignore': '# comment\n\n*.log\n!keep.log\nbuild/\n/top.txt\ndocs/**/*.tmp\n',
      'a.log': '',
      'keep.log': 'kept',
      'build/out.js': '',
      'code/build': 'a file named build is kept',
      'top.txt': '',
      'code/top.txt': 'only the root one is ignored',
      'docs/x/y.tmp': '',
      'docs/readme.md': 'kept',
      'secret.env': '',
    });
    const packed = await packFolder(a, { ignore: ['*.env', '!.git/'] });
    assert.deepEqual(
      packed.files.map((f) => f.path),
      [
        '.asporaignore',
        'SKILL.md',
        'aspora.config.yaml',
        'assets/data/ü-unicode.txt',
        'code/build',
        'code/main.py',
        'code/run.sh',
        'code/top.txt',
        'docs/readme.md',
        'keep.log',
        'tests/test_main.py',
      ],
    );
  });

  test('symlink is rejected naming the path, unless ignored', async () => {
    const a = await tmp();
    await writeTree(a, skill);
    await symlink('/etc/passwd', join(a, 'code/passwd'));
    await assert.rejects(packFolder(a), (e: unknown) => {
      assert.equal(code(e), 'BUNDLE_INVALID');
      assert.match((e as Error).message, /code\/passwd/);
      assert.match((e as AsporaError).hint!, /copy the file/);
      return true;
    });
    await symlink('..', join(a, 'assets/up'));
    await assert.rejects(packFolder(a, { ignore: ['code/passwd'] }), /assets\/up/);
    assert.equal((await packFolder(a, { ignore: ['code/passwd', 'up'] })).files.length, Object.keys(skill).length);
  });

  test('limits are checked while packing', async () => {
    const a = await tmp();
    await writeTree(a, { ...skill, 'assets/big.bin': 'x'.repeat(2000) });
    await assert.rejects(packFolder(a, { limits: { maxFileBytes: 1000 } }), (e: unknown) => {
      assert.equal(code(e), 'BUNDLE_TOO_LARGE');
      assert.match((e as Error).message, /assets\/big\.bin.*maxFileBytes/);
      return true;
    });
    await assert.rejects(packFolder(a, { limits: { maxFiles: 3 } }), /maxFiles/);
    await assert.rejects(packFolder(join(a, 'nope')), (e: unknown) => code(e) === 'BUNDLE_INVALID');
  });
});

describe('packFiles', () => {
  test('in-memory packing matches the folder packing and insertion order does not matter', async () => {
    const a = await tmp();
    await writeTree(a, skill);
    const entries = Object.entries(skill).map(
      ([p, v]) => [p, typeof v === 'string' ? Buffer.from(v) : { data: Buffer.from(v.text), mode: v.mode }] as const,
    );
    const m1 = await packFiles(new Map(entries));
    const m2 = await packFiles(new Map([...entries].reverse()));
    assert.equal(m1.digest, m2.digest);
    assert.equal(m1.digest, (await packFolder(a)).digest);
  });

  test('unsafe or conflicting paths are refused', async () => {
    for (const bad of [
      '../evil',
      '/abs',
      'a\\b',
      'a//b',
      './a',
      'a/./b',
      'a\0b',
      '',
      'n'.repeat(256),
      `${'d/'.repeat(512)}x`,
    ]) {
      await assert.rejects(
        packFiles(new Map([[bad, Buffer.from('x')]])),
        (e: unknown) => code(e) === 'BUNDLE_INVALID',
        bad,
      );
    }
    await assert.rejects(
      packFiles(
        new Map([
          ['a', Buffer.from('1')],
          ['a/b', Buffer.from('2')],
        ]),
      ),
      /inside "a"/,
    );
  });
});
