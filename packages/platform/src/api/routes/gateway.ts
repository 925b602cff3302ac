import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import type { ApiDeps } from '../deps.ts';
import { modelPrefs } from '../../runtime/runtime.ts';
import { actorOf } from './actor.ts';

export function gatewayRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { gateway, registry } = deps;
  const subject = async (domain: string, name: string) => {
    const l = await registry.loadSkill(`${domain}/${name}`, {});
    const p = modelPrefs(l.version);
    return { ref: l.ref, ownerTeam: l.version.ownerTeam, monthlyLimit: p.monthlyLimit };
  };

  app.openapi(createRoute(routes.getBudget), async (c) => {
    const { domain, name } = c.req.valid('param');
    return c.json(await gateway.budgets.status(await subject(domain, name)), 200);
  });

  app.openapi(createRoute(routes.liftBudget), async (c) => {
    const { domain, name } = c.req.valid('param');
    const s = await subject(domain, name);
    const reason = ((c.req.valid('json') ?? {}) as { reason?: string }).reason;
    await gateway.budgets.lift(s.ref, actorOf(c), reason);
    return c.json(await gateway.budgets.status(s), 200);
  });

  app.openapi(createRoute(routes.gatewayStats), async (c) =>
    c.json({ rows: gateway.stats.rows(), openCircuits: gateway.openCircuits() }, 200),
  );
}
