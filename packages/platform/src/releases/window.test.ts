/**
 * The release window on both databases: each side's count, successes, p95 (percentile_cont, whole
 * ms), cost per execution and ratings (feedback) since the step started; rows of another release,
 * of the previous step, of the shadow side, and rows not finished yet (queued, running) are left out.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dbBackends } from '../../test/db-backends.ts';
import { migrate, type Db } from '../db/index.ts';
import { SkillRegistry } from '../registry/index.ts';
import { skillInput } from '../registry/test-support.ts';
import { readWindow } from './window.ts';

async function release(db: Db): Promise<{ id: number; skillId: string; stable: string; canary: string }> {
  const reg = new SkillRegistry(db);
  await reg.registerVersion(skillInput('rel', 'win', { version: '1.0.0' }));
  await reg.registerVersion(skillInput('rel', 'win', { version: '1.1.0' }));
  const [v] = await db.query<{ skill_id: string; a: string; b: string }>(
    `SELECT s.id AS skill_id, (SELECT id FROM skill_versions WHERE skill_id = s.id AND version = '1.0.0') AS a,
            (SELECT id FROM skill_versions WHERE skill_id = s.id AND version = '1.1.0') AS b
     FROM skills s WHERE domain = 'rel' AND name = 'win'`,
  );
  const [r] = await db.query<{ id: string }>(
    `INSERT INTO releases (skill_id, environment, stable_version_id, canary_version_id, mode, steps, percentage, rules)
     VALUES ($1, 'production', $2, $3, 'split', '[10, 100]', 10, '{}') RETURNING id`,
    [v!.skill_id, v!.a, v!.b],
  );
  return { id: Number(r!.id), skillId: v!.skill_id, stable: v!.a, canary: v!.b };
}

interface Exec {
  releaseId: number | null;
  variant: string | null;
  startedAt: Date;
  success: boolean | null;
  durationMs?: number;
  cost?: number;
  rating?: number | null;
  status?: string | null;
}

async function insert(db: Db, rel: { skillId: string; stable: string }, rows: Exec[]) {
  for (const e of rows) {
    const done = e.success !== null;
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO executions (skill_id, version_id, environment, release_id, variant, started_at, completed_at, duration_ms, success, cost, user_rating, status)
       VALUES ($1, $2, 'production', $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [
        rel.skillId,
        rel.stable,
        e.releaseId,
        e.variant,
        e.startedAt.toISOString(),
        done ? new Date(e.startedAt.getTime() + (e.durationMs ?? 0)).toISOString() : null,
        done ? (e.durationMs ?? 0) : null,
        e.success,
        e.cost ?? 0,
        e.rating ?? null,
        e.status ?? null,
      ],
    );
    if (e.rating)
      await db.query('INSERT INTO feedback (execution_id, skill_id, rating) VALUES ($1, $2, $3)', [
        row!.id,
        rel.skillId,
        e.rating,
      ]);
  }
}

for (const backend of dbBackends) {
  describe(`release window on ${backend.name}`, { skip: backend.skip }, () => {
    test('each side since the step started, finished rows only', async () => {
      const b = await backend.open();
      try {
        await migrate(b.db);
        const rel = await release(b.db);
        const step = new Date(Date.now() - 60_000);
        const at = (s: number) => new Date(step.getTime() + s * 1000);
        const rows: Exec[] = [];
        // Stable: durations 10, 20, …, 200 ms; the 5th and 10th fail; cost 0.01 each; two ratings.
        for (let i = 1; i <= 20; i++)
          rows.push({
            releaseId: rel.id,
            variant: 'stable',
            startedAt: at(i),
            success: i % 5 !== 0 || i > 10,
            durationMs: i * 10,
            cost: 0.01,
            rating: i <= 2 ? 4 + (i % 2) : null,
          });
        // Canary: 4 executions, one failing, durations 100..400, cost 0.03, ratings 1, 2, 3.
        for (let i = 1; i <= 4; i++)
          rows.push({
            releaseId: rel.id,
            variant: 'canary',
            startedAt: at(i),
            success: i !== 4,
            durationMs: i * 100,
            cost: 0.03,
            rating: i <= 3 ? i : null,
          });
        // Left out: the previous step, another release, the shadow side, a running row, a queued row.
        rows.push({ releaseId: rel.id, variant: 'canary', startedAt: at(-5), success: false, durationMs: 9999 });
        rows.push({ releaseId: rel.id + 1000, variant: 'canary', startedAt: at(3), success: false });
        rows.push({ releaseId: rel.id, variant: 'shadow', startedAt: at(3), success: false });
        rows.push({ releaseId: rel.id, variant: 'canary', startedAt: at(5), success: null });
        rows.push({ releaseId: rel.id, variant: 'canary', startedAt: at(6), success: null, status: 'queued' });
        rows.push({ releaseId: null, variant: null, startedAt: at(3), success: false });
        await insert(b.db, rel, rows);

        const w = await readWindow(b.db, rel.id, step);
        assert.ok(Math.abs(w.now.getTime() - Date.now()) < 60_000, 'the database clock');
        assert.equal(w.stable.executions, 20);
        assert.equal(w.stable.successes, 18);
        assert.equal(w.stable.successRate, 0.9);
        // percentile_cont(0.95) over 10..200: 190 + 0.05 × 10 = 190.5, in whole ms.
        assert.equal(w.stable.p95Ms, 191);
        assert.ok(Math.abs(w.stable.costPerExecution! - 0.01) < 1e-9);
        assert.equal(w.stable.ratings, 2);
        assert.equal(w.stable.meanRating, 4.5);
        assert.equal(w.canary.executions, 4);
        assert.equal(w.canary.successes, 3);
        // 100..400: 3 × 0.95 = 2.85 → 300 + 0.85 × 100.
        assert.equal(w.canary.p95Ms, 385);
        assert.ok(Math.abs(w.canary.costPerExecution! - 0.03) < 1e-9);
        assert.equal(w.canary.ratings, 3);
        assert.equal(w.canary.meanRating, 2);

        // A later step start: nothing yet on either side.
        const empty = await readWindow(b.db, rel.id, at(30));
        assert.deepEqual(empty.stable, {
          executions: 0,
          successes: 0,
          successRate: null,
          p95Ms: null,
          costPerExecution: null,
          ratings: 0,
          meanRating: null,
        });
        assert.equal(empty.canary.executions, 0);
      } finally {
        await b.db.close();
        await b.drop();
      }
    });
  });
}
