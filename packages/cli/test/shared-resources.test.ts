/**
 * `aspora shared-resources` against a stand-in platform that records what it is sent: register packs
 * the folder deterministically (.asporaignore applied) and uploads it once; a folder with a link is
 * refused before anything is sent; list prints the versions, the current one marked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { unpackBundle } from '@aspora/platform/bundle';

const BIN = fileURLToPath(new URL('../bin/aspora.js', import.meta.url));

interface Seen {
  method: string;
  url: string;
  type: string | undefined;
  body: Buffer;
}
let server: Server;
let url = '';
let seen: Seen[] = [];
const at = '2026-12-05T10:00:00.000Z';
const version = (v: string, seq: number) => ({
  domain: 'ecm',
  version: v,
  seq,
  digest: `sha256:${'ab'.repeat(32)}`,
  size: 1234,
  fileCount: 3,
  createdBy: 'ana@example.com',
  createdAt: at,
});

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, type: req.headers['content-type'], body: Buffer.concat(chunks) });
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          req.method === 'POST'
            ? { ...version('1.2.0', 3), created: true }
            : { domain: 'ecm', versions: [version('1.2.0', 3), version('2', 2), version('1', 1)] },
        ),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
const work = mkdtempSync(join(tmpdir(), 'aspora-shared-cli-'));
after(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

async function aspora(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'shared-resources', ...args], {
    env: { ...process.env, ASPORA_URL: url, ASPORA_TOKEN: 'test-token', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, stdout, stderr };
}

describe('aspora shared-resources', () => {
  test('register packs the folder (ignore rules applied) and uploads it once, with the version asked for', async () => {
    const dir = join(work, 'shared');
    mkdirSync(join(dir, 'queries'), { recursive: true });
    writeFileSync(join(dir, 'queries', 'a.sql'), 'select 1');
    writeFileSync(join(dir, 'guardrails.md'), '# g');
    writeFileSync(join(dir, 'notes.tmp'), 'scratch');
    writeFileSync(join(dir, '.asporaignore'), '*.tmp\n');
    seen = [];
    const r = await aspora(['register', 'ecm', '--path', dir, '--version', '1.2.0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ecm shared resources version 1\.2\.0 registered/);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.url, '/v1/shared-resources/ecm?version=1.2.0');
    assert.equal(seen[0]!.type, 'application/gzip');
    const files = await unpackBundle(seen[0]!.body);
    assert.deepEqual([...files.keys()].sort(), ['.asporaignore', 'guardrails.md', 'queries/a.sql']);
  });

  test('a folder with a symbolic link is refused before anything is sent', async () => {
    const dir = join(work, 'linked');
    mkdirSync(dir, { recursive: true });
    symlinkSync('/etc/passwd', join(dir, 'passwd'));
    seen = [];
    const r = await aspora(['register', 'ecm', '--path', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /passwd is a symbolic link/);
    assert.equal(seen.length, 0);
  });

  test('list prints the versions newest first, the current one marked; --json is the API’s answer', async () => {
    const r = await aspora(['list', 'ecm']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^VERSION\s+FILES\s+SIZE/);
    assert.match(lines[1]!, /^1\.2\.0 \(current\)\s+3\s/);
    assert.match(lines[3]!, /^1\s+3\s.*ana@example\.com/);
    const j = await aspora(['list', 'ecm', '--json']);
    assert.equal((JSON.parse(j.stdout) as { versions: unknown[] }).versions.length, 3);
  });
});
