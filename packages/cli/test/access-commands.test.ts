/**
 * login, logout, whoami, teams, users and tokens as a user runs them: the `aspora` binary against
 * a double of the platform's access routes built from the contract (access-double.ts), with a
 * credentials folder of its own per test. Checks what each command sends, what it prints (one
 * JSON document with --json), and which token it sends: --token, then ASPORA_TOKEN, then the file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PrincipalInfo } from '@aspora/api';
import { saveCredentials } from '../src/credentials.ts';
import { startAccessDouble, type AccessDouble } from './access-double.ts';

const BIN = fileURLToPath(new URL('../bin/aspora.js', import.meta.url));

const ADMIN = 'asp_admin_token_0001';
const SARAH = 'asp_sarah_token_0002';
const OTHER = 'asp_other_token_0003';
const principal = (over: Partial<PrincipalInfo>): PrincipalInfo => ({
  kind: 'user',
  tokenId: '00000000-0000-4000-8000-000000000001',
  user: { id: 'u1', email: 'admin@example.com', name: 'Ada Admin' },
  team: null,
  teams: [],
  admin: true,
  scopes: ['read', 'run', 'deploy', 'admin'],
  expiresAt: null,
  ...over,
});

let d: AccessDouble;
before(async () => {
  d = await startAccessDouble({
    [ADMIN]: principal({}),
    [SARAH]: principal({
      tokenId: '00000000-0000-4000-8000-000000000002',
      user: { id: 'u2', email: 'sarah@example.com', name: null },
      teams: [{ team: 'ecm-ops', role: 'field' }],
      admin: false,
      scopes: ['read', 'run'],
      expiresAt: '2027-01-01T00:00:00.000Z',
    }),
    [OTHER]: principal({ tokenId: '00000000-0000-4000-8000-000000000003' }),
  });
});
after(async () => {
  assert.deepEqual(d.violations, [], 'the double answered only within the contract');
  await d.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json(): any;
}

/** The CLI in a child process (async: the double answers from this process). No ASPORA_TOKEN unless given. */
function aspora(args: string[], opts: { env?: Record<string, string>; input?: string; config?: string } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, ASPORA_URL: d.url, NO_COLOR: '1', ...opts.env };
  if (!opts.env?.ASPORA_TOKEN) delete env.ASPORA_TOKEN;
  env.ASPORA_CONFIG_DIR = opts.config ?? mkdtempSync(join(tmpdir(), 'aspora-cli-cred-'));
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) }));
    child.stdin.end(opts.input ?? '');
  });
}

const last = () => d.requests.at(-1)!;
const configDir = () => mkdtempSync(join(tmpdir(), 'aspora-cli-cred-'));

describe('which token a command sends', () => {
  test('--token wins over ASPORA_TOKEN, which wins over the credentials file', async () => {
    const config = configDir();
    saveCredentials(d.url, OTHER, { ASPORA_CONFIG_DIR: config });
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['--token', ADMIN], { ASPORA_TOKEN: SARAH }, ADMIN],
      [[], { ASPORA_TOKEN: SARAH }, SARAH],
      [[], {}, OTHER],
    ];
    for (const [flags, env, sent] of cases) {
      const r = await aspora(['whoami', '--json', ...flags], { env, config });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(last().authorization, `Bearer ${sent}`, `${flags.join(' ')} ${JSON.stringify(env)}`);
    }
    // --token before the subcommand counts as much as after it.
    await aspora(['--token', ADMIN, 'whoami'], { env: { ASPORA_TOKEN: SARAH }, config });
    assert.equal(last().authorization, `Bearer ${ADMIN}`);
  });

  test("the file's entry is the one for --url, normalised; another platform's is not sent", async () => {
    const config = configDir();
    saveCredentials(`${d.url.toUpperCase().replace('HTTP', 'http')}/`, SARAH, { ASPORA_CONFIG_DIR: config });
    const r = await aspora(['whoami', '--url', `${d.url}//`], { config });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(last().authorization, `Bearer ${SARAH}`);
    assert.match(r.stderr, new RegExp(`token from ${config}/credentials.json`));

    const elsewhere = configDir();
    saveCredentials('http://127.0.0.1:1', SARAH, { ASPORA_CONFIG_DIR: elsewhere });
    const n = d.requests.length;
    const none = await aspora(['whoami'], { config: elsewhere });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no token for http:\/\/127\.0\.0\.1:\d+ \[UNAUTHORIZED\]/);
    assert.match(none.stderr, /aspora login/);
    assert.equal(d.requests.length, n, 'nothing sent without a token');
  });

  test('a credentials file open to others stops the command, unless a token is given', async () => {
    const config = configDir();
    const path = saveCredentials(d.url, SARAH, { ASPORA_CONFIG_DIR: config });
    const { chmodSync } = await import('node:fs');
    chmodSync(path, 0o644);
    const r = await aspora(['teams', 'list'], { config });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /open to other users \(mode 0644\)/);
    assert.match(r.stderr, /chmod 600/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SARAH));
    const given = await aspora(['teams', 'list'], { config, env: { ASPORA_TOKEN: ADMIN } });
    assert.equal(given.code, 0, given.stderr);
  });
});

