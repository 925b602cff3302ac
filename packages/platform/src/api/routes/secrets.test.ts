/**
 * A team's secrets over HTTP: its members with deploy (and admins) set, list and remove them; a
 * value goes in and never comes out (answers, errors, the server log); a caller of another team is
 * refused naming the rule; a platform credential's name is refused whoever asks.
 * The access middleware is the lead's: here a test-only one sets the caller from a header.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { Scope } from '@aspora/api';
import type { Principal } from '../../access/principal.ts';
import { openDb } from '../../db/index.ts';
import { migrate } from '../../db/migrate.ts';
import type { Db } from '../../db/types.ts';
import { bufferLogger } from '../../runtime/test-support.ts';
import { KeyRing, masterKey } from '../../secrets/envelope.ts';
import { SealedSecretStore } from '../../secrets/sealed-store.ts';
import { TeamSecrets } from '../../secrets/team-secrets.ts';
import { createApp } from '../app.ts';
import { setCaller } from '../caller.ts';
import type { ApiDeps } from '../deps.ts';

const VALUE = 'sk-team-a-value-4be1d09f';

function user(email: string, teams: Record<string, string>, scopes: Scope[], admin = false): Principal {
  return {
    kind: 'user',
    tokenId: randomBytes(8).toString('hex'),
    tokenName: null,
    user: { id: email, email, name: null },
    team: null,
    teams: new Map(Object.entries(teams)),
    admin,
    scopes: new Set(scopes),
    expiresAt: null,
  };
}

const callers: Record<string, Principal> = {
  ana: user('ana@example.com', { 'team-a': 'member' }, ['read', 'run', 'deploy']),
  bob: user('bob@example.com', { 'team-b': 'member' }, ['read', 'run', 'deploy']),
  reader: user('rea@example.com', { 'team-a': 'member' }, ['read', 'run']),
  admin: user('root@example.com', {}, ['admin'], true),
  ci: {
    ...user('x', {}, ['deploy']),
    kind: 'service',
    user: null,
    team: 'team-a',
    tokenName: 'ci',
    teams: new Map([['team-a', 'service']]),
  },
};

let db: Db;
let app: Hono;
const logs = bufferLogger();

before(async () => {
  db = await openDb();
  await migrate(db);
  const teamSecrets = new TeamSecrets(
    new SealedSecretStore(db, new KeyRing(masterKey(randomBytes(32)))),
    new Set(['ECHO_TOKEN']),
  );
  const deps = {
    registry: { db },
    teamSecrets,
    limits: { maxBundleBytes: 1024 * 1024, maxJsonBytes: 1024 * 1024 },
    log: logs.log,
    readiness: {},
    version: 'test',
  } as unknown as ApiDeps;
  app = new Hono();
  app.use('*', async (c, next) => {
    const who = c.req.header('x-test-caller');
    if (who) setCaller(c, callers[who]!);
    await next();
  });
  app.route('/', createApp(deps));
});
after(async () => {
  await db.close();
});

async function call(who: string, method: string, path: string, body?: unknown) {
  const res = await app.request(path, {
    method,
    headers: { 'x-test-caller': who, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.ok(!text.includes(VALUE), `${method} ${path} answered the value: ${text}`);
  return { status: res.status, body: JSON.parse(text) as Record<string, any> };
}

describe("a team's secrets over HTTP", () => {
  test('a member with deploy sets, lists and removes; the value is in no answer and no log line', async () => {
    const set = await call('ana', 'PUT', '/v1/teams/team-a/secrets/API_KEY', { value: VALUE });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(Object.keys(set.body).sort(), ['name', 'team', 'updatedAt', 'updatedBy']);
    assert.equal(set.body.updatedBy, 'ana@example.com');

    const ci = await call('ci', 'PUT', '/v1/teams/team-a/secrets/DEPLOY_KEY', { value: `${VALUE}-ci` });
    assert.equal(ci.status, 200);
    assert.equal(ci.body.updatedBy, 'service:team-a/ci', 'a service token of the team, named as callerLabel does');

    const list = await call('ana', 'GET', '/v1/teams/team-a/secrets');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.secrets.map((s: { name: string; updatedBy: string; team: string }) => [s.team, s.name, s.updatedBy]),
      [
        ['team-a', 'API_KEY', 'ana@example.com'],
        ['team-a', 'DEPLOY_KEY', 'service:team-a/ci'],
      ],
    );

    const admin = await call('admin', 'GET', '/v1/teams/team-a/secrets');
    assert.equal(admin.status, 200, 'an admin manages any team');

    assert.deepEqual((await call('ana', 'DELETE', '/v1/teams/team-a/secrets/DEPLOY_KEY')).body, { removed: true });
    assert.deepEqual((await call('ana', 'DELETE', '/v1/teams/team-a/secrets/DEPLOY_KEY')).body, { removed: false });
    assert.ok(logs.text().includes('team secret set'), 'the change is logged');
    assert.ok(!logs.text().includes(VALUE), 'the log has no value');
  });

  test('a caller of another team, or without deploy, gets 403 naming the caller, the team and the rule', async () => {
    for (const [who, method, path, body] of [
      ['bob', 'GET', '/v1/teams/team-a/secrets', undefined],
      ['bob', 'PUT', '/v1/teams/team-a/secrets/API_KEY', { value: `${VALUE}-bob` }],
      ['bob', 'DELETE', '/v1/teams/team-a/secrets/API_KEY', undefined],
      ['reader', 'PUT', '/v1/teams/team-a/secrets/API_KEY', { value: `${VALUE}-reader` }],
    ] as const) {
      const r = await call(who, method, path, body);
      assert.equal(r.status, 403, `${who} ${method} ${path}`);
      assert.equal(r.body.error.code, 'FORBIDDEN');
      assert.match(
        r.body.error.message,
        new RegExp(
          `^${callers[who]!.user!.email} may not \\w+ secrets of team team-a: a team's secrets are managed by its members with the deploy scope, and by admins$`,
        ),
      );
    }
    const list = await call('ana', 'GET', '/v1/teams/team-a/secrets');
    assert.deepEqual(
      list.body.secrets.map((s: { name: string; updatedBy: string }) => [s.name, s.updatedBy]),
      [['API_KEY', 'ana@example.com']],
      'nothing changed',
    );
  });

  test("a platform credential's name is refused, even to an admin, with a hint", async () => {
    const r = await call('admin', 'PUT', '/v1/teams/team-a/secrets/ECHO_TOKEN', { value: VALUE });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'FORBIDDEN');
    assert.match(
      r.body.error.message,
      /root@example\.com may not set ECHO_TOKEN for team team-a: ECHO_TOKEN is a credential of the platform/,
    );
    assert.match(r.body.error.hint, /choose another name/);
  });

  test('a bad name, an empty or oversized value is refused without the value in the error', async () => {
    const bad = await call('ana', 'PUT', '/v1/teams/team-a/secrets/lower_case', { value: VALUE });
    assert.equal(bad.status, 400);
    assert.equal((await call('ana', 'PUT', '/v1/teams/team-a/secrets/EMPTY', { value: '' })).status, 400);
    // Within the character limit, over the byte limit: the store's own check answers.
    const big = await call('ana', 'PUT', '/v1/teams/team-a/secrets/BIG', { value: `${VALUE}${'é'.repeat(40_000)}` });
    assert.equal(big.status, 400);
    assert.match(big.body.error.message, /secret BIG is \d+ bytes; at most 65536 are kept/);
    const huge = await call('ana', 'PUT', '/v1/teams/team-a/secrets/HUGE', {
      value: `${VALUE}${'x'.repeat(2 * 1024 * 1024)}`,
    });
    assert.equal(huge.status, 413, 'the body limit holds before the body is read whole');
    assert.ok(!logs.text().includes(VALUE));
  });
});
