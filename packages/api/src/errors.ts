/**
 * Error codes of the API, written once: the SDK's AsporaError, the server's error bodies and the
 * client's ApiError all take their codes and default statuses from here.
 */
import { z } from 'zod';

/** Each code with the HTTP status it answers with unless the thrower says otherwise. */
export const ERROR_STATUS = {
  CONFIG_INVALID: 422,
  SKILL_MD_INVALID: 422,
  BUNDLE_INVALID: 422,
  BUNDLE_TOO_LARGE: 413,
  BUNDLE_CORRUPT: 400,
  BUNDLE_NOT_FOUND: 404,
  SKILL_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  VERSION_CONFLICT: 409,
  CONFLICT: 409,
  ENVIRONMENT_EMPTY: 409,
  NOTHING_TO_ROLL_BACK: 409,
  /** A release of the skill is already in flight in that environment (releases). */
  RELEASE_IN_FLIGHT: 409,
  /** Promote with no release in flight. */
  NO_RELEASE: 409,
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
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
export const ErrorCodeSchema = z.enum(ERROR_CODES).meta({ id: 'ErrorCode' });

export const isErrorCode = (s: unknown): s is ErrorCode => typeof s === 'string' && Object.hasOwn(ERROR_STATUS, s);

/** One problem found in a file: where it is and what to do about it. */
export const IssueSchema = z
  .object({
    file: z.string(),
    line: z.number().optional(),
    column: z.number().optional(),
    /** Field path inside the file, e.g. `runtime.timeout` or `triggers[2].schedule`. */
    path: z.string().optional(),
    message: z.string(),
    hint: z.string().optional(),
  })
  .meta({ id: 'Issue' });
export type Issue = z.infer<typeof IssueSchema>;

/** The body of every failed request (except the OpenAI-compatible routes, which answer in OpenAI's envelope). */
export const ErrorSchema = z
  .object({
    error: z.object({
      // A string, not the enum: a newer server may answer with a code this client does not know.
      code: z.string().meta({ example: 'VERSION_CONFLICT' }),
      message: z.string(),
      hint: z.string().optional(),
      issues: z.array(IssueSchema).optional(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

export interface ErrorBody {
  error: {
    code: ErrorCode | string;
    message: string;
    hint?: string;
    issues?: Issue[];
    details?: Record<string, unknown>;
  };
}

export interface ApiErrorOptions {
  hint?: string | undefined;
  status?: number | undefined;
  issues?: Issue[] | undefined;
  details?: Record<string, unknown> | undefined;
  cause?: unknown;
}

/**
 * A failure with a stable code, a message that says what happened and a hint that says what to do
 * next. The client throws it for every error answer; the SDK's AsporaError is this class.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly status: number;
  readonly issues: Issue[];
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: ApiErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ApiError';
    this.code = code;
    this.hint = opts.hint;
    this.status = opts.status ?? ERROR_STATUS[code] ?? 500;
    this.issues = opts.issues ?? [];
    this.details = opts.details;
  }

  /** The JSON body the API sends and the CLI prints with --json. */
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
