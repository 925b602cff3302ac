/**
 * `aspora audit` and `aspora audit verify` against a stand-in platform: the filters reach the
 * query, entries print as a table, and a chain that does not hold exits 1 naming the entry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/aspora.js', import.meta.url));
const HASH = 'ab'.repeat(32);
let server: Server;
let url = '';
const seen: URL[] = [];
let verify: unknown;

const entries = [
  {
    seq: 2,
    at: '2026-03-10T09:15:02.123Z',
    actor: 'dinesh@example.com',
    action: 'access.denied',
    target: 'fraud/block-transaction',
    outcome: 'denied',
    details: { rule: 'private' },
    hash: HASH,
  },
  {
    seq: 1,
    at: '2026-03-10T09:00:00.000Z',
    actor: 'sarah@example.com',
    action: 'skill.deploy',
    target: null,
    outcome: 'ok',
    details: {},
    hash: HASH,
  },
];

before(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    seen.push(u);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(u.pathname === '/v1/audit/verify' ? verify : { entries }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

// The stand-in answers on this process's event loop: the CLI runs as a child process, asynchronously.
async function aspora(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ASPORA_URL: url, NO_COLOR: '1', ASPORA_TOKEN: 'test-token' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  return { code, stdout, stderr };
}

test('the filters reach the query, and entries print as a table', async () => {
  const r = await aspora([
    'audit',
    '--since',
    '24h',
    '--actor',
    'dinesh@example.com',
    '--action',
    'access.*',
    '--outcome',
    'denied',
    '--limit',
    '5',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const q = seen.at(-1)!;
  assert.equal(q.pathname, '/v1/audit');
  assert.deepEqual(Object.fromEntries(q.searchParams), {
    since: '24h',
    actor: 'dinesh@example.com',
    action: 'access.*',
    outcome: 'denied',
    limit: '5',
  });
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^time\s+actor\s+action\s+target\s+outcome$/);
  assert.match(
    lines[1]!,
    /^2026-03-10 09:15:02\s+dinesh@example\.com\s+access\.denied\s+fraud\/block-transaction\s+denied$/,
  );
  assert.match(lines[2]!, /sarah@example\.com\s+skill\.deploy\s+–\s+ok$/);
});

test('bad options are refused before any request', async () => {
  const before = seen.length;
  assert.equal((await aspora(['audit', '--outcome', 'maybe'])).code, 2);
  const r = await aspora(['audit', '--limit', 'lots']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--limit lots is not a number from 1 to 1000/);
  assert.equal(seen.length, before);
});

test('verify: a chain that holds exits 0 and prints its head on stdout', async () => {
  verify = { ok: true, entries: 42, broken: null, head: { seq: 42, hash: HASH } };
  const r = await aspora(['audit', 'verify']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `head 42 ${HASH}\n`);
  assert.match(r.stderr, /holds: 42 entries/);
  assert.match(r.stderr, /keep this head elsewhere/);
});

test('verify: a broken chain exits 1 naming the first broken entry, with --json too', async () => {
  verify = {
    ok: false,
    entries: 16,
    broken: { seq: 17, reason: 'entry 17 does not match its hash: it was changed after it was written, or put in' },
    head: { seq: 16, hash: HASH },
  };
  const r = await aspora(['audit', 'verify']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not hold at entry 17: entry 17 does not match its hash/);
  assert.match(r.stderr, /16 entries before it hold; the last is 16/);
  assert.equal(r.stdout, '');
  const j = await aspora(['audit', 'verify', '--json']);
  assert.equal(j.code, 1);
  assert.deepEqual(JSON.parse(j.stdout), verify);
});
