import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SkillRegistry } from './skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from './test-support.ts';

const quiet = { warn() {}, info() {} };
const code = (c: string) => (e: unknown) =>
  (e as { code?: string }).code === c && typeof (e as { hint?: string }).hint === 'string';

for (const backend of BACKENDS) {
  describe(`deploy / rollback (${backend.name})`, () => {
    let h: Harness;
    let reg: SkillRegistry;
    const ref = 'fraud/block-transaction';
    before(async () => {
      h = await backend.open();
      reg = new SkillRegistry(h.db, { logger: quiet });
      for (const version of ['1.0.0', '1.1.0', '1.2.0'])
        await reg.registerVersion(skillInput('fraud', 'block-transaction', { version }));
    });
    after(() => h?.cleanup());

    it('deploy records the previous version; same version again is a no-op', async () => {
      const d1 = await reg.deploy(ref, 'production', '1.0.0', 'alice');
      assert.deepEqual(
        [d1.version, d1.previousVersion, d1.action, d1.actor, d1.changed],
        ['1.0.0', null, 'deploy', 'alice', true],
      );
      const d2 = await reg.deploy(ref, 'production', '1.1.0');
      assert.deepEqual([d2.version, d2.previousVersion], ['1.1.0', '1.0.0']);
      const again = await reg.deploy(ref, 'production', '1.1.0');
      assert.equal(again.changed, false);
      assert.equal(again.id, d2.id);
      const d3 = await reg.deploy(ref, 'production', '1.2.0');
      assert.deepEqual([d3.version, d3.previousVersion], ['1.2.0', '1.1.0']);
      assert.equal((await reg.getSkill(ref)).deployments.length, 3);
    });

    it('rollback walks back 1.2.0 → 1.1.0 → 1.0.0, then NOTHING_TO_ROLL_BACK', async () => {
      const r1 = await reg.rollback(ref, 'production');
      assert.deepEqual([r1.action, r1.version, r1.previousVersion], ['rollback', '1.1.0', '1.2.0']);
      const r2 = await reg.rollback(ref, 'production');
      assert.deepEqual([r2.version, r2.previousVersion], ['1.0.0', '1.1.0']);
      await assert.rejects(reg.rollback(ref, 'production'), code('NOTHING_TO_ROLL_BACK'));
      assert.equal((await reg.getSkill(ref)).environments.production, '1.0.0');
    });

    it('after re-deploying, rollback returns to the version live before it', async () => {
      await reg.deploy(ref, 'production', '1.2.0');
      assert.equal((await reg.rollback(ref, 'production')).version, '1.0.0');
      await reg.deploy(ref, 'production', '1.1.0');
      await reg.deploy(ref, 'production', '1.2.0');
      // toVersion skips intermediate versions, but only to versions that were live before.
      assert.equal((await reg.rollback(ref, 'production', { toVersion: '1.0.0' })).version, '1.0.0');
      await assert.rejects(reg.rollback(ref, 'production', { toVersion: '1.2.0' }), code('NOTHING_TO_ROLL_BACK'));
      await assert.rejects(reg.rollback(ref, 'production', { toVersion: '7.0.0' }), code('VERSION_NOT_FOUND'));
    });

    it('environments are independent; errors carry codes and hints', async () => {
      await assert.rejects(reg.rollback(ref, 'staging'), code('ENVIRONMENT_EMPTY'));
      await reg.deploy(ref, 'staging', '1.2.0');
      assert.deepEqual((await reg.getSkill(ref)).environments, { staging: '1.2.0', production: '1.0.0' });
      await assert.rejects(reg.rollback(ref, 'staging'), code('NOTHING_TO_ROLL_BACK'));
      await assert.rejects(reg.deploy(ref, 'staging', '3.0.0'), code('VERSION_NOT_FOUND'));
      await assert.rejects(reg.deploy('fraud/unknown', 'staging', '1.0.0'), code('SKILL_NOT_FOUND'));
      await assert.rejects(reg.deploy(ref, 'qa' as 'staging', '1.0.0'), code('BAD_REQUEST'));
    });

    it('history rows chain: each previous_version is the row before it', async () => {
      const rows = await h.db.query<{ environment: string; version_id: string; previous_version_id: string | null }>(
        'SELECT environment, version_id, previous_version_id FROM deployments ORDER BY id',
      );
      for (const env of ['staging', 'production']) {
        const chain = rows.filter((r) => r.environment === env);
        for (const [i, r] of chain.entries())
          assert.equal(r.previous_version_id, i === 0 ? null : chain[i - 1]!.version_id);
      }
    });
  });
}
