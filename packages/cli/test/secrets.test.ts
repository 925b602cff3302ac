/**
 * `aspora secrets` against a stand-in platform that records what it is sent: a piped value is sent
 * whole (one final newline dropped) and never printed, on success or failure; list shows names,
 * times and who; rm and --json answer as the API does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/aspora.js', import.meta.url));
const VALUE = 's3cret-piped-value-81f2c4';

interface Seen {
  method: string;
  url: string;
  body: string;
}
let server: Server;
let url = '';
let seen: Seen[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      const json = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      const at = '2026-12-05T10:00:00.000Z';
      if (req.url === '/v1/platform/offers') return json(200, { apis: [], secrets: ['DEMO_TOKEN'] });
      if (req.url?.startsWith('/v1/teams/team-b/'))
        return json(403, {
          error: {
            code: 'FORBIDDEN',
            message:
              "ana@example.com may not set secrets of team team-b: a team's secrets are managed by its members with the deploy scope, and by admins",
            hint: 'ask an admin or a member of the owner team (aspora whoami shows your teams and scopes)',
          },
        });
      if (req.method === 'PUT')
        return json(200, { team: 'team-a', name: 'API_KEY', updatedAt: at, updatedBy: 'ana@example.com' });
      if (req.method === 'GET')
        return json(200, {
          secrets: [
            { team: 'team-a', name: 'API_KEY', updatedAt: at, updatedBy: 'ana@example.com' },
            { team: 'team-a', name: 'OLD_KEY', updatedAt: at, updatedBy: null },
          ],
        });
      return json(200, { removed: true });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
const work = mkdtempSync(join(tmpdir(), 'aspora-secrets-cli-'));
after(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the CLI without blocking this process: the stand-in platform answers from here. */
async function aspora(args: string[], input?: string) {
  const child = spawn(process.execPath, [BIN, ...(args[0] === 'validate' ? [] : ['secrets']), ...args], {
    env: { ...process.env, ASPORA_URL: url, NO_COLOR: '1' },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // A value larger than the CLI reads: it stops reading and exits, the rest of the pipe breaks.
  child.stdin?.on('error', () => {});
  child.stdin?.end(input);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.ok(!stdout.includes(VALUE) && !stderr.includes(VALUE), `the value was echoed:\n${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

describe('aspora secrets', () => {
  test('set sends the piped value whole, one final newline dropped, and never prints it', async () => {
    for (const [piped, sent] of [
      [`${VALUE}\n`, VALUE],
      [`${VALUE}\r\n`, VALUE],
      [`${VALUE}\nsecond line\n\n`, `${VALUE}\nsecond line\n`],
      [VALUE, VALUE],
    ]) {
      seen = [];
      const r = await aspora(['set', 'team-a', 'API_KEY'], piped);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /team-a\/API_KEY set by ana@example\.com/);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.method, 'PUT');
      assert.equal(seen[0]!.url, '/v1/teams/team-a/secrets/API_KEY');
      assert.deepEqual(JSON.parse(seen[0]!.body), { value: sent });
    }
    const j = await aspora(['set', 'team-a', 'API_KEY', '--json'], `${VALUE}\n`);
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), {
      team: 'team-a',
      name: 'API_KEY',
      updatedAt: '2026-12-05T10:00:00.000Z',
      updatedBy: 'ana@example.com',
    });
  });

  test('set with nothing on stdin, or more than the vault keeps, sends nothing', async () => {
    seen = [];
    const empty = await aspora(['set', 'team-a', 'API_KEY'], '\n');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no value for API_KEY: stdin was empty/);
    const big = await aspora(['set', 'team-a', 'API_KEY', '--json'], `${VALUE}${'x'.repeat(70 * 1024)}`);
    assert.equal(big.code, 1);
    assert.match(JSON.parse(big.stdout).error.message, /larger than 65536 bytes/);
    assert.equal(seen.length, 0);
  });

  test('a refusal is printed with its rule, and still without the value', async () => {
    const r = await aspora(['set', 'team-b', 'API_KEY'], `${VALUE}\n`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /may not set secrets of team team-b: a team's secrets are managed by its members/);
  });

  test('list shows names, when and by whom; --json is the API answer', async () => {
    const r = await aspora(['list', 'team-a']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+UPDATED\s+BY\n/);
    assert.match(r.stdout, /API_KEY\s+2026-12-05T10:00:00\.000Z\s+ana@example\.com/);
    assert.match(r.stdout, /OLD_KEY\s+2026-12-05T10:00:00\.000Z\s+–/);
    const j = await aspora(['list', 'team-a', '--json']);
    assert.deepEqual(
      JSON.parse(j.stdout).secrets.map((s: { name: string }) => s.name),
      ['API_KEY', 'OLD_KEY'],
    );
  });

  test('rm removes by name', async () => {
    seen = [];
    const r = await aspora(['rm', 'team-a', 'API_KEY', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { team: 'team-a', name: 'API_KEY', removed: true });
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      ['DELETE /v1/teams/team-a/secrets/API_KEY'],
    );
  });
});

function skill(name: string, team: string, secrets: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'code'), { recursive: true });
  writeFileSync(
    join(dir, 'aspora.config.yaml'),
    `skill:\n  name: ${name}\n  domain: demo\n  version: 1.0.0\n  description: Says hello.\nruntime:\n  language: typescript\n  entry_point: code/handler.ts\npermissions:\n  secrets: [${secrets}]\nowner_team: ${team}\n`,
  );
  writeFileSync(join(dir, 'SKILL.md'), `---\nname: ${name}\ndescription: Says hello.\n---\n# ${name}\n`);
  writeFileSync(
    join(dir, 'code/handler.ts'),
    'export const handler = async () => ({ success: true, message: "hi" });\n',
  );
  return dir;
}

describe("validate counts the owner team's own secrets as offered", () => {
  test('a secret the team has in the vault passes; one neither the team nor the platform has fails', async () => {
    const ok = await aspora(['validate', skill('own', 'team-a', 'API_KEY, DEMO_TOKEN')]);
    assert.equal(ok.code, 0, ok.stderr);
    const missing = await aspora(['validate', skill('missing', 'team-a', 'API_KEY, NOPE')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /permissions\.secrets\[1\]: secret "NOPE" is not offered/);
  });

  test("a caller who may not list the team's secrets gets the platform's offers only", async () => {
    const r = await aspora(['validate', skill('other', 'team-b', 'API_KEY')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /permissions\.secrets\[0\]: secret "API_KEY" is not offered/);
  });
});
