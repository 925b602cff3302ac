/** audit_log rows as both drivers return them (pg gives bigint as a string, PGlite as a number). */
import type { AuditEntry } from '@aspora/api';
import type { EntryFields } from './entry.ts';

export interface AuditRow {
  seq: string | number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  outcome: AuditEntry['outcome'];
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export const AUDIT_COLUMNS = 'seq, at, actor, action, target, outcome, details, prev_hash, hash';

/** The fields the hash covers, as read back. */
export function fieldsOf(r: AuditRow): EntryFields {
  return {
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    outcome: r.outcome,
    details: r.details,
  };
}

export function toEntry(r: AuditRow): AuditEntry {
  return { ...fieldsOf(r), hash: r.hash };
}
