/**
 * docs/writing-skills.md as a new author uses it: every block that names a file (```ts
 * typescript:code/handler.ts) is pasted into a fresh `aspora create` scaffold of its language; the
 * TypeScript is type-checked, each language's tests pass under `aspora test`, and each handler,
 * deployed on a platform whose model is the local stand-in, answers what the guide says it does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { startOpenAIStub, type OpenAIStub } from '../tools/openai-stub/src/server.ts';
import { runtimeFixture } from '../packages/platform/src/runtime/test-support.ts';
import { loadLocalSkill } from '../packages/cli/src/local-skill.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/aspora.js');
const GUIDE = readFileSync(join(ROOT, 'docs/writing-skills.md'), 'utf8');
const LANGS = ['typescript', 'python', 'go'] as const;
type Lang = (typeof LANGS)[number];
const SHORT: Record<Lang, string> = { typescript: 'ts', python: 'py', go: 'go' };

/** The guide's file blocks: a fence whose info string is `<syntax> <language|all>:<path>`. */
const blocks = [...GUIDE.matchAll(/^```\w+ (all|typescript|python|go):(\S+)\n([\s\S]*?)^```$/gm)].map((m) => ({
  lang: m[1]!,
  path: m[2]!,
  text: m[3]!,
}));
const filesOf = (lang: Lang) => blocks.filter((b) => b.lang === lang || b.lang === 'all');

const work = mkdtempSync(join(tmpdir(), 'aspora-guide-'));
chmodSync(work, 0o755); // the sandbox user reads the bundles
const folder = (lang: Lang) => join(work, 'skills', 'fraud', `refund-check-${SHORT[lang]}`);

function aspora(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: work,
    env: { ...process.env, ASPORA_LOG_LEVEL: 'silent', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  for (const lang of LANGS) {
    const r = aspora(['create', 'skill', `fraud/refund-check-${SHORT[lang]}`, '--lang', lang, '--dir', 'skills']);
    assert.equal(r.code, 0, r.stderr);
    const entry = { typescript: 'code/handler.ts', python: 'code/handler.py', go: 'code/handler.go' }[lang];
    assert.match(
      readFileSync(join(folder(lang), entry), 'utf8'),
      /docs\/writing-skills\.md/,
      `the ${lang} scaffold points to the guide`,
    );
    // The guide's tests replace the scaffold's, which expect the scaffold's handler.
    rmSync(join(folder(lang), 'tests', 'unit'), { recursive: true, force: true });
    for (const b of filesOf(lang)) {
      mkdirSync(dirname(join(folder(lang), b.path)), { recursive: true });
      writeFileSync(join(folder(lang), b.path), b.text);
    }
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

test('the guide has a handler and a test in each language, and the assets they read', () => {
  assert.deepEqual(blocks.map((b) => `${b.lang}:${b.path}`).sort(), [
    'all:assets/limits.json',
    'go:code/handler.go',
    'go:tests/unit/handler_test.go',
    'python:code/handler.py',
    'python:tests/unit/test_refund_check.py',
    'typescript:code/handler.ts',
    'typescript:tests/unit/refund-check.test.ts',
  ]);
});

test("the TypeScript snippets type-check against the SDK's real API", () => {
  const sdk = join(ROOT, 'packages/sdk/src');
  const files = filesOf('typescript')
    .filter((b) => b.path.endsWith('.ts'))
    .map((b) => join(folder('typescript'), b.path));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    // What the platform's esbuild build resolves: the bundle's files and @aspora/sdk.
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    paths: { '@aspora/sdk': [join(sdk, 'index.ts')], '@aspora/sdk/testing': [join(sdk, 'testing/index.ts')] },
    typeRoots: [join(ROOT, 'node_modules/@types')],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => !d.file || d.file.fileName.startsWith(work))
    .map(
      (d) => `${d.file?.fileName.slice(work.length) ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
  assert.deepEqual(problems, []);
});

for (const [lang, names] of [
  ['typescript', [/✔ the model calls refund_limit, which reads the skill's own assets/]],
  ['python', [/test_the_model_calls_refund_limit_which_reads_the_skills_own_assets .*ok/]],
  ['go', [/--- PASS: TestRefundLimitReadsTheSkillsOwnAssets/, /--- PASS: TestHandlerCountsRequestsAndAnswers/]],
] as const) {
  test(`the ${lang} tests pass under aspora test, reading the skill's own assets`, () => {
    const r = aspora(['test', folder(lang), '--json']);
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
    const run = JSON.parse(r.stdout) as { passed: boolean; output: string };
    assert.equal(run.passed, true, run.output);
    for (const n of names) assert.match(run.output, n);
  });
}

let stub: OpenAIStub;
let f: Awaited<ReturnType<typeof runtimeFixture>>;

test('deployed, each handler answers through its own tool when the stand-in model asks for it', async (t) => {
  stub = await startOpenAIStub();
  f = await runtimeFixture({ env: { ASPORA_MODEL_BASE_URL: stub.url, ASPORA_MODEL_API_KEY: 'offline' } });
  t.after(async () => {
    await f.close();
    await stub.close();
  });
  for (const lang of LANGS) {
    const local = await loadLocalSkill(folder(lang));
    assert.deepEqual(local.validation.issues, [], `${lang}: the scaffold with the guide's files is valid`);
    const pub = await f.publisher.publish(Buffer.from(local.bundle.bytes));
    await f.publisher.deploy(pub.ref, 'production', pub.version);
    for (const requests of [1, 2]) {
      const r = await f.runtime.run({ ref: pub.ref, input: { userMessage: 'use refund_limit {"currency":"AED"}' } });
      assert.equal(r.error, null, `${lang}: ${JSON.stringify(r.error)}`);
      const result = r.result as { success: boolean; message: string; data: { requests: number } };
      assert.equal(result.message, 'tool said: {"currency":"AED","max":500}', lang);
      assert.equal(result.data.requests, requests, `${lang}: the state counts across executions`);
    }
    const plain = await f.runtime.run({ ref: pub.ref, input: { userMessage: 'hello' } });
    assert.equal(
      (plain.result as { message: string }).message,
      'stub reply to: hello',
      `${lang}: no directive, no tool call`,
    );
  }
});
