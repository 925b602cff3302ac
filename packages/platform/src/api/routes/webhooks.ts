/**
 * Alerts in: POST /v1/webhooks/pagerduty (V3, X-PagerDuty-Signature), /v1/webhooks/datadog (the
 * webhook integration, with the shared secret its custom header carries) and
 * /v1/webhooks/skills/{domain}/{name} (anything else, HMAC-SHA256 of the body with the secret the
 * skill's webhook alert trigger names). Verified before anything is parsed; a bad or missing
 * signature is 401 and nothing is queued. Each matching skill gets one queued execution per
 * delivery: a redelivered alert answers the executions it already has.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { Context } from 'hono';
import { type CallbackTarget, callbackUrl } from '../../webhooks/callback.ts';
import { AlertDispatcher, type Enqueue } from '../../webhooks/dispatch.ts';
import type { AlertEvent } from '../../webhooks/event.ts';
import { alertGroupEvents } from '../../webhooks/alertmanager.ts';
import { datadogEvent, genericEvent, pagerDutyEvent } from '../../webhooks/providers.ts';
import {
  bearerMatches,
  genericSigned,
  grafanaSigned,
  pagerDutySigned,
  sharedSecretMatches,
} from '../../webhooks/signature.ts';
import type { ApiDeps } from '../deps.ts';

/** Largest webhook body read (providers send a few KB). */
export const MAX_WEBHOOK_BYTES = 256 * 1024;
export const PAGERDUTY_SECRET = 'PAGERDUTY_WEBHOOK_SECRET';
export const DATADOG_SECRET = 'DATADOG_WEBHOOK_SECRET';
export const DATADOG_HEADER = 'x-aspora-webhook-secret';
export const ALERTMANAGER_TOKEN = 'ALERTMANAGER_WEBHOOK_TOKEN';
export const GRAFANA_SECRET = 'GRAFANA_WEBHOOK_SECRET';
export const GRAFANA_SIGNATURE = 'x-grafana-alerting-signature';
/** Grafana's timestamp header has no default name; this is the one its provisioning docs show. */
export const GRAFANA_TIMESTAMP = 'x-grafana-alerting-signature-timestamp';

const unauthorized = (source: string) =>
  new AsporaError('UNAUTHORIZED', `${source} webhook: the signature does not verify`, {
    hint: 'check the webhook secret configured at the provider against the platform’s',
  });

async function rawBody(c: Context): Promise<Buffer> {
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > MAX_WEBHOOK_BYTES)
    throw new AsporaError('PAYLOAD_TOO_LARGE', `a webhook body is at most ${MAX_WEBHOOK_BYTES} bytes`);
  const body = Buffer.from(await c.req.arrayBuffer());
  if (body.length > MAX_WEBHOOK_BYTES)
    throw new AsporaError('PAYLOAD_TOO_LARGE', `a webhook body is at most ${MAX_WEBHOOK_BYTES} bytes`);
  return body;
}

function json(body: Buffer, source: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new AsporaError('BAD_REQUEST', `${source} webhook: the body is not JSON (${(e as Error).message})`);
  }
}

function secretOf(deps: ApiDeps, name: string, source: string): string {
  const s = deps.vault.get(name);
  if (!s)
    throw new AsporaError('NOT_FOUND', `${source} webhooks are not set up on this platform`, {
      hint: `declare ${name} in aspora.platform.yaml secrets (e.g. { sealed: true }, then aspora platform-secrets set ${name})`,
    });
  return s;
}

