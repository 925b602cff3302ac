/**
 * The README's five-minute tour, line by line, as a new user runs it: the commands of its code
 * block, in order, in a shell, against a platform started by `aspora up` on a temp data folder
 * and a free port (no model provider configured: the local stand-in answers). `<id>` is the
 * execution id the run before it printed. Every line must exit 0; a few outputs are checked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/aspora.js');
const UUID = /execution ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;

/** The lines of the first bash block under "## A five-minute tour". */
export function tourLines(readme: string): string[] {
  const at = readme.indexOf('## A five-minute tour');
  assert.ok(at >= 0, 'README.md has a five-minute tour');
  const block = /```bash\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, 'the tour has a bash block');
  return block[1]!
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** What some lines must print (stdout and stderr together), beyond exiting 0. */
const EXPECT: Array<[RegExp, RegExp]> = [
  [/create skill fraud\/refund-check/, /Created skills\/fraud\/refund-check/],
  [/list --domain ecm --role field/, /ecm\/my-tickets/],
  [/search "block a suspicious payment"/, /1\. fraud\/block-transaction/],
  [/deploy skills\/fraud\/refund-check --env production/, /production: fraud\/refund-check 0\.1\.0 → 0\.2\.0/],
  [/rollback fraud\/refund-check --env production/, /production: fraud\/refund-check 0\.2\.0 → 0\.1\.0/],
  [/run fraud\/block-transaction/, /Transaction blocked/],
  [/run wealth\/fx-timing/, /AED → INR[\s\S]*handler built in [\d.]+ s first/],
  [/run wealth\/suggest-allocation/, /1 model call \$0\.0000 \(local-stand-in\)/],
  [/execution <id>/, /wealth\/suggest-allocation[\s\S]*\(local-stand-in\)/],
  [/test fraud\/block-transaction --env production/, /tests passed/],
  [/logs fraud\/block-transaction --follow/, /execution finished/],
  [/metrics fraud/, /fraud\/block-transaction/],
  [/trace fraud --date today/, /fraud\/block-transaction/],
  [/feedback export wealth\/suggest-allocation/, /should name the main risk first/],
];

const work = mkdtempSync(join(tmpdir(), 'aspora-tour-'));
chmodSync(work, 0o755); // the sandbox user reads bundles under the data folder
let server: ChildProcess;
let url = '';
let startup: { models?: { provider: string } } = {};
// `aspora up` logs the CLI in: into this test's own credentials file, not the user's.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NO_COLOR: '1',
  ASPORA_LOG_LEVEL: 'warn',
  ASPORA_CONFIG_DIR: join(work, 'config'),
};
// A fresh clone: no model provider, whatever the machine running the tests has.
delete env.OPENROUTER_API_KEY;
delete env.ASPORA_MODEL_BASE_URL;
delete env.ASPORA_URL;

before(async () => {
  server = spawn(process.execPath, [BIN, 'up', '--port', '0', '--data-dir', join(work, '.aspora'), '--json'], {
    cwd: work,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  server.stderr!.on('data', (d) => (err += d));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aspora up did not start in 120 s:\n${err}`)), 120_000);
    server.stdout!.on('data', (d) => {
      out += d;
      try {
        startup = JSON.parse(out);
        clearTimeout(timer);
        resolve((startup as { url: string }).url);
      } catch {
        /* not complete yet */
      }
    });
    server.once('exit', (code) => reject(new Error(`aspora up exited ${code}:\n${err}`)));
  });
});

after(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  rmSync(work, { recursive: true, force: true });
});

/** The line as the user's shell runs it, with the workspace's CLI for `npx aspora`. */
const shellLine = (line: string) => line.replaceAll('npx aspora ', `"${process.execPath}" "${BIN}" `);

/** `--follow` streams until Ctrl-C: stopped with SIGINT once it printed the earlier run's lines. */
async function follow(line: string): Promise<{ output: string; code: number | null; signal: string | null }> {
  const child = spawn('bash', ['-c', shellLine(line)], {
    cwd: work,
    env: { ...env, ASPORA_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const seen = new Promise<void>((resolve) => {
    const on = (d: Buffer) => {
      output += d;
      if (/execution finished/.test(output) && /following/.test(output)) resolve();
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
  const ended = new Promise<{ code: number | null; signal: string | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const timeout = new Promise<void>((r) => setTimeout(r, 30_000).unref());
  await Promise.race([seen, ended, timeout]);
  if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
  return { output, ...(await ended) };
}

test('the README tour runs line by line on a fresh platform', { timeout: 240_000 }, async () => {
  assert.equal(startup.models?.provider, 'local-stand-in', 'no provider configured: the stand-in answers model calls');
  const lines = tourLines(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(lines.length >= 20, `the tour has its lines (${lines.length})`);
  const checked = new Set<RegExp>();
  let lastExecution: string | undefined;
  for (const line of lines) {
    assert.match(line, /^(npx aspora |perl )/, `a tour line is an aspora command (or the one edit): ${line}`);
    let run = line;
    if (run.includes('<id>')) {
      assert.ok(lastExecution, `${line}: no run before it printed an execution id`);
      run = run.replaceAll('<id>', lastExecution);
    }
    let output: string;
    if (/ --follow\b/.test(run)) {
      const r = await follow(run);
      output = r.output;
      assert.ok(
        r.signal === 'SIGINT' || r.code === 0 || r.code === 130,
        `${line}: ended ${r.signal ?? r.code}\n${output}`,
      );
    } else {
      const r = spawnSync('bash', ['-c', shellLine(run)], {
        cwd: work,
        env: { ...env, ASPORA_URL: url },
        encoding: 'utf8',
        timeout: 90_000,
      });
      output = `${r.stdout}${r.stderr}`;
      assert.equal(r.status, 0, `${line}\nexited ${r.status ?? r.signal}:\n${output}`);
    }
    if (/^npx aspora run /.test(line)) lastExecution = UUID.exec(output)?.[1] ?? lastExecution;
    for (const [which, expected] of EXPECT) {
      if (!which.test(line)) continue;
      assert.match(output, expected, `${line}:\n${output}`);
      checked.add(which);
    }
  }
  assert.deepEqual(
    EXPECT.filter(([w]) => !checked.has(w)).map(([w]) => String(w)),
    [],
    'every checked output belongs to a tour line',
  );
});
