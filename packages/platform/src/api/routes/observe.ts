import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { routes } from '@aspora/api';
import { AsporaError, parseDurationMs } from '@aspora/sdk';
import { canSee, forbidden, type Principal } from '../../access/principal.ts';
import { notFound, redactRefs } from '../../access/skill-access.ts';
import { callerOf } from '../caller.ts';
import { outgoingOf } from '../node-io.ts';
import { bearerOf } from '../access-middleware.ts';
import type { ApiDeps } from '../deps.ts';
import { addFeedback, listFeedback, promptfooCases } from '../../observe/feedback.ts';
import { pastLogs, type LogLine } from '../../observe/logs.ts';
import { rollup } from '../../observe/rollups/query.ts';
import { domainTimeline, executionTimeline } from '../../observe/timeline.ts';
import { callerLabel } from '../../access/principal.ts';
import type { TimelineExecution } from '@aspora/api';

const Levels = ['debug', 'info', 'warn', 'error'] as const;
/** How often a live log stream checks that its follower may still follow. */
const FOLLOW_RECHECK_MS = 500;

/**
 * Prometheus text on GET /metrics. It names every skill, private ones too, with error codes, cost
 * and budget state, so on the API's listener it answers an admin's token only (Prometheus sends it
 * with `authorization:`), unless ASPORA_METRICS_LISTEN moves it to a listener of its own
 * (metrics-server.ts), protected by the address it is bound to.
 */
export function metricsRoute(
  app: OpenAPIHono,
  deps: Pick<ApiDeps, 'metrics' | 'refreshMetrics'>,
  opts: { adminOnly: boolean },
): void {
  app.get('/metrics', async (c) => {
    if (opts.adminOnly) {
      const p = callerOf(c);
      if (!p.admin)
        throw forbidden(p, 'read', '/metrics', 'it names every skill: admins only (or ASPORA_METRICS_LISTEN)');
    }
    deps.refreshMetrics();
    return c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType });
  });
}

