import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isAsporaError } from '@aspora/sdk';
import { addFeedback } from '../../observe/feedback.ts';
import { SkillRegistry } from '../skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from '../test-support.ts';
import type { SearchHit } from '../types.ts';
import { cleanExample, KEEP, MAX_EXAMPLE_CHARS, recordRouted } from './learned.ts';

const quiet = { warn() {}, info() {} };
const refs = (hits: SearchHit[]) => hits.map((h) => h.skill.ref);

/** Two close neighbours whose own text does not mention the words users actually type. */
const SKILLS = [
  skillInput('it', 'device-repair', {
    description: 'Logs a hardware fault, arranges a repair or a loaner and tracks it.',
    negative: 'Do NOT use for ordering new equipment.',
  }),
  skillInput('it', 'laptop-request', {
    description: 'Orders a new or replacement laptop or accessories and tracks delivery.',
    negative: 'Do NOT use for broken-device repairs.',
  }),
  skillInput('workplace', 'facilities-issue', {
    description: 'Reports office facilities problems: air conditioning, cleaning, lights, leaks.',
  }),
];

for (const backend of BACKENDS) {
  describe(`learned examples (${backend.name})`, () => {
    let h: Harness;
    let reg: SkillRegistry;
    before(async () => {
      h = await backend.open();
      reg = new SkillRegistry(h.db, { logger: quiet });
      for (const s of SKILLS) await reg.registerVersion(s);
    });
    after(() => h?.cleanup());

    it('a routed message nobody corrected makes its skill found by words only users used', async () => {
      assert.deepEqual(refs(await reg.searchSkills('coffee spilled on my notebook')), []);
      assert.equal(await reg.recordRouted('it/device-repair', 'I spilled coffee on my notebook', 'accepted'), true);
      const hits = await reg.searchSkills('coffee spilled on my notebook');
      assert.equal(hits[0]?.skill.ref, 'it/device-repair');
      assert.ok(
        hits[0]!.why.some((w) => w.field === 'examples' && w.detail === 'learned from routed requests'),
        JSON.stringify(hits[0]!.why),
      );
      const [ex] = await reg.learnedExamples('it/device-repair');
      assert.deepEqual([ex?.text, ex?.polarity, ex?.source], ['I spilled coffee on my notebook', 'positive', 'routed']);
    });

    it('a corrected routing demotes the skill for that request; the latest verdict on a text wins', async () => {
      const q = 'my new monitor arrived with a broken stand';
      await reg.recordRouted('it/laptop-request', q, 'accepted');
      assert.equal((await reg.searchSkills(q))[0]?.skill.ref, 'it/laptop-request');
      await reg.recordRouted('it/laptop-request', q, 'corrected');
      await reg.recordRouted('it/device-repair', q, 'accepted');
      const hits = await reg.searchSkills(q);
      assert.equal(hits[0]?.skill.ref, 'it/device-repair');
      const laptop = hits.find((x) => x.skill.ref === 'it/laptop-request');
      assert.ok(!laptop || laptop.why.some((w) => w.detail?.startsWith('demoted')), JSON.stringify(laptop?.why));
      const mine = (await reg.learnedExamples('it/laptop-request')).filter((e) => e.text === q);
      assert.deepEqual(
        mine.map((e) => e.polarity),
        ['negative'],
      );
    });

    it('keeps the newest examples only, each cut to one bounded line', async () => {
      const n = KEEP.routed.positive + 5;
      for (let i = 0; i < n; i++)
        await reg.recordRouted('workplace/facilities-issue', `the radiator number ${i} is cold`, 'accepted');
      const kept = await reg.learnedExamples('workplace/facilities-issue');
      assert.equal(kept.length, KEEP.routed.positive);
      assert.equal(kept[0]!.text, `the radiator number ${n - 1} is cold`);
      assert.ok(!kept.some((e) => e.text === 'the radiator number 0 is cold'));

      await reg.recordRouted('workplace/facilities-issue', `leak\n\u0000\u202Ein the ${'x'.repeat(5000)}`, 'accepted');
      const [long] = await reg.learnedExamples('workplace/facilities-issue');
      assert.equal(long!.text.length, MAX_EXAMPLE_CHARS);
      assert.match(long!.text, /^leak in the x+$/);
      assert.equal(await reg.recordRouted('workplace/facilities-issue', ' \n\t ', 'accepted'), false);
    });

    it('refuses an unknown skill or outcome with a typed error', async () => {
      await assert.rejects(
        reg.recordRouted('it/nope', 'hello', 'accepted'),
        (e: unknown) => isAsporaError(e) && e.code === 'SKILL_NOT_FOUND',
      );
      await assert.rejects(
        recordRouted(h.db, 'it/device-repair', 'hello', 'maybe' as never),
        (e: unknown) => isAsporaError(e) && e.code === 'BAD_REQUEST' && /accepted/.test(e.hint ?? ''),
      );
    });

    it('a rating on a message-triggered execution feeds examples; a run started otherwise does not', async () => {
      const [s] = await h.db.query<{ id: string }>(
        `SELECT id FROM skills WHERE domain = 'it' AND name = 'laptop-request'`,
      );
      const run = async (trigger: string, input: unknown) => {
        const [e] = await h.db.query<{ id: string }>(
          'INSERT INTO executions (skill_id, trigger_type, input) VALUES ($1, $2, $3::jsonb) RETURNING id',
          [s!.id, trigger, JSON.stringify(input)],
        );
        return e!.id;
      };
      await addFeedback(h.db, await run('message', { text: 'I need a bigger screen for home' }), { rating: 5 });
      await addFeedback(h.db, await run('message', { text: 'my mouse is dead' }), { rating: 1 });
      await addFeedback(h.db, await run('api', { text: 'order a dock' }), { rating: 5 });
      await addFeedback(h.db, await run('message', { text: 'so-so answer' }), { rating: 3 });
      const got = (await reg.learnedExamples('it/laptop-request')).filter((e) => e.source === 'feedback');
      assert.deepEqual(got.map((e) => [e.text, e.polarity]).sort(), [
        ['I need a bigger screen for home', 'positive'],
        ['my mouse is dead', 'negative'],
      ]);
    });
  });
}

describe('cleanExample', () => {
  it('collapses whitespace and control/format characters and bounds the length', () => {
    assert.equal(cleanExample('  a\r\n\tb\u200B c  '), 'a b c');
    assert.equal(cleanExample(null), '');
    assert.equal(cleanExample('y'.repeat(10_000)).length, MAX_EXAMPLE_CHARS);
  });
});
