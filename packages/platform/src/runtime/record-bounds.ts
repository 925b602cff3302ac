/**
 * What of an execution is recorded, returned and logged: every text cut to its limit (visibly:
 * `… [truncated, 8,000,000 bytes]`, the size it had) and scrubbed of secrets first, so that no
 * cut ever leaves half a secret behind. Limits: protocol/limits.ts.
 */
import type { SkillResult } from '@aspora/sdk';
import type { Redactor } from '../secrets/redactor.ts';
import type { LogEntry } from '../observe/executions.ts';
import { LIMITS } from './protocol/limits.ts';
import type { ExecutionFailure, Outcome } from './worker.ts';

const fmt = (n: number) => n.toLocaleString('en-US');

/** `s` scrubbed and, past `maxBytes` (UTF-8), cut with a note of its size. */
export function capText(s: string, maxBytes: number, r: Redactor): string {
  // A UTF-16 unit is at most 3 bytes: most texts are known to fit without measuring.
  if (s.length * 3 <= maxBytes) return r.text(s);
  const bytes = Buffer.byteLength(s);
  if (bytes <= maxBytes) return r.text(s);
  // Scrubbed over a little more than is kept: a secret across the cut is replaced whole.
  return `${cutBytes(r.text(s.slice(0, maxBytes + r.longest)), maxBytes)}… [truncated, ${fmt(bytes)} bytes]`;
}

function cutBytes(s: string, maxBytes: number): string {
  if (s.length * 3 <= maxBytes || Buffer.byteLength(s) <= maxBytes) return s;
  // A character cut in half decodes to U+FFFD: dropped.
  return Buffer.from(s.slice(0, maxBytes), 'utf8')
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/** A JSON object scrubbed, or (past `maxBytes`) its JSON text cut, under `truncated`. */
function capObject(
  o: Record<string, unknown>,
  maxBytes: number,
  r: Redactor,
): { value: Record<string, unknown>; bytes: number } {
  const json = JSON.stringify(o);
  const bytes = json.length * 3 <= maxBytes ? json.length : Buffer.byteLength(json);
  if (bytes <= maxBytes) return { value: r.value(o), bytes };
  return { value: { truncated: capText(json, maxBytes, r) }, bytes: maxBytes };
}

/** Log entries of one execution: each cut to size, all within a count and a byte budget. */
export class LogBudget {
  entries = 0;
  bytes = 0;
  dropped = 0;
  droppedBytes = 0;

  constructor(private readonly r: Redactor) {}

  /** The entry as recorded, or undefined once the execution's budget is spent. */
  admit(e: LogEntry): LogEntry | undefined {
    if (this.entries >= LIMITS.logEntries || this.bytes >= LIMITS.logBytes) {
      this.dropped++;
      this.droppedBytes += e.msg.length;
      return undefined;
    }
    const msg = capText(e.msg, LIMITS.logMessageBytes, this.r);
    const fields = e.fields ? capObject(e.fields, LIMITS.logFieldsBytes, this.r) : undefined;
    const size = msg.length + (fields?.bytes ?? 0);
    if (this.bytes + size > LIMITS.logBytes) {
      this.dropped++;
      this.droppedBytes += size;
      this.bytes = LIMITS.logBytes;
      return undefined;
    }
    this.entries++;
    this.bytes += size;
    return { level: e.level, msg, ...(fields ? { fields: fields.value } : {}), source: e.source };
  }

  /** The note that closes the logs of an execution that had more than its budget. */
  note(): LogEntry | undefined {
    if (!this.dropped) return undefined;
    return {
      level: 'warn',
      msg: `[truncated: ${fmt(this.dropped)} more log entries (${fmt(this.droppedBytes)} bytes or more) over the limit of ${LIMITS.logEntries} entries and ${fmt(LIMITS.logBytes)} bytes per execution were not recorded]`,
      source: 'platform',
    };
  }
}

/** An execution's error as recorded: message, stack and details cut to size and scrubbed. */
export function boundError(e: ExecutionFailure, r: Redactor): ExecutionFailure {
  const code = r.text(String(e.code));
  const message = capText(e.message, LIMITS.errorMessageBytes, r);
  if (!e.details) return { code, message };
  const { stack, ...rest } = e.details;
  const details: Record<string, unknown> = Object.keys(rest).length
    ? capObject(rest, LIMITS.errorDetailsBytes, r).value
    : {};
  if (stack !== undefined)
    details.stack = capText(typeof stack === 'string' ? stack : JSON.stringify(stack), LIMITS.errorStackBytes, r);
  return { code, message, details };
}

/** The outcome as recorded and returned: a result larger than the limit fails the execution (a cut result would lie). */
export function boundOutcome(o: Outcome, r: Redactor): Outcome {
  if (!o.ok) return { ok: false, error: boundError(o.error, r) };
  // The line that carried it bounds its size: only a large one is measured.
  if (o.bytes === undefined || o.bytes > LIMITS.resultBytes) {
    const bytes = Buffer.byteLength(JSON.stringify(o.result));
    if (bytes > LIMITS.resultBytes) {
      return {
        ok: false,
        error: {
          code: 'BAD_RESULT',
          message: `the handler returned a result of ${fmt(bytes)} bytes (JSON); at most ${fmt(LIMITS.resultBytes)} are recorded and returned`,
          details: { bytes, limit: LIMITS.resultBytes },
        },
      };
    }
  }
  return { ok: true, result: r.value(o.result) as SkillResult };
}
