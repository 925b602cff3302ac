/**
 * Authentication and the route's scope, in front of every route: the contract says what each
 * route requires (x-aspora-access in @aspora/api's routes); object rules (visibility, owner team)
 * follow in the handlers. Only `open` routes pass without a token.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { type RouteAccess, routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { AccessControl } from '../access/index.ts';
import { forbidden, hasScope, isAdmin, type Principal } from '../access/principal.ts';
import type { RateLimiter } from '../rate-limits/rate-limiter.ts';
import { setCaller } from './caller.ts';
import { incomingOf, requestHeader } from './node-io.ts';

/** Failed token checks a source may make per minute before its unknown tokens are no longer checked. */
export const FAILED_CHECKS_PER_MINUTE = 20;
/** Query parameters that would carry a token into access logs, proxies and browser history. */
const TOKEN_PARAMS = ['token', 'access_token', 'api_key', 'apikey', 'key', 'auth'];

export interface AccessDeps {
  access: AccessControl;
  limiter: RateLimiter;
  /** Called on every refusal of a request without a valid token, for the audit log. */
  onDenied?: (d: { who: string; route: string; reason: string; principal?: Principal }) => void;
}

export function installAccess(app: OpenAPIHono, deps: AccessDeps, skip: ReadonlySet<string> = new Set()): void {
  app.use('*', async (c, next) => {
    const q = c.req.query();
    const carried = TOKEN_PARAMS.find((k) => k in q);
    if (carried)
      throw new AsporaError('BAD_REQUEST', `a token in the query string (${carried}=…) is refused`, {
        hint: 'send it as Authorization: Bearer <token>; query strings end up in logs',
      });
    await next();
  });
  const blocked: Blocked = new Map();
  for (const spec of Object.values(routes)) {
    if (skip.has(spec.path)) continue;
    const path = spec.path.replace(/\{(\w+)\}/g, ':$1');
    app.on(
      spec.method.toUpperCase(),
      path,
      guard(spec['x-aspora-access'], `${spec.method.toUpperCase()} ${spec.path}`, deps, blocked),
    );
  }
}

/** Sources blocked by this app, until the shared window resets. */
type Blocked = Map<string, number>;

function guard(access: RouteAccess, route: string, deps: AccessDeps, blocked: Blocked): MiddlewareHandler {
  if (access === 'open') return (_c, next) => next();
  return async (c, next) => {
    const header = requestHeader(c, 'authorization') ?? '';
    const token = bearerOf(c);
    const source = sourceOf(c);
    if (!token) {
      deps.onDenied?.({ who: source, route, reason: 'no token' });
      throw new AsporaError(
        'UNAUTHORIZED',
        header ? 'the Authorization header is not a bearer token' : 'this route requires a token',
        {
          hint: 'send Authorization: Bearer <token> (aspora login keeps one for the CLI; aspora up logs the local CLI in)',
        },
      );
    }
    const auth = deps.access.auth;
    // The block first: known() hashes the token, which check() does again; most sources are not blocked.
    if ((blocked.get(source) ?? 0) > Date.now() && !auth.known(token))
      throw new AsporaError('RATE_LIMITED', `too many failed token checks from ${source}`, {
        hint: 'wait a minute; tokens are not guessable, so check which token this client sends',
      });
    const r = await auth.check(token);
    if ('refused' in r) {
      const d = await deps.limiter.hit(`auth-fail:${source}`, FAILED_CHECKS_PER_MINUTE, 60_000);
      // The limit's last allowed failure closes the door: the next unknown token is not checked
      // (waiting for a refused hit let a 21st token be checked, and only the 22nd get 429).
      if (!d.allowed || d.count >= FAILED_CHECKS_PER_MINUTE) blocked.set(source, Date.now() + d.retryAfterMs);
      if (blocked.size > 10_000) for (const [k, until] of blocked) if (until <= Date.now()) blocked.delete(k);
      deps.onDenied?.({ who: source, route, reason: `token ${r.refused}` });
      throw new AsporaError('UNAUTHORIZED', REFUSALS[r.refused], {
        hint: 'aspora login --token <token> with a current token (aspora tokens create makes one)',
      });
    }
    const p = r.principal;
    // Known before the scope is checked: a refusal is audited with the caller's name.
    setCaller(c, p);
    const allowed = access === 'any' || (access === 'admin' ? isAdmin(p) : hasScope(p, access));
    if (!allowed) {
      const rule =
        access === 'admin' ? 'admins only (an admin’s token with the admin scope)' : `needs the ${access} scope`;
      throw forbidden(p, 'call', route, rule); // audited with every FORBIDDEN, in app.ts
    }
    await next();
  };
}

const REFUSALS = {
  unknown: 'the token is not valid',
  malformed: 'the token is not valid',
  expired: 'the token has expired',
  revoked: 'the token was revoked',
} as const;

/** The bearer token of a request ('' without one). */
export function bearerOf(c: Context): string {
  const header = requestHeader(c, 'authorization') ?? '';
  return /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : '';
}

function sourceOf(c: Context): string {
  return incomingOf(c)?.socket.remoteAddress ?? 'unknown';
}
