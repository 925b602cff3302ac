import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import type { ApiDeps } from '../deps.ts';
import { callerLabel, canManageTeam } from '../../access/principal.ts';
import { callerOf } from '../caller.ts';

/** Releases (issue 17): the list, promote now, the shadow report. Deploy and rollback are in skills.ts. */
export function releaseRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { releases, skillAccess } = deps;

  app.openapi(createRoute(routes.listReleases), async (c) => {
    const { domain, name } = c.req.valid('param');
    const { environment, limit } = c.req.valid('query');
    const ref = `${domain}/${name}`;
    await skillAccess.requireVisible(callerOf(c), ref);
    const list = await releases.list(ref, { ...(environment ? { environment } : {}), limit });
    return c.json({ ref, releases: list }, 200);
  });

  app.openapi(createRoute(routes.promote), async (c) => {
    const { domain, name } = c.req.valid('param');
    const { environment } = c.req.valid('json');
    const p = callerOf(c);
    const ref = `${domain}/${name}`;
    await skillAccess.requireManage(p, ref, 'promote');
    // Audited by the release store (release.promote), with the pointer move in the same transaction.
    return c.json(await releases.promote(ref, environment, callerLabel(p)), 200);
  });

  app.openapi(createRoute(routes.shadowDiff), async (c) => {
    const { domain, name } = c.req.valid('param');
    const { environment, limit } = c.req.valid('query');
    const ref = `${domain}/${name}`;
    const p = callerOf(c);
    await skillAccess.requireVisible(p, ref);
    // The compare tab's rows are the owner team's state: shown to who may read its tables.
    return c.json(await releases.shadowReport(ref, environment, limit, (team) => canManageTeam(p, team)), 200);
  });
}