export function observeRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { db } = deps.registry;

  if (!deps.metricsElsewhere) metricsRoute(app, deps, { adminOnly: true });

  app.openapi(createRoute(routes.metrics), async (c) => {
    const q = c.req.valid('query');
    // Every finished execution counts, even one that ended a moment ago (its row may be on its way).
    await deps.runtime.recorder.settled?.();
    await deps.rollups.run();
    const visible = await deps.skillAccess.visibleTo(callerOf(c));
    if (q.target?.includes('/') && !visible(q.target)) throw notFound(q.target);
    return c.json(await rollup(db, q.target, q.last, visible), 200);
  });

  app.openapi(createRoute(routes.addFeedback), async (c) => {
    const b = c.req.valid('json');
    const id = c.req.valid('param').id;
    await deps.runtime.recorder.settled?.(id); // rated right after it answered: its row may be on its way
    const p = callerOf(c);
    await requireExecutionVisible(deps, p, id);
    return c.json(await addFeedback(db, id, { ...b, author: callerLabel(p) }), 201);
  });

  app.openapi(createRoute(routes.listFeedback), async (c) => {
    const q = c.req.valid('query');
    return c.json(
      {
        feedback: await listFeedback(db, {
          ...(q.skill ? { ref: q.skill } : {}),
          refs: (await deps.skillAccess.view(callerOf(c))).refs,
          corrections: q.corrections === 'true',
          limit: q.limit,
        }),
      },
      200,
    );
  });

  app.openapi(createRoute(routes.exportFeedback), async (c) => {
    const { domain, name } = c.req.valid('param');
    await deps.skillAccess.requireVisible(callerOf(c), `${domain}/${name}`);
    const { ref } = await deps.registry.getSkill(`${domain}/${name}`);
    return c.body(promptfooCases(ref, await listFeedback(db, { ref, corrections: true, limit: 10_000 })), 200, {
      'content-type': 'application/yaml; charset=utf-8',
    });
  });

  app.openapi(createRoute(routes.listAlerts), async (c) => {
    const p = callerOf(c);
    const { visible, hidden } = await deps.skillAccess.view(p);
    const alerts = await deps.alerts.list(c.req.valid('query').status);
    // A skill's alert is its viewers'; platform-wide alerts (a provider, the gateway) everyone's —
    // but such a title may name a skill (the platform p95's slowest one): not one the caller may not see.
    return c.json(
      {
        alerts: alerts
          .filter((a) => typeof a.scope.skill !== 'string' || visible(a.scope.skill))
          .map((a) => (hidden.length ? { ...a, title: redactRefs(a.title, hidden) } : a)),
      },
      200,
    );
  });

  app.openapi(createRoute(routes.traces), async (c) => {
    const q = c.req.valid('query');
    await deps.tracer.flushLocal();
    const t = await domainTimeline(db, q.domain, q.date ?? new Date().toISOString().slice(0, 10));
    const { visible, hidden } = await deps.skillAccess.view(callerOf(c));
    const scrub = callsScrubber(hidden);
    const prune = (list: TimelineExecution[]): TimelineExecution[] =>
      list.filter((e) => visible(e.skill)).map((e) => ({ ...e, calls: scrub(e.calls), children: prune(e.children) }));
    const count = (list: TimelineExecution[]): number => list.reduce((n, e) => n + 1 + count(e.children), 0);
    const workflows = t.workflows
      .map((w) => ({ ...w, executions: prune(w.executions) }))
      .filter((w) => w.executions.length > 0);
    const shown = count(workflows.flatMap((w) => w.executions));
    const cut = workflows.length !== t.workflows.length || shown !== t.executions;
    return c.json(cut ? { ...t, workflows, executions: shown } : t, 200);
  });

  app.openapi(createRoute(routes.executionTrace), async (c) => {
    const { id } = c.req.valid('param');
    await deps.tracer.flushLocal();
    const found = await executionTimeline(db, id);
    const { visible, hidden } = await deps.skillAccess.view(callerOf(c));
    const scrub = callsScrubber(hidden);
    const prune = (e: TimelineExecution): TimelineExecution => ({
      ...e,
      calls: scrub(e.calls),
      children: e.children.filter((k) => visible(k.skill)).map(prune),
    });
    const t = found && visible(found.skill) ? prune(found) : undefined;
    if (!t)
      throw new AsporaError('NOT_FOUND', `no trace of execution ${id}`, {
        hint: 'spans are kept for executions the platform ran since tracing was on',
      });
    return c.json(t, 200);
  });

  // Logs: the past (from execution records) and, with follow, live lines as handlers write them (SSE).
  app.openapi(createRoute(routes.logs), async (c) => {
    const { domain, name } = c.req.valid('param');
    const q = c.req.valid('query');
    await deps.skillAccess.requireVisible(callerOf(c), `${domain}/${name}`);
    const ref = (await deps.registry.getSkill(`${domain}/${name}`)).ref;
    const sinceParam = q.since;
    let sinceMs: number;
    try {
      sinceMs = parseDurationMs(sinceParam);
    } catch {
      throw new AsporaError('BAD_REQUEST', `since=${sinceParam} is not a duration`, { hint: 'e.g. 10m, 1h, 24h' });
    }
    const minLevel = Levels.indexOf(q.level);
    const keep = (l: LogLine) => Levels.indexOf(l.level) >= minLevel;
    await deps.runtime.recorder.settled?.(); // this process's rows still on their way count too
    const limitParam = q.limit;
    const limit = Number(limitParam);
    // NaN reached the SQL LIMIT as a database error: a 500 for limit=abc.
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new AsporaError('BAD_REQUEST', `limit=${limitParam.slice(0, 40)} is not a positive integer`, {
        hint: 'e.g. limit=100 (at most 10000 executions)',
      });
    const past = (await pastLogs(db, ref, new Date(Date.now() - sinceMs), limit)).filter(keep);
    if (q.follow !== 'true') return c.json({ lines: past }, 200);
    // A follower is held to its token and to the skill's visibility for as long as it follows, as
    // every request is: a revocation or a lost membership ends the stream within about a second
    // (the token's check is served from the cache, which the access change feed empties).
    const token = bearerOf(c);
    let checkedAt = Date.now();
    const stillAllowed = async (): Promise<boolean> => {
      if (Date.now() - checkedAt < FOLLOW_RECHECK_MS) return true;
      checkedAt = Date.now();
      const r = await deps.access.auth.check(token);
      if ('refused' in r) return false;
      return deps.skillAccess.requireVisible(r.principal, ref).then(
        () => true,
        () => false,
      );
    };
    // Following starts before the answer does: no line of an execution started after it is missed.
    const queue: LogLine[] = [];
    let wake: (() => void) | undefined;
    const stop = await deps.liveLogs.follow(ref, (l) => {
      if (!keep(l)) return;
      queue.push(l);
      wake?.();
    });
    return streamSSE(c, async (stream) => {
      const gone = () => {
        void stop();
        wake?.();
      };
      stream.onAbort(gone);
      // The stream notices a client that went away only at its next write; the socket's close is at once.
      outgoingOf(c)?.once('close', () => {
        if (!stream.aborted) void stream.abort();
        gone();
      });
      for (const l of past) await stream.writeSSE({ data: JSON.stringify(l), event: 'log' });
      let idleMs = 0;
      while (!stream.aborted) {
        if (!(await stillAllowed())) {
          await stream.write(': access ended (token refused, or the skill is no longer visible)\n\n');
          break;
        }
        while (queue.length) await stream.writeSSE({ data: JSON.stringify(queue.shift()), event: 'log' });
        const woke = await new Promise<boolean>((r) => {
          wake = () => r(true);
          setTimeout(() => r(false), FOLLOW_RECHECK_MS);
        });
        wake = undefined;
        idleMs = woke || queue.length ? 0 : idleMs + FOLLOW_RECHECK_MS;
        // A comment line now and then keeps proxies from closing an idle stream.
        if (idleMs >= 15_000 && !stream.aborted) {
          idleMs = 0;
          await stream.write(': keep-alive\n\n');
        }
      }
      await stop();
    });
  });
}

