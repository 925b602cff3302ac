import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SkillRegistry } from './skill-registry.ts';
import { BACKENDS, digestOf, skillInput, type Harness } from './test-support.ts';

const quiet = { warn() {}, info() {} };

const code = (c: string) => (e: unknown) =>
  (e as { code?: string }).code === c && typeof (e as { hint?: string }).hint === 'string';

for (const backend of BACKENDS) {
  describe(`registerVersion / list / get / load (${backend.name})`, () => {
    let h: Harness;
    let reg: SkillRegistry;
    before(async () => {
      h = await backend.open();
      reg = new SkillRegistry(h.db, { logger: quiet });
    });
    after(() => h?.cleanup());

    it('registers a version with triggers and permissions', async () => {
      const input = skillInput('fraud', 'block-transaction', {
        description: 'Blocks suspicious transactions and syncs with TRM.',
        negative: 'Do NOT use for chargebacks or refund disputes.',
        patterns: ['fraud', 'suspicious transaction'],
        triggers: [
          { type: 'message', patterns: ['fraud'], channels: ['slack'] },
          { type: 'cron', schedule: '0 * * * *', timezone: 'Asia/Dubai' },
          { type: 'alert', sources: ['datadog', 'pagerduty'], filters: { severity: ['critical'] } },
        ],
        permissions: [
          { kind: 'tool', value: 'Read' },
          { kind: 'api', value: 'trm_api' },
          { kind: 'secret', value: 'TRM_API_KEY' },
          { kind: 'sheets_access', value: 'assignments_tab', detail: { read: 'all' } },
        ],
      });
      const res = await reg.registerVersion(input);
      assert.equal(res.created, true);
      assert.equal(res.skill.ref, 'fraud/block-transaction');
      assert.equal(res.skill.latestVersion, '1.0.0');
      assert.equal(res.version.bundle.digest, input.bundle.digest);
      assert.equal(res.version.runtime.cpu, 0.5);
      assert.equal(res.version.model.maxCostPerExecution, 0.1);
      assert.equal(res.version.bundle.size, 1234);
      assert.deepEqual(res.version.search.patterns, ['fraud', 'suspicious transaction']);

      const loaded = await reg.loadSkill('fraud/block-transaction');
      assert.equal(loaded.source, 'latest');
      assert.deepEqual(
        loaded.triggers.map((t) => t.type),
        ['message', 'cron', 'alert'],
      );
      assert.equal(loaded.triggers[1]?.schedule, '0 * * * *');
      assert.equal(loaded.triggers[1]?.enabled, true);
      assert.deepEqual(loaded.triggers[2]?.sources, ['datadog', 'pagerduty']);
      assert.deepEqual(loaded.triggers[2]?.filters, { severity: ['critical'] });
      assert.deepEqual(loaded.permissions.find((p) => p.kind === 'sheets_access')?.detail, { read: 'all' });
      assert.deepEqual(loaded.version.config, input.config);

      // Lookups the scheduler and the policy layer need are plain indexed queries.
      const cron = await h.db.query<{ name: string }>(
        `SELECT s.name FROM skill_triggers t JOIN skills s ON s.latest_version_id = t.version_id WHERE t.type = 'cron' AND t.enabled`,
      );
      assert.deepEqual(
        cron.map((r) => r.name),
        ['block-transaction'],
      );
      const api = await h.db.query<{ name: string }>(
        `SELECT s.name FROM skill_permissions p JOIN skills s ON s.latest_version_id = p.version_id WHERE p.kind = 'api' AND p.value = $1`,
        ['trm_api'],
      );
      assert.deepEqual(
        api.map((r) => r.name),
        ['block-transaction'],
      );
    });

    it('re-registering the same version and digest is idempotent', async () => {
      const res = await reg.registerVersion(skillInput('fraud', 'block-transaction', { description: 'ignored' }));
      assert.equal(res.created, false);
      assert.equal(res.version.description.startsWith('Blocks suspicious'), true);
      const [n] = await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM skill_versions`);
      assert.equal(n?.n, 1);
    });

    it('same version with a different digest is VERSION_CONFLICT', async () => {
      await assert.rejects(
        reg.registerVersion(skillInput('fraud', 'block-transaction', { digestSeed: 'other bytes' })),
        (e: unknown) => code('VERSION_CONFLICT')(e) && /bump/.test((e as { hint: string }).hint),
      );
    });

    it('latest is the highest semver, not the last inserted', async () => {
      await reg.registerVersion(skillInput('fraud', 'block-transaction', { version: '1.10.0' }));
      await reg.registerVersion(skillInput('fraud', 'block-transaction', { version: '1.2.0' }));
      await reg.registerVersion(skillInput('fraud', 'block-transaction', { version: '1.10.0-rc.1' }));
      const d = await reg.getSkill('fraud/block-transaction');
      assert.equal(d.latestVersion, '1.10.0');
      assert.deepEqual(
        d.versions.map((v) => v.version),
        ['1.10.0', '1.10.0-rc.1', '1.2.0', '1.0.0'],
      );
    });

    it('pre-releases are ordered as semver orders them, not as text (rc.10 after rc.9, rc after beta)', async () => {
      for (const version of ['2.0.0-rc.9', '2.0.0-rc.10', '2.0.0-beta.2', '2.0.0-rc.2'])
        await reg.registerVersion(skillInput('release', 'ordered', { version }));
      const d = await reg.getSkill('release/ordered');
      assert.equal(d.latestVersion, '2.0.0-rc.10');
      assert.deepEqual(
        d.versions.map((v) => v.version),
        ['2.0.0-rc.10', '2.0.0-rc.9', '2.0.0-rc.2', '2.0.0-beta.2'],
      );
    });

    it('lists by domain and role; role changes are allowed and reported', async () => {
      await reg.registerVersion(skillInput('ecm', 'triage-and-assign', { role: 'manager' }));
      await reg.registerVersion(skillInput('ecm', 'my-tickets', { role: 'field' }));
      await reg.registerVersion(skillInput('ecm', 'order-details', { role: 'field' }));
      assert.deepEqual(
        (await reg.listSkills({ domain: 'ecm' })).map((s) => s.ref),
        ['ecm/my-tickets', 'ecm/order-details', 'ecm/triage-and-assign'],
      );
      assert.deepEqual(
        (await reg.listSkills({ domain: 'ecm', role: 'field' })).map((s) => s.name),
        ['my-tickets', 'order-details'],
      );
      assert.deepEqual(
        (await reg.listSkills({ role: 'manager' })).map((s) => s.name),
        ['triage-and-assign'],
      );
      assert.deepEqual(
        (await reg.listSkills({ domain: 'ecm', limit: 1, offset: 1 })).map((s) => s.name),
        ['order-details'],
      );

      const moved = await reg.registerVersion(
        skillInput('ecm', 'order-details', { role: 'manager', version: '2.0.0' }),
      );
      assert.deepEqual(moved.roleChange, { from: 'field', to: 'manager' });
      assert.equal(moved.skill.role, 'manager');
      assert.deepEqual(
        (await reg.listSkills({ domain: 'ecm', role: 'field' })).map((s) => s.name),
        ['my-tickets'],
      );
      const d = await reg.getSkill('ecm/order-details');
      assert.deepEqual(
        d.versions.map((v) => [v.version, v.role]),
        [
          ['2.0.0', 'manager'],
          ['1.0.0', 'field'],
        ],
      );
    });

    it('refs: domain/role/name is accepted when the role matches', async () => {
      assert.equal((await reg.getSkill('ecm/field/my-tickets')).ref, 'ecm/my-tickets');
      await assert.rejects(reg.getSkill('ecm/manager/my-tickets'), code('SKILL_NOT_FOUND'));
      await assert.rejects(reg.getSkill('nope/missing'), code('SKILL_NOT_FOUND'));
      await assert.rejects(reg.getSkill('not a ref'), code('BAD_REQUEST'));
      await assert.rejects(reg.getVersion('ecm/my-tickets', '9.9.9'), code('VERSION_NOT_FOUND'));
      assert.equal((await reg.getVersion('ecm/my-tickets', '1.0.0')).bundleDigest, digestOf('ecm/my-tickets@1.0.0'));
    });

    it('loadSkill resolves pinned > environment > production > staging > latest', async () => {
      await reg.registerVersion(skillInput('ecm', 'my-tickets', { role: 'field', version: '1.1.0' }));
      await reg.registerVersion(skillInput('ecm', 'my-tickets', { role: 'field', version: '1.2.0' }));
      assert.equal((await reg.loadSkill('ecm/my-tickets')).version.version, '1.2.0');
      await reg.deploy('ecm/my-tickets', 'staging', '1.1.0');
      const staged = await reg.loadSkill('ecm/my-tickets');
      assert.deepEqual([staged.source, staged.version.version], ['staging', '1.1.0']);
      await reg.deploy('ecm/my-tickets', 'production', '1.0.0');
      assert.equal((await reg.loadSkill('ecm/my-tickets')).version.version, '1.0.0');
      assert.equal((await reg.loadSkill('ecm/my-tickets', { environment: 'staging' })).version.version, '1.1.0');
      assert.equal((await reg.loadSkill('ecm/my-tickets', { version: '1.2.0' })).source, 'pinned');
      await assert.rejects(
        reg.loadSkill('ecm/order-details', { environment: 'production' }),
        code('ENVIRONMENT_EMPTY'),
      );
      await assert.rejects(reg.loadSkill('ecm/my-tickets', { environment: 'qa' }), code('BAD_REQUEST'));

      const d = await reg.getSkill('ecm/my-tickets');
      assert.deepEqual(d.environments, { staging: '1.1.0', production: '1.0.0' });
      assert.deepEqual(
        d.deployments.map((x) => [x.environment, x.version]),
        [
          ['production', '1.0.0'],
          ['staging', '1.1.0'],
        ],
      );
      const prod = await reg.listSkills({ environment: 'production', domain: 'ecm' });
      assert.deepEqual(
        prod.map((s) => [s.ref, s.latestVersion]),
        [['ecm/my-tickets', '1.0.0']],
      );
    });

    it('rejects invalid input with BAD_REQUEST and a hint', async () => {
      await assert.rejects(reg.registerVersion(skillInput('Fraud!', 'x')), code('BAD_REQUEST'));
      await assert.rejects(reg.registerVersion(skillInput('fraud', 'x', { version: 'v1' })), code('BAD_REQUEST'));
      const badDigest = skillInput('fraud', 'x');
      badDigest.bundle.digest = 'md5:abc';
      await assert.rejects(reg.registerVersion(badDigest), code('BAD_REQUEST'));
      const badCron = skillInput('fraud', 'x', { triggers: [{ type: 'cron' }] });
      await assert.rejects(reg.registerVersion(badCron), code('BAD_REQUEST'));
      assert.equal((await reg.listSkills({ domain: 'fraud' })).length, 1, 'nothing half-registered');
    });
  });
}
