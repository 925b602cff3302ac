/**
 * An unexpected error on its way to a caller (an API client, a handler): the caller gets a typed
 * INTERNAL with an error id; the detail (message, stack: host paths, internals) goes to the
 * server log under that id only.
 */
import { randomUUID } from 'node:crypto';
import { AsporaError } from '@aspora/sdk';
import type { Redactor } from '../secrets/redactor.ts';
import type { Logger } from './logger.ts';

export function internalError(
  log: Logger,
  err: unknown,
  context: Record<string, unknown> = {},
  redactor?: Redactor,
): AsporaError {
  const errorId = randomUUID();
  log.error({ ...context, errorId, err: errorForLog(err, redactor) }, 'internal error');
  return new AsporaError('INTERNAL', `internal error (error id ${errorId})`, {
    hint: 'a platform admin finds what happened in the server log under this error id',
    details: { errorId },
  });
}

/** The fields pino records of an error, scrubbed of secrets. */
export function errorForLog(err: unknown, redactor?: Redactor): Record<string, unknown> {
  const scrub = (s: string) => (redactor ? redactor.text(s) : s);
  if (!(err instanceof Error)) return { message: scrub(String(err)) };
  const code = (err as NodeJS.ErrnoException).code;
  return {
    type: err.name,
    message: scrub(err.message),
    ...(err.stack ? { stack: scrub(err.stack) } : {}),
    ...(code !== undefined ? { code } : {}),
  };
}

/** A typed error that carries an unexpected cause (a failed spawn): the cause is logged under an error id the caller gets. */
export function causeWithErrorId(
  log: Logger,
  e: AsporaError,
  context: Record<string, unknown> = {},
  redactor?: Redactor,
): AsporaError {
  if (e.cause === undefined) return e;
  const errorId = randomUUID();
  log.error({ ...context, errorId, code: e.code, err: errorForLog(e.cause, redactor) }, e.message);
  return new AsporaError(e.code, `${e.message} (error id ${errorId})`, {
    ...(e.hint ? { hint: e.hint } : {}),
    details: { ...e.details, errorId },
  });
}
