import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { ApiDeps } from '../deps.ts';
import { callerOf } from '../caller.ts';
import { requireExecutionVisible } from './observe.ts';

export function executionRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { runtime } = deps;

  app.openapi(createRoute(routes.runSkill), async (c) => {
    const { domain, name } = c.req.valid('param');
    const b = c.req.valid('json');
    await deps.skillAccess.requireVisible(callerOf(c), `${domain}/${name}`);
    const r = await runtime.run({
      ref: `${domain}/${name}`,
      input: b.input,
      trigger: b.trigger,
      ...(b.version ? { version: b.version } : { environment: b.environment ?? 'production' }),
      ...(b.workflowId ? { workflowId: b.workflowId } : {}),
    });
    return c.json(r, 200);
  });

  app.openapi(createRoute(routes.listExecutions), async (c) => {
    const { domain, name } = c.req.valid('param');
    await deps.skillAccess.requireVisible(callerOf(c), `${domain}/${name}`);
    const { ref } = await deps.registry.getSkill(`${domain}/${name}`); // 404 for an unknown skill
    return c.json({ executions: await runtime.listExecutions({ ref, limit: c.req.valid('query').limit }) }, 200);
  });

  app.openapi(createRoute(routes.getExecution), async (c) => {
    const { id } = c.req.valid('param');
    const r = await runtime.getExecution(id);
    if (r) await requireExecutionVisible(deps, callerOf(c), id);
    if (!r)
      throw new AsporaError('NOT_FOUND', `no execution ${id}`, {
        hint: 'execution ids are UUIDs, as returned by a run',
      });
    return c.json(r, 200);
  });

  app.openapi(createRoute(routes.testSkill), async (c) => {
    const { domain, name } = c.req.valid('param');
    const b = (c.req.valid('json') ?? {}) as { environment?: string; version?: string };
    await deps.skillAccess.requireVisible(callerOf(c), `${domain}/${name}`);
    return c.json(
      await runtime.testSkill(
        `${domain}/${name}`,
        b.version ? { version: b.version } : b.environment ? { environment: b.environment } : {},
      ),
      200,
    );
  });
}
