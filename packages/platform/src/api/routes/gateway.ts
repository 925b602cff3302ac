import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import type { ApiDeps } from '../deps.ts';
import { modelPrefs } from '../../runtime/runtime.ts';
import { callerLabel } from '../../access/principal.ts';
import { callerOf } from '../caller.ts';

export function gatewayRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { gateway, registry } = deps;
  const subject = async (domain: string, name: string) => {
    const l = await registry.loadSkill(`${domain}/${name}`, {});
    const p = modelPrefs(l.version);
    return { ref: l.ref, ownerTeam: l.version.ownerTeam, monthlyLimit: p.monthlyLimit };
  };

  app.openapi(createRoute(routes.getBudget), async (c) => {
    const { domain, name } = c.req.valid('param');
    await deps.skillAccess.requireVisible(callerOf(c), `${domain}/${name}`);
    return c.json(await gateway.budgets.status(await subject(domain, name)), 200);
  });

  app.openapi(createRoute(routes.liftBudget), async (c) => {
    const { domain, name } = c.req.valid('param');
    const p = callerOf(c);
    await deps.skillAccess.requireManage(p, `${domain}/${name}`, 'lift the budget of');
    const s = await subject(domain, name);
    const reason = ((c.req.valid('json') ?? {}) as { reason?: string }).reason;
    await gateway.budgets.lift(s.ref, callerLabel(p), reason);
    deps.recordAudit(c, 'budget.lift', s.ref, reason ? { reason } : {});
    return c.json(await gateway.budgets.status(s), 200);
  });

  app.openapi(createRoute(routes.gatewayStats), async (c) => {
    const p = callerOf(c);
    const visible = await deps.skillAccess.visibleTo(p);
    // Rows of skills the caller may not see are left out; calls attributed to no skill are admins'.
    const rows = gateway.stats.rows().filter((r) => (r.skill?.includes('/') ? visible(r.skill) : p.admin));
    return c.json({ rows, openCircuits: gateway.openCircuits() }, 200);
  });
}
