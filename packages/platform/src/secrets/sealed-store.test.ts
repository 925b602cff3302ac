/** Sealed secrets in the database, on PGlite and PostgreSQL: only ciphertext stored, rotation in place. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it as test } from 'node:test';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/types.ts';
import { KeyRing, masterKey } from './envelope.ts';
import { SealedSecretStore } from './sealed-store.ts';
import { dbBackends } from '../../test/db-backends.ts';

const backends = dbBackends;

for (const b of backends) {
  describe(`sealed secrets (${b.name})`, { skip: b.skip }, () => {
    let db: Db;
    let drop: () => Promise<void>;
    const oldMaster = masterKey(randomBytes(32));
    before(async () => {
      ({ db, drop } = await b.open());
      await migrate(db);
    });
    after(async () => {
      await db.close();
      await drop();
    });

    test('set, read, overwrite, list and remove; the database holds no value in the clear', async () => {
      const s = new SealedSecretStore(db, new KeyRing(oldMaster));
      await s.set('ecm-ops', 'ECM_GATEWAY_KEY', 'sk-live-first');
      await s.set('ecm-ops', 'ECM_GATEWAY_KEY', 'sk-live-second');
      await s.set('ecm-ops', 'SLACK_TOKEN', 'xoxb-secret-token');
      await s.set('fraud-ops', 'ECM_GATEWAY_KEY', 'fraud-own-value');
      assert.equal(await s.get('ecm-ops', 'ECM_GATEWAY_KEY'), 'sk-live-second');
      assert.equal(await s.get('fraud-ops', 'ECM_GATEWAY_KEY'), 'fraud-own-value', 'teams do not share a name');
      assert.equal(await s.get('ecm-ops', 'NOT_SET'), undefined);
      assert.deepEqual(
        (await s.names('ecm-ops')).map((n) => n.name),
        ['ECM_GATEWAY_KEY', 'SLACK_TOKEN'],
      );
      const raw = await db.query<{ sealed: Uint8Array }>('SELECT sealed FROM vault_secrets');
      const keys = await db.query<{ wrapped: Uint8Array; team: string }>('SELECT wrapped, team FROM vault_data_keys');
      for (const r of raw)
        for (const v of ['sk-live', 'xoxb', 'fraud-own']) assert.ok(!Buffer.from(r.sealed).includes(Buffer.from(v)));
      assert.deepEqual(keys.map((k) => k.team).sort(), ['ecm-ops', 'fraud-ops'], 'one data key per team');
      assert.equal(await s.remove('ecm-ops', 'SLACK_TOKEN'), true);
      assert.equal(await s.remove('ecm-ops', 'SLACK_TOKEN'), false);
      assert.equal(await s.get('ecm-ops', 'SLACK_TOKEN'), undefined);
    });

    test('a row copied onto another name or team does not open', async () => {
      const s = new SealedSecretStore(db, new KeyRing(oldMaster));
      await s.set('ecm-ops', 'COPY_SOURCE', 'value-a');
      await db.query(
        `INSERT INTO vault_secrets (team, name, key_id, sealed) SELECT team, 'COPY_TARGET', key_id, sealed FROM vault_secrets WHERE team = 'ecm-ops' AND name = 'COPY_SOURCE'`,
      );
      await assert.rejects(s.get('ecm-ops', 'COPY_TARGET'), /does not open/);
    });

    test('a platform with another master key cannot read, and says which key it lacks', async () => {
      const stranger = new SealedSecretStore(db, new KeyRing(masterKey(randomBytes(32))));
      await assert.rejects(
        stranger.get('ecm-ops', 'ECM_GATEWAY_KEY'),
        new RegExp(`master key ${oldMaster.id}, which this platform does not hold`),
      );
    });

    test('rotation re-wraps every data key while reads go on; afterwards the new master alone reads everything', async () => {
      const newMaster = masterKey(randomBytes(32));
      const rotating = new SealedSecretStore(db, new KeyRing(newMaster, [oldMaster]));
      const sealedBefore = await db.query<{ sealed: Uint8Array }>(
        'SELECT sealed FROM vault_secrets ORDER BY team, name',
      );
      assert.equal(await rotating.get('fraud-ops', 'ECM_GATEWAY_KEY'), 'fraud-own-value', 'readable during rotation');
      const [first, second] = await Promise.all([
        rotating.rotateMaster(),
        new SealedSecretStore(db, new KeyRing(newMaster, [oldMaster])).rotateMaster(),
      ]);
      assert.equal(first + second, 2, 'each of the two data keys re-wrapped once, by one of the two rotations');
      assert.equal(await rotating.rotateMaster(), 0);
      const sealedAfter = await db.query<{ sealed: Uint8Array }>(
        'SELECT sealed FROM vault_secrets ORDER BY team, name',
      );
      assert.deepEqual(sealedAfter, sealedBefore, 'values are not re-encrypted');
      const after = new SealedSecretStore(db, new KeyRing(newMaster));
      assert.equal(await after.get('ecm-ops', 'ECM_GATEWAY_KEY'), 'sk-live-second');
      assert.equal(await after.get('fraud-ops', 'ECM_GATEWAY_KEY'), 'fraud-own-value');
      await assert.rejects(
        new SealedSecretStore(db, new KeyRing(oldMaster)).get('ecm-ops', 'ECM_GATEWAY_KEY'),
        /does not hold/,
      );
    });

    test("two processes setting a new team's first secrets at once make one data key", async () => {
      const ring = new KeyRing(oldMaster);
      const [a, c] = [new SealedSecretStore(db, ring), new SealedSecretStore(db, ring)];
      await Promise.all([a.set('new-team', 'ONE', '1'), c.set('new-team', 'TWO', '2')]);
      const keys = await db.query("SELECT id FROM vault_data_keys WHERE team = 'new-team'");
      assert.equal(keys.length, 1);
      assert.equal(await a.get('new-team', 'TWO'), '2');
      assert.equal(await c.get('new-team', 'ONE'), '1');
    });

    test('team and secret names are checked before anything is stored', async () => {
      const s = new SealedSecretStore(db, new KeyRing(oldMaster));
      await assert.rejects(s.set('Bad Team', 'X', 'v'), /not a team name/);
      await assert.rejects(s.set('ecm-ops', 'lower_case', 'v'), /not a secret name/);
      await assert.rejects(s.set('ecm-ops', `A${'B'.repeat(200)}`, 'v'), /not a secret name/);
    });
  });
}
