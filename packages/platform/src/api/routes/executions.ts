import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { ApiDeps } from '../deps.ts';
import { callerOf } from '../caller.ts';
import { requireExecutionVisible } from './observe.ts';
import type { Context } from 'hono';
import { callerLabel, canSee, forbidden, hasScope, type Principal } from '../../access/principal.ts';
import { executionUser } from '../../runtime/end-user.ts';

export function executionRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { runtime } = deps;

  app.openapi(createRoute(routes.runSkill), async (c) => {
    const { domain, name } = c.req.valid('param');
    const b = c.req.valid('json');
    const p = callerOf(c);
    const owned = await deps.skillAccess.requireVisible(p, `${domain}/${name}`);
    const user = b.as ? await actedFor(deps, c, p, b.as, `${domain}/${name}`) : p;
    const r = await runtime.run({
      ref: `${domain}/${name}`,
      input: b.input,
      trigger: b.trigger,
      user: executionUser(user, owned?.ownerTeam) ?? undefined,
      caller: callerLabel(p),
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
    if (r) await requireExecutionVisible(deps, callerOf(c), id, r);
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

/**
 * The user a service token with act-as names (a channel that verified them): that user must exist
 * and be allowed to see the skill themselves, so acting for someone never widens what they reach.
 */
async function actedFor(
  deps: ApiDeps,
  c: Context,
  p: Principal,
  email: string,
  ref: string,
): Promise<Pick<Principal, 'user' | 'teams'>> {
  if (!hasScope(p, 'act-as'))
    throw forbidden(
      p,
      'run as',
      email,
      'running on behalf of a user needs a token with the act-as scope (granted by admins)',
    );
  const u = await deps.access.directory.userByEmail(email);
  if (!u) throw new AsporaError('NOT_FOUND', `no user ${email}`, { hint: `aspora users add ${email}` });
  const teams = new Map(u.teams.map((m) => [m.team, m.role]));
  const owned = await deps.skillAccess.owned(ref);
  if (owned && !canSee({ admin: u.admin, teams }, owned))
    throw forbidden(p, 'run as', email, `${email} may not see ${ref} (its visibility is ${owned.visibility})`);
  deps.recordAudit(c, 'skill.run.act-as', ref, { user: u.email });
  return { user: { id: u.id, email: u.email, name: u.name }, teams };
}
