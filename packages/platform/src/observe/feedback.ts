/**
 * Feedback on executions: a rating (1–5) and a correction. Every correction becomes a regression
 * case of the skill: `aspora feedback export <skill>` writes them as a promptfoo test-case file
 * (the input as vars, the correction as an llm-rubric assertion), to run before the next deploy.
 */
import { stringify } from 'yaml';
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/index.ts';
import { learnFromFeedback } from '../registry/search/learned.ts';
import { isExecutionId } from './executions.ts';
import type { Feedback } from '@aspora/api';

export interface FeedbackInput {
  rating?: number | undefined;
  correction?: string | undefined;
  author?: string | undefined;
}

/** What the API returns for a feedback entry: the contract's Feedback. */
export type FeedbackRecord = Feedback;

export async function addFeedback(db: Db, executionId: string, f: FeedbackInput): Promise<FeedbackRecord> {
  if (f.rating === undefined && !f.correction)
    throw new AsporaError('BAD_REQUEST', 'feedback needs a rating or a correction', {
      hint: 'aspora feedback <id> --rating 1..5 --correction "…"',
    });
  if (f.rating !== undefined && (!Number.isInteger(f.rating) || f.rating < 1 || f.rating > 5))
    throw new AsporaError('BAD_REQUEST', `rating must be a whole number from 1 to 5, not ${f.rating}`);
  if (f.correction !== undefined && f.correction.length > 20_000)
    throw new AsporaError('BAD_REQUEST', 'a correction is at most 20,000 characters');
  const [e] = isExecutionId(executionId)
    ? await db.query<{ skill_id: string; started_at: string }>(
        'SELECT skill_id, started_at FROM executions WHERE id = $1',
        [executionId],
      )
    : [];
  if (!e)
    throw new AsporaError('NOT_FOUND', `no execution ${executionId}`, {
      hint: 'execution ids are printed by aspora run and listed by aspora logs',
    });
  const [row] = await db.transaction(async (tx) => {
    const ins = await tx.query<{ id: number }>(
      'INSERT INTO feedback (execution_id, skill_id, rating, correction, author) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [executionId, e.skill_id, f.rating ?? null, f.correction ?? null, f.author ?? null],
    );
    const [prev] = await tx.query<{ user_rating: number | null }>(
      'SELECT user_rating FROM executions WHERE id = $1 FOR UPDATE',
      [executionId],
    );
    await tx.query(
      'UPDATE executions SET user_rating = COALESCE($2, user_rating), user_correction = COALESCE($3, user_correction) WHERE id = $1',
      [executionId, f.rating ?? null, f.correction ?? null],
    );
    // Satisfaction counts an execution's latest rating. A final hour's rollup is adjusted here; an
    // hour not final yet reads the rating from the row when it is summed.
    if (f.rating !== undefined) {
      const old = prev?.user_rating ?? null;
      await tx.query(
        `UPDATE execution_rollups r SET ratings = r.ratings + $3, rating_sum = r.rating_sum + $4
         FROM rollup_hours h WHERE h.hour = r.hour AND r.skill_id = $1 AND r.hour = date_trunc('hour', $2::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
        [e.skill_id, e.started_at, old === null ? 1 : 0, f.rating - (old ?? 0)],
      );
    }
    return ins;
  });
  // A rating on a message-triggered execution teaches discovery which skill that message wanted.
  await learnFromFeedback(db, executionId, f.rating);
  return (await listFeedback(db, { id: row!.id }))[0]!;
}

export async function listFeedback(
  db: Db,
  o: { ref?: string; id?: number; limit?: number; corrections?: boolean; refs?: string[] | undefined },
): Promise<FeedbackRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (o.id !== undefined) params.push(o.id), where.push(`f.id = $${params.length}`);
  if (o.ref) {
    const [d, n] = o.ref.split('/');
    params.push(d, n);
    where.push(`s.domain = $${params.length - 1} AND s.name = $${params.length}`);
  }
  if (o.refs) params.push(o.refs), where.push(`(s.domain || '/' || s.name) = ANY($${params.length})`);
  if (o.corrections) where.push('f.correction IS NOT NULL');
  params.push(Math.min(Math.max(o.limit ?? 50, 1), 10_000));
  const rows = await db.query<Record<string, any>>(
    `SELECT f.*, s.domain, s.name, e.input, e.result, e.error_code, e.error_message, e.user_id FROM feedback f
       JOIN skills s ON s.id = f.skill_id JOIN executions e ON e.id = f.execution_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY f.created_at DESC, f.id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    executionId: r.execution_id,
    ref: `${r.domain}/${r.name}`,
    rating: r.rating,
    correction: r.correction,
    author: r.author,
    createdAt: new Date(r.created_at).toISOString(),
    input: r.input,
    result: r.result,
    userId: r.user_id ?? null,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
  }));
}

/** promptfoo test cases (a YAML list of {description, vars, assert, metadata}) from the corrections of a skill. */
export function promptfooCases(ref: string, items: FeedbackRecord[]): string {
  const cases = items
    .filter((f) => f.correction)
    .map((f) => {
      const input = (f.input ?? {}) as { userMessage?: string; metadata?: unknown };
      const previous =
        (f.result as { message?: string } | null)?.message ??
        (f.error ? `${f.error.code}: ${f.error.message}` : undefined);
      return {
        description: `${ref} · execution ${f.executionId}${f.rating ? ` (rated ${f.rating}/5)` : ''}: ${oneLine(f.correction!)}`,
        vars: {
          userMessage: input.userMessage ?? '',
          metadata: input.metadata ?? {},
        },
        assert: [{ type: 'llm-rubric', value: f.correction }],
        metadata: {
          skill: ref,
          executionId: f.executionId,
          rating: f.rating,
          author: f.author,
          createdAt: f.createdAt,
          // The execution's end user (the input names no user: anyone could write one there).
          ...(f.userId ? { user: f.userId } : {}),
          ...(previous ? { previousOutput: previous } : {}),
        },
      };
    });
  return `# promptfoo test cases from the corrections of ${ref} (aspora feedback export ${ref})\n# Use as tests: file://<this file> in promptfooconfig.yaml.\n${stringify(cases, { lineWidth: 0 })}`;
}

const oneLine = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}…` : s).replace(/\s+/g, ' ');