/**
 * A visible execution's calls name what it called: its context.invoke of a skill the caller may not
 * see is a tool span named after that skill (`execute_tool fraud/ledger`, and in its attributes).
 * The child execution is cut from the tree; this names the callee as no skill in particular.
 */
function callsScrubber(hidden: string[]): (calls: TimelineExecution['calls']) => TimelineExecution['calls'] {
  if (hidden.length === 0) return (calls) => calls;
  const value = (v: unknown): unknown =>
    typeof v === 'string' ? redactRefs(v, hidden) : Array.isArray(v) ? v.map(value) : v;
  return (calls) =>
    calls.map((k) => ({
      ...k,
      name: redactRefs(k.name, hidden),
      ...(k.error ? { error: redactRefs(k.error, hidden) } : {}),
      attributes: Object.fromEntries(Object.entries(k.attributes).map(([a, v]) => [a, value(v)])),
    }));
}

/** An execution of a skill the caller may not see is answered as one that does not exist. */
export async function requireExecutionVisible(
  deps: ApiDeps,
  p: Principal,
  id: string,
  /** The execution when the route read it already. */
  read?: { ref: string },
): Promise<void> {
  const r = read ?? (await deps.runtime.getExecution(id));
  const o = r && (await deps.skillAccess.owned(r.ref));
  if (o && !canSee(p, o))
    throw new AsporaError('NOT_FOUND', `no execution ${id}`, { hint: 'execution ids are UUIDs, as returned by a run' });
}
