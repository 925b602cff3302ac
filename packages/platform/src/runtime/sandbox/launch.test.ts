/**
 * What every launch adds around bubblewrap (launch.ts): inherited file descriptors closed before
 * anything runs, no nested user namespaces, the seccomp filter — and ordinary handler workloads
 * still running under them. Real sandboxes, real runtimes (one of them started in a child process
 * that inherited an fd, as a platform started by a careless parent would).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeFixture } from '../test-support.ts';
import { skipUnless, suiteUnless } from '../../../test/tools.ts';

const noBwrap = skipUnless('bubblewrap');
const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** Runs a TypeScript module with node + tsx, optionally as another user and with extra stdio entries; resolves with its stdout. */
function runScript(
  source: string,
  opts: { uid?: number; stdio?: Array<number | 'ignore'>; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-launch-test-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'script.mts');
  writeFileSync(file, source, { mode: 0o644 });
  const argv = [process.execPath, '--import', 'tsx', file];
  const cmd =
    opts.uid === undefined
      ? argv
      : ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', '--', ...argv];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe', ...(opts.stdio ?? [])],
      env: { ...process.env, ASPORA_LOG_LEVEL: 'silent', ...opts.env },
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err.slice(-2000)}`));
    });
  });
}

describe(
  'ordinary workloads run under the seccomp filter and without nested namespaces',
  suiteUnless(noBwrap, () => {
    let f: Awaited<ReturnType<typeof runtimeFixture>>;
    before(async () => {
      f = await runtimeFixture();
    });
    after(() => f.close());

    test('TypeScript: worker_threads, child_process, network interfaces (netlink), and Bash pipelines', async () => {
      await f.deploy({
        name: 'work-ts',
        permissions: '  tools: [Bash]',
        handler: `import { Worker } from 'node:worker_threads';
        import cp from 'node:child_process';
        import os from 'node:os';
        export const handler = async (ctx) => {
          const thread = await new Promise((res, rej) => { const w = new Worker('require("node:worker_threads").parentPort.postMessage(6 * 7)', { eval: true }); w.once('message', res); w.once('error', rej); });
          const child = cp.execFileSync('/bin/echo', ['from a child']).toString().trim();
          const spawned = await new Promise((res) => { const c = cp.spawn('/bin/sh', ['-c', 'echo $((1+1))']); let o = ''; c.stdout.on('data', (d) => (o += d)); c.on('exit', () => res(o.trim())); });
          const nics = Object.keys(os.networkInterfaces());
          const bash = await ctx.tools.bash({ command: 'seq 1 1000 | sort -rn | head -3 | tr "\\\\n" " "; x=$(echo sub | tr a-z A-Z); echo "$x"; sleep 0.1 & wait; ( cd /tmp && echo ok > f && cat f )', timeoutMs: 10000 });
          return { success: true, message: 'ran', data: { thread, child, spawned, nics, bash } };
        };`,
      });
      const r = await f.runtime.run({ ref: 'test/work-ts', input: {} });
      assert.equal(r.success, true, JSON.stringify(r.error));
      const d = (r.result as { data: Record<string, any> }).data;
      assert.equal(d.thread, 42);
      assert.equal(d.child, 'from a child');
      assert.equal(d.spawned, '2');
      assert.deepEqual(d.nics, ['lo']);
      assert.equal(d.bash.exitCode, 0, d.bash.stderr);
      assert.equal(d.bash.stdout, '1000 999 998 SUB\nok\n');
    });

    test('Python: threads, a thread pool, subprocess and a socket pair', async () => {
      await f.deploy({
        name: 'work-py',
        language: 'python',
        handler: `import socket, subprocess, threading
from concurrent.futures import ThreadPoolExecutor
from aspora_sdk import SkillResult, skill_handler

