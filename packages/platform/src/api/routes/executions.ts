import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { ApiDeps } from '../deps.ts';
import { callerOf } from '../caller.ts';
import { requireExecutionVisible } from './observe.ts';
import type { Context } from 'hono';
import { callerLabel, canSee, forbidden, hasScope, type Principal } from '../../access/principal.ts';
import { executionUser } from '../../runtime/end-user.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import { randomUUID } from 'node:crypto';

function requireJobs(deps: ApiDeps): JobQueue {
  if (!deps.jobs)
    throw new AsporaError('UNAVAILABLE', 'this platform runs no job queue', {
      hint: 'run without "async" and without an Idempotency-Key',
    });
  return deps.jobs;
}

export function executionRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { runtime } = deps;

  app.openapi(createRoute(routes.runSkill), async (c) => {
    const { domain, name } = c.req.valid('param');
    const b = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const p = callerOf(c);
    const owned = await deps.skillAccess.requireVisible(p, `${domain}/${name}`);
    const user = b.as ? await actedFor(deps, c, p, b.as, `${domain}/${name}`) : p;
    // Keys are the caller's own: another caller's identical key is another request.
    const scope = callerLabel(p);
    const run = {
      ref: `${domain}/${name}`,
      input: b.input,
      trigger: b.trigger,
      user: executionUser(user, owned?.ownerTeam) ?? undefined,
      caller: callerLabel(p),
      ...(b.version ? { version: b.version } : { environment: b.environment ?? 'production' }),
      ...(b.workflowId ? { workflowId: b.workflowId } : {}),
    };
    if (b.async) {
      const jobs = requireJobs(deps);
      const q = await jobs.enqueue(run, {
        ...(key ? { idempotencyKey: key, scope } : {}),
        ...(b.maxAttempts ? { maxAttempts: b.maxAttempts } : {}),
      });
      const status = q.existing ? ((await runtime.getExecution(q.id))?.status ?? 'queued') : 'queued';
      c.header('location', `/v1/executions/${q.id}`);
      return c.json({ id: q.id, status, existing: q.existing }, 202);
    }
    if (!key) return c.json(await runtime.run(run), 200);
    // A synchronous run with a key: the key names this run's id before it starts.
    const jobs = requireJobs(deps);
    const id = randomUUID();
    const first = await jobs.reserve(scope, key, id);
    if (first !== id) {
      const r = await runtime.getExecution(first);
      if (r?.status === 'queued') return c.json({ id: first, status: r.status, existing: true }, 202);
      if (r?.completedAt) return c.json(r, 200);
      throw new AsporaError('CONFLICT', `the request with this Idempotency-Key is still running (execution ${first})`, {
        hint: `follow it: aspora execution ${first}`,
        details: { executionId: first },
      });
    }
    try {
      return c.json(await runtime.run({ ...run, executionId: id }), 200);
    } catch (e) {
      // Refused before it ran (no record): the key is free for a corrected request.
      if (!(await runtime.getExecution(id))) await jobs.release(scope, key, id);
      throw e;
    }
  });

  app.openapi(createRoute(routes.listQueue), async (c) => {
    const { status, limit } = c.req.valid('query');
    const sees = await deps.skillAccess.visibleTo(callerOf(c));
    const rows = deps.jobs ? await deps.jobs.list(status, limit) : [];
    return c.json({ executions: rows.filter((r) => sees(r.ref)) }, 200);
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

/** Triggers: what is scheduled, and firing one by hand (routes/executions.ts: they queue executions). */
export function triggerRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(createRoute(routes.listTriggers), async (c) => {
    const sees = await deps.skillAccess.visibleTo(callerOf(c));
    const all = deps.cron ? await deps.cron.list(c.req.valid('query').domain) : [];
    return c.json({ triggers: all.filter((t) => sees(t.ref)) }, 200);
  });

  app.openapi(createRoute(routes.fireTrigger), async (c) => {
    const { domain, name } = c.req.valid('param');
    const b = c.req.valid('json');
    const p = callerOf(c);
    await deps.skillAccess.requireVisible(p, `${domain}/${name}`);
    if (!deps.cron)
      throw new AsporaError('UNAVAILABLE', 'this platform runs no cron triggers', { hint: 'aspora up starts them' });
    const q = await deps.cron.fire(
      { ref: `${domain}/${name}`, environment: b.environment },
      { caller: callerLabel(p) },
    );
    deps.recordAudit(c, 'trigger.fire', `${domain}/${name}`, {
      type: b.type,
      environment: b.environment,
      execution: q.id,
    });
    c.header('location', `/v1/executions/${q.id}`);
    return c.json({ id: q.id, status: 'queued' as const, existing: false }, 202);
  });
}
