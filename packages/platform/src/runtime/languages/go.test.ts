/**
 * The Go SDK and adapter: the SDK's own tests (every protocol vector), a real build of the
 * wealth/fx-timing example, its worker speaking the protocol on fd 3, its unit tests as a test
 * binary, and compile errors reported as BUNDLE_INVALID. Skipped only when Go is not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsporaError } from '@aspora/sdk';
import { GO_SDK_DIR, goAdapter, goEnv } from './go.ts';
import { adapterRoot, buildSandbox, protocolLines } from '../test-support.ts';
import type { LaunchSpec, PrepareOptions } from './types.ts';
import { skipUnless, suiteUnless } from '../../../test/tools.ts';
import { launch } from '../sandbox/launch.ts';

const noGo = skipUnless('go');
const FX = fileURLToPath(new URL('../../../../../examples/skills/wealth/fx-timing', import.meta.url));

let root: string;
let cacheDir: (name: string) => string;
let removeRoot: () => void;
before(() => {
  ({ root, cacheDir, remove: removeRoot } = adapterRoot('aspora-go-'));
});
after(() => removeRoot());

/** Runs an in-sandbox command on the host by mapping /opt/aspora/go back to its mount. */
const hostArgv = (spec: LaunchSpec) =>
  spec.command.map((a) =>
    spec.mounts.reduce((s, m) => (s.startsWith(m.sandbox) ? m.host + s.slice(m.sandbox.length) : s), a),
  );

const execute = (exec: string, metadata: Record<string, unknown>) => ({
  t: 'execute',
  exec,
  context: {
    executionId: exec,
    input: { userMessage: 'is now a good time to send?', userId: 'u1', domain: 'wealth', metadata },
    skill: { domain: 'wealth', name: 'fx-timing', role: null, version: '1.0.2' },
    secrets: { FX_RATES_API_KEY: 'k' },
  },
});

/** One execution of fx-timing against a worker: answers its two fx_rates_api calls. */
async function fxConversation(io: ReturnType<typeof protocolLines>) {
  const ready = await io.next();
  assert.deepEqual([ready.t, ready.protocol, ready.language, typeof ready.pid], ['ready', 1, 'go', 'number']);
  io.send(execute('e1', { from: 'AED', to: 'INR', amount: 20000, days_to_deadline: 6 }));
  const quote = await io.next();
  assert.deepEqual(quote, {
    t: 'call',
    id: 1,
    exec: 'e1',
    op: 'apis.call',
    args: { api: 'fx_rates_api', method: 'Quote', args: { from: 'AED', to: 'INR', amount: 20000 } },
  });
  io.send({ t: 'return', id: 1, ok: true, value: { rate: 23.41, rateToAED: 1 } });
  const history = await io.next();
  assert.equal(history.args.method, 'History');
  io.send({ t: 'return', id: 2, ok: true, value: [22.96, 23.1, 23.3, 23.58, 23.2] });
  const end = await io.next();
  assert.equal(end.t, 'result', JSON.stringify(end));
  assert.equal(end.result.success, true);
  assert.match(end.result.message, /AED → INR today: 23\.41/);
  assert.match(end.result.message, /sending now is the safe choice/);
  assert.equal(end.result.data.percentile, 80);
  assert.equal(end.result.confidence, 0.9);
  // A denied API ends the next execution (same warm worker) with the host's code.
  io.send(execute('e2', { from: 'AED', to: 'INR', amount: 100 }));
  const call = await io.next();
  io.send({
    t: 'return',
    id: call.id,
    ok: false,
    error: { code: 'PERMISSION_DENIED', message: 'skill wealth/fx-timing may not call api fx_rates_api' },
  });
  const denied = await io.next();
  assert.deepEqual([denied.t, denied.exec, denied.error.code], ['error', 'e2', 'PERMISSION_DENIED']);
  assert.equal(call.id, 3, 'call ids keep increasing across executions');
  io.send({ t: 'shutdown' });
}

const exited = (child: ReturnType<typeof spawn>) =>
  new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c))));

