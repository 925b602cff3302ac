/**
 * The release controller on both databases, with executions written as the runtime records them:
 * a failing step is rolled back at once (decisions with numbers, audit entry, the owner team told),
 * or held without rollback_on_error; a passing step steps up and the last one promotes; a 'wait'
 * is recorded once per step per minute; --monitor expires an unpromoted release; and two
 * controllers on one PostgreSQL judging the same release at once act once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReleaseRules } from '@aspora/api';
import type { AuditInput } from '../audit/entry.ts';
import type { Db } from '../db/index.ts';
import { createLogger } from '../observe/logger.ts';
import type { Channel, Notice } from '../observe/notify/types.ts';
import { SkillRegistry } from '../registry/skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from '../registry/test-support.ts';
import { ReleaseController, type ControllerDeps } from './controller.ts';
import { ReleaseStore } from './store.ts';
import { DEFAULT_RULES } from './types.ts';

const log = createLogger('silent');
const quiet = { warn() {}, info() {} };
const RULES: ReleaseRules = { ...DEFAULT_RULES, window: '10m', minSamples: 20 };

interface World {
  db: Db;
  reg: SkillRegistry;
  sent: Array<{ notice: Notice; channels: Channel[] }>;
  audited: AuditInput[];
  controller(db?: Db): ReleaseController;
}

/** Registers 1.0.0 (live) and 1.1.0 of `domain/name` and starts a split of 1.1.0. */
async function release(
  w: World,
  name: string,
  o: { steps?: number[]; rules?: Partial<ReleaseRules>; rollbackOnError?: boolean; monitorUntil?: Date } = {},
) {
  const ref = `rel/${name}`;
  for (const version of ['1.0.0', '1.1.0']) {
    const input = skillInput('rel', name, { version });
    if (version === '1.1.0')
      input.config = { ...(input.config as object), monitoring: { alert_channels: ['slack', 'webhook'] } };
    await w.reg.registerVersion(input);
  }
  await w.reg.deploy(ref, 'production', '1.0.0');
  const r = await new ReleaseStore(w.db).start({
    ref,
    environment: 'production',
    canaryVersion: '1.1.0',
    mode: 'split',
    steps: o.steps ?? [10, 50, 100],
    rules: { ...RULES, ...o.rules },
    shadow: null,
    rollbackOnError: o.rollbackOnError ?? true,
    monitorUntil: o.monitorUntil ?? null,
    actor: 'alice',
    reason: 'test',
  });
  const [ids] = await w.db.query<{ skill_id: string; stable: string; canary: string }>(
    'SELECT skill_id, stable_version_id AS stable, canary_version_id AS canary FROM releases WHERE id = $1',
    [r.id],
  );
  return { ref, id: r.id, ...ids! };
}

/** `n` finished executions of one side in the current step: `fail` of them failed. */
async function executions(
  db: Db,
  rel: { id: number; skill_id: string; stable: string; canary: string },
  variant: 'stable' | 'canary',
  n: number,
  fail = 0,
) {
  await db.query(
    `INSERT INTO executions (skill_id, version_id, environment, release_id, variant, started_at, completed_at, duration_ms, success)
     SELECT $1, $2, 'production', $3, $4, now(), now(), 5, g > $6 FROM generate_series(1, $5) AS g`,
    [rel.skill_id, variant === 'canary' ? rel.canary : rel.stable, rel.id, variant, n, fail],
  );
}

/** Moves the step's start back: the window has elapsed. */
async function age(db: Db, id: number, ms: number) {
  await db.query(
    `UPDATE releases SET step_started_at = step_started_at - ($2::int * interval '1 millisecond') WHERE id = $1`,
    [id, ms],
  );
  await db.query(
    `UPDATE executions SET started_at = started_at - ($2::int * interval '1 millisecond') + interval '1 millisecond' WHERE release_id = $1`,
    [id, ms],
  );
}

/** This release's action in a round (other tests' releases may still be open). */
async function roundOf(c: ReleaseController, id: number) {
  const a = (await c.tick()).find((x) => x.releaseId === id);
  assert.ok(a, `release ${id} judged`);
  return a;
}

