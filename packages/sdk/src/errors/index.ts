/**
 * Typed errors shared by the SDK, the platform and the CLI.
 * Every error carries a stable machine code, a message that says what happened,
 * and a hint that says what to do next. The HTTP layer maps `status`; the CLI prints `hint`.
 */
import { ApiError, type ApiErrorOptions, type ErrorCode, type Issue } from '@aspora/api';

// The codes, their default statuses, Issue and the error body are the API contract's (@aspora/api).
export { ERROR_CODES, ERROR_STATUS, isErrorCode, type ErrorCode, type ErrorBody, type Issue } from '@aspora/api';

export type AsporaErrorOptions = ApiErrorOptions;

/** The error the SDK, the platform and the CLI throw: the API's ApiError, under the SDK's name. */
export class AsporaError extends ApiError {
  constructor(code: ErrorCode, message: string, opts: AsporaErrorOptions = {}) {
    super(code, message, opts);
    this.name = 'AsporaError';
  }
}

export function isAsporaError(e: unknown): e is AsporaError {
  return e instanceof AsporaError;
}

/** `file:line:column path: message (hint)` — the one-line form used by the CLI and logs. */
export function formatIssue(i: Issue): string {
  const where = [i.file, i.line, i.line !== undefined ? i.column : undefined].filter((x) => x !== undefined).join(':');
  const path = i.path ? ` ${i.path}:` : '';
  const hint = i.hint ? `\n    hint: ${i.hint}` : '';
  return `${where}${path} ${i.message}${hint}`;
}
