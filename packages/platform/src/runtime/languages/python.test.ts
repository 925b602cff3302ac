/**
 * The Python SDK and adapter: the SDK's own tests (every protocol vector), the
 * fraud/dispute-chargeback example prepared once and its worker answering executions in
 * bubblewrap (and unsandboxed, through the path mapping), its unit tests run in bubblewrap, an
 * interpreter outside /usr (a venv) mounted into the sandbox, syntax errors as BUNDLE_INVALID and
 * a missing interpreter as UNAVAILABLE. Skipped only when no Python 3.9+ is installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsporaError } from '@aspora/sdk';
import { PYTHON_SDK_DIR, pythonAdapter, pythonInterpreter } from './python.ts';
import { adapterRoot, buildSandbox, protocolLines } from '../test-support.ts';
import type { LaunchSpec, PrepareOptions } from './types.ts';
import { skipUnless, suiteUnless } from '../../../test/tools.ts';
import { launch, type Launched } from '../sandbox/launch.ts';

const found = await pythonInterpreter().then(
  (p) => p,
  (e: Error) => e,
);
const noPython = skipUnless({
  name: 'Python 3.9+',
  missing: found instanceof Error && found.message,
  install: 'apt-get install python3, or set ASPORA_PYTHON',
});
const DISPUTE_SKILL = fileURLToPath(
  new URL('../../../../../examples/skills/fraud/dispute-chargeback', import.meta.url),
);
// Passed as a variable: SandboxLimits is gaining fields (cpu), and a fresh literal would be checked for excess ones.
const limits = { memoryMb: 256, cpu: 1, cpuSeconds: 30, maxProcesses: 4096, maxFileMb: 64, tmpMb: 64 };

let root: string;
let cacheDir: (name: string) => string;
let removeRoot: () => void;
before(() => {
  ({ root, cacheDir, remove: removeRoot } = adapterRoot('aspora-py-'));
});
after(() => removeRoot());

function scratch(name: string): string {
  const d = join(root, 'scratch', name);
  mkdirSync(d, { recursive: true });
  chmodSync(join(root, 'scratch'), 0o755);
  chmodSync(d, 0o777);
  return d;
}

const execute = (exec: string, metadata: Record<string, unknown>) => ({
  t: 'execute',
  exec,
  context: {
    executionId: exec,
    input: { userMessage: 'chargeback DSP-4471', userId: 'analyst@aspora.com', domain: 'fraud', metadata },
    skill: { domain: 'fraud', name: 'dispute-chargeback', role: null, version: '0.4.0' },
    secrets: { CHECKOUT_API_KEY: 'k' },
  },
});

const DISPUTE = { payment_id: 'pay_91f2', amount_aed: 2350, days_left: 6, category: 'not_received' };
const PAYMENT = { order_id: 'AE136ABC00', user_id: 'u_1', three_ds: 'authenticated', new_device: false };

/** Three executions of dispute-chargeback on one warm worker, answering every call it makes. */
async function disputeConversation(io: ReturnType<typeof protocolLines>) {
  const ready = await io.next();
  assert.deepEqual(
    [ready.t, ready.protocol, ready.language, typeof ready.pid, ready.tools],
    ['ready', 1, 'python', 'number', undefined],
  );
  io.send(execute('e1', { dispute_id: 'DSP-4471' }));
  const answers: Array<[string, string, Record<string, unknown>, unknown]> = [
    ['checkout_disputes', 'get_dispute', { dispute_id: 'DSP-4471' }, DISPUTE],
    ['payments_ledger', 'get_payment', { payment_id: 'pay_91f2' }, PAYMENT],
    ['payout_partners', 'get_payout_status', { order_id: 'AE136ABC00' }, { status: 'DELIVERED', utr: 'UTR8841' }],
    ['internal_fraud_db', 'get_user_risk', { user_id: 'u_1' }, {}],
  ];
  for (const [i, [api, method, args, value]] of answers.entries()) {
    const call = await io.next();
    assert.deepEqual(call, { t: 'call', id: i + 1, exec: 'e1', op: 'apis.call', args: { api, method, args } });
    io.send({ t: 'return', id: call.id, ok: true, value });
  }
  const chat = await io.next();
  assert.deepEqual(
    [chat.t, chat.id, chat.op, chat.args.messages.map((m: { role: string }) => m.role)],
    ['call', 5, 'model.chat', ['system', 'user']],
  );
  assert.match(chat.args.messages[1].content, /'decision': 'challenge'/);
  io.send({
    t: 'return',
    id: 5,
    ok: true,
    value: {
      content: 'Decision: CHALLENGE',
      model: 'stub',
      usage: { promptTokens: 120, completionTokens: 8, cost: 0.001 },
    },
  });
  const save = await io.next();
  assert.deepEqual(save.args, {
    api: 'internal_fraud_db',
    method: 'save_dispute_draft',
    args: { dispute_id: 'DSP-4471', decision: 'challenge', draft: 'Decision: CHALLENGE', status: 'DRAFT' },
  });
  io.send({ t: 'return', id: 6, ok: true, value: { case_id: 'FR-3310' } });
  assert.deepEqual(await io.next(), {
    t: 'log',
    exec: 'e1',
    level: 'info',
    msg: 'dispute drafted',
    fields: { dispute_id: 'DSP-4471', decision: 'challenge', days_left: 6 },
  });
  const end = await io.next();
  assert.equal(end.t, 'result', JSON.stringify(end));
  assert.equal(
    end.result.message,
    '⚖️ DSP-4471: CHALLENGE · evidence due in 6 days · case FR-3310 (DRAFT)\nDecision: CHALLENGE',
  );
  assert.deepEqual(end.result.data, { dispute_id: 'DSP-4471', decision: 'challenge', case_id: 'FR-3310' });
  assert.equal(end.result.confidence, 0.9);

  // The same warm worker: a denied API ends the execution with the host's code; ids keep increasing.
  io.send(execute('e2', { dispute_id: 'DSP-1' }));
  const call = await io.next();
  assert.equal(call.id, 7, 'call ids keep increasing across executions');
  io.send({
    t: 'return',
    id: 7,
    ok: false,
    error: { code: 'PERMISSION_DENIED', message: 'skill fraud/dispute-chargeback may not call api checkout_disputes' },
  });
  const denied = await io.next();
  assert.deepEqual(
    [denied.t, denied.exec, denied.error.code, denied.error.message],
    ['error', 'e2', 'PERMISSION_DENIED', 'skill fraud/dispute-chargeback may not call api checkout_disputes'],
  );

  io.send(execute('e3', {}));
  const ask = await io.next();
  assert.deepEqual([ask.t, ask.exec, ask.result.confidence], ['result', 'e3', 0.6]);
  assert.match(ask.result.message, /^Which dispute\?/);
  io.send({ t: 'shutdown' });
}

