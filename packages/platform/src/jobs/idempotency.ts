/**
 * Idempotency keys (decision 014): `(scope, key) → execution id`, claimed in the enqueue's
 * transaction. A key answers its first execution for the retention (24 h by default,
 * `jobs.idempotency_retention`); after it, the key is free again (a claim takes the old row over)
 * and rows that old are deleted in bounded batches by a periodic prune.
 */
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/index.ts';
import type { Logger } from '../observe/logger.ts';

export const DEFAULT_RETENTION_MS = 24 * 3_600_000;
/** Below this, a cron fire's safety-net job (retried for minutes) could find its slot's key gone. */
export const MIN_RETENTION_MS = 3_600_000;
const PRUNE_BATCH = 1000;
/** Batches per prune pass: a backlog is worked off over passes, never in one long statement run. */
const PRUNE_BATCHES = 20;
const PRUNE_EVERY_MS = 10 * 60_000;

export interface IdempotencyOptions {
  /** How long a key answers its first execution, ms (at least an hour). */
  retentionMs?: number;
  /** The clock (tests move it). */
  now?: () => number;
}

export class IdempotencyKeys {
  readonly retentionMs: number;
  readonly now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #pruning: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    o: IdempotencyOptions = {},
  ) {
    this.retentionMs = Math.max(o.retentionMs ?? DEFAULT_RETENTION_MS, MIN_RETENTION_MS);
    this.now = o.now ?? Date.now;
  }

  /**
   * The execution id a (scope, key) names: `id` when this call claimed it — a new key, or one whose
   * first use is older than the retention. Runs on `db` (the enqueue's transaction).
   */
  async claim(db: Db, scope: string, key: string, id: string): Promise<string> {
    const now = this.now();
    const [mine] = await db.query<{ execution_id: string }>(
      `INSERT INTO execution_idempotency (scope, key, execution_id, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (scope, key) DO UPDATE SET execution_id = EXCLUDED.execution_id, created_at = EXCLUDED.created_at
         WHERE execution_idempotency.created_at < $5
       RETURNING execution_id`,
      [scope, key, id, new Date(now), new Date(now - this.retentionMs)],
    );
    if (mine) return mine.execution_id;
    const [theirs] = await db.query<{ execution_id: string }>(
      'SELECT execution_id FROM execution_idempotency WHERE scope = $1 AND key = $2',
      [scope, key],
    );
    if (!theirs) throw new AsporaError('CONFLICT', 'the idempotency key is being used by a request still in progress');
    return theirs.execution_id;
  }

  /** Frees a key whose run was refused before it had a record. */
  async release(scope: string, key: string, id: string): Promise<void> {
    await this.db.query('DELETE FROM execution_idempotency WHERE scope = $1 AND key = $2 AND execution_id = $3', [
      scope,
      key,
      id,
    ]);
  }

  /** Deletes expired keys, a batch at a time (at most `batches` of them); resolves to the number deleted. */
  async prune(batches = PRUNE_BATCHES): Promise<number> {
    const cutoff = new Date(this.now() - this.retentionMs);
    let n = 0;
    for (let i = 0; i < batches; i++) {
      const rows = await this.db.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM execution_idempotency WHERE (scope, key) IN (
             SELECT scope, key FROM execution_idempotency WHERE created_at < $1 LIMIT ${PRUNE_BATCH})
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [cutoff],
      );
      const got = Number(rows[0]?.n ?? 0);
      n += got;
      if (got < PRUNE_BATCH) break;
    }
    return n;
  }

  /** Prunes every few minutes in this process (each process does: the deletes are idempotent and small). */
  start(log: Logger, everyMs = PRUNE_EVERY_MS): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#pruning) return;
      this.#pruning = this.prune()
        .then((n) => n && log.debug({ keys: n }, 'expired idempotency keys pruned'))
        .catch((e: unknown) => log.warn({ err: e }, 'expired idempotency keys could not be pruned; trying later'))
        .finally(() => (this.#pruning = undefined));
    }, everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pruning;
  }
}
