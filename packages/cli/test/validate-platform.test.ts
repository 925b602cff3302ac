/**
 * `aspora validate` and `aspora deploy` check declared APIs and secrets against the platform at
 * ASPORA_URL when one answers; with none reachable, validate says so in one line and passes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempPlatform } from '../../platform/test/helpers.ts';

const BIN = fileURLToPath(new URL('../bin/aspora.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'aspora-validate-platform-'));
let p: Awaited<ReturnType<typeof tempPlatform>>;
before(async () => {
  p = await tempPlatform({
    platformYaml:
      'secrets:\n  DEMO_TOKEN: { value: x }\napis:\n  trm_api:\n    base_url: https://api.trm.example\n    auth: { type: none }\n    methods:\n      score: { method: GET, path: /score }\n',
  });
});
after(async () => {
  await p.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function skill(name: string, permissions: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'code'), { recursive: true });
  writeFileSync(
    join(dir, 'aspora.config.yaml'),
    `skill:\n  name: ${name}\n  domain: demo\n  version: 1.0.0\n  description: Says hello.\nruntime:\n  language: typescript\n  entry_point: code/handler.ts\npermissions:\n${permissions}owner_team: demo-team\n`,
  );
  writeFileSync(join(dir, 'SKILL.md'), `---\nname: ${name}\ndescription: Says hello.\n---\n# ${name}\n`);
  writeFileSync(
    join(dir, 'code/handler.ts'),
    'export const handler = async () => ({ success: true, message: "hi" });\n',
  );
  return name;
}

// Asynchronous: the platform answering these requests runs in this process.
function aspora(args: string[], url: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], {
      cwd: work,
      env: { ...process.env, ASPORA_URL: url, ASPORA_TOKEN: p.token, NO_COLOR: '1', ASPORA_LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('an API or secret the platform does not offer fails validate at file:line:column, naming what it offers', async () => {
  const r = await aspora(['validate', skill('typo', '  apis: [trm_apii]\n  secrets: [DEMO_TOKEN, NOPE]\n')], p.url);
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `typo/aspora\\.config\\.yaml:10:10 permissions\\.apis\\[0\\]: API "trm_apii" is not offered by the platform at ${p.url}`,
    ),
  );
  assert.match(r.stderr, /hint: did you mean "trm_api"\? \(offered: trm_api\)/);
  assert.match(
    r.stderr,
    /typo\/aspora\.config\.yaml:11:25 permissions\.secrets\[1\]: secret "NOPE" is not offered[^\n]*\n\s+hint: offered: DEMO_TOKEN/,
  );
});

test('names the platform offers pass; --json records that the platform was checked', async () => {
  const r = await aspora(['validate', skill('fine', '  apis: [trm_api]\n  secrets: [DEMO_TOKEN]\n'), '--json'], p.url);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { valid: boolean; results: { platform?: { checked?: string } }[] };
  assert.equal(out.valid, true);
  assert.equal(out.results[0]?.platform?.checked, p.url);
});

test('with no platform reachable, validate says so in one line, skips the check and passes', async () => {
  const r = await aspora(['validate', skill('offline', '  apis: [whatever_api]\n')], 'http://127.0.0.1:9');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stderr
      .split('\n')
      .filter((l) => l.includes('no platform reachable at http://127.0.0.1:9: declared APIs and secrets not checked'))
      .length,
    1,
    r.stderr,
  );
});

test('deploy validates against the platform first: an undeclared API uploads nothing', async () => {
  const r = await aspora(['deploy', skill('nodeploy', '  apis: [trm_apii]\n')], p.url);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /API "trm_apii" is not offered/);
  assert.match(r.stderr, /nothing was deployed/);
  assert.deepEqual(
    (await p.registry.listSkills({ limit: 10 })).map((s) => s.ref),
    [],
  );
});