const exited = (child: Launched['child']) =>
  new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c))));

/** Runs a conversation against a launched worker; a failure quotes the worker's stderr. */
async function converse(
  w: Launched,
  conversation: (io: ReturnType<typeof protocolLines>) => Promise<void>,
): Promise<void> {
  let stderr = '';
  w.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await conversation(protocolLines(w.channel)).catch((e: Error) => assert.fail(`${e.message}\nstderr: ${stderr}`));
  assert.equal(await exited(w.child), 0, stderr);
}

/** A bundle in a temporary folder: { 'code/handler.py': source, … }. */
function bundle(name: string, files: Record<string, string>): string {
  const dir = join(root, 'bundles', name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

const HANDLER_OK =
  'from aspora_sdk import SkillResult\n\nasync def handler(context):\n    return SkillResult(True, "ok")\n';

describe(
  'Python handlers',
  suiteUnless(noPython, () => {
    const py = found as Exclude<typeof found, Error>;

    test('the SDK passes its own tests (every protocol vector, in-process and on a real fd 3)', () => {
      const r = spawnSync(py.executable, ['-B', '-m', 'unittest', 'discover', '-s', 'tests', '-t', 'tests'], {
        cwd: PYTHON_SDK_DIR,
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      const ran = Number(/^Ran (\d+) tests?/m.exec(r.stderr)?.[1]);
      assert.ok(ran >= 50, `ran ${ran} tests`);
      assert.match(r.stderr, /^OK$/m);
    });

    const disputeOpts = (name = 'dispute-chargeback'): PrepareOptions => ({
      bundleDir: DISPUTE_SKILL,
      entryPoint: 'code/handler.py',
      sandbox: buildSandbox(),
      cacheDir: cacheDir(name),
    });

    test('prepare checks dispute-chargeback once, writes nothing into the bundle and mounts the SDK', async (t) => {
      const logs: string[] = [];
      const opts = { ...disputeOpts(), log: (m: string) => logs.push(m) };
      let t0 = performance.now();
      const spec = await pythonAdapter.prepare(opts);
      const cold = performance.now() - t0;
      t0 = performance.now();
      const again = await pythonAdapter.prepare(opts);
      const cached = performance.now() - t0;
      t.diagnostic(`dispute-chargeback prepare: first ${Math.round(cold)} ms, cached ${Math.round(cached)} ms`);
      assert.deepEqual(spec, {
        mounts: [...py.mounts, { host: PYTHON_SDK_DIR, sandbox: '/opt/aspora/python' }],
        command: [py.executable, '-I', '-B', '-u', '/opt/aspora/python/aspora_sdk/worker.py', '/skill/code/handler.py'],
        env: {},
      });
      assert.deepEqual(again, spec);
      assert.equal(logs.filter((l) => l.startsWith('python: checking')).length, 1, 'checked once');
      assert.ok(existsSync(join(opts.cacheDir, `python-${py.version}.checked`)), 'the check is recorded in cacheDir');
      // A ratio, not milliseconds: the machine may be shared. The cached prepare runs no Python.
      assert.ok(cached < cold / 4, `cached prepare took ${Math.round(cached)} ms, the first ${Math.round(cold)} ms`);
      assert.ok(
        !readdirSync(join(DISPUTE_SKILL, 'code')).includes('__pycache__'),
        'no bytecode written into the bundle',
      );
    });

    test('in bubblewrap the worker answers executions of dispute-chargeback, warm', {
      skip: skipUnless('bubblewrap'),
    }, async () => {
      const spec = await pythonAdapter.prepare(disputeOpts());
      const layout = { bundleDir: DISPUTE_SKILL, scratchDir: scratch('dispute'), shared: [] };
      await converse(launch('bwrap', spec, layout, limits), disputeConversation);
    });

    test('without a sandbox the same spec runs with its paths mapped back to the host', async () => {
      const spec = await pythonAdapter.prepare(disputeOpts());
      const layout = { bundleDir: DISPUTE_SKILL, scratchDir: scratch('unsafe'), shared: [] };
      await converse(launch('unsafe', spec, layout, limits), disputeConversation);
    });

    test("prepareTests runs the skill's unittest tests in bubblewrap", { skip: skipUnless('bubblewrap') }, async () => {
      const spec: LaunchSpec = await pythonAdapter.prepareTests(disputeOpts());
      assert.equal(spec.env.PYTHONPATH, '/opt/aspora/python:/skill/code');
      const tests = launch(
        'bwrap',
        spec,
        { bundleDir: DISPUTE_SKILL, scratchDir: scratch('tests'), shared: [] },
        limits,
      );
      let out = '';
      tests.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      tests.child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      assert.equal(await exited(tests.child), 0, out);
      assert.match(out, /^Ran 5 tests in /m);
      assert.match(out, /^OK$/m);
      assert.match(out, /test_drafts_and_saves_case .*\.\.\. ok/);
      assert.ok(!readdirSync(join(DISPUTE_SKILL, 'tests', 'unit')).includes('__pycache__'));
    });

    test('an interpreter outside /usr (a venv) has its prefix mounted and runs in bubblewrap', {
      skip: skipUnless('bubblewrap'),
    }, async () => {
      const venv = join(root, 'venv');
      const made = spawnSync(py.executable, ['-I', '-m', 'venv', '--without-pip', venv], { encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
      const spec = await withEnv('ASPORA_PYTHON', join(venv, 'bin', 'python3'), () =>
        pythonAdapter.prepare({
          bundleDir: bundle('venv', { 'code/handler.py': HANDLER_OK }),
          entryPoint: 'code/handler.py',
          sandbox: buildSandbox(),
          cacheDir: cacheDir('venv'),
        }),
      );
      assert.equal(spec.command[0], join(venv, 'bin', 'python3'));
      assert.ok(
        spec.mounts.some((m) => m.host === venv && m.sandbox === venv),
        JSON.stringify(spec.mounts),
      );
      const w = launch(
        'bwrap',
        spec,
        { bundleDir: join(root, 'bundles', 'venv'), scratchDir: scratch('venv'), shared: [] },
        limits,
      );
      await converse(w, async (io) => {
        assert.equal((await io.next()).t, 'ready');
        io.send(execute('v1', {}));
        assert.deepEqual((await io.next()).result, { success: true, message: 'ok' });
        io.send({ t: 'shutdown' });
      });
    });

    test('a syntax error in any file of the code folder is BUNDLE_INVALID with its file and line', async () => {
      const bundleDir = bundle('broken', {
        'code/handler.py': `from helpers import total\n${HANDLER_OK}`,
        'code/helpers.py': 'def total(xs):\n    s = 0\n    for x in xs\n        s += x\n    return s\n',
        'code/lib/fine.py': 'X = 1\n',
      });
      const opts = { bundleDir, entryPoint: 'code/handler.py', sandbox: buildSandbox(), cacheDir: cacheDir('broken') };
      await assert.rejects(pythonAdapter.prepare(opts), (e: unknown) => {
        assert.ok(e instanceof AsporaError);
        assert.equal(e.code, 'BUNDLE_INVALID');
        assert.match(e.message, /code\/helpers\.py:3:\d+: SyntaxError: expected ':'/);
        assert.equal(e.issues.length, 1);
        assert.deepEqual({ file: e.issues[0]!.file, line: e.issues[0]!.line }, { file: 'code/helpers.py', line: 3 });
        assert.equal(typeof e.issues[0]!.column, 'number');
        assert.match(String(e.hint), /py_compile/);
        return true;
      });
      assert.equal(
        readdirSync(opts.cacheDir).length,
        0,
        'a failed check is not recorded: the next prepare checks again',
      );
      assert.ok(!existsSync(join(bundleDir, 'code', '__pycache__')), 'the check writes no bytecode');

      writeFileSync(join(bundleDir, 'code', 'helpers.py'), 'def total(xs):\n    return sum(xs)\n');
      await pythonAdapter.prepare(opts);

      await assert.rejects(
        pythonAdapter.prepare({ ...opts, entryPoint: 'code/handler.ts' }),
        (e: unknown) => e instanceof AsporaError && e.code === 'BUNDLE_INVALID',
      );
      await assert.rejects(
        pythonAdapter.prepare({ ...opts, entryPoint: '../handler.py' }),
        (e: unknown) => e instanceof AsporaError && e.code === 'BUNDLE_INVALID',
      );
    });

    test('a bundle without tests/unit/test_*.py has no tests to run', async () => {
      const bundleDir = bundle('untested', { 'code/handler.py': HANDLER_OK, 'tests/unit/helpers.py': '' });
      await assert.rejects(
        pythonAdapter.prepareTests({
          bundleDir,
          entryPoint: 'code/handler.py',
          sandbox: buildSandbox(),
          cacheDir: cacheDir('untested'),
        }),
        (e: unknown) => {
          assert.ok(e instanceof AsporaError && e.code === 'NOT_FOUND');
          assert.match(e.message, /tests\/unit\/test_\*\.py/);
          return true;
        },
      );
    });

    test('no interpreter is UNAVAILABLE with an install hint', async () => {
      await withEnv('ASPORA_PYTHON', '/nonexistent', async () => {
        for (const prepare of [pythonAdapter.prepare, pythonAdapter.prepareTests]) {
          await assert.rejects(prepare({ ...disputeOpts('no-python') }), (e: unknown) => {
            assert.ok(e instanceof AsporaError && e.code === 'UNAVAILABLE', String(e));
            assert.match(e.message, /\/nonexistent was not found/);
            assert.equal(e.hint, 'apt-get install python3 or set ASPORA_PYTHON');
            return true;
          });
        }
      });
    });

    test('an interpreter older than 3.9 is UNAVAILABLE', async () => {
      // A stand-in that answers the probe as Python 3.8 would.
      const fake = join(root, 'python3.8');
      writeFileSync(
        fake,
        `#!/bin/sh\necho '{"executable": "${fake}", "version": [3, 8, 18], "prefixes": ["/usr", "/usr"]}'\n`,
        { mode: 0o755 },
      );
      await withEnv('ASPORA_PYTHON', fake, async () => {
        await assert.rejects(pythonAdapter.prepare(disputeOpts('old-python')), (e: unknown) => {
          assert.ok(e instanceof AsporaError && e.code === 'UNAVAILABLE');
          assert.match(e.message, /is Python 3\.8\.18; Python handlers need 3\.9 or newer/);
          return true;
        });
      });
    });
  }),
);