async function decisions(db: Db, id: number) {
  return db.query<{ outcome: string; actor: string; reason: string; numbers: Record<string, any>; step_index: number }>(
    'SELECT outcome, actor, reason, numbers, step_index FROM release_decisions WHERE release_id = $1 ORDER BY id',
    [id],
  );
}

for (const backend of BACKENDS) {
  describe(`release controller (${backend.name})`, () => {
    let h: Harness;
    const w = {} as World;
    before(async () => {
      h = await backend.open();
      w.db = h.db;
      w.reg = new SkillRegistry(h.db, { logger: quiet });
      w.sent = [];
      w.audited = [];
      w.controller = (db = h.db) => {
        const deps: ControllerDeps = {
          db,
          registry: w.reg,
          notify: {
            send: async (notice, channels) => (w.sent.push({ notice, channels }), []),
            configuredChannels: () => ['email'],
          },
          audit: { record: async (e) => void w.audited.push(e) },
          log,
        };
        return new ReleaseController(deps);
      };
    });
    after(() => h?.cleanup());

    it('a 20 %-failing canary is rolled back before its window: decisions, audit, the owner team told', async () => {
      const rel = await release(w, 'failing');
      const c = w.controller();
      await executions(w.db, rel, 'stable', 30);
      await executions(w.db, rel, 'canary', 5, 1);
      assert.equal((await roundOf(c, rel.id)).action, 'wait');
      await executions(w.db, rel, 'stable', 420);
      await executions(w.db, rel, 'canary', 45, 9); // 10 failures of 50 against 450 of 450
      const acted = await roundOf(c, rel.id);
      await c.idle();
      assert.equal(acted.action, 'rollback');
      assert.equal(acted.release!.status, 'rolled_back');
      assert.equal(acted.release!.percentage, 0);
      const d = await decisions(w.db, rel.id);
      assert.deepEqual(
        d.map((x) => x.outcome),
        ['start', 'wait', 'fail', 'rollback'],
      );
      const fail = d[2]!;
      assert.equal(fail.actor, 'analysis');
      assert.match(
        fail.reason,
        /^success 80\.0% vs 100\.0%: 20\.0 points below \(max 2, p=0\.00013 < 0\.001\), before the window closed$/,
      );
      assert.equal(fail.numbers.canary.executions, 50);
      assert.equal(fail.numbers.stable.executions, 450);
      assert.ok(fail.numbers.ageMs < fail.numbers.windowMs);
      assert.match(d[3]!.reason, /^rolled back \(rollback_on_error\): success 80\.0%/);
      const audit = w.audited.find((a) => a.action === 'release.rollback' && a.target === `${rel.ref}@production`);
      assert.equal(audit?.actor, 'analysis');
      assert.equal((audit?.details as { release?: number } | undefined)?.release, rel.id);
      const told = w.sent.find((s) => s.notice.scope.skill === rel.ref);
      assert.ok(told, 'the owner team is told');
      assert.deepEqual(told.channels, ['slack', 'webhook'], "the canary's monitoring.alert_channels");
      assert.equal(told.notice.scope.team, 'rel-team');
      assert.equal(told.notice.rule, 'release.rollback');
      assert.match(told.notice.title, /^rel\/failing: canary 1\.1\.0 rolled back: all traffic on stable/);
      assert.match(told.notice.text, /20\.0 points below/);
      // Ended: the next round has nothing to judge.
      assert.ok(!(await c.tick()).some((a) => a.releaseId === rel.id));
    });

    it('without rollback_on_error a failing step is recorded and held, the team told once', async () => {
      const rel = await release(w, 'held', { rollbackOnError: false });
      const c = w.controller();
      await executions(w.db, rel, 'stable', 450);
      await executions(w.db, rel, 'canary', 50, 10);
      const a = await roundOf(c, rel.id);
      await c.idle();
      assert.equal(a.action, 'hold');
      assert.equal(a.release!.status, 'active');
      await age(w.db, rel.id, 700_000);
      // Held: no step-up even once the window elapsed, and no second notice.
      const b = await roundOf(c, rel.id);
      assert.equal(b.action, 'skipped');
      const d = await decisions(w.db, rel.id);
      assert.deepEqual(
        d.map((x) => x.outcome),
        ['start', 'fail'],
      );
      assert.equal(w.sent.filter((s) => s.notice.scope.skill === rel.ref).length, 1);
      assert.equal(w.sent.find((s) => s.notice.scope.skill === rel.ref)!.notice.rule, 'release.fail');
      assert.equal((await new ReleaseStore(w.db).get(rel.id)).step, 0);
    });

    it('a healthy canary steps up through every step and is promoted after the last', async () => {
      const rel = await release(w, 'healthy', { steps: [10, 50, 100] });
      const c = w.controller();
      await executions(w.db, rel, 'stable', 200);
      await executions(w.db, rel, 'canary', 25);
      // The window has not elapsed: wait, recorded once a minute however many rounds.
      for (let i = 0; i < 3; i++) assert.equal((await roundOf(c, rel.id)).action, 'wait');
      assert.equal((await decisions(w.db, rel.id)).filter((x) => x.outcome === 'wait').length, 1);
      await age(w.db, rel.id, 600_000);
      const up = await roundOf(c, rel.id);
      assert.equal(up.action, 'step');
      assert.deepEqual([up.release!.step, up.release!.percentage], [1, 50]);
      // The new step starts empty: it waits for its own window and samples.
      assert.equal((await roundOf(c, rel.id)).action, 'wait');
      await executions(w.db, rel, 'stable', 25);
      await executions(w.db, rel, 'canary', 25);
      await age(w.db, rel.id, 600_000);
      assert.equal((await roundOf(c, rel.id)).action, 'step');
      // At 100 % stable serves nothing: its baseline is what it served over the release.
      await executions(w.db, rel, 'canary', 25);
      await age(w.db, rel.id, 600_000);
      const last = await roundOf(c, rel.id);
      assert.equal(last.action, 'promote');
      assert.equal(last.release!.status, 'promoted');
      const d = await decisions(w.db, rel.id);
      assert.deepEqual(
        d.map((x) => [x.outcome, x.step_index]),
        [
          ['start', 0],
          ['wait', 0],
          ['pass', 0],
          ['wait', 1],
          ['pass', 1],
          ['pass', 2],
          ['promote', 2],
        ],
      );
      assert.match(d[2]!.reason, /^every rule holds: success 100\.0% vs 100\.0%/);
      assert.equal(d[5]!.numbers.stable.executions, 225, 'the release-long stable baseline');
      assert.equal((await w.reg.loadSkill(rel.ref, { environment: 'production' })).version.version, '1.1.0');
      assert.ok(w.audited.some((a) => a.action === 'release.promote' && a.target === `${rel.ref}@production`));
    });

    it('--monitor: a release not promoted by then is rolled back (expire)', async () => {
      const rel = await release(w, 'expiring', { monitorUntil: new Date(Date.now() - 1000) });
      const c = w.controller();
      const a = await roundOf(c, rel.id);
      await c.idle();
      assert.equal(a.action, 'expire');
      assert.equal(a.release!.status, 'rolled_back');
      const d = await decisions(w.db, rel.id);
      assert.equal(d.at(-1)!.outcome, 'expire');
      assert.match(d.at(-1)!.reason, /^not promoted by .* \(--monitor\): rolled back at step 1 \(10 %\)$/);
      assert.equal(w.sent.find((s) => s.notice.scope.skill === rel.ref)?.notice.rule, 'release.expire');
    });

    it('two controllers judging one release at once act once', async () => {
      const rel = await release(w, 'raced');
      await executions(w.db, rel, 'stable', 450);
      await executions(w.db, rel, 'canary', 50, 10);
      // Another pool on the same database, as another platform process would have (the harness closes it).
      const other = await h.openAnother();
      const [a, b] = await Promise.all([w.controller().tick(), w.controller(other).tick()]);
      const acted = [...a, ...b].filter((x) => x.releaseId === rel.id && x.action === 'rollback');
      assert.equal(acted.length, 1, JSON.stringify([...a, ...b].map((x) => x.action)));
      const d = await decisions(w.db, rel.id);
      assert.deepEqual(
        d.map((x) => x.outcome),
        ['start', 'fail', 'rollback'],
      );
    });
  });
}
