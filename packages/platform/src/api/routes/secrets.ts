/**
 * A team's own secrets: list, set and remove, for its members with the deploy scope and admins.
 * Values go in (PUT) and never come out: answers, logs and errors carry names, times and who.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import { callerLabel, requireTeamManager, type Principal } from '../../access/principal.ts';
import { callerOf } from '../caller.ts';
import type { ApiDeps } from '../deps.ts';

const RULE = "a team's secrets are managed by its members with the deploy scope, and by admins";

const mayManage = (p: Principal, action: string, team: string) => requireTeamManager(p, action, team, RULE);

export function secretRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  // The platform's own credentials: admins only (the contract's scope), audited, values never out.
  app.openapi(createRoute(routes.listPlatformSecrets), async (c) =>
    c.json({ secrets: await deps.platformSecrets.list() }, 200),
  );

  app.openapi(createRoute(routes.setPlatformSecret), async (c) => {
    const { name } = c.req.valid('param');
    const by = callerLabel(callerOf(c));
    const e = await deps.platformSecrets.set(name, c.req.valid('json').value, by);
    deps.log.info({ secret: name, by }, 'platform credential sealed');
    deps.recordAudit(c, 'secret.set', 'platform', { name });
    return c.json({ name, set: true, updatedAt: e.updatedAt, updatedBy: e.updatedBy }, 200);
  });

  app.openapi(createRoute(routes.removePlatformSecret), async (c) => {
    const { name } = c.req.valid('param');
    const removed = await deps.platformSecrets.remove(name);
    if (removed) deps.recordAudit(c, 'secret.remove', 'platform', { name });
    return c.json({ removed }, 200);
  });

  app.openapi(createRoute(routes.listSecrets), async (c) => {
    const { team } = c.req.valid('param');
    mayManage(callerOf(c), 'list secrets of', team);
    const secrets = (await deps.teamSecrets.list(team)).map((s) => ({ team, ...s }));
    return c.json({ secrets }, 200);
  });

  app.openapi(createRoute(routes.setSecret), async (c) => {
    const { team, name } = c.req.valid('param');
    const p = callerOf(c);
    mayManage(p, 'set secrets of', team);
    if (deps.teamSecrets.reserved.has(name))
      throw new AsporaError(
        'FORBIDDEN',
        `${callerLabel(p)} may not set ${name} for team ${team}: ${name} is a credential of the platform (an API's auth, a model provider key or a notifier's), which no team may hold`,
        {
          hint: `choose another name for the team's secret; the platform's own credentials are set by an admin in aspora.platform.yaml`,
        },
      );
    if (!(await deps.access.directory.teamExists(team)))
      throw new AsporaError('NOT_FOUND', `no team ${team}`, { hint: `aspora teams create ${team} (admins)` });
    const { value } = c.req.valid('json');
    const by = callerLabel(p);
    const info = await deps.teamSecrets.set(team, name, value, by);
    deps.log.info({ team, secret: name, by }, 'team secret set');
    deps.recordAudit(c, 'secret.set', `team ${team}`, { name });
    return c.json({ team, ...info }, 200);
  });

  app.openapi(createRoute(routes.removeSecret), async (c) => {
    const { team, name } = c.req.valid('param');
    const p = callerOf(c);
    mayManage(p, 'remove secrets of', team);
    const removed = await deps.teamSecrets.remove(team, name);
    if (removed) {
      deps.log.info({ team, secret: name, by: callerLabel(p) }, 'team secret removed');
      deps.recordAudit(c, 'secret.remove', `team ${team}`, { name });
    }
    return c.json({ removed }, 200);
  });
}
