/**
 * Typed errors shared by the SDK, the platform and the CLI.
 * Every error carries a stable machine code, a message that says what happened,
 * and a hint that says what to do next. The HTTP layer maps `status`; the CLI prints `hint`.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'SKILL_MD_INVALID'
  | 'BUNDLE_INVALID'
  | 'BUNDLE_TOO_LARGE'
  | 'BUNDLE_CORRUPT'
  | 'BUNDLE_NOT_FOUND'
  | 'SKILL_NOT_FOUND'
  | 'VERSION_NOT_FOUND'
  | 'VERSION_CONFLICT'
  | 'ENVIRONMENT_EMPTY'
  | 'NOTHING_TO_ROLL_BACK'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'UNAVAILABLE'
  | 'EMBEDDINGS_FAILED'
  | 'PERMISSION_DENIED'
  | 'SANDBOX_UNAVAILABLE'
  | 'HANDLER_LOAD_FAILED'
  | 'HANDLER_ERROR'
  | 'BAD_RESULT'
  | 'PROTOCOL_ERROR'
  | 'TIMEOUT'
  | 'WORKER_CRASHED'
  | 'RATE_LIMITED'
  | 'BUDGET_EXCEEDED'
  | 'UPSTREAM_ERROR'
  | 'INTERNAL';

const defaultStatus: Record<ErrorCode, number> = {
  CONFIG_INVALID: 422,
  SKILL_MD_INVALID: 422,
  BUNDLE_INVALID: 422,
  BUNDLE_TOO_LARGE: 413,
  BUNDLE_CORRUPT: 400,
  BUNDLE_NOT_FOUND: 404,
  SKILL_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  VERSION_CONFLICT: 409,
  ENVIRONMENT_EMPTY: 409,
  NOTHING_TO_ROLL_BACK: 409,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  EMBEDDINGS_FAILED: 502,
  PERMISSION_DENIED: 403,
  SANDBOX_UNAVAILABLE: 503,
  // A handler's own failure is the execution's outcome, not a failed request: the API returns the
  // execution record with 200 and these codes inside it; the statuses apply where one is thrown.
  HANDLER_LOAD_FAILED: 422,
  HANDLER_ERROR: 500,
  BAD_RESULT: 502,
  PROTOCOL_ERROR: 502,
  TIMEOUT: 504,
  WORKER_CRASHED: 502,
  RATE_LIMITED: 429,
  BUDGET_EXCEEDED: 402,
  UPSTREAM_ERROR: 502,
  INTERNAL: 500,
};

/** One problem found in a file: where it is and what to do about it. */
export interface Issue {
  file: string;
  line?: number;
  column?: number;
  /** Field path inside the file, e.g. `runtime.timeout` or `triggers[2].schedule`. */
  path?: string;
  message: string;
  hint?: string;
}

export interface AsporaErrorOptions {
  hint?: string;
  status?: number;
  issues?: Issue[];
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AsporaError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly status: number;
  readonly issues: Issue[];
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: AsporaErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AsporaError';
    this.code = code;
    this.hint = opts.hint;
    this.status = opts.status ?? defaultStatus[code];
    this.issues = opts.issues ?? [];
    this.details = opts.details;
  }

  /** The JSON body the API sends and the CLI reads back. */
  toJSON(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.hint ? { hint: this.hint } : {}),
        ...(this.issues.length ? { issues: this.issues } : {}),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export interface ErrorBody {
  error: {
    code: ErrorCode | string;
    message: string;
    hint?: string;
    issues?: Issue[];
    details?: Record<string, unknown>;
  };
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
