/**
 * /v1/channels/slack/{commands,events,interactions}: open to the network like Slack needs, and
 * authenticated by Slack's request signature instead of a token (channels/slack/signature.ts).
 * Each reads its raw body (bounded by the app's body limit), is checked before anything is parsed
 * or run, and answers within Slack's 3 seconds: the work is queued as a durable job before the
 * answer (channels/slack/inbound.ts) and runs after it.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { Context } from 'hono';
import type { SlackChannel } from '../../channels/slack/channel.ts';

export function slackRoutes(app: OpenAPIHono, slack: SlackChannel): void {
  /** The raw body, once Slack's signature over it holds. */
  const signed = async (c: Context): Promise<string> => {
    const raw = await c.req.text();
    await slack.authenticate(
      { timestamp: c.req.header('x-slack-request-timestamp'), signature: c.req.header('x-slack-signature') },
      raw,
    );
    return raw;
  };
  const form = (c: Context, raw: string) => {
    if (!/application\/x-www-form-urlencoded/i.test(c.req.header('content-type') ?? ''))
      throw new AsporaError('BAD_REQUEST', 'Slack request: expected a form-encoded body');
    return new URLSearchParams(raw);
  };

  app.openapi(createRoute(routes.slackCommands), async (c) => {
    const raw = await signed(c);
    return c.json(await slack.command(form(c, raw)), 200);
  });

  app.openapi(createRoute(routes.slackEvents), async (c) => {
    const raw = await signed(c);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new AsporaError('BAD_REQUEST', 'Slack request: the body is not JSON');
    }
    return c.json(await slack.event(body), 200);
  });

  app.openapi(createRoute(routes.slackInteractions), async (c) => {
    const raw = await signed(c);
    const answer = await slack.interaction(form(c, raw));
    return (answer ? c.json(answer, 200) : c.body(null, 200)) as never;
  });
}
