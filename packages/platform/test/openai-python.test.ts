/**
 * The official `openai` Python client, unchanged, against the gateway (base URL and platform
 * token only): a completion, a stream with usage in its last chunk, embeddings, the model list,
 * and OpenAI-style errors raised as the client's own exception classes.
 *
 * The client comes from ASPORA_TEST_PYTHON (a python with `openai` installed) or from a virtual
 * environment this test makes once under node_modules/.cache (python3 -m venv; pip install
 * openai). Where no package index is reachable the test says so and is skipped — unless CI=true
 * (as .ci/run runs), when that is a failure (tools.ts).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { platformOnStub, type tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const TOKEN = 'platform-token-for-tests-0123';
const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./openai-python/client.py', import.meta.url));
const VENV = fileURLToPath(new URL('../../../node_modules/.cache/aspora/py-openai', import.meta.url));

/** A python that imports `openai`, or why there is none. */
function python(): { bin: string } | { missing: string } {
  const has = (bin: string) => spawnSync(bin, ['-c', 'import openai'], { encoding: 'utf8' }).status === 0;
  if (process.env.ASPORA_TEST_PYTHON)
    return has(process.env.ASPORA_TEST_PYTHON)
      ? { bin: process.env.ASPORA_TEST_PYTHON }
      : { missing: `ASPORA_TEST_PYTHON=${process.env.ASPORA_TEST_PYTHON} cannot import openai` };
  const bin = join(VENV, 'bin', 'python');
  if (existsSync(bin) && has(bin)) return { bin };
  mkdirSync(VENV, { recursive: true });
  const venv = spawnSync('python3', ['-m', 'venv', VENV], { encoding: 'utf8' });
  if (venv.status !== 0)
    return { missing: `python3 -m venv failed: ${(venv.stderr || venv.error?.message || '').trim()}` };
  const pip = spawnSync(
    join(VENV, 'bin', 'pip'), // --retries 0: where only a local mirror answers, each package does not wait out retries against PyPI first.
    ['install', '--quiet', '--retries', '0', '--disable-pip-version-check', 'openai'],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (pip.status !== 0 || !has(bin))
    return {
      missing: `pip install openai failed (no package index reachable?): ${(pip.stderr || '').trim().split('\n').slice(-2).join(' ')}`,
    };
  return { bin };
}

const py = python();
const noClient = skipUnless({
  name: 'the Python openai client',
  missing: 'missing' in py && py.missing,
  install:
    'set ASPORA_TEST_PYTHON to a python that imports openai, or let pip reach a package index (.ci/run installs it)',
});
let p: Awaited<ReturnType<typeof tempPlatform>>;
let cleanup: (() => Promise<void>) | undefined;

before(async () => {
  ({ p, cleanup } = await platformOnStub(TOKEN, {
    models: { fast: { provider: 'stub', id: 'openai/gpt-4o-mini', price: { prompt: 0.15, completion: 0.6 } } },
    gateway: { default_model: 'fast' },
  }));
});
after(() => cleanup?.());

test('the official openai Python client works unchanged against the gateway', { skip: noClient }, async () => {
  assert.ok('bin' in py);
  // Not spawnSync: the platform answering the client runs in this process.
  const { stdout } = await run(py.bin, [SCRIPT], {
    env: { ...process.env, ASPORA_BASE_URL: `${p.url}/v1`, ASPORA_TOKEN: TOKEN },
    timeout: 60_000,
  }).catch((e: Error & { stderr?: string }) => {
    throw new Error(`${e.message}\n${e.stderr ?? ''}`);
  });
  const out = JSON.parse(stdout) as Record<string, any>;
  assert.equal(out.completion.content, 'stub reply to: hello from python');
  assert.equal(out.completion.model, 'openai/gpt-4o-mini');
  assert.ok(out.completion.prompt_tokens > 0);
  assert.equal(out.completion.provider, 'stub');
  assert.equal(out.stream.text, 'stub reply to: stream from python');
  assert.ok(out.stream.chunks > 2, 'streamed in several chunks');
  assert.ok(out.stream.total_tokens > 0, 'usage in the last chunk');
  assert.deepEqual(out.embeddings.count, 2);
  assert.ok(out.embeddings.dims > 0);
  assert.ok(out.models.includes('fast'), JSON.stringify(out.models));
  assert.equal(out.errors.bad_request.status, 400);
  assert.equal(out.errors.bad_request.param, 'messages');
  assert.equal(out.errors.unauthenticated.status, 401);
});
