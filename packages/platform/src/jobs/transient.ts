/**
 * Error codes that say "not now" to a job's attempt (the database or a dependency busy or down):
 * the attempt fails and the job engine retries it with backoff. Any other code is final.
 */
const TRANSIENT = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']);

/** Whether `code` is "not now", counting `more`, the codes a job of its own kind also waits out. */
export function isTransient(code: string, more: readonly string[] = []): boolean {
  return TRANSIENT.has(code) || more.includes(code);
}