describe(
  'Go handlers',
  suiteUnless(noGo, () => {
    test('the SDK passes its own tests (every protocol vector, in-process and on a real fd 3)', () => {
      const r = spawnSync(process.env.ASPORA_GO || 'go', ['test', '-count=1', './...'], {
        cwd: GO_SDK_DIR,
        env: goEnv(cacheDir('sdk-tests')),
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /ok\s+github\.com\/aspora\/sdk-go\s/);
      assert.match(r.stdout, /ok\s+github\.com\/aspora\/sdk-go\/testing\/asporatest\s/);
    });

    const fxOpts = (): PrepareOptions => ({
      bundleDir: FX,
      entryPoint: 'code/handler.go',
      sandbox: buildSandbox(),
      cacheDir: cacheDir('fx-timing'),
    });

    test('prepare builds fx-timing once into a static binary that serves the protocol on fd 3', async (t) => {
      const logs: string[] = [];
      const opts = { ...fxOpts(), log: (m: string) => logs.push(m) };
      let t0 = performance.now();
      const spec = await goAdapter.prepare(opts);
      const cold = performance.now() - t0;
      t0 = performance.now();
      const again = await goAdapter.prepare(opts);
      const cached = performance.now() - t0;
      t.diagnostic(`fx-timing build: first ${Math.round(cold)} ms, cached ${Math.round(cached)} ms`);
      assert.deepEqual(spec, {
        mounts: [{ host: opts.cacheDir, sandbox: '/opt/aspora/go' }],
        command: ['/opt/aspora/go/handler'],
        env: {},
      });
      assert.deepEqual(again, spec);
      assert.equal(logs.filter((l) => l.startsWith('go: compiling')).length, 1, 'built once');
      // A ratio, not milliseconds: the machine may be shared. The cached prepare compiles nothing.
      assert.ok(cached < cold / 10, `cached prepare took ${Math.round(cached)} ms, the build ${Math.round(cold)} ms`);
      const file = spawnSync('file', [join(opts.cacheDir, 'handler')], { encoding: 'utf8' });
      if (!file.error) assert.match(file.stdout, /statically linked/);

      const child = spawn(hostArgv(spec)[0]!, [], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
      await fxConversation(protocolLines(child.stdio[3] as Socket));
      assert.equal(await exited(child), 0);
    });

    test("prepareTests yields a test binary that runs the skill's unit tests", async () => {
      const opts = fxOpts();
      const spec = await goAdapter.prepareTests(opts);
      assert.deepEqual(spec.command, ['/opt/aspora/go/handler.test', '-test.v']);
      const argv = hostArgv(spec);
      const r = spawnSync(argv[0]!, argv.slice(1), {
        cwd: root,
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin', HOME: root },
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      for (const name of [
        'TestDescribePercentile',
        'TestDeadlineBeatsRate',
        'TestLargeAmountWithoutDeadlineSplits',
        'TestDeniedRatesAPIEndsWithItsCode',
      ]) {
        assert.match(r.stdout, new RegExp(`--- PASS: ${name}`));
      }
    });

    test('in bubblewrap: the binary and the test binary run from the /opt/aspora/go mount', {
      skip: skipUnless('bubblewrap'),
    }, async () => {
      const opts = fxOpts();
      const scratchDir = join(root, 'scratch');
      mkdirSync(scratchDir, { recursive: true, mode: 0o777 });
      chmodSync(scratchDir, 0o777);
      const layout = { bundleDir: FX, scratchDir, shared: [] };
      const limits = { memoryMb: 256, cpu: 1, cpuSeconds: 30, maxProcesses: 4096, maxFileMb: 64, tmpMb: 64 };
      const w = launch('bwrap', await goAdapter.prepare(opts), layout, limits);
      let stderr = '';
      w.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      await fxConversation(protocolLines(w.channel)).catch((e: Error) =>
        assert.fail(`${e.message}\nstderr: ${stderr}`),
      );
      assert.equal(await exited(w.child), 0, stderr);

      const tests = launch('bwrap', await goAdapter.prepareTests(opts), layout, limits);
      let out = '';
      tests.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      tests.child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      assert.equal(await exited(tests.child), 0, out);
      assert.match(out, /^PASS$/m);
    });

    test('a compile error is BUNDLE_INVALID quoting the compiler, with the bundle path', async () => {
      const bundleDir = join(root, 'broken');
      mkdirSync(join(bundleDir, 'code'), { recursive: true });
      writeFileSync(
        join(bundleDir, 'code', 'handler.go'),
        `package main\n\nimport aspora "github.com/aspora/sdk-go"\n\nfunc Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {\n\treturn &aspora.SkillResult{Success: true, Message: notDefined}, nil\n}\n`,
      );
      const opts = { bundleDir, entryPoint: 'code/handler.go', sandbox: buildSandbox(), cacheDir: cacheDir('broken') };
      await assert.rejects(goAdapter.prepare(opts), (e: unknown) => {
        assert.ok(e instanceof AsporaError);
        assert.equal(e.code, 'BUNDLE_INVALID');
        assert.match(e.message, /code\/handler\.go:6:\d+: undefined: notDefined/);
        assert.deepEqual(
          e.issues[0] && { file: e.issues[0].file, line: e.issues[0].line, message: e.issues[0].message },
          { file: 'code/handler.go', line: 6, message: 'undefined: notDefined' },
        );
        return true;
      });
      // No Handler at all: the generated main does not compile; the hint says what to declare.
      writeFileSync(join(bundleDir, 'code', 'handler.go'), 'package main\n\nfunc handler() {}\n');
      await assert.rejects(
        goAdapter.prepare({ ...opts, sandbox: buildSandbox(), cacheDir: cacheDir('no-handler') }),
        (e: unknown) => {
          assert.ok(e instanceof AsporaError && e.code === 'BUNDLE_INVALID');
          assert.match(e.message, /zz_aspora_main\.go \(generated\).*undefined: Handler/);
          assert.match(String(e.hint), /func Handler/);
          return true;
        },
      );
    });

    test('no Go toolchain is UNAVAILABLE with an install hint', async () => {
      const saved = process.env.ASPORA_GO;
      process.env.ASPORA_GO = join(root, 'no-such-go');
      try {
        await assert.rejects(
          goAdapter.prepare({ ...fxOpts(), sandbox: buildSandbox(), cacheDir: cacheDir('no-go') }),
          (e: unknown) => {
            assert.ok(e instanceof AsporaError && e.code === 'UNAVAILABLE');
            assert.match(String(e.hint), /apt-get install golang-go/);
            return true;
          },
        );
      } finally {
        if (saved === undefined) delete process.env.ASPORA_GO;
        else process.env.ASPORA_GO = saved;
      }
    });
  }),
);
