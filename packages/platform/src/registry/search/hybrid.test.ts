import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startOpenAIStub, type OpenAIStub } from '../../../../../tools/openai-stub/src/server.ts';
import { SkillRegistry } from '../skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from '../test-support.ts';
import type { SearchHit } from '../types.ts';
import { OpenAIEmbedder, type Embedder } from './embedder.ts';
import { SEARCH_FIXTURES } from './fixtures.ts';
import { DEFAULT_SEMANTIC_WEIGHT as W } from './hybrid.ts';

const refs = (hits: SearchHit[]) => hits.map((h) => h.skill.ref);
const cosineOf = (h: SearchHit) =>
  Number(/cosine (\d\.\d\d)/.exec(h.why.find((w) => w.field === 'semantic')?.detail ?? '')?.[1] ?? 0);

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, warn: (_: object, msg: string) => void warnings.push(msg), info() {} };
}

/** Concept vectors: words with the same meaning share an axis — semantic recall without shared words. */
class ConceptEmbedder implements Embedder {
  readonly model = 'concepts-v1';
  static readonly AXES = [
    ['block', 'blocks', 'stop', 'freeze', 'halt'],
    ['suspicious', 'fraud', 'dodgy', 'fraudulent', 'shady'],
    ['payment', 'transaction', 'transactions', 'purchase', 'charge'],
    ['refund', 'chargeback', 'chargebacks', 'dispute', 'disputes', 'money-back'],
    ['ticket', 'tickets', 'queue', 'backlog'],
  ];
  async embed(texts: string[]) {
    return texts.map((t) => {
      const words = t.toLowerCase().split(/[^a-z-]+/);
      return ConceptEmbedder.AXES.map((axis) => words.filter((w) => axis.includes(w)).length);
    });
  }
}

for (const backend of BACKENDS) {
  describe(`hybrid search (${backend.name})`, () => {
    let h: Harness;
    let stub: OpenAIStub;
    let hybrid: SkillRegistry;
    let lexical: SkillRegistry;
    const log = recordingLogger();
    before(async () => {
      h = await backend.open();
      stub = await startOpenAIStub({ port: 0 });
      const embedder = new OpenAIEmbedder({
        baseURL: stub.url,
        apiKey: 'test',
        model: 'stub-embed-256',
        maxRetries: 0,
      });
      hybrid = new SkillRegistry(h.db, { embedder, logger: log });
      lexical = new SkillRegistry(h.db, { logger: log });
      for (const f of SEARCH_FIXTURES) await hybrid.registerVersion(f);
    });
    after(async () => {
      await stub?.close();
      await h?.cleanup();
    });

    it('stores an embedding per version at registration', async () => {
      const v = await hybrid.getVersion('fraud/block-transaction', '1.0.0');
      assert.equal(v.hasEmbedding, true);
      const [row] = await h.db.query<{ n: number; model: string }>(
        `SELECT array_length(embedding, 1) AS n, embedding_model AS model FROM skill_versions WHERE embedding IS NOT NULL LIMIT 1`,
      );
      assert.deepEqual([Number(row?.n), row?.model], [256, 'stub-embed-256']);
    });

    it('fuses lexical and cosine scores and explains the semantic part', async () => {
      const lex = await lexical.searchSkills('block a suspicious payment');
      const hyb = await hybrid.searchSkills('block a suspicious payment');
      assert.equal(hyb[0]?.skill.ref, 'fraud/block-transaction');
      const sem = hyb[0]!.why.find((w) => w.field === 'semantic');
      assert.match(sem?.detail ?? '', /^cosine \d\.\d\d$/);
      assert.ok(
        hyb[0]!.why.some((w) => w.field === 'patterns'),
        'lexical reasons are kept',
      );
      // (1 − w) × lexical + w × cosine; the OpenAI embedder sets no weight of its own
      const expected = (1 - W) * lex[0]!.score + W * cosineOf(hyb[0]!);
      assert.ok(Math.abs(hyb[0]!.score - expected) < 0.01, `${hyb[0]!.score} vs ${expected}`);
      const refund = await hybrid.searchSkills('refund dispute for a customer');
      assert.equal(refund[0]?.skill.ref, 'fraud/dispute-chargeback');
    });

    it('changes the ranking: lexical ties are broken by similarity', async () => {
      const lex = await lexical.searchSkills('google sheets');
      assert.equal(lex.length, 3);
      assert.equal(new Set(lex.map((x) => x.score)).size, 1, 'lexically a three-way tie');
      const hyb = await hybrid.searchSkills('google sheets');
      assert.deepEqual(refs(hyb).sort(), refs(lex).sort());
      const cos = hyb.map(cosineOf);
      assert.deepEqual(
        cos,
        [...cos].sort((a, b) => b - a),
        'ordered by cosine within the tie',
      );
      assert.ok(cos[0]! > cos[2]!);
    });

    it('falls back to lexical when the embeddings call fails at search time', async () => {
      const expected = await lexical.searchSkills('refund dispute for a customer');
      stub.failNext(5);
      const before = log.warnings.length;
      const hits = await hybrid.searchSkills('refund dispute for a customer');
      stub.failNext(0);
      assert.deepEqual(hits, expected);
      assert.ok(log.warnings.length > before, 'a warning is logged');
    });

    it('stores NULL and goes on when embedding fails at registration', async () => {
      stub.failNext(5);
      const res = await hybrid.registerVersion(
        skillInput('payments', 'freeze-card', {
          description: 'Freezes a lost or stolen card.',
          patterns: ['freeze my card'],
        }),
      );
      stub.failNext(0);
      assert.equal(res.created, true);
      assert.equal(res.version.hasEmbedding, false);
      const hits = await hybrid.searchSkills('freeze card');
      assert.equal(hits[0]?.skill.ref, 'payments/freeze-card');
      assert.ok(!hits[0]!.why.some((w) => w.field === 'semantic'), 'no vector, no semantic reason');
    });

    it('semantic recall finds skills that share no words with the query', async () => {
      const concepts = new SkillRegistry(h.db, { embedder: new ConceptEmbedder(), logger: log });
      for (const f of SEARCH_FIXTURES) {
        await concepts.registerVersion({
          ...f,
          version: '1.0.1',
          bundle: { ...f.bundle, digest: f.bundle.digest.replace(/.$/, 'f') },
        });
      }
      const query = 'halt this shady purchase';
      assert.deepEqual(await lexical.searchSkills(query), [], 'no lexical overlap');
      const hits = await concepts.searchSkills(query);
      assert.equal(hits[0]?.skill.ref, 'fraud/block-transaction');
      assert.deepEqual(
        hits[0]!.why.map((w) => w.field),
        ['semantic'],
      );
      // Stopword-only queries still return nothing, whatever embeds nearest.
      assert.deepEqual(await concepts.searchSkills('the of and'), []);
      // Filters still apply to semantic candidates.
      assert.deepEqual(await concepts.searchSkills(query, { domain: 'ecm' }), []);
    });
  });
}
