/**
 * Walks the audit chain from seq 1 in pages (memory bounded by one page) and stops at the first
 * entry that does not hold: seqs run 1, 2, 3 … without a gap, each entry's prev_hash is the hash
 * of the one before, and each hash is the hash of its own fields.
 *
 * What it cannot see: entries cut from the end (the chain that is left is whole) — keep the head
 * it reports somewhere else and compare — and a chain rewritten from an edit onwards by someone
 * who can write the table and recompute the hashes (the hash is not keyed) — the kept head shows
 * that too, as the old head's hash no longer matches.
 */
import type { Db } from '../db/types.ts';
import { entryHash, GENESIS } from './entry.ts';
import { AUDIT_COLUMNS, type AuditRow, fieldsOf } from './rows.ts';

export interface VerifyResult {
  ok: boolean;
  /** Entries checked (all of them when ok). */
  entries: number;
  broken: { seq: number; reason: string } | null;
  /** The last entry that holds: keep its hash elsewhere to detect a later cut or rewrite. */
  head: { seq: number; hash: string } | null;
}

export async function verifyChain(db: Db, pageSize = 500): Promise<VerifyResult> {
  let expected = 1;
  let prev = GENESIS;
  let beforePrev: string | undefined;
  let entries = 0;
  let head: VerifyResult['head'] = null;
  const fail = (seq: number, reason: string): VerifyResult => ({ ok: false, entries, broken: { seq, reason }, head });

  for (let after: number | undefined; ; ) {
    const rows = await db.query<AuditRow>(
      after === undefined
        ? `SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq LIMIT $1`
        : `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq > $2 ORDER BY seq LIMIT $1`,
      after === undefined ? [pageSize] : [pageSize, after],
    );
    for (const r of rows) {
      const f = fieldsOf(r);
      if (f.seq < expected) return fail(f.seq, `entry ${f.seq} is before the start of the chain (seq 1): inserted`);
      if (f.seq > expected)
        return fail(
          expected,
          f.seq === expected + 1
            ? `entry ${expected} is missing: removed (the next entry is ${f.seq})`
            : `entries ${expected}–${f.seq - 1} are missing: removed (the next entry is ${f.seq})`,
        );
      if (r.prev_hash !== prev) {
        // The entry before this one was slipped in: this one still links to the one before that.
        if (beforePrev !== undefined && r.prev_hash === beforePrev)
          return fail(f.seq - 1, `entry ${f.seq - 1} was inserted: entry ${f.seq} links past it to entry ${f.seq - 2}`);
        return fail(
          f.seq,
          f.seq === 1
            ? 'entry 1 does not start from the genesis hash: entries before it were removed, or it was replaced'
            : `entry ${f.seq} does not link to entry ${f.seq - 1} (prev_hash differs): one of them was changed or replaced`,
        );
      }
      if (entryHash(prev, f) !== r.hash)
        return fail(f.seq, `entry ${f.seq} does not match its hash: it was changed after it was written, or put in`);
      beforePrev = prev;
      prev = r.hash;
      head = { seq: f.seq, hash: r.hash };
      expected++;
      entries++;
    }
    if (rows.length < pageSize) return { ok: true, entries, broken: null, head };
    after = expected - 1;
  }
}