describe('aspora login, whoami, logout', () => {
  test('login --token checks the token with whoami, saves it 0600 and says who you are', async () => {
    const config = configDir();
    const r = await aspora(['login', '--token', SARAH], { config });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(last().route, 'whoami');
    assert.equal(last().authorization, `Bearer ${SARAH}`);
    assert.match(r.stdout, /sarah@example\.com/);
    assert.match(r.stdout, /ecm-ops \(field\)/);
    assert.match(r.stdout, /read, run/);
    assert.match(r.stderr, /logged in to http:\/\/127\.0\.0\.1:\d+; token saved in .*credentials\.json/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SARAH), 'the token is never printed');
    const file = join(config, 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).platforms[d.url].token, SARAH);

    // The saved token is what the next command sends.
    const who = await aspora(['whoami', '--json'], { config });
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.json().user.email, 'sarah@example.com');
    assert.equal(last().authorization, `Bearer ${SARAH}`);
  });

  test('login reads the token from stdin (a pipe), not from ASPORA_TOKEN', async () => {
    const config = configDir();
    const r = await aspora(['login', '--json'], { config, input: `${ADMIN}\n`, env: { ASPORA_TOKEN: SARAH } });
    assert.equal(r.code, 0, r.stderr);
    const out = r.json();
    assert.equal(out.url, d.url);
    assert.equal(out.whoami.user.email, 'admin@example.com');
    assert.equal(out.credentials, join(config, 'credentials.json'));
    assert.doesNotMatch(r.stdout, new RegExp(ADMIN));
    assert.match(r.stderr, /ASPORA_TOKEN is set: it is used instead of the saved token/);
    assert.equal(JSON.parse(readFileSync(out.credentials, 'utf8')).platforms[d.url].token, ADMIN);
  });

  test('login refuses a token the platform does not accept, and saves nothing', async () => {
    const config = configDir();
    const r = await aspora(['login', '--json'], { config, input: 'asp_not_a_real_token' });
    assert.equal(r.code, 1);
    assert.equal(r.json().error.code, 'UNAUTHORIZED');
    assert.match(r.json().error.message, /does not accept this token/);
    assert.doesNotMatch(r.stdout + r.stderr, /asp_not_a_real_token/);
    assert.throws(() => statSync(join(config, 'credentials.json')), /ENOENT/);

    const empty = await aspora(['login'], { config, input: '\n' });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /the token is empty/);
  });

  test('logout forgets the token for this URL only', async () => {
    const config = configDir();
    saveCredentials(d.url, SARAH, { ASPORA_CONFIG_DIR: config });
    saveCredentials('https://aspora.example.com', ADMIN, { ASPORA_CONFIG_DIR: config });
    const r = await aspora(['logout', '--json'], { config });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json(), { url: d.url, removed: true });
    const file = JSON.parse(readFileSync(join(config, 'credentials.json'), 'utf8'));
    assert.deepEqual(Object.keys(file.platforms), ['https://aspora.example.com']);
    const again = await aspora(['logout'], { config });
    assert.equal(again.code, 0);
    assert.match(again.stderr, /no token was saved for/);
  });

  test('whoami shows a service account, its scopes and expiry', async () => {
    d.principals.set(
      'asp_service_0004',
      principal({ kind: 'service', user: null, team: 'ecm-ops', admin: false, scopes: ['run'], expiresAt: null }),
    );
    const r = await aspora(['whoami', '--token', 'asp_service_0004']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /service account of ecm-ops/);
    assert.match(r.stdout, /scopes +run/);
    assert.match(r.stdout, /never expires/);
    assert.match(r.stderr, /token from --token/);
  });
});

