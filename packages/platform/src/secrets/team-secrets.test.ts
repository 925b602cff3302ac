/**
 * Teams' secrets as handlers get them, on PGlite and PostgreSQL: the owner team's value first,
 * then the platform's; never another team's, never a platform credential; a short cache that a
 * set or remove in this process drops at once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it as test } from 'node:test';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/types.ts';
import { KeyRing, masterKey } from './envelope.ts';
import { SealedSecretStore } from './sealed-store.ts';
import { SecretVault } from './secrets.ts';
import { TEAM_SECRETS_TTL_MS, TeamSecrets } from './team-secrets.ts';
import { dbBackends } from '../../test/db-backends.ts';

const backends = dbBackends;

for (const b of backends) {
  describe(`team secrets (${b.name})`, { skip: b.skip }, () => {
    let db: Db;
    let drop: () => Promise<void>;
    const ring = new KeyRing(masterKey(randomBytes(32)));
    const reserved = new Set(['ECHO_TOKEN']);
    before(async () => {
      ({ db, drop } = await b.open());
      await migrate(db);
    });
    after(async () => {
      await db.close();
      await drop();
    });

    test('a set records who set it; the listing has names, time and who, never a value', async () => {
      const t = new TeamSecrets(new SealedSecretStore(db, ring), reserved);
      const info = await t.set('list-team', 'API_KEY', 'listed-value-123', 'ana@example.com');
      assert.equal(info.updatedBy, 'ana@example.com');
      await t.set('list-team', 'API_KEY', 'listed-value-456', 'service:list-team/ci');
      const listed = await t.list('list-team');
      assert.deepEqual(
        listed.map((s) => [s.name, s.updatedBy]),
        [['API_KEY', 'service:list-team/ci']],
      );
      assert.ok(!Number.isNaN(Date.parse(listed[0]!.updatedAt)));
      assert.ok(!JSON.stringify(listed).includes('listed-value'));
    });

    test("a skill gets its owner team's value, then the platform's; never another team's, never a reserved name", async () => {
      const t = new TeamSecrets(new SealedSecretStore(db, ring), reserved);
      await t.set('team-a', 'SECRET_X', 'team-a-x-value', 'a@example.com');
      await t.set('team-b', 'SECRET_X', 'team-b-x-value', 'b@example.com');
      await t.set('team-b', 'SECRET_Y', 'team-b-y-value', 'b@example.com');
      // A name that became a platform credential after a team stored it: still never handed out.
      await new SealedSecretStore(db, ring).set('team-a', 'ECHO_TOKEN', 'team-a-stored-credential');
      const vault = new SecretVault(
        { SECRET_Y: { value: 'platform-y-value' }, ECHO_TOKEN: { value: 'platform-credential' } },
        {},
        {},
        reserved,
        t,
      );
      const names = ['SECRET_X', 'SECRET_Y', 'SECRET_Z', 'ECHO_TOKEN'];
      assert.deepEqual(await vault.forSkill('team-a', names), {
        SECRET_X: 'team-a-x-value',
        SECRET_Y: 'platform-y-value',
      });
      assert.deepEqual(await vault.forSkill('team-b', names), {
        SECRET_X: 'team-b-x-value',
        SECRET_Y: 'team-b-y-value',
      });
      assert.deepEqual(await vault.forSkill('team-c', names), { SECRET_Y: 'platform-y-value' }, 'a team with none');
      assert.deepEqual(await vault.forSkill(null, names), { SECRET_Y: 'platform-y-value' }, 'no owner team');
      assert.deepEqual(await vault.forSkill('team-a', []), {});
    });

    test('a declared secret of the team that does not open fails the lookup, naming it and not its value', async () => {
      const store = new SealedSecretStore(db, ring);
      const t = new TeamSecrets(store, reserved);
      await t.set('broken-team', 'GOOD', 'good-value-1', 'x@example.com');
      await t.set('broken-team', 'MOVED', 'moved-value-1', 'x@example.com');
      // A sealed value copied onto another name does not open (its associated data names MOVED).
      await db.query(
        `UPDATE vault_secrets SET sealed = (SELECT sealed FROM vault_secrets WHERE team = 'broken-team' AND name = 'MOVED')
          WHERE team = 'broken-team' AND name = 'GOOD'`,
      );
      const vault = new SecretVault({}, {}, {}, reserved, new TeamSecrets(store, reserved));
      assert.deepEqual(await vault.forSkill('broken-team', ['MOVED']), { MOVED: 'moved-value-1' });
      await assert.rejects(vault.forSkill('broken-team', ['GOOD']), (e: Error) => {
        assert.match(e.message, /secret GOOD of team broken-team does not open/);
        assert.ok(!e.message.includes('value-1'));
        return true;
      });
    });

    test('values are cached for the TTL, shared by concurrent callers, and dropped at once on set and remove', async () => {
      const store = new SealedSecretStore(db, ring);
      let loads = 0;
      const all = store.all.bind(store);
      store.all = (team: string) => (loads++, all(team));
      let now = 1_000_000;
      const t = new TeamSecrets(store, reserved, TEAM_SECRETS_TTL_MS, () => now);
      await t.set('cache-team', 'TOKEN', 'first-value', 'c@example.com');
      const [a, c] = await Promise.all([t.values('cache-team'), t.values('cache-team')]);
      assert.equal(loads, 1, 'one load for concurrent callers');
      assert.equal(a.get('TOKEN'), 'first-value');
      assert.equal(a, c);
      now += TEAM_SECRETS_TTL_MS - 1;
      await t.values('cache-team');
      assert.equal(loads, 1, 'still cached within the TTL');

      await t.set('cache-team', 'TOKEN', 'second-value', 'c@example.com');
      assert.equal((await t.values('cache-team')).get('TOKEN'), 'second-value', 'a set here is seen at once');
      assert.equal(loads, 2);
      assert.equal(await t.remove('cache-team', 'TOKEN'), true);
      assert.equal((await t.values('cache-team')).has('TOKEN'), false, 'a remove here is seen at once');
      assert.equal(loads, 3);

      // Another process's change (straight to the store) is seen once the entry expires.
      await store.set('cache-team', 'TOKEN', 'elsewhere-value');
      assert.equal((await t.values('cache-team')).has('TOKEN'), false, 'not yet: cached');
      now += TEAM_SECRETS_TTL_MS;
      assert.equal((await t.values('cache-team')).get('TOKEN'), 'elsewhere-value', 'after the TTL');
    });

    test('a failed load is not cached', async () => {
      const store = new SealedSecretStore(db, ring);
      let fail = true;
      const all = store.all.bind(store);
      store.all = (team: string) => (fail ? Promise.reject(new Error('database down')) : all(team));
      const t = new TeamSecrets(store, reserved);
      await assert.rejects(t.values('team-a'), /database down/);
      fail = false;
      assert.equal((await t.values('team-a')).get('SECRET_X'), 'team-a-x-value');
    });
  });
}
