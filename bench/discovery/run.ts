/**
 * Discovery benchmark: recall@1 / recall@5 on the labelled set (bench/discovery/skills.txt, split
 * into a tuning and a held-out half by a hash), before (the search as of decision 004) and after
 * (decision 015), and search latency over 1,000 skills. Everything runs on embedded PGlite.
 *   npm run bench:discovery [-- --misses]
 *   npm run bench:discovery -- --tuning [--misses]   # tuning half only, no latency: what tuning may look at
 */
import { openDb } from '../../packages/platform/src/db/index.ts';
import type { Db } from '../../packages/platform/src/db/types.ts';
import { migrate } from '../../packages/platform/src/db/migrate.ts';
import { SkillRegistry } from '../../packages/platform/src/registry/skill-registry.ts';
import type { Embedder } from '../../packages/platform/src/registry/search/embedder.ts';
import { SentenceEncoderEmbedder } from '../../packages/platform/src/registry/search/sentence-encoder.ts';
import { WordVectorEmbedder } from '../../packages/platform/src/registry/search/word-vectors.ts';
import { percentile, round } from '../registry/stats.ts';
import { makeSkill, rng } from '../registry/synthetic.ts';
import { lexicalSearch as baselineSearch } from './baseline-lexical.ts';
import { type LabelledRequest, loadDataset, registerInput } from './dataset.ts';

const args = process.argv.slice(2);
const step = (s: string) => process.stderr.write(`… ${s}\n`);
const quiet = { warn() {}, info() {} };
const { skills, requests } = loadDataset();
// --tuning: the held-out half is neither scored nor printed (issue 16: never tune on it).
const tuningOnly = args.includes('--tuning');
const halves = tuningOnly ? (['tuning'] as const) : (['tuning', 'heldout'] as const);

type Search = (q: string) => Promise<string[]>;
type Vectors = 'off' | 'words' | 'sentences';
interface Variant {
  name: string;
  vectors: Vectors;
  learnTuning: boolean;
  baseline?: boolean;
}
const VARIANTS: Variant[] = [
  { name: 'before: lexical (decision 004)', vectors: 'off', learnTuning: false, baseline: true },
  { name: 'lexical only (ASPORA_SEARCH_VECTORS=off)', vectors: 'off', learnTuning: false },
  { name: 'lexical + word vectors (=words)', vectors: 'words', learnTuning: false },
  { name: 'lexical + sentence encoder (default)', vectors: 'sentences', learnTuning: false },
  { name: 'default + tuning half learned as routed', vectors: 'sentences', learnTuning: true },
];
// One encoder for every registry of the run: it loads its model once.
const sentences = new SentenceEncoderEmbedder();
const embedders: Record<Vectors, Embedder | undefined> = {
  off: undefined,
  words: new WordVectorEmbedder(),
  sentences,
};

async function openRegistry(vectors: Vectors, extra = 0): Promise<{ db: Db; reg: SkillRegistry }> {
  const db = await openDb();
  await migrate(db);
  const embedder = embedders[vectors];
  const reg = new SkillRegistry(db, { logger: quiet, ...(embedder ? { embedder } : {}) });
  for (const s of skills) await reg.registerVersion(registerInput(s));
  const rand = rng(42);
  for (let i = 0; i < extra; i++) await reg.registerVersion(makeSkill(i, rand));
  if (extra) await db.query('VACUUM ANALYZE');
  return { db, reg };
}

function searcher(db: Db, reg: SkillRegistry, v: Variant): Search {
  return v.baseline
    ? async (q) => (await baselineSearch(db, q, {}, 5)).map((h) => h.skill.ref)
    : async (q) => (await reg.searchSkills(q, { limit: 5 })).map((h) => h.skill.ref);
}

async function recall(search: Search, set: LabelledRequest[], misses: string[]) {
  let at1 = 0;
  let at5 = 0;
  for (const r of set) {
    const refs = await search(r.text);
    const rank = refs.indexOf(r.expected);
    if (rank === 0) at1++;
    if (rank >= 0) at5++;
    else
      misses.push(
        `  [${r.half}] "${r.text}" → expected ${r.expected}, got ${refs.slice(0, 3).join(', ') || 'nothing'}`,
      );
  }
  return { at1: round(at1 / set.length, 3), at5: round(at5 / set.length, 3) };
}

const rows: Array<Record<string, string | number>> = [];
for (const v of VARIANTS) {
  step(v.name);
  const { db, reg } = await openRegistry(v.vectors);
  try {
    if (v.learnTuning)
      for (const r of requests) if (r.half === 'tuning') await reg.recordRouted(r.expected, r.text, 'accepted');
    const search = searcher(db, reg, v);
    const misses: string[] = [];
    const row: Record<string, string | number> = { variant: v.name };
    for (const h of halves) {
      const res = await recall(
        search,
        requests.filter((r) => r.half === h),
        misses,
      );
      row[`${h} r@1`] = res.at1;
      row[`${h} r@5`] = res.at5;
    }
    rows.push(row);
    if (args.includes('--misses')) console.log(`\n${v.name}: misses at 5\n${misses.join('\n')}`);
  } finally {
    await db.close();
  }
}

const SCALE = 1_000;
if (tuningOnly) {
  console.table(rows);
  process.exit(0);
}
const latency: Array<Record<string, string | number>> = [];
for (const v of VARIANTS.slice(0, 4)) {
  step(`latency over ${SCALE} skills: ${v.name}`);
  const { db, reg } = await openRegistry(v.vectors, SCALE - skills.length);
  try {
    const search = searcher(db, reg, v);
    const qs = Array.from({ length: 1_000 }, (_, i) => requests[i % requests.length]!.text);
    for (const q of qs.slice(0, 50)) await search(q); // warm-up: plans, vector cache
    const times: number[] = [];
    for (const q of qs) {
      const t = performance.now();
      await search(q);
      times.push(performance.now() - t);
    }
    latency.push({
      variant: v.name,
      'p50 ms': round(percentile(times, 50)),
      'p99 ms': round(percentile(times, 99)),
    });
  } finally {
    await db.close();
  }
}

const count = (h: string) => requests.filter((r) => r.half === h).length;
console.log(
  `\nDiscovery recall: ${skills.length} skills, ${requests.length} labelled requests (tuning ${count('tuning')}, held-out ${count('heldout')}; no model configured)`,
);
console.table(rows);
console.log(`\nSearch latency, ${SCALE} skills (${skills.length} labelled + synthetic), 1,000 searches, PGlite`);
console.table(latency);
