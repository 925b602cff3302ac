import type { Db } from '../../db/types.ts';
import type { Logger } from '../log.ts';
import { skillScope, summariesByIds, type SkillFilter } from '../queries.ts';
import type { SearchHit } from '../types.ts';
import { embeddingText, type Embedder } from './embedder.ts';
import { lexicalSearch, round, type LexicalHit } from './lexical.ts';
import { cosine, type VectorCache } from './vectors.ts';

/**
 * Lexical candidates considered for fusion, whatever the requested limit. 20, not 50: each lexical
 * row carries its per-field `why` (four to_tsvector calls), and on the labelled set's tuning half
 * pools of 10, 20 and 50 gave the same recall (bench/discovery) while 50 cost ~2.5× the lexical time.
 */
const LEXICAL_POOL = 20;
/** Below this many embedded skills in scope, every one is scored semantically (full recall). */
const SEMANTIC_SCAN_MAX = 2_000;
/**
 * Fusion: weighted sum (1 − w)·lexical + w·cosine, w the embedder's `fusionWeight` (0.5 unless it
 * says otherwise). Chosen over reciprocal rank fusion because both
 * signals are already absolute 0..1 scores and callers (routers) threshold on the score to decide
 * "no skill fits"; RRF would discard how good a match is and make the score rank-relative (and on
 * the tuning half it scored lower: 0.69–0.71 recall@5 against 0.73–0.77; per-query z-scores and
 * min-max normalisation did no better than raw scores either). The word vectors' 0.5: their
 * cosines spread from ~0.26 for an unrelated skill to ~0.52 for the right one once their common
 * directions are dropped, and the tuning half went 0.736 (0.6/0.4) → 0.766 (0.5/0.5), 0.761 at
 * 0.4/0.6, 0.721 at 0.3/0.7; the sentence encoder's weight is tuned in sentence-encoder.ts.
 * Lexical still carries the "Do NOT use" demotion and the explanation.
 */
export const DEFAULT_SEMANTIC_WEIGHT = 0.5;

export interface HybridDeps {
  db: Db;
  embedder: Embedder;
  cache: VectorCache;
  logger: Logger;
}

export async function hybridSearch(
  deps: HybridDeps,
  query: string,
  filter: SkillFilter,
  limit: number,
): Promise<SearchHit[]> {
  const { db, embedder, logger } = deps;
  const [lexical, queryVector] = await Promise.all([
    lexicalSearch(db, query, filter, Math.max(limit, LEXICAL_POOL)),
    embedder.embed([query]).then(
      (v) => v[0] ?? null,
      (err: unknown) => {
        logger.warn(
          { err: (err as Error).message, model: embedder.model },
          'query embedding failed; lexical search only',
        );
        return null;
      },
    ),
  ]);
  if (!queryVector || !(await hasLexemes(db, query, lexical))) return strip(lexical.slice(0, limit));

  const candidates = new Map<string, { skillId: string; lexical?: LexicalHit }>();
  for (const h of lexical) candidates.set(h.versionId, { skillId: h.skillId, lexical: h });
  for (const r of await scopeVersions(db, filter, embedder)) {
    if (!candidates.has(r.version_id)) candidates.set(r.version_id, { skillId: r.skill_id });
  }
  await fillCache(deps, [...candidates.keys()]);

  const wSemantic = embedder.fusionWeight ?? DEFAULT_SEMANTIC_WEIGHT;
  const fused: Array<{ versionId: string; skillId: string; score: number; cos: number; lexical?: LexicalHit }> = [];
  for (const [versionId, c] of candidates) {
    const vec = deps.cache.get(versionId);
    const cos = vec ? Math.max(0, cosine(queryVector, vec)) : 0;
    const lex = c.lexical?.score ?? 0;
    // Semantic-only candidates need some similarity to be worth listing at all.
    if (!c.lexical && cos < 0.2) continue;
    fused.push({
      versionId,
      skillId: c.skillId,
      cos,
      score: (1 - wSemantic) * lex + wSemantic * cos,
      ...(c.lexical ? { lexical: c.lexical } : {}),
    });
  }
  fused.sort((a, b) => b.score - a.score || (a.lexical?.skill.ref ?? '').localeCompare(b.lexical?.skill.ref ?? ''));
  const top = fused.slice(0, limit);

  const missing = top.filter((f) => !f.lexical).map((f) => f.skillId);
  const summaries = missing.length ? await summariesByIds(db, missing, filter) : new Map();
  const hits: SearchHit[] = [];
  for (const f of top) {
    const skill = f.lexical?.skill ?? summaries.get(f.skillId);
    if (!skill) continue;
    const why: SearchHit['why'] = [...(f.lexical?.why ?? [])];
    if (f.cos > 0) why.push({ field: 'semantic', terms: [], detail: `cosine ${f.cos.toFixed(2)}` });
    hits.push({ skill, score: round(f.score), why });
  }
  return hits;
}

/** A stopword-only query has no lexemes: return nothing rather than "whatever embeds nearest". */
async function hasLexemes(db: Db, query: string, lexical: LexicalHit[]): Promise<boolean> {
  if (lexical.length > 0) return true;
  const [r] = await db.query<{ n: unknown }>(`SELECT length(to_tsvector('english', $1)) AS n`, [query]);
  return Number(r?.n ?? 0) > 0;
}

async function scopeVersions(db: Db, filter: SkillFilter, embedder: Embedder) {
  const params: unknown[] = [];
  const { from, where } = skillScope(filter, params);
  // A local embedder scores every version in scope (fillCache embeds those without a stored vector).
  if (!embedder.local) {
    params.push(embedder.model);
    where.push(`v.embedding_model = $${params.length}`, 'v.embedding IS NOT NULL');
  }
  const rows = await db.query<{ skill_id: string; version_id: string }>(
    `SELECT s.id AS skill_id, v.id AS version_id FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} LIMIT ${SEMANTIC_SCAN_MAX + 1}`,
    params,
  );
  // Too many to scan within the latency budget: stay with the lexical candidates.
  return rows.length > SEMANTIC_SCAN_MAX ? [] : rows;
}

async function fillCache(deps: HybridDeps, versionIds: string[]): Promise<void> {
  const missing = versionIds.filter((id) => !deps.cache.get(id));
  if (missing.length === 0) return;
  const rows = await deps.db.query<{ id: string; embedding: number[] }>(
    `SELECT id, embedding FROM skill_versions WHERE id = ANY($1::uuid[]) AND embedding IS NOT NULL AND embedding_model = $2`,
    [missing, deps.embedder.model],
  );
  for (const r of rows) deps.cache.set(r.id, r.embedding.map(Number));
  if (!deps.embedder.local) return;
  // Registered before this embedder (or while it was off): embed the stored search text now, once.
  const rest = missing.filter((id) => !deps.cache.get(id));
  if (rest.length === 0) return;
  const texts = await deps.db.query<{ id: string; n: string; d: string; p: string; e: string }>(
    `SELECT id, search_name AS n, search_description AS d, search_patterns AS p, search_examples AS e
       FROM skill_versions WHERE id = ANY($1::uuid[])`,
    [rest],
  );
  const vectors = await deps.embedder.embed(
    texts.map((t) => embeddingText({ name: t.n, description: t.d, patterns: [t.p], examples: [t.e] })),
  );
  for (const [i, t] of texts.entries()) deps.cache.set(t.id, vectors[i]!);
}

const strip = (hits: LexicalHit[]): SearchHit[] => hits.map(({ skill, score, why }) => ({ skill, score, why }));
