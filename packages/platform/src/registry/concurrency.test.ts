import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../db/types.ts';
import { SkillRegistry } from './skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from './test-support.ts';

const quiet = { warn() {}, info() {} };

for (const backend of BACKENDS) {
  describe(`concurrency (${backend.name})`, () => {
    let h: Harness;
    // Several pools on PostgreSQL so calls really race across connections (PGlite: one queue).
    let regs: SkillRegistry[];
    const reg = (i: number) => regs[i % regs.length]!;
    before(async () => {
      h = await backend.open();
      const dbs: Db[] = [h.db, await h.openAnother(), await h.openAnother()];
      regs = dbs.map((db) => new SkillRegistry(db, { logger: quiet }));
    });
    after(() => h?.cleanup());

    it('30 concurrent registrations of the same version+digest → one row, all succeed', async () => {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          reg(i).registerVersion(skillInput('ops', 'restart-pod', { version: '1.0.0' })),
        ),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.ok(results.every((r) => r.version.id === results[0]!.version.id));
      const [n] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM skill_versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = 'restart-pod'`,
      );
      assert.equal(n?.n, 1);
      const [s] = await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM skills WHERE name = 'restart-pod'`);
      assert.equal(s?.n, 1);
    });

    it('concurrent different digests for one version → exactly one wins, the rest VERSION_CONFLICT', async () => {
      const settled = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          reg(i).registerVersion(skillInput('ops', 'drain-node', { version: '2.0.0', digestSeed: `bytes-${i}` })),
        ),
      );
      const ok = settled.filter((s) => s.status === 'fulfilled');
      const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      assert.equal(ok.length, 1);
      assert.equal(failed.length, 19);
      for (const f of failed) assert.equal((f.reason as { code?: string }).code, 'VERSION_CONFLICT', String(f.reason));
      const [n] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM skill_versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = 'drain-node'`,
      );
      assert.equal(n?.n, 1);
    });

    it('concurrent deploys of different versions → pointer equals the last history row, no gaps', async () => {
      const versions = Array.from({ length: 8 }, (_, i) => `1.${i}.0`);
      for (const version of versions) await reg(0).registerVersion(skillInput('ops', 'scale-up', { version }));
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          reg(i).deploy('ops/scale-up', 'production', versions[i % versions.length]!, `actor-${i}`),
        ),
      );
      const history = await h.db.query<{ version_id: string; previous_version_id: string | null }>(
        `SELECT d.version_id, d.previous_version_id FROM deployments d JOIN skills s ON s.id = d.skill_id
          WHERE s.name = 'scale-up' AND d.environment = 'production' ORDER BY d.id`,
      );
      assert.ok(history.length >= versions.length - 1);
      history.forEach((r, i) => {
        assert.equal(r.previous_version_id, i === 0 ? null : history[i - 1]!.version_id, `gap at history row ${i}`);
        assert.notEqual(r.version_id, r.previous_version_id);
      });
      const [pointer] = await h.db.query<{ version_id: string }>(
        `SELECT e.version_id FROM environments e JOIN skills s ON s.id = e.skill_id WHERE s.name = 'scale-up' AND e.name = 'production'`,
      );
      assert.equal(pointer?.version_id, history.at(-1)!.version_id);
    });

    it('concurrent deploys and rollbacks keep the invariant too', async () => {
      const ops = Array.from({ length: 30 }, (_, i) =>
        i % 3 === 2
          ? reg(i)
              .rollback('ops/scale-up', 'production')
              .catch((e: { code?: string }) => {
                if (e.code !== 'NOTHING_TO_ROLL_BACK') throw e;
              })
          : reg(i).deploy('ops/scale-up', 'production', `1.${i % 8}.0`),
      );
      await Promise.all(ops);
      const history = await h.db.query<{ version_id: string; previous_version_id: string | null }>(
        `SELECT d.version_id, d.previous_version_id FROM deployments d JOIN skills s ON s.id = d.skill_id
          WHERE s.name = 'scale-up' AND d.environment = 'production' ORDER BY d.id`,
      );
      for (const [i, r] of history.entries())
        assert.equal(r.previous_version_id, i === 0 ? null : history[i - 1]!.version_id);
      const d = await reg(0).getSkill('ops/scale-up');
      const [last] = await h.db.query<{ version: string }>(
        `SELECT v.version FROM deployments d JOIN skill_versions v ON v.id = d.version_id JOIN skills s ON s.id = d.skill_id
          WHERE s.name = 'scale-up' ORDER BY d.id DESC LIMIT 1`,
      );
      assert.equal(d.environments.production, last?.version);
    });
  });
}