describe('aspora teams and users', () => {
  const admin = { env: { ASPORA_TOKEN: ADMIN } };

  test('teams create sends the name and description; teams list shows members', async () => {
    const r = await aspora(['teams', 'create', 'ecm-ops', '--description', 'ECM operations'], admin);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(last().body, { name: 'ecm-ops', description: 'ECM operations' });
    assert.match(r.stderr, /team ecm-ops created/);
    const j = await aspora(['teams', 'create', 'fraud', '--json'], admin);
    assert.equal(j.json().name, 'fraud');
    assert.equal(j.json().description, null);

    const dup = await aspora(['teams', 'create', 'fraud', '--json'], admin);
    assert.equal(dup.code, 1);
    assert.match(dup.json().error.message, /team fraud exists/);

    const l = await aspora(['teams', 'list'], admin);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /^TEAM +MEMBERS +CREATED +DESCRIPTION/);
    assert.match(l.stdout, /ecm-ops +0 +\S+ +ECM operations/);
    const lj = await aspora(['teams', 'list', '--json'], admin);
    assert.deepEqual(
      lj.json().teams.map((t: { name: string }) => t.name),
      ['ecm-ops', 'fraud'],
    );
  });

  test('a bad team name is refused before anything is sent, with the rule', async () => {
    const n = d.requests.length;
    const r = await aspora(['teams', 'create', 'ECM Ops'], admin);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /team "ECM Ops": must be lowercase letters, digits and single hyphens/);
    assert.equal(d.requests.length, n);
  });

  test('users add with a team and role; add-member changes the role; remove-member removes it', async () => {
    await aspora(['teams', 'create', 'ops'], admin);
    const r = await aspora(
      ['users', 'add', 'dinesh@example.com', '--team', 'ops', '--role', 'field', '--name', 'Dinesh'],
      admin,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(last().body, {
      email: 'dinesh@example.com',
      admin: false,
      name: 'Dinesh',
      team: 'ops',
      role: 'field',
    });
    assert.match(r.stdout, /dinesh@example\.com \(Dinesh\) · ops \(field\)/);

    const a = await aspora(['users', 'add', 'root@example.com', '--admin', '--json'], admin);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.json().admin, true);
    assert.equal((last().body as { admin: boolean }).admin, true);

    const m = await aspora(['teams', 'add-member', 'ops', 'dinesh@example.com', '--role', 'manager'], admin);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(last().route, 'addMember');
    assert.deepEqual(last().params, { team: 'ops' });
    assert.deepEqual(last().body, { email: 'dinesh@example.com', role: 'manager' });
    assert.match(m.stderr, /dinesh@example\.com is manager in ops/);

    const list = await aspora(['users', 'list'], admin);
    assert.match(list.stdout, /^EMAIL +NAME +ADMIN +TEAMS/);
    assert.match(list.stdout, /dinesh@example\.com +Dinesh +no +ops \(manager\)/);
    assert.match(list.stdout, /root@example\.com +- +yes/);

    const rm = await aspora(['teams', 'remove-member', 'ops', 'dinesh@example.com', '--json'], admin);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(last().route, 'removeMember');
    assert.deepEqual(last().params, { team: 'ops', email: 'dinesh@example.com' });
    assert.deepEqual(rm.json().teams, []);

    const gone = await aspora(['teams', 'remove-member', 'ops', 'dinesh@example.com', '--json'], admin);
    assert.equal(gone.code, 1);
    assert.equal(gone.json().error.code, 'NOT_FOUND');
  });

  test('users and members: usage errors are clear and send nothing', async () => {
    const n = d.requests.length;
    const noTeam = await aspora(['users', 'add', 'x@example.com', '--role', 'field'], admin);
    assert.equal(noTeam.code, 1);
    assert.match(noTeam.stderr, /--role needs --team/);
    const badEmail = await aspora(['users', 'add', 'not-an-email', '--json'], admin);
    assert.equal(badEmail.code, 1);
    assert.match(badEmail.json().error.message, /email "not-an-email"/);
    const noRole = await aspora(['teams', 'add-member', 'ops', 'x@example.com', '--json'], admin);
    assert.equal(noRole.code, 2);
    assert.match(noRole.json().error.message, /required option '--role <role>'/);
    assert.equal(d.requests.length, n);
  });

  test("a caller without admin gets the platform's denial, with its code", async () => {
    const r = await aspora(['users', 'list', '--json'], { env: { ASPORA_TOKEN: SARAH } });
    assert.equal(r.code, 1);
    assert.equal(r.json().error.code, 'FORBIDDEN');
    assert.match(r.stderr, /sarah@example\.com may not listUsers: needs admin \[FORBIDDEN\]/);
  });
});

