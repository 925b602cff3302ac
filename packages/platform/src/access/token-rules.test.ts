/**
 * Who may issue which token, on PGlite and PostgreSQL: a token never widens its issuer's rights.
 * Scopes within the creator's; act-as and tokens that never expire only by admins; a team's
 * service token only by the team's members with deploy (or admins); a service token mints none;
 * another user's token only by admins. And what a token stands for once revoked or expired.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Scope } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/types.ts';
import { Directory } from './directory.ts';
import type { Principal } from './principal.ts';
import { TokenStore } from './token-store.ts';
import { hashToken, mintToken } from './tokens.ts';
import { dbBackends } from '../../test/db-backends.ts';

const backends = dbBackends;

/** The refusal, as FORBIDDEN naming the caller and what the rule says. */
async function refused(p: Promise<unknown>, caller: string, rule: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AsporaError, String(e));
    assert.equal(e.code, 'FORBIDDEN', e.message);
    assert.ok(e.message.startsWith(caller), `names the caller: ${e.message}`);
    assert.match(e.message, rule);
    return true;
  });
}

for (const b of backends) {
  describe(`issuing tokens (${b.name})`, { skip: b.skip }, () => {
    let db: Db;
    let drop: () => Promise<void>;
    let dir: Directory;
    let store: TokenStore;
    /** A principal of a token made for `email` (or a team's service account) with these scopes. */
    const principal = async (who: { email?: string; team?: string }, scopes: Scope[]): Promise<Principal> => {
      const token = mintToken();
      const userId = who.email ? (await dir.userByEmail(who.email))!.id : null;
      await store.insert({
        token,
        name: 'fixture',
        userId,
        team: who.team ?? null,
        scopes,
        createdBy: 'test',
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      const r = await store.load(hashToken(token));
      assert.ok('principal' in r);
      return r.principal;
    };

    before(async () => {
      ({ db, drop } = await b.open());
      await migrate(db);
      dir = new Directory(db);
      store = new TokenStore(db, dir);
      await dir.createTeam('fraud-team');
      await dir.createTeam('ecm-ops');
      await dir.addUser({ email: 'root@example.com', admin: true });
      await dir.addUser({ email: 'alice@example.com', team: 'fraud-team', role: 'dev' });
      await dir.addUser({ email: 'bob@example.com' });
    });
    after(async () => {
      await db.close();
      await drop();
    });

    test("a token's scopes are within its creator's", async () => {
      const alice = await principal({ email: 'alice@example.com' }, ['read', 'run']);
      const t = await store.issue(alice, { scopes: ['read'], expires: '1d' });
      assert.deepEqual(t.scopes, ['read']);
      assert.equal(t.user, 'alice@example.com');
      await refused(
        store.issue(alice, { scopes: ['read', 'deploy'], expires: '1d' }),
        'alice@example.com',
        /deploy.*within/,
      );
      await refused(store.issue(alice, { scopes: ['admin'], expires: '1d' }), 'alice@example.com', /admin/);
    });

    test('act-as, and tokens that never expire or outlive a year: admins only', async () => {
      // Even a holder whose token carries act-as (which only an admin could have granted) passes none on.
      const alice = await principal({ email: 'alice@example.com' }, ['read', 'run', 'act-as']);
      await refused(
        store.issue(alice, { scopes: ['run', 'act-as'], expires: '1d' }),
        'alice@example.com',
        /only admins grant act-as/,
      );
      await refused(store.issue(alice, { scopes: ['read'], expires: 'never' }), 'alice@example.com', /without expiry/);
      // Nor a lifetime that amounts to never (the lifetime syntax allows 99999d, 273 years).
      await refused(store.issue(alice, { scopes: ['read'], expires: '99999d' }), 'alice@example.com', /366d/);
      await refused(store.issue(alice, { scopes: ['read'], expires: '367d' }), 'alice@example.com', /366d/);
      assert.ok((await store.issue(alice, { scopes: ['read'], expires: '366d' })).expiresAt);
      const root = await principal({ email: 'root@example.com' }, ['read', 'run', 'deploy', 'admin', 'act-as']);
      assert.ok((await store.issue(root, { scopes: ['read'], expires: '99999d' })).expiresAt);
      const forever = await store.issue(root, { scopes: ['read', 'act-as'], expires: 'never' });
      assert.equal(forever.expiresAt, null);
      assert.deepEqual(forever.scopes, ['read', 'act-as']);
    });

    test("a team's service token: its members with deploy, or admins", async () => {
      const aliceDeploy = await principal({ email: 'alice@example.com' }, ['read', 'run', 'deploy']);
      const svc = await store.issue(aliceDeploy, {
        team: 'fraud-team',
        name: 'ci',
        scopes: ['read', 'deploy'],
        expires: '30d',
      });
      assert.equal(svc.kind, 'service');
      assert.equal(svc.team, 'fraud-team');
      assert.equal(svc.user, null);
      await refused(
        store.issue(aliceDeploy, { team: 'ecm-ops', scopes: ['read'], expires: '30d' }),
        'alice@example.com',
        /service token of ecm-ops/,
      );
      const aliceRead = await principal({ email: 'alice@example.com' }, ['read']);
      await refused(
        store.issue(aliceRead, { team: 'fraud-team', scopes: ['read'], expires: '30d' }),
        'alice@example.com',
        /service token of fraud-team/,
      );
      const bob = await principal({ email: 'bob@example.com' }, ['read', 'deploy']);
      await refused(
        store.issue(bob, { team: 'fraud-team', scopes: ['read'], expires: '30d' }),
        'bob@example.com',
        /fraud-team/,
      );
      const root = await principal({ email: 'root@example.com' }, ['read', 'run', 'deploy', 'admin']);
      await refused(
        store.issue(root, { team: 'fraud-team', scopes: ['read', 'admin'], expires: '30d' }),
        'root@example.com',
        /never an admin/,
      );
      assert.equal((await store.issue(root, { team: 'ecm-ops', scopes: ['run'], expires: '30d' })).team, 'ecm-ops');
    });

    test('a service token cannot mint tokens, not even for its own team', async () => {
      const svc = await principal({ team: 'fraud-team' }, ['read', 'run', 'deploy']);
      await refused(
        store.issue(svc, { scopes: ['read'], expires: '1h' }),
        'service:fraud-team/fixture',
        /cannot create tokens/,
      );
      await refused(
        store.issue(svc, { team: 'fraud-team', scopes: ['read'], expires: '1h' }),
        'service:fraud-team/fixture',
        /cannot create tokens/,
      );
    });

    test("another user's token: admins only, and admin scope only for an admin user", async () => {
      const alice = await principal({ email: 'alice@example.com' }, ['read', 'run', 'deploy']);
      await refused(
        store.issue(alice, { user: 'bob@example.com', scopes: ['read'], expires: '1d' }),
        'alice@example.com',
        /only admins create tokens for others/,
      );
      // Her own email (in any case) is her own token.
      assert.equal(
        (await store.issue(alice, { user: 'Alice@Example.com', scopes: ['read'], expires: '1d' })).user,
        'alice@example.com',
      );
      const root = await principal({ email: 'root@example.com' }, ['read', 'run', 'deploy', 'admin']);
      assert.equal(
        (await store.issue(root, { user: 'bob@example.com', scopes: ['read'], expires: '1d' })).user,
        'bob@example.com',
      );
      await refused(
        store.issue(root, { user: 'bob@example.com', scopes: ['read', 'admin'], expires: '1d' }),
        'root@example.com',
        /bob@example.com is not an admin/,
      );
    });

    test('a revoked or expired token stands for nobody; others cannot revoke (or learn of) a token', async () => {
      const alice = await principal({ email: 'alice@example.com' }, ['read', 'run']);
      const t = await store.issue(alice, { scopes: ['read'], expires: '1d' });
      assert.ok('principal' in (await store.load(hashToken(t.token))));
      const bob = await principal({ email: 'bob@example.com' }, ['read', 'run']);
      await assert.rejects(store.revoke(bob, t.id), (e: AsporaError) => e.code === 'NOT_FOUND');
      assert.ok('principal' in (await store.load(hashToken(t.token))), "bob's attempt changed nothing");
      assert.ok((await store.revoke(alice, t.id)).revokedAt);
      assert.deepEqual(await store.load(hashToken(t.token)), { refused: 'revoked' });

      const soon = await store.issue(alice, { scopes: ['read'], expires: '1m' });
      await db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [soon.id]);
      assert.deepEqual(await store.load(hashToken(soon.token)), { refused: 'expired' });
      assert.deepEqual(await store.load(hashToken(mintToken())), { refused: 'unknown' });
    });

    test('only the hash of a token is stored', async () => {
      const alice = await principal({ email: 'alice@example.com' }, ['read']);
      const t = await store.issue(alice, { scopes: ['read'], expires: '1d' });
      const rows = await db.query<Record<string, unknown>>('SELECT * FROM api_tokens WHERE id = $1', [t.id]);
      const stored = JSON.stringify(rows[0], (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
      assert.ok(!stored.includes(t.token.slice(7)), 'the token is not in its row');
      assert.ok(stored.includes(t.token.slice(0, 13)), 'its first characters are, to recognise it');
    });
  });
}
