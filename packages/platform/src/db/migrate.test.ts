import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadMigrations, migrate } from './migrate.ts';
import { BACKENDS, type Harness } from '../registry/test-support.ts';

for (const backend of BACKENDS) {
  describe(`migrations (${backend.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await backend.open({ migrate: false });
    });
    after(() => h?.cleanup());

    it('applies every migration once, then is idempotent', async () => {
      const all = loadMigrations().map((m) => m.name);
      assert.ok(all.length >= 1);
      assert.deepEqual(await migrate(h.db), all);
      assert.deepEqual(await migrate(h.db), []);
      const rows = await h.db.query<{ name: string }>('SELECT name FROM aspora_migrations ORDER BY name');
      assert.deepEqual(
        rows.map((r) => r.name),
        all,
      );
    });

    it('creates the registry tables', async () => {
      const rows = await h.db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
      );
      const names = rows.map((r) => r.table_name);
      for (const t of [
        'skills',
        'skill_versions',
        'skill_triggers',
        'skill_permissions',
        'environments',
        'deployments',
        'executions',
      ]) {
        assert.ok(names.includes(t), `missing table ${t}`);
      }
    });
  });

  describe(`concurrent migrations (${backend.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await backend.open({ migrate: false });
    });
    after(() => h?.cleanup());

    it('5 processes migrating at once apply each migration exactly once', async () => {
      const dbs = await Promise.all(Array.from({ length: 5 }, () => h.openAnother()));
      const results = await Promise.all(dbs.map((db) => migrate(db)));
      const applied = results.flat();
      assert.deepEqual(
        applied.sort(),
        loadMigrations()
          .map((m) => m.name)
          .sort(),
      );
      const [count] = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM aspora_migrations');
      assert.equal(count?.n, loadMigrations().length);
    });
  });
}