export function webhookRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const jobs = deps.jobs;
  const enqueue: Enqueue = (run, o) => {
    if (!jobs) throw new AsporaError('UNAVAILABLE', 'this platform runs no job queue');
    return jobs.enqueue(run, o);
  };
  const dispatcher = new AlertDispatcher(deps.registry.db, enqueue, deps.log);
  const answer = async (c: Context, e: AlertEvent) => {
    const executions = await dispatcher.dispatch(e);
    return c.json({ source: e.source, alert: e.id, executions }, 202);
  };

  app.openapi(createRoute(routes.pagerDutyWebhook), async (c) => {
    const secret = secretOf(deps, PAGERDUTY_SECRET, 'PagerDuty');
    const body = await rawBody(c);
    if (!pagerDutySigned(c.req.header('x-pagerduty-signature'), secret, body)) throw unauthorized('PagerDuty');
    return answer(c, pagerDutyEvent(json(body, 'PagerDuty'))) as never;
  });

  app.openapi(createRoute(routes.datadogWebhook), async (c) => {
    const secret = secretOf(deps, DATADOG_SECRET, 'Datadog');
    const body = await rawBody(c);
    if (!sharedSecretMatches(c.req.header(DATADOG_HEADER), secret)) throw unauthorized('Datadog');
    return answer(c, datadogEvent(json(body, 'Datadog'))) as never;
  });

  // A group of alerts (Alertmanager, Grafana): each alert is its own event, keyed by fingerprint and startsAt.
  const group = async (c: Context, source: 'prometheus' | 'grafana', body: Buffer) => {
    const { groupKey, events } = alertGroupEvents(
      source,
      json(body, source === 'grafana' ? 'Grafana' : 'Alertmanager'),
    );
    const executions = [];
    for (const e of events) executions.push(...(await dispatcher.dispatch(e)));
    return c.json({ source, alert: groupKey, alerts: events.map((e) => e.id), executions }, 202);
  };

  app.openapi(createRoute(routes.alertmanagerWebhook), async (c) => {
    const token = secretOf(deps, ALERTMANAGER_TOKEN, 'Alertmanager');
    const body = await rawBody(c);
    if (!bearerMatches(c.req.header('authorization'), token))
      throw new AsporaError('UNAUTHORIZED', 'Alertmanager webhook: the bearer token does not match', {
        hint: `set the receiver's http_config authorization credentials to ${ALERTMANAGER_TOKEN} (docs/alerts.md)`,
      });
    return group(c, 'prometheus', body) as never;
  });

  app.openapi(createRoute(routes.grafanaWebhook), async (c) => {
    const secret = secretOf(deps, GRAFANA_SECRET, 'Grafana');
    const body = await rawBody(c);
    const signature = c.req.header(GRAFANA_SIGNATURE);
    // Signed (Grafana ≥ 11's HMAC) when the header is there; else the contact point's Authorization header.
    const ok = signature
      ? grafanaSigned(signature, c.req.header(GRAFANA_TIMESTAMP), secret, body)
      : bearerMatches(c.req.header('authorization'), secret);
    if (!ok) throw unauthorized('Grafana');
    return group(c, 'grafana', body) as never;
  });

  app.openapi(createRoute(routes.skillWebhook), async (c) => {
    const { domain, name } = c.req.valid('param');
    const ref = `${domain}/${name}`;
    const body = await rawBody(c);
    // The skill's webhook trigger names the secret; a skill without one (or unknown) verifies nothing.
    const trigger = await webhookTrigger(deps, ref);
    const secret = trigger ? await deps.vault.forSkill(trigger.ownerTeam, [trigger.secret]) : {};
    const value = trigger ? secret[trigger.secret] : undefined;
    if (!value || !genericSigned(c.req.header('x-aspora-signature'), value, body)) throw unauthorized('generic');
    const payload = json(body, 'generic');
    const e = genericEvent(payload, c.req.header('x-aspora-delivery'));
    // The result goes back only where the trigger allows: its URL, or the signed payload's under its prefix.
    const url = callbackUrl(trigger!.callback, (payload as { callback_url?: unknown }).callback_url);
    const reply: CallbackTarget | undefined = url
      ? { kind: 'callback', url, secret: trigger!.secret, ownerTeam: trigger!.ownerTeam }
      : undefined;
    const executions = await dispatcher.dispatch(e, ref, reply);
    return c.json({ source: e.source, alert: e.id, executions }, 202) as never;
  });
}

/** The production version's webhook alert trigger secret and owner team, if it declares one. */
async function webhookTrigger(
  deps: ApiDeps,
  ref: string,
): Promise<{ secret: string; callback: string | undefined; ownerTeam: string | null } | null> {
  const [domain, name] = ref.split('/');
  const [row] = await deps.registry.db.query<{
    config: { triggers?: Array<{ type: string; sources?: string[]; secret?: string; callback?: string }> } | null;
    owner_team: string | null;
  }>(
    `SELECT v.config, v.owner_team FROM skills s
       JOIN environments e ON e.skill_id = s.id AND e.name = 'production'
       JOIN skill_versions v ON v.id = e.version_id
      WHERE s.domain = $1 AND s.name = $2`,
    [domain, name],
  );
  const t = row?.config?.triggers?.find((x) => x.type === 'alert' && x.sources?.includes('webhook') && x.secret);
  return t?.secret ? { secret: t.secret, callback: t.callback, ownerTeam: row!.owner_team } : null;
}
