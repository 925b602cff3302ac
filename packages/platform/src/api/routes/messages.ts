/**
 * POST /v1/messages (and /v1/messages/stream, the same as server-sent events for a web channel):
 * a message is routed to the skill that should answer it, run for its user, and answered with the
 * skill's reply, which skill and why. The user is the caller, or — for a channel's token with
 * act-as — the user the channel names; only skills that user may see are candidates.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { type MessageAnswer, routes } from '@aspora/api';
import { AsporaError, type SkillResult } from '@aspora/sdk';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { callerLabel, forbidden, hasScope, type Principal } from '../../access/principal.ts';
import { MessagePatterns } from '../../messages/patterns.ts';
import { type Candidate, MessageRouter, type Routed } from '../../messages/router.ts';
import { executionUser } from '../../runtime/end-user.ts';
import type { ExecutionRecord } from '../../observe/executions.ts';
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
  const router = new MessageRouter(deps.registry, new MessagePatterns(deps.registry.db), deps.gateway, deps.log);

  /** Routing, for the user the message is from. */
  const routeFor = async (c: Context, b: Body) => {
    const p = callerOf(c);
    const user = b.user ? await actingFor(deps, c, p, b.user) : p;
    const visible = await deps.skillAccess.visibleTo(user as Principal);
    const decision = await router.route({ text: b.text, environment: b.environment, visible, skill: b.skill });
    return { p, user, ...decision };
  };

  const run = async (p: Principal, user: Pick<Principal, 'user' | 'teams'>, b: Body, routed: Routed) => {
    const owned = await deps.skillAccess.owned(routed.skill);
    return deps.runtime.run({
      ref: routed.skill,
      input: {
        userMessage: b.text,
        metadata: {
          routed: { stage: routed.stage, reason: routed.reason },
          ...(b.channel ? { channel: b.channel } : {}),
          ...(b.thread ? { thread: b.thread } : {}),
        },
      },
      trigger: 'message',
      environment: b.environment,
      user: executionUser(user, owned?.ownerTeam) ?? undefined,
      caller: callerLabel(p),
    });
  };

  /**
   * What discovery learns from a routed message: a re-routing (the sender named the skill) and a
   * search or model choice whose run succeeded become that skill's examples; a bad rating of the
   * execution later (feedback) makes it a negative one. Patterns already say what they match.
   */
  const learn = (b: Body, routed: Routed, execution: ExecutionRecord) => {
    if (routed.stage === 'pattern' || execution.error) return;
    void deps.registry
      .recordRouted(routed.skill, b.text, 'accepted')
      .catch((e: unknown) => deps.log.warn({ err: (e as Error).message }, 'routing: the example was not kept'));
  };

  app.openapi(createRoute(routes.sendMessage), async (c) => {
    const b = c.req.valid('json') as Body;
    const { p, user, routed, candidates } = await routeFor(c, b);
    if (!routed) return c.json(unrouted(candidates), 200);
    const execution = await run(p, user, b, routed);
    learn(b, routed, execution);
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
      const execution = await run(p, user, b, routed);
      learn(b, routed, execution);
      await stream.writeSSE({ event: 'answer', data: JSON.stringify(answered(routed, candidates, execution)) });
    }) as never;
  });
}

function unrouted(candidates: Candidate[]): MessageAnswer {
  return {
    routed: null,
    candidates,
    execution: null,
    text: candidates.length
      ? `No skill is sure to answer that. The closest: ${candidates
          .slice(0, 3)
          .map((s) => s.skill)
          .join(', ')}. Name one to use it.`
      : 'No skill you may use answers that.',
  };
}

function answered(routed: Routed, candidates: Candidate[], execution: ExecutionRecord): MessageAnswer {
  const result = execution.result as SkillResult | null;
  return {
    routed,
    candidates,
    execution: execution as MessageAnswer['execution'],
    text: execution.error
      ? `${routed.skill} failed: ${execution.error.message}`
      : (result?.message ?? `${routed.skill} answered`),
  };
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
