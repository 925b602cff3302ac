import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SkillRegistry } from '../skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from '../test-support.ts';
import type { SearchHit } from '../types.ts';
import { SEARCH_FIXTURES } from './fixtures.ts';

const quiet = { warn() {}, info() {} };
const refs = (hits: SearchHit[]) => hits.map((h) => h.skill.ref);
const rank = (hits: SearchHit[], ref: string) => {
  const i = refs(hits).indexOf(ref);
  return i === -1 ? Infinity : i;
};

for (const backend of BACKENDS) {
  describe(`lexical search (${backend.name})`, () => {
    let h: Harness;
    let reg: SkillRegistry;
    before(async () => {
      h = await backend.open();
      reg = new SkillRegistry(h.db, { logger: quiet });
      for (const f of SEARCH_FIXTURES) await reg.registerVersion(f);
    });
    after(() => h?.cleanup());

    it('"block a suspicious payment" → block-transaction first, with why per field', async () => {
      const hits = await reg.searchSkills('block a suspicious payment');
      assert.equal(hits[0]?.skill.ref, 'fraud/block-transaction');
      const top = hits[0]!;
      assert.ok(top.score > 0.5 && top.score <= 1, `score ${top.score}`);
      const fields = new Map(top.why.map((w) => [w.field, w.terms]));
      assert.deepEqual(fields.get('name'), ['block']);
      assert.deepEqual(fields.get('patterns'), ['block', 'payment', 'suspicious']);
      assert.ok(fields.get('description')?.includes('suspicious'));
      for (const hit of hits) assert.ok(hit.score >= 0 && hit.score <= 1);
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.score >= hits[i]!.score, 'sorted by score');
    });

    it('"refund dispute for a customer" → dispute-chargeback first, block-transaction not above it', async () => {
      const hits = await reg.searchSkills('refund dispute for a customer');
      assert.equal(hits[0]?.skill.ref, 'fraud/dispute-chargeback');
      assert.ok(rank(hits, 'fraud/block-transaction') > rank(hits, 'fraud/dispute-chargeback'));
    });

    it('the "Do NOT use for" text demotes a skill instead of matching it', async () => {
      // block-transaction's positive text matches "transactions"; its exclusion matches refund + disputes.
      const hits = await reg.searchSkills('refund disputes on transactions');
      assert.equal(hits[0]?.skill.ref, 'fraud/dispute-chargeback');
      const blocked = hits.find((x) => x.skill.ref === 'fraud/block-transaction');
      assert.ok(blocked, 'still listed, just demoted');
      assert.ok(
        blocked.why.some((w) => /demoted/.test(w.detail ?? '')),
        JSON.stringify(blocked.why),
      );
      assert.ok(blocked.score < 0.25);
      // The negative text alone never makes a skill match.
      assert.ok(!refs(await reg.searchSkills('chargebacks')).includes('fraud/block-transaction'));
    });

    it('filters by domain and role (manager/field isolation)', async () => {
      const field = await reg.searchSkills('ticket', { domain: 'ecm', role: 'field' });
      assert.deepEqual(refs(field).sort(), ['ecm/my-tickets', 'ecm/resolve-ticket']);
      const manager = await reg.searchSkills('triage stuck orders', { domain: 'ecm', role: 'manager' });
      assert.deepEqual(refs(manager), ['ecm/triage-and-assign']);
      assert.deepEqual(await reg.searchSkills('triage stuck orders', { domain: 'fraud' }), []);
      const limited = await reg.searchSkills('refund', { limit: 1 });
      assert.equal(limited.length, 1);
    });

    it('searches the version live in an environment when asked', async () => {
      await reg.registerVersion(
        skillInput('ops', 'restart-pod', { version: '1.0.0', description: 'Restarts a crashed kubernetes pod.' }),
      );
      await reg.registerVersion(
        skillInput('ops', 'restart-pod', { version: '2.0.0', description: 'Restarts a whole deployment rollout.' }),
      );
      assert.deepEqual(await reg.searchSkills('crashed pod', { environment: 'production' }), []);
      await reg.deploy('ops/restart-pod', 'production', '1.0.0');
      const live = await reg.searchSkills('crashed pod', { environment: 'production' });
      assert.deepEqual(refs(live), ['ops/restart-pod']);
      assert.equal(live[0]?.skill.latestVersion, '1.0.0');
      // Without an environment the latest version's text is ranked: "crashed" is gone from 2.0.0.
      const latest = await reg.searchSkills('crashed');
      assert.ok(!refs(latest).includes('ops/restart-pod'));
      assert.deepEqual(refs(await reg.searchSkills('rollout')), ['ops/restart-pod']);
      assert.deepEqual(await reg.searchSkills('rollout', { environment: 'production' }), []);
      // A lower version registered later (a backport) is not the latest: its text is not ranked.
      await reg.registerVersion(
        skillInput('ops', 'restart-pod', { version: '1.5.0', description: 'Restarts a wedged statefulset.' }),
      );
      assert.deepEqual(await reg.searchSkills('wedged statefulset'), []);
      assert.deepEqual(refs(await reg.searchSkills('rollout')), ['ops/restart-pod']);
    });

    it('empty and stopword-only queries return []', async () => {
      assert.deepEqual(await reg.searchSkills(''), []);
      assert.deepEqual(await reg.searchSkills('   '), []);
      assert.deepEqual(await reg.searchSkills('the of and to a'), []);
    });

    it('tsquery syntax and quoting in the query are inert', async () => {
      const nasty = [
        `'); DROP TABLE skills; --`,
        `fraud & | ! : * ( ) <-> "quoted" \\ backslash \\' o'reilly`,
        `'''`,
        `\\`,
        `fraud:* & !refund`,
        `(block | payment) <2> suspicious`,
        'x'.repeat(5000),
        Array.from({ length: 200 }, (_, i) => `word${i}`).join(' '),
      ];
      for (const q of nasty) await reg.searchSkills(q);
      const hits = await reg.searchSkills(`"fraud" & (block)! `);
      assert.equal(hits[0]?.skill.ref, 'fraud/block-transaction');
      assert.equal((await reg.listSkills({ domain: 'fraud' })).length, 3);
    });

    it('rejects an unknown environment', async () => {
      await assert.rejects(reg.searchSkills('fraud', { environment: 'qa' as 'staging' }), { code: 'BAD_REQUEST' });
    });
  });
}
