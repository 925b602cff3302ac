/**
 * The TypeScript adapter: what a handler may import still bundles (its own files, a text import,
 * `import type` and values of @aspora/sdk, @aspora/sdk/testing in tests, top-level await), stacks
 * still name the skill's files, and the build's own layer of defence — resolution confined to the
 * bundle and the SDK, every file read bounded by the build script — gives clear errors with
 * bundle-relative paths, in bubblewrap and without it. The attacks through a deployed skill are in
 * security/build.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { AsporaError } from '@aspora/sdk';
import { adapterRoot, buildSandbox, runtimeFixture } from '../test-support.ts';
import { skipUnless } from '../../../test/tools.ts';
import type { BuildSandbox } from '../sandbox/build.ts';
import { typescriptAdapter } from './typescript.ts';

let f: Awaited<ReturnType<typeof runtimeFixture>>;
let root: string;
let cacheDir: (name: string) => string;
let removeRoot: () => void;
before(async () => {
  f = await runtimeFixture();
  ({ root, cacheDir, remove: removeRoot } = adapterRoot('aspora-ts-'));
});
after(async () => {
  await f.close();
  removeRoot();
});

/** A bundle folder written directly (not through the store: links, FIFOs and sparse files allowed). */
function bundle(name: string, files: Record<string, string>): string {
  const dir = join(root, 'bundles', name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, rel), text, { mode: 0o644 });
  }
  execFileSync('chmod', ['-R', 'a+rX', join(root, 'bundles')]);
  return dir;
}

async function buildFails(
  dir: string,
  sandbox: BuildSandbox = buildSandbox(),
  entryPoint = 'code/handler.ts',
): Promise<AsporaError> {
  const name = `${dir.split('/').pop()}-${sandbox.mode}`;
  try {
    await typescriptAdapter.prepare({ bundleDir: dir, entryPoint, cacheDir: cacheDir(name), sandbox });
  } catch (e) {
    assert.ok(e instanceof AsporaError, String(e));
    for (const host of [root, dir]) assert.ok(!e.message.includes(host), `host path in: ${e.message}`);
    return e;
  }
  throw new assert.AssertionError({ message: `the build of ${name} succeeded` });
}

