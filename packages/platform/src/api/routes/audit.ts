/** GET /v1/audit and /v1/audit/verify: the audit log, for admins only. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import type { Context } from 'hono';
import { forbidden, isAdmin } from '../../access/principal.ts';
import { callerOf } from '../caller.ts';
import type { ApiDeps } from '../deps.ts';

/** The middleware checked the admin scope; the holder must be an admin too (a scope alone is not). */
function requireAdmin(c: Context, action: string): void {
  const p = callerOf(c);
  if (!isAdmin(p)) throw forbidden(p, action, 'the audit log', 'only admins (with a token of the admin scope) may');
}

export function auditRoutes(app: OpenAPIHono, deps: Pick<ApiDeps, 'audit'>): void {
  app.openapi(createRoute(routes.audit), async (c) => {
    requireAdmin(c, 'read');
    return c.json({ entries: await deps.audit.query(c.req.valid('query')) }, 200);
  });

  app.openapi(createRoute(routes.verifyAudit), async (c) => {
    requireAdmin(c, 'verify');
    return c.json(await deps.audit.verify(), 200);
  });
}