describe('aspora tokens', () => {
  const admin = { env: { ASPORA_TOKEN: ADMIN } };

  test('create prints the token once: alone on stdout with --quiet, with a warning on stderr', async () => {
    await aspora(['teams', 'create', 'bots'], admin);
    const r = await aspora(
      [
        'tokens',
        'create',
        '--team',
        'bots',
        '--scopes',
        'run, read,run',
        '--expires',
        '30d',
        '--name',
        'slack',
        '--quiet',
      ],
      admin,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(last().body, { scopes: ['run', 'read'], team: 'bots', name: 'slack', expires: '30d' });
    assert.match(r.stdout, /^asp_[A-Za-z0-9_-]+\n$/, 'stdout is the token alone');
    assert.match(r.stderr, /shown this once and cannot be recovered/);
    assert.doesNotMatch(r.stderr, /asp_/);
    const t = r.stdout.trim();
    assert.equal(t.slice(0, 8), [...d.tokens.values()].at(-1)!.prefix);
  });

  test('create without --quiet shows what the token is, and the token; --json is one document with it', async () => {
    const r = await aspora(['tokens', 'create', '--scopes', 'read'], admin);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(last().body, { scopes: ['read'] }, 'no --expires: the platform default applies');
    assert.match(r.stdout, /for +admin@example\.com/);
    assert.match(r.stdout, /scopes +read/);
    assert.match(r.stdout, /token +asp_/);
    assert.match(r.stderr, /shown this once/);

    const j = await aspora(
      ['tokens', 'create', '--scopes', 'run', '--user', 'sarah@example.com', '--expires', 'never', '--json'],
      admin,
    );
    assert.equal(j.code, 0, j.stderr);
    const doc = j.json();
    assert.match(doc.token, /^asp_/);
    assert.equal(doc.user, 'sarah@example.com');
    assert.equal(doc.expiresAt, null);
    assert.deepEqual(last().body, { scopes: ['run'], user: 'sarah@example.com', expires: 'never' });
    assert.match(j.stderr, /shown this once/);
  });

  test('create: bad scopes, lifetimes or owners are refused before anything is sent', async () => {
    const n = d.requests.length;
    const scope = await aspora(['tokens', 'create', '--scopes', 'run,wirte', '--json'], admin);
    assert.equal(scope.code, 1);
    assert.match(scope.json().error.message, /--scopes: "wirte" is not a scope/);
    assert.match(scope.json().error.hint, /read, run, deploy, admin, act-as/);
    const life = await aspora(['tokens', 'create', '--scopes', 'run', '--expires', '1y'], admin);
    assert.equal(life.code, 1);
    assert.match(life.stderr, /--expires "1y": a lifetime is minutes, hours or days/);
    const both = await aspora(
      ['tokens', 'create', '--scopes', 'run', '--team', 'bots', '--user', 'a@example.com'],
      admin,
    );
    assert.equal(both.code, 1);
    assert.match(both.stderr, /--team and --user cannot go together/);
    const none = await aspora(['tokens', 'create', '--json'], admin);
    assert.equal(none.code, 2);
    assert.match(none.json().error.message, /--scopes/);
    assert.equal(d.requests.length, n);
  });

  test('list shows tokens without their values; --all asks for every token', async () => {
    const r = await aspora(['tokens', 'list'], admin);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(last().query.all, 'false');
    assert.match(r.stdout, /^ID +NAME +FOR +SCOPES +PREFIX +EXPIRES +LAST USED +STATUS/);
    assert.doesNotMatch(r.stdout, /asp_[A-Za-z0-9_-]{20,}/, 'no token value, only prefixes');
    const all = await aspora(['tokens', 'list', '--all', '--json'], admin);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(last().query.all, 'true');
    assert.ok(all.json().tokens.some((t: { name: string | null }) => t.name === 'slack'));
  });

  test('revoke sends the id and shows the token revoked; a non-UUID is refused locally', async () => {
    const t = [...d.tokens.values()].find((x) => x.name === 'slack')!;
    const r = await aspora(['tokens', 'revoke', t.id], admin);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(last().params, { id: t.id });
    assert.match(r.stderr, new RegExp(`token ${t.id} \\(slack\\) of service account of bots revoked`));
    const l = await aspora(['tokens', 'list', '--all'], admin);
    assert.match(l.stdout, new RegExp(`${t.id} +slack .* revoked`));

    const n = d.requests.length;
    const bad = await aspora(['tokens', 'revoke', 'slack', '--json'], admin);
    assert.equal(bad.code, 1);
    assert.match(bad.json().error.message, /token id "slack"/);
    assert.match(bad.json().error.hint, /aspora tokens list/);
    assert.equal(d.requests.length, n);
    const missing = await aspora(['tokens', 'revoke', '00000000-0000-4000-8000-00000000dead', '--json'], admin);
    assert.equal(missing.code, 1);
    assert.equal(missing.json().error.code, 'NOT_FOUND');
  });
});

test('--json prints exactly one document, on success and on failure, for every access command', async () => {
  const admin = { env: { ASPORA_TOKEN: ADMIN } };
  await aspora(['teams', 'create', 'json-team'], admin);
  // Phases of independent commands, each phase run at once; a phase needs the one before it.
  const phases: string[][][] = [
    [
      ['whoami'],
      ['teams', 'list'],
      ['teams', 'create', 'json-team-2'],
      ['users', 'add', 'json@example.com', '--team', 'json-team', '--role', 'field'],
      ['users', 'list'],
      ['tokens', 'create', '--scopes', 'read', '--quiet'],
      ['tokens', 'list'],
      ['teams', 'create', 'json-team'], // exists: an error document
      ['tokens', 'revoke', 'nope'],
      ['logout'],
    ],
    [['teams', 'add-member', 'json-team', 'json@example.com', '--role', 'manager']],
    [['teams', 'remove-member', 'json-team', 'json@example.com']],
  ];
  for (const phase of phases) {
    const results = await Promise.all(phase.map((args) => aspora([...args, '--json'], admin)));
    results.forEach((r, i) => {
      assert.doesNotThrow(() => JSON.parse(r.stdout), `${phase[i]!.join(' ')}: ${r.stdout}`);
      assert.equal(typeof JSON.parse(r.stdout), 'object');
    });
  }
  const login = await aspora(['login', '--json', '--token', ADMIN]);
  assert.equal(login.code, 0, login.stderr);
  assert.doesNotThrow(() => login.json());
});
