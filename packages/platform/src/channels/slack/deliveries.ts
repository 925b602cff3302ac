/**
 * Slack deliveries already taken (slack_deliveries): the first insert of a key wins in every
 * process sharing the database. Keys: `sig:<signature>` (a replayed request inside the window)
 * and `event:<event_id>` (Slack redelivers an event it believes unacknowledged).
 */
import type { Db } from '../../db/index.ts';

/** Rows older than this go (the signature window is 5 minutes; Slack retries within about an hour). */
const KEEP_MS = 24 * 3600_000;
const PRUNE_EVERY_MS = 10 * 60_000;

export class SlackDeliveries {
  #lastPrune = 0;

  constructor(private readonly db: Db) {}

  /** True the first time a key is seen; false for a repeat. */
  async first(key: string): Promise<boolean> {
    const rows = await this.db.query(
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
