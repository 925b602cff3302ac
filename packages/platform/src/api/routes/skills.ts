import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import type { ApiDeps } from '../deps.ts';
import { callerLabel } from '../../access/principal.ts';
import { callerOf } from '../caller.ts';

export function skillRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { registry, publisher, skillAccess } = deps;

  app.openapi(createRoute(routes.listSkills), async (c) => {
    const p = callerOf(c);
    const skills = await registry.listSkills(c.req.valid('query'));
    const visible = await skillAccess.visibleTo(p);
    return c.json({ skills: skills.filter((s) => visible(s.ref)) }, 200);
  });

  app.openapi(createRoute(routes.searchSkills), async (c) => {
    const { q, ...opts } = c.req.valid('query');
    const visible = await skillAccess.visibleTo(callerOf(c));
    // Ask for more than the limit: hits the caller may not see are dropped before the limit applies.
    const hits = await registry.searchSkills(q, { ...opts, limit: Math.min(200, opts.limit * 4) });
    return c.json({ query: q, hits: hits.filter((h) => visible(h.skill.ref)).slice(0, opts.limit) }, 200);
  });

  app.openapi(createRoute(routes.getSkill), async (c) => {
    const { domain, name } = c.req.valid('param');
    await skillAccess.requireVisible(callerOf(c), `${domain}/${name}`);
    return c.json(await registry.getSkill(`${domain}/${name}`), 200);
  });

  app.openapi(createRoute(routes.loadSkill), async (c) => {
    const { domain, name } = c.req.valid('param');
    await skillAccess.requireVisible(callerOf(c), `${domain}/${name}`);
    return c.json(await registry.loadSkill(`${domain}/${name}`, c.req.valid('query')), 200);
  });

  app.openapi(createRoute(routes.deploy), async (c) => {
    const { domain, name } = c.req.valid('param');
    const { environment, version, ...ask } = c.req.valid('json');
    const p = callerOf(c);
    const ref = `${domain}/${name}`;
    await skillAccess.requireManage(p, ref, 'deploy');
    const d = await publisher.deploy(ref, environment, version, callerLabel(p), ask);
    // A release's start and end are audited by the release store; the pointer move here.
    if (d.changed || !d.release)
      deps.recordAudit(c, 'skill.deploy', `${d.ref}@${environment}`, { version, previous: d.previousVersion });
    return c.json(d, 200);
  });

  app.openapi(createRoute(routes.rollback), async (c) => {
    const { domain, name } = c.req.valid('param');
    const { environment, toVersion } = c.req.valid('json');
    const p = callerOf(c);
    const ref = `${domain}/${name}`;
    await skillAccess.requireManage(p, ref, 'roll back');
    const d = await publisher.rollback(ref, environment, {
      ...(toVersion ? { toVersion } : {}),
      actor: callerLabel(p),
    });
    if (!d.release)
      deps.recordAudit(c, 'skill.rollback', `${d.ref}@${environment}`, { version: d.version, from: d.previousVersion });
    return c.json(d, 200);
  });
}
