/**
 * The audit log: who did what to what, when, and how it ended. Append-only (014_audit.sql refuses
 * UPDATE, DELETE and TRUNCATE) and hash-chained (entry.ts), so verify() (verify.ts) finds an entry
 * that was edited, removed or inserted by someone who got past the triggers.
 *
 * record() is on the path of every deploy, token, team, secret and budget change and every denial,
 * so appends are grouped: entries recorded while a write is in flight go together in the next one
 * (one lock, one head read, one INSERT). The advisory lock keeps the chain one line when several
 * platform processes share one PostgreSQL.
 *
 * Callers pass names, never values: a secret's name is a target, its value is never a detail.
 */
import { AUDIT_OUTCOMES, type AuditEntry } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import type { Logger } from '../observe/logger.ts';
import { type AuditInput, type EntryFields, entryHash, GENESIS, normalise } from './entry.ts';
import { AUDIT_COLUMNS, type AuditRow, toEntry } from './rows.ts';
import { parseSince } from './since.ts';
import { type VerifyResult, verifyChain } from './verify.ts';

export interface AuditQueryOptions {
  /** A duration back (24h, 7d, 90m), an ISO time, or a Date. */
  since?: string | Date | undefined;
  actor?: string | undefined;
  /** An action, or a prefix ending in `*` (token.*). */
  action?: string | undefined;
  outcome?: AuditEntry['outcome'] | undefined;
  /** 1–1000, default 100. */
  limit?: number | undefined;
}

export interface AuditLogOptions {
  /** Entries per INSERT at most. */
  batch?: number;
  /** Entries waiting at most (the database is slow or down): further ones are refused, not held. */
  maxQueue?: number;
}

interface Pending {
  fields: Omit<EntryFields, 'seq' | 'at'>;
  resolve: (e: AuditEntry) => void;
  reject: (e: unknown) => void;
}

const LOCK = `SELECT pg_advisory_xact_lock(hashtext('aspora_audit:' || current_schema()))`;
// The database's clock, not each process's: one time line for every process writing.
const HEAD = `SELECT h.seq, h.hash, n.now FROM (SELECT date_trunc('milliseconds', clock_timestamp()) AS now) n
  LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) h ON true`;

export class AuditLog {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #batch: number;
  readonly #maxQueue: number;
  #queue: Pending[] = [];
  #writing: Promise<void> | undefined;

  constructor(db: Db, log: Logger, opts: AuditLogOptions = {}) {
    this.#db = db;
    this.#log = log;
    this.#batch = opts.batch ?? 100;
    this.#maxQueue = opts.maxQueue ?? 10_000;
  }

  /**
   * Appends one entry; resolves with it once committed. A failure is logged at error level here
   * and rejects: the caller decides whether its action fails with it.
   */
  record(input: AuditInput): Promise<AuditEntry> {
    const refused = this.#refusal(input);
    if (refused) this.#log.error({ err: refused, actor: input.actor, action: input.action }, 'audit entry not written');
    const written = refused
      ? Promise.reject(refused)
      : new Promise<AuditEntry>((resolve, reject) => {
          this.#queue.push({ fields: normalise(input), resolve, reject });
          this.#start();
        });
    // Logged already: a caller that does not wait (void audit.record(…)) must not crash the
    // process with an unhandled rejection when the database hiccups. Awaiting callers still see it.
    written.catch(() => {});
    return written;
  }

  /** Resolves when every entry recorded so far is written (or has failed). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Entries newest first. */
  async query(q: AuditQueryOptions = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.since !== undefined) add('at >= ?', (q.since instanceof Date ? q.since : parseSince(q.since)).toISOString());
    if (q.actor) add('actor = ?', q.actor);
    if (q.action?.endsWith('*'))
      add(`action LIKE ? ESCAPE '\\'`, `${q.action.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`);
    else if (q.action) add('action = ?', q.action);
    if (q.outcome) add('outcome = ?', q.outcome);
    params.push(Math.min(Math.max(Math.trunc(q.limit ?? 100), 1), 1000));
    const rows = await this.#db.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toEntry);
  }

  /** Walks the whole chain in pages; logs at error level when it does not hold. */
  async verify(pageSize?: number): Promise<VerifyResult> {
    const r = await verifyChain(this.#db, pageSize);
    if (!r.ok) this.#log.error({ broken: r.broken, entries: r.entries }, 'the audit log chain does not hold');
    return r;
  }

  #refusal(e: AuditInput): AsporaError | undefined {
    const why = !e.actor
      ? 'it has no actor'
      : !e.action
        ? 'it has no action'
        : !(AUDIT_OUTCOMES as readonly string[]).includes(e.outcome)
          ? `its outcome "${String(e.outcome).slice(0, 20)}" is not ok, denied or failed`
          : this.#queue.length >= this.#maxQueue
            ? `${this.#queue.length} entries are already waiting for the database`
            : undefined;
    return why
      ? new AsporaError('UNAVAILABLE', `audit entry ${String(e.action).slice(0, 100)} not written: ${why}`, {
          hint: 'the platform log has the cause; check the database if entries are waiting',
        })
      : undefined;
  }

  #start(): void {
    if (this.#writing) return;
    this.#writing = this.#drain().finally(() => {
      this.#writing = undefined;
      // recorded between the last batch and this callback
      if (this.#queue.length) this.#start();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, this.#batch);
      try {
        const written = await this.#append(batch.map((p) => p.fields));
        for (const [i, p] of batch.entries()) p.resolve(written[i]!);
      } catch (err) {
        this.#log.error(
          { err, entries: batch.map((p) => `${p.fields.actor} ${p.fields.action} ${p.fields.target ?? ''}`.trim()) },
          'audit entries could not be written',
        );
        const e = new AsporaError('UNAVAILABLE', 'the audit entry could not be written', {
          hint: 'the platform log has the cause; check the database',
          cause: err,
        });
        for (const p of batch) p.reject(e);
      }
    }
  }

  async #append(entries: Pending['fields'][]): Promise<AuditEntry[]> {
    return this.#db.transaction(async (tx) => {
      await tx.query(LOCK);
      const [head] = await tx.query<{ seq: string | number | null; hash: string | null; now: Date }>(HEAD);
      let seq = Number(head?.seq ?? 0);
      let prev = head?.hash ?? GENESIS;
      const at = new Date(head!.now).toISOString();
      const out: AuditEntry[] = [];
      const params: unknown[] = [];
      const values: string[] = [];
      for (const e of entries) {
        const f: EntryFields = { seq: ++seq, at, ...e };
        const hash = entryHash(prev, f);
        const n = params.length;
        values.push(
          `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}::jsonb, $${n + 8}, $${n + 9})`,
        );
        params.push(f.seq, f.at, f.actor, f.action, f.target, f.outcome, JSON.stringify(f.details), prev, hash);
        out.push({ ...f, hash });
        prev = hash;
      }
      await tx.query(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES ${values.join(', ')}`, params);
      return out;
    });
  }
}
