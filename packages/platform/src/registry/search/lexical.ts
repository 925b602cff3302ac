import type { Db } from '../../db/types.ts';
import { checkEnvironment } from '../ref.ts';
import type { SkillFilter } from '../queries.ts';
import { mapSummary, num, SUMMARY_SELECT } from '../rows.ts';
import type { SearchHit, SkillSummary } from '../types.ts';
import { queryWords } from './query-words.ts';

export interface LexicalHit extends SearchHit {
  skillId: string;
  versionId: string;
}

/** A lexeme in more versions than this is "broad": it scores, but doesn't pull in candidates. */
export const BROAD_DF = 1_000;

/** How many of the best-covering candidates get positional ranking (ts_rank_cd) and the demotion test. */
export const RANK_POOL = 50;

/** Weight of a query word matched only by a skill's learned examples, relative to its own text. */
export const LEARNED_SHARE = 0.5;

/*
 * Ranking, all inside one SQL statement so PGlite and PostgreSQL return identical results:
 *  - each query word → its english lexemes, quoted into a tsquery (prefix :* from 4 chars, so
 *    "suspicious" also finds "suspicion"); query syntax never reaches the tsquery parser;
 *  - idf per lexeme from search_lexemes (document frequency): matching a rare word counts more;
 *  - candidates come from the GIN index via the non-broad lexemes only (or, when every lexeme is
 *    broad, docs having all of them in name/patterns), which bounds the rows to rank at 10k+ skills;
 *  - score = 0.6·coverage + 0.4·rank/(rank+1), where coverage = idf share of the query found in the
 *    positive text and rank = ts_rank_cd with weights A (name, patterns) = 1.0, B (description,
 *    examples) = 0.4 — bounded 0..1 and comparable across queries;
 *  - demotion ×0.25 when the negative text ("Do NOT use for …", and the skill's learned negative
 *    examples) covers more of the query than the positive text: evidence the skill is the wrong one;
 *  - a skill's learned positive examples (search/learned.ts) join its text at weight C (0.2), and
 *    pull candidates in through their own GIN index;
 *  - `why` lists, per field, the query words found there.
 */
const SQL = (from: string, where: string[], p: { words: number; limit: number; broad: number; pool: number }) => `
WITH words AS (
  SELECT DISTINCT w AS word, lx
  FROM unnest($${p.words}::text[]) AS w, unnest(tsvector_to_array(to_tsvector('english', w))) AS lx
), corpus AS (
  SELECT greatest(coalesce((SELECT df FROM search_lexemes WHERE lexeme = ''), 0), 1)::float8 AS n
), quoted AS (
  SELECT lx, '''' || replace(replace(lx, '\\', '\\\\'), '''', '''''') || ''':'
    || CASE WHEN length(lx) >= 4 THEN '*' ELSE '' END AS t
  FROM (SELECT DISTINCT lx FROM words) d
), lexemes AS (
  SELECT d.lx, d.t::tsquery AS tq, (d.t || 'A')::tsquery AS tq_a, st.df::float8 > $${p.broad} AS broad,
    ln(1 + (c.n - least(st.df::float8, c.n) + 0.5) / (least(st.df::float8, c.n) + 0.5)) AS idf
  FROM quoted d CROSS JOIN corpus c
  -- Two plain conditions rather than one CASE, so that each is a primary-key range scan.
  CROSS JOIN LATERAL (
    SELECT coalesce((SELECT sum(df) FROM search_lexemes
        WHERE length(d.lx) >= 4 AND lexeme >= d.lx COLLATE "C" AND lexeme < (d.lx || chr(1114111)) COLLATE "C"), 0)
      + coalesce((SELECT df FROM search_lexemes WHERE length(d.lx) < 4 AND lexeme = d.lx COLLATE "C"), 0) AS df
  ) st
), q AS (
  SELECT string_agg(tq::text, ' | ')::tsquery AS tq, sum(idf) AS idf_total,
    coalesce(string_agg(tq::text, ' | ') FILTER (WHERE NOT broad), string_agg(tq_a::text, ' & '))::tsquery AS tq_candidates
  FROM lexemes
), word_q AS (
  SELECT w.word, string_agg(l.tq::text, ' | ')::tsquery AS tq
  FROM words w JOIN lexemes l ON l.lx = w.lx GROUP BY w.word
), matches AS (
  -- Two GIN scans, each on its own index: the versions' own text, and the skills' learned examples
  -- (skill_search_learned, migration 040) mapped to the version in scope.
  SELECT v.id FROM q, ${from} WHERE v.search_doc @@ q.tq_candidates AND ${where.join(' AND ')}
  UNION
  SELECT v.id FROM q, skill_search_learned sl, ${from}
  WHERE sl.positive_doc @@ q.tq_candidates AND v.skill_id = sl.skill_id AND ${where.join(' AND ')}
), candidates AS (
  -- Stage 1, over every GIN match: idf coverage only (cheap containment tests), with the share
  -- found in name/patterns as tie-break. Only the best few go on to positional ranking.
  SELECT v.skill_id, v.id AS version_id, c.pos_idf
  FROM q, matches m JOIN skill_versions v ON v.id = m.id
  LEFT JOIN skill_search_learned sl ON sl.skill_id = v.skill_id
  CROSS JOIN LATERAL (SELECT v.search_doc || coalesce(sl.positive_doc, ''::tsvector) AS doc) d
  CROSS JOIN LATERAL (
    -- A word found only in learned examples counts LEARNED_SHARE of one in the skill's own text:
    -- users' phrasings carry their other words too, which must not outweigh the author's text.
    SELECT coalesce(sum(l.idf * CASE WHEN v.search_doc @@ l.tq THEN 1 ELSE ${LEARNED_SHARE} END)
        FILTER (WHERE d.doc @@ l.tq), 0) AS pos_idf,
      coalesce(sum(l.idf) FILTER (WHERE v.search_doc @@ l.tq_a), 0) AS pos_idf_a
    FROM lexemes l
  ) c
  ORDER BY c.pos_idf DESC, c.pos_idf_a DESC, v.skill_id
  LIMIT $${p.pool}
), matched AS (
  SELECT c.skill_id, c.version_id, q.idf_total, c.pos_idf,
    ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', v.search_doc || coalesce(sl.positive_doc, ''::tsvector), q.tq) AS pos_rank,
    (SELECT coalesce(sum(l.idf), 0) FROM lexemes l
      WHERE (v.search_negative_doc || coalesce(sl.negative_doc, ''::tsvector)) @@ l.tq) AS neg_idf
  FROM candidates c CROSS JOIN q JOIN skill_versions v ON v.id = c.version_id
  LEFT JOIN skill_search_learned sl ON sl.skill_id = c.skill_id
), ranked AS (
  SELECT skill_id, version_id, neg_idf, pos_idf,
    (0.6 * pos_idf / idf_total + 0.4 * pos_rank / (pos_rank + 1))
      * CASE WHEN neg_idf > pos_idf THEN 0.25 ELSE 1 END AS score
  FROM matched
  ORDER BY score DESC, skill_id
  LIMIT $${p.limit}
)
SELECT r.score, r.version_id, r.neg_idf, r.pos_idf, ${SUMMARY_SELECT},
  ARRAY(SELECT word FROM word_q WHERE f.name @@ word_q.tq ORDER BY word) AS why_name,
  ARRAY(SELECT word FROM word_q WHERE f.description @@ word_q.tq ORDER BY word) AS why_description,
  ARRAY(SELECT word FROM word_q WHERE f.patterns @@ word_q.tq ORDER BY word) AS why_patterns,
  ARRAY(SELECT word FROM word_q WHERE f.examples @@ word_q.tq ORDER BY word) AS why_examples,
  ARRAY(SELECT word FROM word_q WHERE sl.positive_doc @@ word_q.tq ORDER BY word) AS why_learned,
  ARRAY(SELECT word FROM word_q
    WHERE (v.search_negative_doc || coalesce(sl.negative_doc, ''::tsvector)) @@ word_q.tq ORDER BY word) AS why_negative
FROM ranked r
JOIN skills s ON s.id = r.skill_id
JOIN skill_versions v ON v.id = r.version_id
LEFT JOIN skill_search_learned sl ON sl.skill_id = r.skill_id
CROSS JOIN LATERAL (SELECT
  to_tsvector('english', translate(v.search_name, '-_', '  ')) AS name,
  to_tsvector('english', v.search_description) AS description,
  to_tsvector('english', v.search_patterns) AS patterns,
  to_tsvector('english', v.search_examples) AS examples) f
ORDER BY r.score DESC, s.domain, s.name`;

