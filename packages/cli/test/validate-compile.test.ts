/**
 * `aspora validate` compiles the handler in its language: a TypeScript type error, a Python syntax
 * error and a Go compile error fail it with file:line:column; no toolchain is a warning, not a pass.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { python, skipUnless } from '../../platform/test/tools.ts';

const BIN = fileURLToPath(new URL('../bin/aspora.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'aspora-validate-compile-'));
after(() => rmSync(work, { recursive: true, force: true }));

const ENTRY = { typescript: 'code/handler.ts', python: 'code/handler.py', go: 'code/handler.go' } as const;

function skill(name: string, language: keyof typeof ENTRY, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'code'), { recursive: true });
  writeFileSync(
    join(dir, 'aspora.config.yaml'),
    `skill:\n  name: ${name}\n  domain: demo\n  version: 1.0.0\n  description: Says hello.\nruntime:\n  language: ${language}\n  entry_point: ${ENTRY[language]}\nowner_team: demo-team\n`,
  );
  writeFileSync(join(dir, 'SKILL.md'), `---\nname: ${name}\ndescription: Says hello.\n---\n# ${name}\n`);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return name;
}

const validate = (dir: string, env: Record<string, string> = {}, json = false) =>
  spawnSync(process.execPath, [BIN, 'validate', dir, ...(json ? ['--json'] : [])], {
    cwd: work,
    env: { ...process.env, ASPORA_URL: 'http://127.0.0.1:9', NO_COLOR: '1', ASPORA_LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 300_000,
  });

test('a TypeScript handler that type-checks passes, one with a type error fails at file:line:column', () => {
  const good = validate(
    skill('ts-good', 'typescript', {
      'code/handler.ts':
        "import type { SkillHandler } from '@aspora/sdk';\nexport const handler: SkillHandler = async (context) => ({ success: true, message: context.input.userMessage ?? 'hi' });\n",
    }),
  );
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stderr, /handler type-checked 1 file/);

  const bad = validate(
    skill('ts-bad', 'typescript', {
      'code/handler.ts':
        "import type { SkillHandler } from '@aspora/sdk';\nimport { twice } from './lib.ts';\nexport const handler: SkillHandler = async (context) => {\n  const n: number = context.input.userMessage;\n  return { success: true, message: twice(n) };\n};\n",
      'code/lib.ts': 'export const twice = (n: number): number => n * 2;\n',
    }),
  );
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /ts-bad\/code\/handler\.ts:4:9 TS2322: Type 'string' is not assignable to type 'number'/);
  // The handler's result is checked against the SDK's SkillResult: message must be a string.
  assert.match(bad.stderr, /ts-bad\/code\/handler\.ts:3:14 TS2322: [^\n]*is not assignable to type 'SkillHandler'/);
});

test('a TypeScript handler cannot reach files outside its folder: an import of one is not found, a link is refused', () => {
  writeFileSync(join(work, 'outside.ts'), 'export const secret = 42;\n');
  const r = validate(
    skill('ts-escape', 'typescript', {
      'code/handler.ts':
        "import type { SkillHandler } from '@aspora/sdk';\nimport { secret } from '../../outside.ts';\nexport const handler: SkillHandler = async () => ({ success: true, message: String(secret) });\n",
    }),
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /ts-escape\/code\/handler\.ts:2:24 TS2307: Cannot find module '\.\.\/\.\.\/outside\.ts'/);
  const name = skill('ts-link', 'typescript', {
    'code/handler.ts':
      "import type { SkillHandler } from '@aspora/sdk';\nimport { secret } from './linked.ts';\nexport const handler: SkillHandler = async () => ({ success: true, message: String(secret) });\n",
  });
  symlinkSync(join(work, 'outside.ts'), join(work, name, 'code', 'linked.ts'));
  const l = validate(name);
  assert.equal(l.status, 1, l.stderr);
  assert.match(l.stderr, /code\/linked\.ts is a symbolic link/);
});

test('a Python handler with a syntax error fails at file:line:column; nothing is written into the skill folder', {
  skip: skipUnless(await python()),
}, () => {
  const name = skill('py-bad', 'python', {
    'code/handler.py': 'def handler(context):\n    return {"success": True,\n',
  });
  const r = validate(name);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /py-bad\/code\/handler\.py:2:\d+ SyntaxError: /);
  assert.deepEqual(readdirSync(join(work, name, 'code')), ['handler.py'], 'no __pycache__ in the skill folder');
  const ok = validate(
    skill('py-good', 'python', {
      'code/handler.py': 'def handler(context):\n    return {"success": True, "message": "hi"}\n',
    }),
  );
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /byte-compiled with python3/);
});

test('a Go handler that does not compile fails at file:line:column', { skip: skipUnless('go') }, () => {
  const src = (body: string) =>
    `package main\n\nimport aspora "github.com/aspora/sdk-go"\n\nfunc Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {\n${body}\n}\n`;
  const bad = validate(
    skill('go-bad', 'go', {
      'code/handler.go': src('\treturn &aspora.SkillResult{Success: true, Message: undefinedName}, nil'),
    }),
  );
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /go-bad\/code\/handler\.go:6:\d+ undefined: undefinedName/);
  const good = validate(
    skill('go-good', 'go', {
      'code/handler.go': src('\treturn &aspora.SkillResult{Success: true, Message: "hi"}, nil'),
    }),
  );
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stderr, /handler built with go/);
});

test('without a Go toolchain, validate passes with the warning "go not found: handler not compiled"', () => {
  const r = validate(
    skill('go-nogo', 'go', { 'code/handler.go': 'package main\n\nthis is not go\n' }),
    { ASPORA_GO: join(work, 'no-such-go') },
    true,
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { valid: boolean; results: { warnings: { file: string; message: string }[] }[] };
  assert.equal(out.valid, true);
  const warnings = out.results[0]!.warnings;
  assert.ok(
    warnings.some(
      (w) => w.file.endsWith('go-nogo/code/handler.go') && w.message === 'go not found: handler not compiled',
    ),
    JSON.stringify(warnings),
  );
});
