import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import type { ApiDeps } from '../deps.ts';
import { actorOf } from './actor.ts';

export function skillRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { registry, publisher } = deps;

  app.openapi(createRoute(routes.listSkills), async (c) =>
    c.json({ skills: await registry.listSkills(c.req.valid('query')) }, 200),
  );

  app.openapi(createRoute(routes.searchSkills), async (c) => {
    const { q, ...opts } = c.req.valid('query');
    return c.json({ query: q, hits: await registry.searchSkills(q, opts) }, 200);
  });

  app.openapi(createRoute(routes.getSkill), async (c) => {
    const { domain, name } = c.req.valid('param');
    return c.json(await registry.getSkill(`${domain}/${name}`), 200);
  });

  app.openapi(createRoute(routes.loadSkill), async (c) => {
    const { domain, name } = c.req.valid('param');
    return c.json(await registry.loadSkill(`${domain}/${name}`, c.req.valid('query')), 200);
  });

  app.openapi(createRoute(routes.deploy), async (c) => {
    const { domain, name } = c.req.valid('param');
    const { environment, version } = c.req.valid('json');
    return c.json(await publisher.deploy(`${domain}/${name}`, environment, version, actorOf(c)), 200);
  });

  app.openapi(createRoute(routes.rollback), async (c) => {
    const { domain, name } = c.req.valid('param');
    const { environment, toVersion } = c.req.valid('json');
    const actor = actorOf(c);
    return c.json(
      await publisher.rollback(`${domain}/${name}`, environment, {
        ...(toVersion ? { toVersion } : {}),
        ...(actor ? { actor } : {}),
      }),
      200,
    );
  });
}