export async function lexicalSearch(db: Db, query: string, filter: SkillFilter, limit: number): Promise<LexicalHit[]> {
  const words = queryWords(query);
  if (words.length === 0) return [];
  const params: unknown[] = [];
  const { from, where } = searchScope(filter, params);
  params.push(words, limit, BROAD_DF, Math.max(RANK_POOL, limit * 5));
  const n = params.length;
  const rows = await db.query<Record<string, unknown>>(
    SQL(from, where, { words: n - 3, limit: n - 2, broad: n - 1, pool: n }),
    params,
  );
  return rows.map((r) => toHit(r, mapSummary(r)));
}

function toHit(r: Record<string, unknown>, skill: SkillSummary): LexicalHit {
  const why: SearchHit['why'] = [];
  for (const field of ['name', 'description', 'patterns', 'examples'] as const) {
    const terms = (r[`why_${field}`] as string[] | null) ?? [];
    if (terms.length) why.push({ field, terms });
  }
  const learned = (r.why_learned as string[] | null) ?? [];
  if (learned.length) why.push({ field: 'examples', terms: learned, detail: 'learned from routed requests' });
  const negative = (r.why_negative as string[] | null) ?? [];
  if (negative.length && num(r.neg_idf) > num(r.pos_idf)) {
    // Surface the demotion on the field that carries the exclusion text.
    why.push({ field: 'description', terms: negative, detail: 'demoted: matches "Do NOT use for" text' });
  }
  return { skill, score: round(num(r.score)), why, skillId: String(r.skill_id), versionId: String(r.version_id) };
}

export const round = (x: number) => Math.round(Math.min(1, Math.max(0, x)) * 1e4) / 1e4;

/**
 * The versions search ranks, expressed on `v` alone so the GIN scan drives the query: the latest
 * version of each skill (partial index on is_latest), or the version live in an environment.
 */
function searchScope(f: SkillFilter, params: unknown[]): { from: string; where: string[] } {
  const where: string[] = [];
  let from = 'skill_versions v';
  if (f.environment) {
    params.push(checkEnvironment(f.environment));
    from = `skill_versions v JOIN environments pe ON pe.version_id = v.id AND pe.name = $${params.length}`;
    where.push('true');
  } else {
    where.push('v.is_latest');
  }
  if (f.role) {
    params.push(f.role);
    where.push(`v.role = $${params.length}`);
  }
  if (f.domain) {
    params.push(f.domain);
    where.push(`v.skill_id IN (SELECT id FROM skills WHERE domain = $${params.length})`);
  }
  return { from, where };
}
