/** `aspora validate` on folders a hostile or careless author wrote; no platform needed. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/aspora.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'aspora-validate-'));
after(() => rmSync(work, { recursive: true, force: true }));

function skill(name: string, configTail: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'code'), { recursive: true });
  writeFileSync(
    join(dir, 'aspora.config.yaml'),
    `skill:\n  name: ${name}\n  domain: demo\n  version: 1.0.0\n  description: Says hello.\nruntime:\n  language: typescript\n  entry_point: code/handler.ts\nowner_team: demo-team\n${configTail}`,
  );
  writeFileSync(join(dir, 'SKILL.md'), `---\nname: ${name}\ndescription: Says hello.\n---\n# ${name}\n`);
  writeFileSync(
    join(dir, 'code/handler.ts'),
    'export const handler = async () => ({ success: true, message: "hi" });\n',
  );
  return name;
}

const validate = (dir: string) =>
  spawnSync(process.execPath, [BIN, 'validate', dir], {
    cwd: work,
    env: { ...process.env, NO_COLOR: '1', ASPORA_LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 60_000,
  });

test('validate reports a YAML alias bomb with file:line and exits 1', () => {
  const lines = ['bomb:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `  ${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  const r = validate(skill('bomb', `${lines.join('\n')}\n`));
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /bomb\/aspora\.config\.yaml:12:\d+ YAML aliases expand too much/);
  assert.doesNotMatch(r.stderr, /INTERNAL|resource exhaustion attack/);
});

test('validate refuses an extglob in shared_resources with file:line, the field and why', () => {
  const r = validate(skill('extglob', 'permissions:\n  shared_resources:\n    - "shared/*(a*)*(a*)*(a*)*(a*)b"\n'));
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /extglob\/aspora\.config\.yaml:12:\d+ permissions\.shared_resources\[0\]: not a supported glob: extglobs such as \*\(…\)/,
  );
});

test('validate passes a config with fields not acted on yet, warning about each at file:line:column; --json carries them', () => {
  const dir = skill(
    'idle-fields',
    'cost_center: ops\ntesting:\n  deepeval:\n    metrics: [faithfulness]\ntriggers:\n  - type: command\n    patterns: ["@ecm triage"]\n    channels: [slack]\n',
  );
  const r = validate(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /idle-fields\/aspora\.config\.yaml:10:1 .*accepted, not acted on yet: cost_center/);
  assert.match(r.stderr, /idle-fields\/aspora\.config\.yaml:12:3 .*accepted, not acted on yet: testing\.deepeval/);
  // Command triggers and their channels route messages now: no warning.
  assert.doesNotMatch(r.stderr, /not acted on yet: triggers/);
  const j = spawnSync(process.execPath, [BIN, 'validate', dir, '--json'], {
    cwd: work,
    env: { ...process.env, NO_COLOR: '1', ASPORA_LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(j.status, 0, j.stderr);
  const paths = (
    JSON.parse(j.stdout) as { results: { warnings: { path?: string; message: string }[] }[] }
  ).results[0]!.warnings.filter((w) => w.message.startsWith('accepted, not acted on yet')).map((w) => w.path);
  assert.deepEqual(paths.sort(), ['cost_center', 'testing.deepeval']);
});
