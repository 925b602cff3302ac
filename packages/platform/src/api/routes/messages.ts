/**
 * POST /v1/messages (and /v1/messages/stream, the same as server-sent events for a web channel):
 * a message is routed to the skill that should answer it, run for its user, and answered with the
 * skill's reply, which skill and why. The user is the caller, or — for a channel's token with
 * act-as — the user the channel names; only skills that user may see are candidates.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { callerLabel, forbidden, hasScope, type Principal } from '../../access/principal.ts';
import { answered, MessageHandler, unrouted } from '../../messages/handle.ts';
import { callerOf } from '../caller.ts';
import type { ApiDeps } from '../deps.ts';

type Body = {
  text: string;
  user?: string | undefined;
  channel?: string | undefined;
  thread?: string | undefined;
  environment: 'staging' | 'production';
  skill?: string | undefined;
};

export function messageRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const messages = new MessageHandler(deps);

  /** Routing, for the user the message is from. */
  const routeFor = async (c: Context, b: Body) => {
    const p = callerOf(c);
    const user = b.user ? await actingFor(deps, c, p, b.user) : p;
    return { p, user, ...(await messages.route(user, b)) };
  };

  app.openapi(createRoute(routes.sendMessage), async (c) => {
    const b = c.req.valid('json') as Body;
    const { p, user, routed, candidates } = await routeFor(c, b);
    if (!routed) return c.json(unrouted(candidates), 200);
    const execution = await messages.run(callerLabel(p), user, b, routed);
    return c.json(answered(routed, candidates, execution), 200);
  });

  app.openapi(createRoute(routes.streamMessage), async (c) => {
    const b = c.req.valid('json') as Body;
    // Routing errors (act-as, validation) answer as JSON errors before the stream opens.
    const { p, user, routed, candidates } = await routeFor(c, b);
    return streamSSE(c, async (stream) => {
      if (!routed) {
        await stream.writeSSE({ event: 'unrouted', data: JSON.stringify(unrouted(candidates)) });
        return;
      }
      await stream.writeSSE({ event: 'routed', data: JSON.stringify({ routed, candidates }) });
      const execution = await messages.run(callerLabel(p), user, b, routed);
      await stream.writeSSE({ event: 'answer', data: JSON.stringify(answered(routed, candidates, execution)) });
    }) as never;
  });
}

/**
 * The user a channel names: only for a token with act-as, and the user must exist. What they may
 * see is theirs, not the channel's: routing and the run use their teams.
 */
async function actingFor(deps: ApiDeps, c: Context, p: Principal, email: string): Promise<Principal> {
  if (!hasScope(p, 'act-as'))
    throw forbidden(p, 'send a message as', email, 'a message on behalf of a user needs a token with the act-as scope');
  const u = await deps.access.directory.userByEmail(email);
  if (!u)
    throw new AsporaError('NOT_FOUND', `no user ${email}`, {
      hint: 'the channel names users the platform knows (aspora users add)',
    });
  deps.recordAudit(c, 'message.act-as', 'message', { user: u.email });
  return {
    ...p,
    kind: 'user',
    user: { id: u.id, email: u.email, name: u.name },
    team: null,
    teams: new Map(u.teams.map((m) => [m.team, m.role])),
    admin: u.admin,
  };
}
