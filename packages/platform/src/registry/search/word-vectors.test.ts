import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { SkillRegistry } from '../skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from '../test-support.ts';
import { cosine } from './vectors.ts';
import { COMMON_DIRECTIONS, principalDirections, WORD_VECTORS_DIR, WordVectorEmbedder } from './word-vectors.ts';

const wv = new WordVectorEmbedder();
const sim = (a: string, b: string) => cosine(wv.embedOne(a), wv.embedOne(b));

describe('word vectors shipped on disk', () => {
  it('puts requests that mean the same closer than unrelated ones, without shared words', () => {
    assert.ok(
      sim('my notebook screen cracked', 'laptop display broken') >
        sim('my notebook screen cracked', 'approve supplier invoice'),
    );
    assert.ok(sim('coupon rejected', 'promo code invalid') > sim('coupon rejected', 'server disk capacity'));
  });

  it("drops the table's common directions, so unrelated texts no longer look alike", () => {
    const common = JSON.parse(readFileSync(`${WORD_VECTORS_DIR}/common.json`, 'utf8')) as number[][];
    const v = wv.embedOne('the quarterly revenue forecast for the board');
    for (const c of common) assert.ok(Math.abs(cosine(v, c)) < 1e-4, 'no component left along a common direction');
    // Before the removal these sat at 0.6–0.7, as close as most related pairs.
    assert.ok(sim('approve supplier invoice', 'my wifi keeps dropping') < 0.2);
    assert.ok(sim('approve supplier invoice', 'sign off on the vendor bill') > 0.4);
  });

  it('ships the directions the table yields (common.json is in step with vectors.i8)', () => {
    const bytes = readFileSync(`${WORD_VECTORS_DIR}/vectors.i8`);
    const words = readFileSync(`${WORD_VECTORS_DIR}/words.txt`, 'utf8').split('\n').filter(Boolean).length;
    const derived = principalDirections(
      new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length),
      words,
      COMMON_DIRECTIONS,
    );
    const shipped = JSON.parse(readFileSync(`${WORD_VECTORS_DIR}/common.json`, 'utf8')) as number[][];
    assert.equal(shipped.length, COMMON_DIRECTIONS);
    // Same direction up to rounding (6 digits); the sign of an eigenvector is arbitrary.
    for (const [i, d] of derived.entries()) assert.ok(Math.abs(cosine(d, shipped[i]!)) > 0.99999, `direction ${i}`);
  });

  it('ignores stopwords and unknown words, and bounds what it reads', () => {
    assert.ok(wv.embedOne('please can you the of').every((x) => x === 0));
    assert.ok(wv.embedOne('zzqxv-unknown qqqq').every((x) => x === 0));
    const huge = 'laptop '.repeat(200_000);
    const t = performance.now();
    const v = wv.embedOne(huge);
    assert.ok(performance.now() - t < 200, 'a megabyte of text is cut, not read');
    assert.ok(cosine(v, wv.embedOne('laptop')) > 0.99);
  });
});

for (const backend of BACKENDS.slice(0, 1)) {
  describe(`hybrid search with the local word vectors (${backend.name})`, () => {
    let h: Harness;
    let reg: SkillRegistry;
    before(async () => {
      h = await backend.open();
      reg = new SkillRegistry(h.db, { logger: { warn() {}, info() {} }, embedder: wv });
      await reg.registerVersion(
        skillInput('it', 'device-repair', { description: 'Repairs a broken laptop or monitor.' }),
      );
      await reg.registerVersion(
        skillInput('finance', 'invoice-approval', { description: 'Routes supplier invoices for approval.' }),
      );
      // Registered without vectors (as before the local embedder existed): embedded on demand.
      await new SkillRegistry(h.db, { logger: { warn() {}, info() {} } }).registerVersion(
        skillInput('customer', 'cashback-promo', { description: 'Applies promotional discount codes on transfers.' }),
      );
    });
    after(() => h?.cleanup());

    it('finds a skill by meaning when a word matches it lexically nowhere, and says so', async () => {
      const hits = await reg.searchSkills('my notebook is damaged');
      assert.equal(hits[0]?.skill.ref, 'it/device-repair');
      assert.ok(hits[0]!.why.some((w) => w.field === 'semantic'));
    });

    it('embeds versions stored without a vector on demand', async () => {
      // "voucher" is in no skill's text: the promo skill can only come through its vector.
      const hits = await reg.searchSkills('voucher');
      const promo = hits.find((x) => x.skill.ref === 'customer/cashback-promo');
      assert.ok(promo, JSON.stringify(hits.map((x) => x.skill.ref)));
      assert.deepEqual(
        promo.why.map((w) => w.field),
        ['semantic'],
      );
      assert.equal(hits[0]?.skill.ref, 'customer/cashback-promo');
    });
  });
}
