/**
 * The build of untrusted code (issue 13, item 1). A skill's TypeScript is bundled, its Go
 * compiled and its Python checked once per bundle, on the platform's behalf: each attack here is a
 * deployed skill whose build tries to read what is not its own (host files, the platform's
 * environment and data folder, another skill's bundle) or to exhaust the host (devices, FIFOs,
 * huge inputs). Each must end in BUNDLE_INVALID naming the file, line and import, and nothing it
 * tried to read may reach the caller.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsporaError } from '@aspora/sdk';
import { parseDigest } from '../../store/index.ts';
import { runtimeFixture, type TestSkill } from '../test-support.ts';
import { python, skipUnless } from '../../../test/tools.ts';

/** In the platform's environment (so in /proc/self/environ of anything it spawns unsandboxed). */
const ENV_MARKER = `platform-env-marker-${randomUUID()}`;
process.env.ASPORA_BUILD_TEST_TOKEN = ENV_MARKER;
const SECRET = `platform-config-secret-${randomUUID()}`;
const VICTIM = `victim-source-marker-${randomUUID()}`;
/** This checkout: the platform's install, where the SDK and node_modules live. */
const REPO = new URL('../../../../../', import.meta.url).pathname.replace(/\/$/, '');
const py = await python();
const SHADOW_LINE = (() => {
  try {
    return readFileSync('/etc/shadow', 'utf8').split('\n')[0]!;
  } catch {
    return undefined;
  }
})();

let f: Awaited<ReturnType<typeof runtimeFixture>>;
let hostDir: string;
const p = { secretYaml: '', secretJson: '', otherBundle: '', fifo: '' };

before(async () => {
  f = await runtimeFixture();
  // The platform's own files: its data folder holds its config and every skill's bundle.
  p.secretYaml = join(f.dataDir, 'platform-secret.yaml');
  p.secretJson = join(f.dataDir, 'platform-secret.json');
  writeFileSync(p.secretYaml, `api_token: ${SECRET}\n`);
  writeFileSync(p.secretJson, JSON.stringify({ token: SECRET }));
  const victim = await f.deploy({
    name: 'victim',
    handler: `const key = '${VICTIM}';\nexport const handler = async () => ({ success: true, message: key.slice(0, 3) });`,
  });
  const loaded = await f.registry.loadSkill(victim.ref, { version: victim.version });
  p.otherBundle = join(f.dataDir, 'runtime', 'bundles', parseDigest(loaded.version.bundleDigest).hex);
  assert.equal(
    (await f.runtime.run({ ref: victim.ref, input: {} })).success,
    true,
    'the victim bundle is unpacked on the host',
  );
  hostDir = mkdtempSync(join(tmpdir(), 'aspora-build-attack-'));
  p.fifo = join(hostDir, 'fifo');
  execFileSync('mkfifo', [p.fifo]);
  chmodSync(p.fifo, 0o666);
});

after(async () => {
  await f.close();
  rmSync(hostDir, { recursive: true, force: true });
});

let n = 0;
const textHandler = (spec: string) =>
  `import s from '${spec}' with { type: 'text' };\nexport const handler = async () => ({ success: true, message: String(s) });\n`;

/** Deploys the attack and runs it once: the run must be refused, naming the import, leaking nothing. */
async function refused(
  s: Omit<TestSkill, 'name'>,
  expect: { names: RegExp; leaks: string[]; spec?: string },
  how: 'run' | 'test' = 'run',
): Promise<AsporaError> {
  const name = `attack-${++n}`;
  await f.deploy({ name, ...s });
  const ref = `${s.domain ?? 'test'}/${name}`;
  let err: unknown;
  try {
    const r =
      how === 'run'
        ? await f.runtime.run({ ref, input: {} })
        : await f.runtime.testSkill(ref, { environment: 'production' });
    err = new Error(`NOT REFUSED: ${JSON.stringify(r).slice(0, 2000)}`);
  } catch (e) {
    err = e;
  }
  const text = `${(err as Error).message} ${(err as AsporaError).hint ?? ''} ${JSON.stringify((err as AsporaError).details ?? {})}`;
  for (const leak of expect.leaks)
    assert.ok(!text.includes(leak), `LEAKED ${leak.slice(0, 20)}…: ${text.slice(0, 500)}`);
  assert.ok(err instanceof AsporaError, String(err));
  assert.equal(err.code, 'BUNDLE_INVALID', err.message);
  assert.match(err.message, expect.names);
  // The caller never learns where the platform keeps its files (beyond what the import spelled).
  const rest = expect.spec ? text.replaceAll(expect.spec, '') : text;
  for (const host of [f.dataDir, REPO, hostDir])
    assert.ok(!rest.includes(host), `host path ${host} in: ${err.message}`);
  return err;
}

