/**
 * Stored vectors for versions that lack one under the current embedder: registered before it was
 * configured, under another model (an upgrade from word vectors to the sentence encoder), or while
 * an embeddings service was down. A search scores only versions with a vector of its model, so
 * until a version is filled in it is found lexically only; it is never embedded in a search's
 * path (a catalogue of 1,000 skills is ~40 s of sentence encoding).
 *
 * Runs in the background after start, a small batch at a time, yielding between batches so the
 * process keeps serving. Several processes on one database may fill the same rows at once: the
 * update is conditional, so the work is duplicated at worst, never wrong.
 */
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Db } from '../../db/types.ts';
import type { Logger } from '../log.ts';
import { embeddingText, type Embedder } from './embedder.ts';

const BATCH = 8;

export interface BackfillResult {
  embedded: number;
  failed: number;
}

export async function backfillEmbeddings(
  deps: { db: Db; embedder: Embedder; logger: Logger },
  signal?: AbortSignal,
): Promise<BackfillResult> {
  const { db, embedder, logger } = deps;
  const result: BackfillResult = { embedded: 0, failed: 0 };
  const [count] = await db.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM skill_versions WHERE embedding_model IS DISTINCT FROM $1`,
    [embedder.model],
  );
  const total = Number(count?.n ?? 0);
  if (total === 0) return result;
  const started = Date.now();
  logger.info({ versions: total, model: embedder.model }, 'embedding stored versions for search');
  // Keyset over ids: a version that keeps failing is passed over, not retried forever.
  let after = '00000000-0000-0000-0000-000000000000';
  while (!signal?.aborted) {
    const rows = await db.query<{ id: string; n: string; d: string; p: string; e: string }>(
      `SELECT v.id, v.search_name AS n, v.search_description AS d, v.search_patterns AS p, v.search_examples AS e
         FROM skill_versions v
        WHERE v.embedding_model IS DISTINCT FROM $1 AND v.id > $2
        ORDER BY v.id
        LIMIT ${BATCH}`,
      [embedder.model, after],
    );
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    let vectors: number[][];
    try {
      vectors = await embedder.embed(
        rows.map((t) => embeddingText({ name: t.n, description: t.d, patterns: [t.p], examples: [t.e] })),
      );
    } catch (err) {
      result.failed += rows.length;
      logger.warn({ err: (err as Error).message, model: embedder.model }, 'backfill: embedding failed; stopping');
      break;
    }
    for (const [i, r] of rows.entries()) {
      const v = vectors[i];
      if (!v) continue;
      await db.query(
        `UPDATE skill_versions SET embedding = $2::real[], embedding_model = $3
          WHERE id = $1 AND embedding_model IS DISTINCT FROM $3`,
        [r.id, v, embedder.model],
      );
      result.embedded++;
    }
    await yieldToLoop();
  }
  const summary = { embedded: result.embedded, failed: result.failed, ms: Date.now() - started, model: embedder.model };
  if (result.failed)
    logger.warn(summary, 'search vector backfill stopped: the rest are found lexically until a restart');
  else logger.info(summary, 'search vectors filled in');
  return result;
}

/**
 * Passes of backfillEmbeddings until one fails nothing: an embeddings service that was down, or a
 * model that failed to load, gets `passes` tries `retryMs` apart before the platform gives up
 * (until its next start).
 */
export async function backfillUntilDone(
  deps: { db: Db; embedder: Embedder; logger: Logger },
  signal?: AbortSignal,
  opts: { passes?: number; retryMs?: number } = {},
): Promise<BackfillResult> {
  const passes = opts.passes ?? 5;
  const total: BackfillResult = { embedded: 0, failed: 0 };
  for (let pass = 1; pass <= passes && !signal?.aborted; pass++) {
    const r = await backfillEmbeddings(deps, signal);
    total.embedded += r.embedded;
    total.failed = r.failed;
    if (r.failed === 0 || pass === passes) break;
    try {
      await sleep(opts.retryMs ?? 60_000, undefined, signal ? { signal } : {});
    } catch {
      break; // aborted: the platform is closing
    }
  }
  return total;
}
