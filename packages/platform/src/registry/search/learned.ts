/**
 * Learned examples: what people actually asked a skill for. The messages route reports each routed
 * message's outcome here (recordRouted); feedback on a message-triggered execution does too
 * (fromFeedback); deploy adds a configured model's example requests (doc2query). Search indexes the
 * kept positives of a skill beside its own text (weight C) and demotes a skill whose kept negatives
 * match a request better than its positive text, as it does for "Do NOT use for …".
 *
 * Bounded on purpose — these texts come from users: each example is cut to 500 characters and
 * collapsed to one line, a skill keeps its newest KEEP[polarity/source] examples, and the per-skill
 * row search reads is rebuilt from those only.
 */
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../../db/types.ts';
import { findSkill } from '../lookup.ts';

export type RoutedOutcome = 'accepted' | 'rated-good' | 'corrected' | 'rated-bad';
export type ExampleSource = 'routed' | 'feedback' | 'doc2query';
export type Polarity = 'positive' | 'negative';

export const MAX_EXAMPLE_CHARS = 500;
/** Newest examples kept per skill, by source and polarity. */
export const KEEP: Record<ExampleSource, Record<Polarity, number>> = {
  routed: { positive: 100, negative: 50 },
  feedback: { positive: 100, negative: 50 },
  doc2query: { positive: 20, negative: 0 },
};

const POLARITY: Record<RoutedOutcome, Polarity> = {
  accepted: 'positive',
  'rated-good': 'positive',
  corrected: 'negative',
  'rated-bad': 'negative',
};

/** One line, no control characters, at most MAX_EXAMPLE_CHARS; '' when nothing is left. */
export function cleanExample(text: unknown): string {
  return String(text ?? '')
    .slice(0, MAX_EXAMPLE_CHARS * 4)
    .replace(/[\p{Cc}\p{Cf}\s]+/gu, ' ')
    .trim()
    .slice(0, MAX_EXAMPLE_CHARS)
    .trim();
}

/**
 * Records how a routed message turned out for `skill` (a ref, domain/name): accepted or rated well →
 * a positive example of that skill; corrected or rated badly → a negative one. Returns whether
 * anything was recorded (a blank text is not).
 */
export async function recordRouted(
  db: Db,
  skill: string,
  text: string,
  outcome: RoutedOutcome,
  source: Exclude<ExampleSource, 'doc2query'> = 'routed',
): Promise<boolean> {
  const polarity = POLARITY[outcome];
  if (!polarity)
    throw new AsporaError('BAD_REQUEST', `unknown routing outcome "${String(outcome)}"`, {
      hint: `use one of ${Object.keys(POLARITY).join(', ')}`,
    });
  const example = cleanExample(text);
  if (!example) return false;
  await db.transaction(async (tx) => {
    const s = await findSkill(tx, skill, { lock: true });
    await insertExample(tx, s.id, polarity, source, example);
  });
  return true;
}

/** The text of a message that triggered an execution: what the messages route stores as input. */
export function messageText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input && typeof input === 'object') {
    const o = input as Record<string, unknown>;
    for (const k of ['text', 'message']) if (typeof o[k] === 'string') return o[k];
  }
  return '';
}

/**
 * Feedback with a rating on an execution a message triggered: rated 4–5 → the message is a positive
 * example of the skill, 1–2 → a negative one; 3 says nothing about the routing. A correction alone
 * corrects the answer, not the choice of skill (re-routing is the messages route's recordRouted).
 */
export async function learnFromFeedback(db: Db, executionId: string, rating: number | undefined): Promise<boolean> {
  if (rating === undefined || rating === 3) return false;
  const [e] = await db.query<{ skill_id: string; trigger_type: string | null; input: unknown }>(
    'SELECT skill_id, trigger_type, input FROM executions WHERE id = $1',
    [executionId],
  );
  if (e?.trigger_type !== 'message') return false;
  const example = cleanExample(messageText(e.input));
  if (!example) return false;
  await db.transaction(async (tx) => {
    const [s] = await tx.query<{ id: string }>('SELECT id FROM skills WHERE id = $1 FOR UPDATE', [e.skill_id]);
    if (s) await insertExample(tx, s.id, rating >= 4 ? 'positive' : 'negative', 'feedback', example);
  });
  return true;
}

async function insertExample(tx: Db, skillId: string, polarity: Polarity, source: ExampleSource, text: string) {
  await tx.query(
    `INSERT INTO skill_examples (skill_id, polarity, source, text) VALUES ($1, $2, $3, $4)
     ON CONFLICT (skill_id, text) DO UPDATE SET polarity = excluded.polarity, source = excluded.source, created_at = now()`,
    [skillId, polarity, source, text],
  );
  await rebuild(tx, skillId);
}

/** Replaces a skill's model-written examples (doc2query, at deploy of a new version). */
export async function replaceGenerated(db: Db, skill: string, texts: string[]): Promise<number> {
  const kept = [...new Set(texts.map(cleanExample).filter(Boolean))].slice(0, KEEP.doc2query.positive);
  await db.transaction(async (tx) => {
    const s = await findSkill(tx, skill, { lock: true });
    await tx.query(`DELETE FROM skill_examples WHERE skill_id = $1 AND source = 'doc2query'`, [s.id]);
    if (kept.length)
      // A text users already gave a verdict on keeps that verdict.
      await tx.query(
        `INSERT INTO skill_examples (skill_id, polarity, source, text)
         SELECT $1, 'positive', 'doc2query', t FROM unnest($2::text[]) AS t ON CONFLICT (skill_id, text) DO NOTHING`,
        [s.id, kept],
      );
    await rebuild(tx, s.id);
  });
  return kept.length;
}

export interface LearnedExample {
  text: string;
  polarity: Polarity;
  source: ExampleSource;
  createdAt: string;
}

export async function listExamples(db: Db, skill: string): Promise<LearnedExample[]> {
  const s = await findSkill(db, skill);
  const rows = await db.query<{ text: string; polarity: Polarity; source: ExampleSource; created_at: unknown }>(
    'SELECT text, polarity, source, created_at FROM skill_examples WHERE skill_id = $1 ORDER BY id DESC',
    [s.id],
  );
  return rows.map((r) => ({
    text: r.text,
    polarity: r.polarity,
    source: r.source,
    createdAt: new Date(String(r.created_at instanceof Date ? r.created_at.toISOString() : r.created_at)).toISOString(),
  }));
}

/** Drops what is over the bounds, then rewrites the one row search reads. Caller holds the skill lock. */
async function rebuild(tx: Db, skillId: string): Promise<void> {
  await tx.query(
    `DELETE FROM skill_examples e USING (
       SELECT id, row_number() OVER (PARTITION BY polarity, source ORDER BY id DESC) AS n, polarity, source
       FROM skill_examples WHERE skill_id = $1) r
     WHERE e.id = r.id AND r.n > (($2::jsonb -> r.source) ->> r.polarity)::int`,
    [skillId, JSON.stringify(KEEP)],
  );
  await tx.query(
    `INSERT INTO skill_search_learned (skill_id, positive, negative)
     SELECT $1,
       coalesce(string_agg(text, E'\\n' ORDER BY id) FILTER (WHERE polarity = 'positive'), ''),
       coalesce(string_agg(text, E'\\n' ORDER BY id) FILTER (WHERE polarity = 'negative'), '')
     FROM skill_examples WHERE skill_id = $1
     ON CONFLICT (skill_id) DO UPDATE SET positive = excluded.positive, negative = excluded.negative`,
    [skillId],
  );
}
