/** GET /v1/audit and /v1/audit/verify through HTTP: admins read and verify the log, nobody else does. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OpenAPIHono } from '@hono/zod-openapi';
import { AuditEntrySchema, AuditVerifySchema, type Scope } from '@aspora/api';
import type { Principal } from '../../access/principal.ts';
import { AuditLog } from '../../audit/log.ts';
import { openDb } from '../../db/index.ts';
import { migrate } from '../../db/migrate.ts';
import type { Db } from '../../db/types.ts';
import { createLogger } from '../../observe/logger.ts';
import { setCaller } from '../caller.ts';
import { errorResponse } from '../errors.ts';
import { auditRoutes } from './audit.ts';

const log = createLogger('silent');
let db: Db;
let audit: AuditLog;

const principal = (email: string, admin: boolean, scopes: Scope[]): Principal => ({
  kind: 'user',
  tokenId: '00000000-0000-4000-8000-000000000001',
  tokenName: null,
  user: { id: 'u1', email, name: null },
  team: null,
  teams: new Map([['ecm-ops', 'manager']]),
  admin,
  scopes: new Set(scopes),
  expiresAt: null,
});

/** The app with a stand-in for the access middleware: the caller is whoever the test says. */
function appAs(p: Principal): OpenAPIHono {
  const app = new OpenAPIHono();
  app.onError((err, c) => errorResponse(c, err, log));
  app.use('*', async (c, next) => {
    setCaller(c, p);
    await next();
  });
  auditRoutes(app, { audit });
  return app;
}

before(async () => {
  db = await openDb();
  await migrate(db);
  audit = new AuditLog(db, log);
  await audit.record({
    actor: 'sarah@example.com',
    action: 'skill.deploy',
    target: 'fraud/x@production',
    outcome: 'ok',
  });
  await audit.record({ actor: 'dinesh@example.com', action: 'access.denied', target: 'fraud/x', outcome: 'denied' });
});
after(() => db.close());

test('an admin reads the log newest first, filtered, and verifies the chain', async () => {
  const app = appAs(principal('admin@example.com', true, ['admin']));
  const res = await app.request('/v1/audit?outcome=denied');
  assert.equal(res.status, 200);
  const { entries } = (await res.json()) as { entries: unknown[] };
  assert.deepEqual(
    entries.map((e) => AuditEntrySchema.parse(e)).map((e) => [e.seq, e.actor, e.action]),
    [[2, 'dinesh@example.com', 'access.denied']],
  );
  const all = (await (await app.request('/v1/audit?limit=10')).json()) as { entries: { seq: number }[] };
  assert.deepEqual(
    all.entries.map((e) => e.seq),
    [2, 1],
  );

  const v = await app.request('/v1/audit/verify');
  assert.equal(v.status, 200);
  const body = AuditVerifySchema.parse(await v.json());
  assert.deepEqual({ ok: body.ok, entries: body.entries, broken: body.broken }, { ok: true, entries: 2, broken: null });
  assert.equal(body.head?.seq, 2);
});

test('a bad since is a 400 that says what is accepted', async () => {
  const res = await appAs(principal('admin@example.com', true, ['admin'])).request('/v1/audit?since=last%20week');
  assert.equal(res.status, 400);
  const { error } = (await res.json()) as { error: { code: string; hint: string } };
  assert.equal(error.code, 'BAD_REQUEST');
  assert.match(error.hint, /24h/);
});

test('a non-admin, or an admin whose token lacks the admin scope, is refused with the caller and the rule named', async () => {
  for (const p of [
    principal('sarah@example.com', false, ['admin', 'read']),
    principal('root@example.com', true, ['read', 'deploy']),
  ])
    for (const path of ['/v1/audit', '/v1/audit/verify']) {
      const res = await appAs(p).request(path);
      assert.equal(res.status, 403, `${p.user!.email} ${path}`);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'FORBIDDEN');
      assert.match(error.message, new RegExp(`^${p.user!.email} may not (read|verify) the audit log: only admins`));
    }
});
