/**
 * The one decision every test that needs a tool of the machine goes through (tools.ts): skipped,
 * counted and saying what is missing, on a developer's machine (a whole suite too, which node would
 * not count); a failure naming it under CI=true.
 * Proven on a real test file run by node's test runner with a PATH that has no `go` (and then with
 * a stand-in `go` on it), not by calling the helper in this process, whose PATH is the machine's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strict } from './tools.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/needs-go.ts', import.meta.url));

let noGo: string;
let fakeGo: string;
before(() => {
  noGo = mkdtempSync(join(tmpdir(), 'aspora-no-go-'));
  fakeGo = mkdtempSync(join(tmpdir(), 'aspora-fake-go-'));
  writeFileSync(join(fakeGo, 'go'), '#!/bin/sh\necho "go version go1.22.0 linux/amd64"\n');
  chmodSync(join(fakeGo, 'go'), 0o755);
});
after(() => {
  rmSync(noGo, { recursive: true, force: true });
  rmSync(fakeGo, { recursive: true, force: true });
});

/** The fixture under node --test (TAP), with `path` as its whole PATH and CI as given. */
function runFixture(path: string, ci: string | undefined, needIn: 'options' | 'body' | 'suite') {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: path, NEED_GO_IN: needIn };
  delete env.ASPORA_GO;
  delete env.NODE_TEST_CONTEXT; // else the child thinks it runs under this file's runner and runs nothing
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', FIXTURE], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(r.stdout)?.[1]);
  return {
    status: r.status,
    out: r.stdout + r.stderr,
    pass: count('pass'),
    fail: count('fail'),
    skipped: count('skipped'),
  };
}

for (const needIn of ['options', 'body', 'suite'] as const) {
  describe(`a test that needs Go, asked in its ${needIn}`, () => {
    test('without go on PATH and without CI: skipped, counted, saying what is missing and how to install it', () => {
      const r = runFixture(noGo, undefined, needIn);
      assert.equal(r.status, 0, r.out);
      assert.deepEqual([r.pass, r.fail, r.skipped], [0, 0, 1], r.out);
      assert.match(
        r.out,
        /# SKIP the Go toolchain is missing \(go version: .*ENOENT.*\); apt-get install golang-go/,
        r.out,
      );
    });

    test('without go on PATH under CI=true: the run fails, naming Go', () => {
      const r = runFixture(noGo, 'true', needIn);
      assert.notEqual(r.status, 0, r.out);
      assert.equal(r.skipped, 0, r.out);
      assert.match(r.out, /CI=true: the Go toolchain is missing \(go version: .*ENOENT/, r.out);
    });

    test('with a go on PATH under CI=true: the test runs', () => {
      const r = runFixture(fakeGo, 'true', needIn);
      assert.equal(r.status, 0, r.out);
      assert.deepEqual([r.pass, r.fail, r.skipped], [1, 0, 0], r.out);
    });
  });
}

test('CI counts as set unless empty, 0 or false', () => {
  for (const ci of ['true', '1', 'yes', 'TRUE']) assert.equal(strict({ CI: ci }), true, ci);
  for (const ci of [undefined, '', '0', 'false', 'False']) assert.equal(strict({ CI: ci }), false, String(ci));
});