describe('what a TypeScript handler may import', () => {
  test('its own files, a text and a JSON import, import type and values of @aspora/sdk', async () => {
    await f.deploy({
      name: 'imports',
      handler: `import type { SkillHandler } from '@aspora/sdk';
import { AsporaError } from '@aspora/sdk';
import { shout } from './lib/shout.ts';
import prompt from '../assets/prompt.md' with { type: 'text' };
import table from './table.json';
export const handler: SkillHandler = async () => ({ success: true, message: shout(prompt.trim()), data: { rows: table.rows, error: new AsporaError('NOT_FOUND', 'x').code } });
`,
      extra: {
        'code/lib/shout.ts': 'export const shout = (s: string): string => `${s.toUpperCase()}!`;\n',
        'assets/prompt.md': 'be brief\n',
        'code/table.json': '{"rows": 3}',
      },
    });
    const r = await f.runtime.run({ ref: 'test/imports', input: {} });
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.deepEqual(r.result, { success: true, message: 'BE BRIEF!', data: { rows: 3, error: 'NOT_FOUND' } });
  });

  test('top-level await makes it an ES module, which runs', async () => {
    await f.deploy({
      name: 'tla',
      handler: `const greeting = await Promise.resolve('awaited');\nexport const handler = async () => ({ success: true, message: greeting });\n`,
    });
    const r = await f.runtime.run({ ref: 'test/tla', input: {} });
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal((r.result as { message: string }).message, 'awaited');
  });

  test("a failure's stack names the skill's own files and lines", async () => {
    await f.deploy({
      name: 'stack',
      handler: `import { fail } from './lib/fail.ts';\nexport const handler = async () => fail();\n`,
      extra: { 'code/lib/fail.ts': `// line 1\nexport function fail(): never {\n  throw new RangeError('deep');\n}\n` },
    });
    const r = await f.runtime.run({ ref: 'test/stack', input: {} });
    assert.equal(r.error?.code, 'HANDLER_ERROR');
    assert.match(String(r.error!.details?.stack), /code\/lib\/fail\.ts:3:\d+/);
    assert.match(String(r.error!.details?.stack), /code\/handler\.ts:2:\d+/);
  });

  test('unit tests import @aspora/sdk/testing and the handler, and pass with `aspora test`', async () => {
    await f.deploy({
      name: 'tested',
      handler: `import type { SkillHandler } from '@aspora/sdk';\nexport const handler: SkillHandler = async (ctx) => ({ success: true, message: 'hi ' + ctx.input.userMessage });\n`,
      extra: {
        'tests/unit/tested.test.ts': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { handler } from '../../code/handler.ts';
test('greets', async () => {
  const r = await handler(createTestContext({ input: { userMessage: 'there' } }));
  assert.equal(r.message, 'hi there');
});
`,
      },
    });
    const run = await f.runtime.testSkill('test/tested', { environment: 'production' });
    assert.equal(run.passed, true, run.output);
    assert.match(run.output, /✔ greets/);
  });

  test('another npm package of the platform is not importable, by name', async () => {
    await f.deploy({
      name: 'zod-user',
      handler: `import { z } from 'zod';\nexport const handler = async () => ({ success: true, message: String(z.string().parse('x')) });\n`,
    });
    await assert.rejects(f.runtime.run({ ref: 'test/zod-user', input: {} }), (e: unknown) => {
      assert.ok(e instanceof AsporaError && e.code === 'BUNDLE_INVALID', String(e));
      assert.match(e.message, /code\/handler\.ts:1:\d+ imports "zod": not importable/);
      assert.match(String(e.hint), /@aspora\/sdk/);
      return true;
    });
  });
});

describe('the build script bounds what it reads', () => {
  // Without bubblewrap its mode is a counted skip (a failure under CI=true), not left out.
  const noBwrap = skipUnless('bubblewrap');
  const modes: BuildSandbox[] = [noBwrap ? { mode: 'bwrap' } : buildSandbox(), { mode: 'unsafe' }];
  const skipOf = (sb: BuildSandbox) => (sb.mode === 'bwrap' ? noBwrap : undefined);

  for (const sb of modes) {
    test(`a host file is refused by the script itself (${sb.mode === 'bwrap' ? 'in bubblewrap' : 'without a sandbox, development only'})`, {
      skip: skipOf(sb),
    }, async () => {
      const dir = bundle(`host-file-${sb.mode}`, {
        'code/handler.ts': `import s from '/etc/passwd' with { type: 'text' };\nexport const handler = async () => ({ success: true, message: s });\n`,
      });
      const e = await buildFails(dir, sb);
      assert.equal(e.code, 'BUNDLE_INVALID');
      assert.match(e.message, /code\/handler\.ts:1:\d+ imports "\/etc\/passwd": outside the skill's bundle/);
      assert.ok(!e.message.includes('root:'), e.message);
    });
  }

  test('a FIFO in the bundle is "not a regular file", at once', async () => {
    const dir = bundle('fifo', {
      'code/handler.ts': `import s from './pipe.txt';\nexport const handler = async () => ({ success: true, message: s });\n`,
    });
    execFileSync('mkfifo', ['-m', '666', join(dir, 'code', 'pipe.txt')]);
    const e = await buildFails(dir);
    assert.match(e.message, /code\/pipe\.txt is not a regular file/);
  });

  for (const sb of modes) {
    // A file the sandbox shows too (/etc/ld.so.cache): the script's check is what refuses it.
    test(`a link in the bundle to a host file is refused where it points (${sb.mode})`, {
      skip: skipOf(sb) ?? (existsSync('/etc/ld.so.cache') ? undefined : 'no /etc/ld.so.cache here'),
    }, async () => {
      const dir = bundle(`link-${sb.mode}`, {
        'code/handler.ts': `import s from './cache.txt' with { type: 'text' };\nexport const handler = async () => ({ success: true, message: s });\n`,
      });
      symlinkSync('/etc/ld.so.cache', join(dir, 'code', 'cache.txt'));
      const e = await buildFails(dir, sb);
      assert.match(e.message, /imports "\.\/cache\.txt": outside the skill's bundle/);
    });
  }

  for (const sb of modes) {
    // esbuild expands a glob itself, without asking resolve plugins: the load step refuses it. The
    // pattern climbs from code/ to /etc: in the sandbox the bundle is /skill, without it the host folder.
    test(`a glob import that matches files outside the bundle is refused when they are loaded (${sb.mode})`, {
      skip: skipOf(sb) ?? (existsSync('/etc/ld.so.cache') ? undefined : 'no /etc/ld.so.cache here'),
    }, async () => {
      const dir = join(root, 'bundles', `glob-${sb.mode}`);
      const up = sb.mode === 'bwrap' ? '../../etc' : relative(join(dir, 'code'), '/etc');
      bundle(`glob-${sb.mode}`, {
        'code/handler.ts': `export const handler = async (ctx) => ({ success: true, message: String(await import(\`${up}/ld.so.\${ctx.input.userMessage}\`, { with: { type: 'text' } })) });\n`,
      });
      const e = await buildFails(dir, sb);
      assert.match(e.message, /"(\.\.\/)+etc\/ld\.so\.cache" is outside the skill's bundle/);
    });
  }

  test('imported files are capped in all, not only each', async () => {
    const files: Record<string, string> = {};
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const n of names) files[`code/${n}.txt`] = '';
    files['code/handler.ts'] =
      `${names.map((n) => `import ${n} from './${n}.txt';`).join('\n')}\nexport const handler = async () => ({ success: true, message: String(${names.join(' + ')}).length });\n`;
    const dir = bundle('total', files);
    for (const n of names) truncateSync(join(dir, 'code', `${n}.txt`), 15 * 1024 * 1024); // sparse: 75 MB in all
    const e = await buildFails(dir);
    assert.match(e.message, /past 64 MB of imported files in all/);
  });

  test('a build that blocks (a FIFO where esbuild reads tsconfig.json itself) is stopped at its deadline', async () => {
    const dir = bundle('blocks', {
      'code/handler.ts': `export const handler = async () => ({ success: true, message: 'x' });\n`,
    });
    execFileSync('mkfifo', ['-m', '666', join(dir, 'tsconfig.json')]);
    const t0 = performance.now();
    const e = await buildFails(dir, { ...buildSandbox(), timeoutMs: 3000 });
    assert.equal(e.code, 'BUNDLE_INVALID');
    assert.match(e.message, /did not finish within 3 s and was stopped/);
    assert.ok(performance.now() - t0 < 30_000);
  });

  test('compile errors are BUNDLE_INVALID issues with bundle-relative file, line and column', async () => {
    const dir = bundle('syntax', {
      'code/handler.ts': `import { x } from './lib/broken.ts';\nexport const handler = async () => ({ success: true, message: x });\n`,
      'code/lib/broken.ts': 'export const x = ;\n',
    });
    const e = await buildFails(dir);
    assert.equal(e.code, 'BUNDLE_INVALID');
    assert.match(e.message, /^the TypeScript handler does not compile: code\/lib\/broken\.ts:1:18 Unexpected ";"/);
    assert.deepEqual(e.issues[0], { file: 'code/lib/broken.ts', line: 1, column: 18, message: 'Unexpected ";"' });
    assert.match(String(e.hint), /tsc --noEmit/);
  });
});
