/**
 * Slack deliveries already taken (slack_deliveries): the first insert of a key wins in every
 * process sharing the database. Keys: `sig:<signature>` (a replayed request inside the window),
 * `event:<event_id>` (Slack redelivers an event it believes unacknowledged) and
 * `trigger:<trigger_id>` (a command or a press); the last two are claimed in the transaction that
 * queues the delivery's job (inbound.ts), so a claim never stands without its job.
 */
import type { Db } from '../../db/index.ts';

/** Rows older than this go (the signature window is 5 minutes; Slack retries within about an hour). */
const KEEP_MS = 24 * 3600_000;
const PRUNE_EVERY_MS = 10 * 60_000;

export class SlackDeliveries {
  #lastPrune = 0;

  constructor(private readonly db: Db) {}

  /** True the first time a key is seen; false for a repeat. `db`: a transaction to claim it in. */
  async first(key: string, db: Db = this.db): Promise<boolean> {
    const rows = await db.query(
      'INSERT INTO slack_deliveries (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING key',
      [key.slice(0, 200)],
    );
    this.#prune();
    return rows.length === 1;
  }

  #prune(): void {
    const now = Date.now();
    if (now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    void this.db
      .query(`DELETE FROM slack_deliveries WHERE received_at < now() - ($1::int * interval '1 millisecond')`, [KEEP_MS])
      .catch(() => undefined);
  }
}