@skill_handler
async def handler(context):
    seen = []
    ts = [threading.Thread(target=seen.append, args=(i,)) for i in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    with ThreadPoolExecutor(4) as ex:
        squares = list(ex.map(lambda x: x * x, range(5)))
    out = subprocess.run(["/bin/sh", "-c", "echo sub | tr a-z A-Z"], capture_output=True, text=True, check=True).stdout.strip()
    a, b = socket.socketpair()
    a.sendall(b"ping")
    got = b.recv(4).decode()
    return SkillResult(success=True, message="ran", data={"threads": sorted(seen), "squares": squares, "sub": out, "pair": got})
`,
      });
      const r = await f.runtime.run({ ref: 'test/work-py', input: {} });
      assert.equal(r.success, true, JSON.stringify(r.error));
      assert.deepEqual((r.result as { data: unknown }).data, {
        threads: [0, 1, 2, 3, 4, 5, 6, 7],
        squares: [0, 1, 4, 9, 16],
        sub: 'SUB',
        pair: 'ping',
      });
    });

    test('Go: goroutines, exec and network interfaces', { skip: skipUnless('go') }, async () => {
      await f.deploy({
        name: 'work-go',
        language: 'go',
        handler: `package main

import (
	"net"
	"os/exec"
	"strings"
	"sync"

	aspora "github.com/aspora/sdk-go"
)

func Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sum := 0
	for i := 1; i <= 100; i++ {
		wg.Add(1)
		go func(n int) { defer wg.Done(); mu.Lock(); sum += n; mu.Unlock() }(i)
	}
	wg.Wait()
	out, err := exec.Command("/bin/sh", "-c", "echo sub | tr a-z A-Z").Output()
	if err != nil {
		return nil, err
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	return &aspora.SkillResult{Success: true, Message: "ran", Data: map[string]interface{}{"sum": sum, "sub": strings.TrimSpace(string(out)), "nics": len(ifs)}}, nil
}
`,
      });
      const r = await f.runtime.run({ ref: 'test/work-go', input: {} });
      assert.equal(r.success, true, JSON.stringify(r.error));
      assert.deepEqual((r.result as { data: unknown }).data, { sum: 5050, sub: 'SUB', nics: 1 });
    });
  }),
);

describe(
  'file descriptors the platform inherited',
  suiteUnless(noBwrap, () => {
    let dir: string;
    let secretFile: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'aspora-fd-'));
      secretFile = join(dir, 'root-only');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** Looks at fd 300 from a handler and from a Bash command; reports what it found. */
    const FD_HANDLER = `import fs from 'node:fs';
    const tryIt = (fn) => { try { return 'OPEN ' + fn(); } catch (e) { return e.code || String(e); } };
    const BASH = 'ls /proc/self/fd | sort -n | tr "\\n" " "; echo; bash -c "echo pwned-by-bash >&300" 2>&1; cat /proc/self/fd/300 2>&1; true';
    export const handler = async (ctx) => {
      const fds = fs.readdirSync('/proc/self/fd').map(Number).sort((a, b) => a - b);
      const handler = {
        fds,
        targets: fds.map((n) => tryIt(() => fs.readlinkSync('/proc/self/fd/' + n))),
        write: tryIt(() => fs.writeSync(300, 'pwned-by-handler')),
        read: tryIt(() => fs.readFileSync('/proc/self/fd/300', 'utf8')),
      };
      const bash = await ctx.tools.bash({ command: BASH, timeoutMs: 10000 });
      return { success: true, message: 'probed', data: { handler, bash: bash.stdout } };
    };`;

    /** A platform in a child process whose fd 300 is the root-only file, open for reading and writing. */
    async function probeFromChild(env: NodeJS.ProcessEnv) {
      writeFileSync(secretFile, 'root-secret\n', { mode: 0o600 });
      const fd = openSync(secretFile, 'r+');
      const stdio: Array<number | 'ignore'> = Array.from({ length: 297 }, () => 'ignore');
      stdio.push(fd); // index 300: stdin, stdout and stderr come first
      try {
        const out = await runScript(
          `import { runtimeFixture } from ${JSON.stringify(here('../test-support.ts'))};
        import fs from 'node:fs';
        // The platform itself holds fd 300, inherited without close-on-exec.
        if (fs.readFileSync('/proc/self/fd/300', 'utf8') !== 'root-secret\\n') throw new Error('fd 300 was not inherited');
        const f = await runtimeFixture(process.env.ASPORA_CGROUPS ? { env: { ASPORA_CGROUPS: process.env.ASPORA_CGROUPS } } : {});
        try {
          await f.deploy({ name: 'fd', permissions: '  tools: [Bash]', handler: ${JSON.stringify(FD_HANDLER)} });
          const r = await f.runtime.run({ ref: 'test/fd', input: {} });
          process.stdout.write(JSON.stringify({ result: r.result, error: r.error, cgroups: Boolean(f.runtime.cgroups) }));
        } finally {
          await f.close();
        }`,
          { stdio, env },
        );
        return JSON.parse(out) as {
          result: { data: { handler: Record<string, any>; bash: string } };
          error: unknown;
          cgroups: boolean;
        };
      } finally {
        closeSync(fd);
      }
    }

    for (const [label, env] of [
      ['with cgroups (the worker from a spare launcher, Bash joining its cgroup)', {}],
      ['without cgroups (prlimit launches)', { ASPORA_CGROUPS: 'off' }],
    ] as const) {
      test(`an fd inherited by the platform reaches neither a handler nor a Bash command, ${label}`, async () => {
        const r = await probeFromChild(env);
        assert.ok(!r.error, JSON.stringify(r.error));
        assert.equal(r.cgroups, !('ASPORA_CGROUPS' in env));
        const { handler, bash } = r.result.data;
        assert.equal(handler.write, 'EBADF');
        assert.equal(handler.read, 'ENOENT');
        // Node's own fds (its event loop, the protocol socket) are there; the inherited one is not.
        assert.ok(!handler.fds.includes(300), `handler fds: ${handler.fds}`);
        assert.ok(!handler.targets.some((t: string) => t.includes('root-only')), `handler fds: ${handler.targets}`);
        const [fdLine, ...rest] = bash.split('\n');
        assert.ok(
          fdLine!
            .trim()
            .split(' ')
            .every((n) => Number(n) <= 4),
          `Bash fds: ${fdLine}`,
        );
        assert.match(rest.join('\n'), /300: Bad file descriptor/);
        assert.match(rest.join('\n'), /\/proc\/self\/fd\/300: No such file or directory/);
        assert.equal(readFileSync(secretFile, 'utf8'), 'root-secret\n', 'the file is untouched');
      });
    }
  }),
);

test('launched by a platform that is not root, the sandbox still has no nested user namespace and runs under the filter', {
  skip: noBwrap ?? (process.getuid?.() === 0 ? undefined : 'needs root to start a non-root platform'),
}, async () => {
  const work = mkdtempSync(join(tmpdir(), 'aspora-nonroot-'));
  chmodSync(work, 0o777);
  const inherited = openSync('/dev/null', 'r');
  try {
    const out = await runScript(
      `import { launch } from ${JSON.stringify(here('./launch.ts'))};
      import { probeBwrap } from ${JSON.stringify(here('./detect.ts'))};
      if (process.getuid() === 0) throw new Error('still root');
      const p = probeBwrap();
      if (!p.ok) throw new Error(p.reason);
      const { child } = launch('bwrap', { mounts: [], env: {}, command: ['/bin/sh', '-c', 'unshare -U true 2>&1; grep ^Seccomp: /proc/self/status; ls /proc/self/fd | sort -n | tr "\\\\n" " "'] },
        { bundleDir: ${JSON.stringify(work)}, scratchDir: ${JSON.stringify(work)}, shared: [] },
        { memoryMb: 256, cpu: 0, cpuSeconds: 10, maxProcesses: 64, maxFileMb: 8, tmpMb: 16 });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', () => process.stdout.write(JSON.stringify({ out, features: p.features })));`,
      // This platform inherited fd 300 too: it must not reach the sandbox either.
      { uid: 65534, stdio: [...Array.from({ length: 297 }, () => 'ignore' as const), inherited] },
    );
    const r = JSON.parse(out) as { out: string; features: { disableUserns: boolean } };
    assert.match(r.out, /unshare failed: Operation not permitted/);
    assert.match(r.out, /Seccomp:\s+2/);
    assert.deepEqual(r.features, { disableUserns: true });
    assert.equal(
      r.out.trim().split('\n').at(-1)!.trim(),
      '0 1 2 3 4',
      'stdio, the protocol socket and the directory ls reads',
    );
  } finally {
    closeSync(inherited);
    rmSync(work, { recursive: true, force: true });
  }
});
