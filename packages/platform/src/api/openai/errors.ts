/**
 * OpenAI's error envelope for the OpenAI-compatible routes, so that OpenAI clients read our
 * errors as they read OpenAI's: `{error: {message, type, param, code}}` with the matching status.
 */
import type { Context } from 'hono';
import type { AsporaError } from '@aspora/sdk';

const TYPES: Record<string, { status: number; type: string; code: string }> = {
  BAD_REQUEST: { status: 400, type: 'invalid_request_error', code: 'invalid_request' },
  NOT_FOUND: { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
  SKILL_NOT_FOUND: { status: 404, type: 'invalid_request_error', code: 'skill_not_found' },
  UNAUTHORIZED: { status: 401, type: 'authentication_error', code: 'invalid_api_key' },
  RATE_LIMITED: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  BUDGET_EXCEEDED: { status: 429, type: 'insufficient_quota', code: 'budget_exceeded' },
  PAYLOAD_TOO_LARGE: { status: 413, type: 'invalid_request_error', code: 'request_too_large' },
  TIMEOUT: { status: 504, type: 'server_error', code: 'timeout' },
  UPSTREAM_ERROR: { status: 502, type: 'server_error', code: 'upstream_error' },
  UNAVAILABLE: { status: 503, type: 'server_error', code: 'unavailable' },
};

export const OPENAI_PATHS = ['/v1/chat/completions', '/v1/embeddings', '/v1/models'];

export function openaiError(c: Context, e: AsporaError): Response {
  const t = TYPES[e.code] ?? {
    status: Math.min(e.status, 500),
    type: e.status >= 500 ? 'server_error' : 'invalid_request_error',
    code: e.code.toLowerCase(),
  };
  const retry = (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (retry !== undefined) c.header('retry-after', String(retry));
  const details = e.details as { param?: string | null; code?: string } | undefined;
  // A more precise code than the status's own (model_not_found on a 400), when the error carries one.
  return c.json(
    {
      error: {
        message: e.hint ? `${e.message} (${e.hint})` : e.message,
        type: t.type,
        param: details?.param ?? null,
        code: details?.code ?? t.code,
      },
    },
    t.status as 400,
  );
}
