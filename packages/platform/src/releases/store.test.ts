/** The release store on both databases: start, the one-in-flight rule, steps, promote, rollback; two routers agree. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SkillRegistry } from '../registry/skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from '../registry/test-support.ts';
import type { AuditInput } from '../audit/entry.ts';
import { ReleaseRouter } from './router.ts';
import { Releases } from './service.ts';
import { ReleaseStore } from './store.ts';

const quiet = { warn() {}, info() {} };
const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c && !!(e as { hint?: string }).hint;

for (const backend of BACKENDS) {
  describe(`release store (${backend.name})`, () => {
    let h: Harness;
    let reg: SkillRegistry;
    let releases: Releases;
    const audited: AuditInput[] = [];
    const ref = 'ecm/my-tickets';
    before(async () => {
      h = await backend.open();
      reg = new SkillRegistry(h.db, { logger: quiet });
      for (const version of ['1.0.0', '1.1.0', '1.2.0'])
        await reg.registerVersion(skillInput('ecm', 'my-tickets', { version }));
      releases = new Releases(reg, { audit: { record: async (e) => void audited.push(e) } });
    });
    after(() => h?.cleanup());

    it('a deploy to an empty environment never starts a release', async () => {
      const d = await releases.deploy(ref, 'production', '1.0.0', { canary: 10 }, 'alice');
      assert.equal(d.release, undefined);
      assert.equal(d.version, '1.0.0');
    });

    it('deploy --canary 10 starts a split beside stable; the pointer stays; a second is RELEASE_IN_FLIGHT', async () => {
      const d = await releases.deploy(ref, 'production', '1.1.0', { canary: 10, monitor: '48h' }, 'alice');
      assert.equal(d.version, '1.0.0', 'the pointer still names stable');
      assert.equal(d.changed, false);
      const r = d.release!;
      assert.deepEqual(
        [r.mode, r.status, r.stableVersion, r.canaryVersion, r.steps, r.percentage, r.step],
        ['split', 'active', '1.0.0', '1.1.0', [10, 25, 50, 100], 10, 0],
      );
      assert.ok(r.monitorUntil && Date.parse(r.monitorUntil) > Date.now() + 47 * 3600_000);
      assert.equal(r.decisions[0]!.outcome, 'start');
      assert.deepEqual(r.current?.canary.executions, 0);
      assert.equal((await reg.loadSkill(ref, { environment: 'production' })).version.version, '1.0.0');
      await assert.rejects(
        releases.deploy(ref, 'production', '1.2.0', { canary: 25 }, 'bob'),
        code('RELEASE_IN_FLIGHT'),
      );
      await assert.rejects(releases.deploy(ref, 'production', '1.2.0', {}, 'bob'), code('RELEASE_IN_FLIGHT'));
      // The index holds even past the check (a racing second start).
      await assert.rejects(
        h.db.query(
          `INSERT INTO releases (skill_id, environment, stable_version_id, canary_version_id, mode, steps, percentage, rules)
           SELECT skill_id, environment, stable_version_id, canary_version_id, mode, steps, percentage, rules FROM releases WHERE id = $1`,
          [r.id],
        ),
      );
      assert.ok(audited.some((a) => a.action === 'release.start' && a.actor === 'alice'));
    });

    it('steps move the share and record the decision; the open release carries versions and owner', async () => {
      const open = (await releases.store.open(ref, 'production'))!;
      assert.deepEqual([open.stableVersion, open.canaryVersion, open.ownerTeam], ['1.0.0', '1.1.0', 'ecm-team']);
      const r = await releases.store.step(open.id, 1, {
        outcome: 'pass',
        actor: 'analysis',
        reason: 'healthy',
        numbers: { p: 1 },
      });
      assert.deepEqual([r.step, r.percentage], [1, 25]);
      assert.deepEqual(
        r.decisions.map((d) => [d.outcome, d.step, d.percentage]),
        [
          ['start', 0, 10],
          ['pass', 0, 10],
        ],
      );
      await releases.store.decide(open.id, { outcome: 'wait', actor: 'analysis', reason: 'too few samples' });
      const [listed] = await releases.list(ref, {});
      assert.equal(listed!.decisions.at(-1)!.outcome, 'wait');
    });

    it('promote moves the pointer to the canary in the same change and ends the release', async () => {
      const d = await releases.promote(ref, 'production', 'carol');
      assert.deepEqual([d.version, d.previousVersion, d.changed], ['1.1.0', '1.0.0', true]);
      assert.deepEqual([d.release!.status, d.release!.percentage], ['promoted', 100]);
      assert.ok(d.release!.promotedAt);
      assert.equal((await reg.loadSkill(ref, { environment: 'production' })).version.version, '1.1.0');
      await assert.rejects(releases.promote(ref, 'production', 'carol'), code('NO_RELEASE'));
      assert.ok(audited.some((a) => a.action === 'release.promote' && a.actor === 'carol'));
    });

    it('rollback with a release in flight ends it; the pointer stays on stable; then rollback is the registry’s', async () => {
      const started = await releases.deploy(ref, 'production', '1.2.0', { canary: 50, steps: [50, 100] }, 'alice');
      assert.deepEqual(started.release!.steps, [50, 100]);
      await assert.rejects(
        releases.rollback(ref, 'production', { actor: 'dave', toVersion: '1.0.0' }),
        code('RELEASE_IN_FLIGHT'),
      );
      const d = await releases.rollback(ref, 'production', { actor: 'dave' });
      assert.deepEqual([d.version, d.release!.status], ['1.1.0', 'rolled_back']);
      assert.ok(d.release!.rolledBackAt);
      assert.equal((await reg.loadSkill(ref, { environment: 'production' })).version.version, '1.1.0');
      const plain = await releases.rollback(ref, 'production', { actor: 'dave' });
      assert.deepEqual([plain.version, plain.release], ['1.0.0', undefined]);
    });

    it('--canary off replaces a release in flight (aborted) and moves the pointer', async () => {
      await releases.deploy(ref, 'production', '1.2.0', { canary: 10 }, 'alice');
      const d = await releases.deploy(ref, 'production', '1.2.0', { canary: 'off' }, 'alice');
      assert.deepEqual([d.version, d.release!.status], ['1.2.0', 'aborted']);
      assert.equal(await releases.store.open(ref, 'production'), null);
    });

    it('an ended release cannot be ended or stepped again', async () => {
      const [last] = await releases.list(ref, { environment: 'production', limit: 1 });
      await assert.rejects(
        releases.store.end(last!.id, 'rollback', { actor: 'x', reason: 'again' }),
        code('NO_RELEASE'),
      );
      await assert.rejects(releases.store.step(last!.id, 1, { outcome: 'pass', actor: 'x', reason: 'r' }), /aborted/);
    });

    it("the version's config starts a release by itself: seed 003's hybrid rule shadows a cron-triggered skill", async () => {
      const hybrid = (version: string, cron: boolean) => {
        const input = skillInput('ecm', 'triage', { version });
        input.config = {
          ...(input.config as object),
          versioning: { canary_strategy: 'hybrid', shadow_config: { compare_tab: 'Assignments_canary' } },
          triggers: cron ? [{ type: 'cron', schedule: '0 7 * * *' }] : [{ type: 'message', patterns: ['triage'] }],
        };
        return input;
      };
      await reg.registerVersion(hybrid('1.0.0', true));
      await reg.registerVersion(hybrid('1.1.0', true));
      await reg.registerVersion(hybrid('1.2.0', false));
      const first = await releases.deploy('ecm/triage', 'production', '1.0.0', {}, 'alice');
      assert.equal(first.release, undefined, 'nothing live: a plain deploy');
      const batch = await releases.deploy('ecm/triage', 'production', '1.1.0', {}, 'alice');
      assert.deepEqual(
        [batch.release?.mode, batch.release?.percentage, batch.release?.shadow?.compareTab],
        ['shadow', 0, 'Assignments_canary'],
      );
      assert.match(batch.release!.decisions[0]!.reason, /hybrid \(cron-triggered: shadow\)/);
      await releases.rollback('ecm/triage', 'production', { actor: 'alice' });
      const interactive = await releases.deploy('ecm/triage', 'production', '1.2.0', {}, 'alice');
      assert.deepEqual([interactive.release?.mode, interactive.release?.percentage], ['split', 10]);
      await releases.rollback('ecm/triage', 'production', { actor: 'alice' });
    });

    it('two routers on one database agree on every user; a change is seen by the other within its TTL', async (t) => {
      if (backend.name !== 'postgres') return t.skip('two processes: PostgreSQL');
      await releases.deploy(ref, 'production', '1.1.0', { canary: 25 }, 'alice');
      const other = await h.openAnother();
      const a = new ReleaseRouter(new ReleaseStore(h.db), 1_000);
      const b = new ReleaseRouter(new ReleaseStore(other), 1_000);
      for (let i = 0; i < 2_000; i++) {
        const u = `user${i}@example.com`;
        assert.deepEqual(await a.choose(ref, 'production', u), await b.choose(ref, 'production', u), u);
      }
      await releases.rollback(ref, 'production', { actor: 'alice' });
      await new Promise((r) => setTimeout(r, 1_100));
      assert.equal(await b.choose(ref, 'production', 'user1@example.com'), null);
    });
  });
}