describe('a TypeScript build reads only the bundle and the SDK', { timeout: 120_000 }, () => {
  test('import of /etc/shadow as text is refused, naming the file, line and import', {
    skip: SHADOW_LINE ? undefined : '/etc/shadow is not readable here',
  }, async () => {
    const e = await refused(
      { handler: textHandler('/etc/shadow') },
      { names: /code\/handler\.ts:1\b.*"\/etc\/shadow".*outside the skill's bundle/, leaks: [SHADOW_LINE!] },
    );
    assert.match(e.hint ?? '', /bundle/);
  });

  test("/proc/self/environ (the platform's environment) is refused and no variable of it appears", async () => {
    await refused(
      { handler: textHandler('/proc/self/environ') },
      { names: /code\/handler\.ts:1\b.*\/proc\/self\/environ/, leaks: [ENV_MARKER, 'ASPORA_BUILD_TEST_TOKEN'] },
    );
  });

  test("a file of the platform's data folder, by absolute path, is refused", async () => {
    await refused(
      { handler: textHandler(p.secretYaml) },
      { names: /code\/handler\.ts:1\b.*outside the skill's bundle/, leaks: [SECRET], spec: p.secretYaml },
    );
  });

  test('../ out of the bundle is refused and named as written', async () => {
    // code/ → bundle → bundles/ → runtime/ → the data folder.
    await refused(
      { handler: textHandler('../../../../platform-secret.yaml') },
      {
        names: /code\/handler\.ts:1\b.*"\.\.\/\.\.\/\.\.\/\.\.\/platform-secret\.yaml".*outside the skill's bundle/,
        leaks: [SECRET],
      },
    );
  });

  test("another skill's unpacked bundle, by absolute path, is refused", async () => {
    await refused(
      { handler: textHandler(`${p.otherBundle}/code/handler.ts`) },
      {
        names: /code\/handler\.ts:1\b.*outside the skill's bundle/,
        leaks: [VICTIM],
        spec: `${p.otherBundle}/code/handler.ts`,
      },
    );
    await refused(
      {
        handler: `import { handler as h } from '${p.otherBundle}/code/handler.ts';\nexport const handler = async () => ({ success: true, message: String(h) });\n`,
      },
      { names: /outside the skill's bundle/, leaks: [VICTIM], spec: `${p.otherBundle}/code/handler.ts` },
    );
  });

  test('a glob import (a template-literal import()) reaching the data folder bundles none of it', async () => {
    // esbuild expands the pattern itself, without asking resolve plugins: in the sandbox nothing of
    // the host matches, and whatever would is refused when loaded (typescript.test.ts).
    await f.deploy({
      name: 'attack-glob',
      handler:
        'export const handler = async (ctx) => ({ success: true, message: JSON.stringify(await import(`../../../../platform-${ctx.input.userMessage}.json`)) });\n',
    });
    let text: string;
    try {
      const r = await f.runtime.run({ ref: 'test/attack-glob', input: { userMessage: 'secret' } });
      assert.equal(r.success, false, 'the import finds nothing at run time');
      text = JSON.stringify(r);
    } catch (e) {
      assert.equal((e as AsporaError).code, 'BUNDLE_INVALID');
      text = `${(e as Error).message}`;
    }
    assert.ok(!text.includes(SECRET), `LEAKED: ${text.slice(0, 500)}`);
  });

  test('a tsconfig.json "paths" entry pointing at a host file is refused', async () => {
    await refused(
      {
        handler: textHandler('cfg'),
        extra: {
          'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { cfg: [p.secretYaml] } } }),
        },
      },
      { names: /code\/handler\.ts:1\b.*"cfg"/, leaks: [SECRET], spec: p.secretYaml },
    );
  });

  test('/dev/zero is an error, not memory', async () => {
    await refused({ handler: textHandler('/dev/zero') }, { names: /code\/handler\.ts:1\b.*"\/dev\/zero"/, leaks: [] });
  });

  test('a FIFO (a mkfifo on the host, /dev/stdin) is an error, not a hang', async () => {
    await refused(
      { handler: textHandler(p.fifo) },
      { names: /code\/handler\.ts:1\b.*outside the skill's bundle/, leaks: [], spec: p.fifo },
    );
    await refused(
      { handler: textHandler('/dev/stdin') },
      { names: /code\/handler\.ts:1\b.*"\/dev\/stdin"/, leaks: [] },
    );
  });

  test('a huge file in the bundle is an error, not memory', async () => {
    const big = 'a'.repeat(20 * 1024 * 1024);
    await refused(
      { handler: textHandler('./big.txt'), extra: { 'code/big.txt': big } },
      { names: /code\/handler\.ts:1\b.*code\/big\.txt is 20\.0 MB: an imported file may be at most 16 MB/, leaks: [] },
    );
  });

  test('the same attacks from a unit test built for `aspora test` are refused', async () => {
    const unit = (spec: string) =>
      `import { test } from 'node:test';\nimport s from '${spec}' with { type: 'text' };\ntest('leak', () => { console.log(s); });\n`;
    const handler = 'export const handler = async () => ({ success: true, message: "ok" });\n';
    await refused(
      { handler, extra: { 'tests/unit/leak.test.ts': unit(p.secretYaml) } },
      { names: /tests\/unit\/leak\.test\.ts:2\b.*outside the skill's bundle/, leaks: [SECRET], spec: p.secretYaml },
      'test',
    );
    await refused(
      { handler, extra: { 'tests/unit/leak.test.ts': unit('/proc/self/environ') } },
      { names: /tests\/unit\/leak\.test\.ts:2\b/, leaks: [ENV_MARKER] },
      'test',
    );
    await refused(
      { handler, extra: { 'tests/unit/leak.test.ts': unit('../../../../../platform-secret.yaml') } },
      { names: /tests\/unit\/leak\.test\.ts:2\b.*outside the skill's bundle/, leaks: [SECRET] },
      'test',
    );
  });
});

describe('Go and Python builds of untrusted code', { timeout: 180_000 }, () => {
  test('a Go compile error names bundle files and modules, never where the platform keeps them', {
    skip: skipUnless('go'),
  }, async () => {
    const handler =
      'package main\n\nimport (\n\taspora "github.com/aspora/sdk-go"\n\t_ "github.com/aspora/sdk-go/nothing"\n)\n\nfunc Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) { return nil, nil }\n';
    await refused({ language: 'go', handler }, { names: /sdk-go\/nothing/, leaks: [] });
  });

  test('a Go build is bounded: a handler whose binary would be 200 MB is refused', {
    skip: skipUnless('go'),
  }, async () => {
    const handler =
      'package main\n\nimport aspora "github.com/aspora/sdk-go"\n\nvar big = [200 << 20]byte{1}\n\nfunc Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {\n\treturn &aspora.SkillResult{Success: big[0] == 1, Message: "ok"}, nil\n}\n';
    await refused(
      { language: 'go', handler },
      { names: /Go handler .*could not be built: the Go build wrote a file larger than 128 MB/, leaks: [] },
    );
  });

  test('//go:embed and a go.mod of the bundle cannot reach host files', { skip: skipUnless('go') }, async () => {
    const embed = `package main\n\nimport (\n\t_ "embed"\n\taspora "github.com/aspora/sdk-go"\n)\n\n//go:embed ../../../../platform-secret.yaml\nvar s string\n\nfunc Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {\n\treturn &aspora.SkillResult{Success: true, Message: s}, nil\n}\n`;
    await refused({ language: 'go', handler: embed }, { names: /code\/handler\.go:8/, leaks: [SECRET] });
    // The bundle's own go.mod is never used: the platform writes the module file.
    const replaced =
      'package main\n\nimport (\n\taspora "github.com/aspora/sdk-go"\n\tvictim "victim.example/secret"\n)\n\nfunc Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {\n\treturn &aspora.SkillResult{Success: true, Message: victim.Key}, nil\n}\n';
    const goMod = `module skill\n\ngo 1.19\n\nrequire victim.example/secret v0.0.0\n\nreplace victim.example/secret => ${hostDir}/victim\n`;
    mkdirSync(join(hostDir, 'victim'), { recursive: true });
    writeFileSync(join(hostDir, 'victim', 'go.mod'), 'module victim.example/secret\n\ngo 1.19\n');
    writeFileSync(join(hostDir, 'victim', 'key.go'), `package secret\n\nconst Key = "${SECRET}"\n`);
    await refused(
      {
        language: 'go',
        handler: replaced,
        extra: { 'code/go.mod': goMod, 'go.mod': goMod, 'go.work': `go 1.19\n\nuse ${hostDir}/victim\n` },
      },
      { names: /victim\.example\/secret/, leaks: [SECRET] },
    );
  });

  test('a Python syntax check is bounded: a source whose compile needs gigabytes is refused', {
    skip: skipUnless(py),
  }, async () => {
    const handler = `from aspora_sdk import SkillResult, skill_handler\n\nBIG = [${'1,'.repeat(3_500_000)}]\n\n@skill_handler\nasync def handler(context):\n    return SkillResult(success=True, message=str(len(BIG)))\n`;
    await refused(
      { language: 'python', handler },
      { names: /the Python syntax check used more than its 512 MB of memory/, leaks: [] },
    );
  });
});
