/** One error shape for every failure: typed AsporaErrors keep their status; anything else is logged and becomes INTERNAL. */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApiError } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { Logger } from '../observe/logger.ts';
import { pgCode } from '../db/sqlstate.ts';

/** SQLSTATEs of text PostgreSQL cannot hold (a NUL character): the request's value, not a platform bug. */
const NUL_IN_TEXT = new Set(['22021', '22P05']);

export function toAsporaError(err: unknown): AsporaError {
  if (err instanceof AsporaError) return err;
  // The contract's own checks (a skill reference) throw its ApiError: the same code and hint.
  if (err instanceof ApiError)
    return new AsporaError(err.code, err.message, {
      status: err.status,
      hint: err.hint,
      issues: err.issues,
      details: err.details,
      cause: err,
    });
  if (err instanceof HTTPException) {
    if (err.status === 413)
      return new AsporaError('PAYLOAD_TOO_LARGE', err.message || 'request body too large', {
        hint: 'send a smaller body',
      });
    return new AsporaError('BAD_REQUEST', err.message || 'bad request', {
      status: err.status,
      hint: 'check the request against /openapi.json',
    });
  }
  if (NUL_IN_TEXT.has(pgCode(err) ?? ''))
    return new AsporaError('BAD_REQUEST', 'a value in the request contains a NUL character (\\u0000)', {
      hint: 'remove NUL characters from names, versions and text fields',
      cause: err,
    });
  // The caller gets an id, the server log the detail (host paths, internals) under it.
  const errorId = randomUUID();
  return new AsporaError('INTERNAL', `internal error (error id ${errorId})`, {
    hint: 'this is a platform bug; the server log has the details under this error id',
    details: { errorId },
    cause: err,
  });
}

export function errorResponse(c: Context, err: unknown, log: Logger): Response {
  const e = toAsporaError(err);
  if (e.status >= 500)
    log.error(
      {
        err: err instanceof Error ? err : String(err),
        path: c.req.path,
        ...(e.details?.errorId ? { errorId: e.details.errorId } : {}),
      },
      'request failed',
    );
  else log.debug({ code: e.code, path: c.req.path }, e.message);
  // The unread rest of an oversized body would be parsed as the next request: close the connection.
  if (e.status === 413) c.header('connection', 'close');
  return c.json(e.toJSON(), e.status as 400);
}

/**
 * What the HTTP adapter answers when it cannot make a Request of what came in (a backslash in the
 * path, a bad Host header: its RequestError) or the app threw outside its own error handling.
 */
export function adapterErrorResponse(err: unknown, log: Logger): Response {
  const e =
    err instanceof Error && err.name === 'RequestError'
      ? new AsporaError('BAD_REQUEST', `malformed request: ${err.message}`, {
          hint: 'send a path without backslashes (percent-encode them) and a valid Host header',
        })
      : toAsporaError(err);
  if (e.status >= 500)
    log.error(
      { err: err instanceof Error ? err : String(err), ...(e.details?.errorId ? { errorId: e.details.errorId } : {}) },
      'request failed in the HTTP adapter',
    );
  return new Response(JSON.stringify(e.toJSON()), {
    status: e.status,
    headers: { 'content-type': 'application/json' },
  });
}
