/**
 * The providers' webhook payloads as alert events: PagerDuty's V3 webhooks (an `event` envelope
 * around an incident), Datadog's webhook integration (a JSON payload its configuration templates
 * from $ID, $EVENT_TITLE, $ALERT_TYPE, $PRIORITY, $TAGS, $ALERT_TRANSITION, $LINK …), and the
 * generic webhook (the same fields, named plainly). A payload without what an event needs is a
 * 400 that says which field.
 */
import { AsporaError } from '@aspora/sdk';
import { type AlertEvent, LIMITS, priorityToSeverity, tagsOf, text } from './event.ts';

const bad = (source: string, why: string) =>
  new AsporaError('BAD_REQUEST', `${source} webhook: ${why}`, {
    hint: `send the provider's payload as JSON (docs/alerts.md shows what each field maps to)`,
  });

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

function fieldsOf(o: Record<string, unknown>, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names.slice(0, LIMITS.fields)) {
    const v = text(o[n], 100);
    if (v) out[n] = v.toLowerCase();
  }
  return out;
}

/** PagerDuty V3: `{ event: { id, event_type: "incident.triggered", data: { title, service, priority, urgency, html_url } } }`. */
export function pagerDutyEvent(payload: unknown): AlertEvent {
  const event = obj(obj(payload)?.event);
  if (!event) throw bad('PagerDuty', 'no `event` object (a V3 webhook payload has one)');
  const id = text(event.id, LIMITS.id);
  if (!id) throw bad('PagerDuty', 'event.id is missing');
  const type = text(event.event_type, 100) ?? '';
  const data = obj(event.data) ?? {};
  const priority = text(obj(data.priority)?.summary, 20);
  const urgency = text(data.urgency, 20);
  const status = /\.(triggered|reopened)$/.test(type)
    ? 'triggered'
    : type.endsWith('.resolved')
      ? 'resolved'
      : type.endsWith('.acknowledged')
        ? 'acknowledged'
        : 'other';
  return {
    source: 'pagerduty',
    id,
    title: text(data.title) ?? text(data.summary) ?? type ?? 'PagerDuty event',
    severity: priorityToSeverity(priority) ?? (urgency === 'high' ? 'high' : urgency === 'low' ? 'low' : 'medium'),
    status,
    service: text(obj(data.service)?.summary, 200),
    tags: tagsOf(
      [text(obj(data.service)?.summary, 200), text(obj(data.escalation_policy)?.summary, 200)].filter(
        Boolean,
      ) as string[],
    ),
    url: text(data.html_url, 2000),
    fields: {
      ...fieldsOf({ event_type: type, urgency, priority }, ['event_type', 'urgency', 'priority']),
      ...(text(data.incident_key, 200) ? { incident_key: text(data.incident_key, 200)!.toLowerCase() } : {}),
    },
  };
}

const DATADOG_SEVERITY: Record<string, string> = { error: 'high', warning: 'medium', info: 'info', success: 'info' };

/** Datadog's webhook integration payload (a template of its $VARIABLES; the default one and common additions). */
export function datadogEvent(payload: unknown): AlertEvent {
  const o = obj(payload);
  if (!o) throw bad('Datadog', 'the payload is not a JSON object');
  const id = text(o.id, LIMITS.id) ?? text(o.alert_id, LIMITS.id) ?? text(o.aggreg_key, LIMITS.id);
  if (!id) throw bad('Datadog', 'no id: put "id": "$ID" in the webhook payload');
  const tags = tagsOf(o.tags);
  const transition = (text(o.alert_transition, 50) ?? '').toLowerCase();
  const alertType = (text(o.alert_type, 50) ?? '').toLowerCase();
  return {
    source: 'datadog',
    id,
    title: text(o.title) ?? text(o.event_title) ?? 'Datadog alert',
    severity:
      priorityToSeverity(text(o.priority, 20)) ??
      (transition === 'triggered' && alertType === 'error' ? 'critical' : undefined) ??
      DATADOG_SEVERITY[alertType] ??
      'medium',
    status:
      alertType === 'success' || transition === 'recovered'
        ? 'resolved'
        : transition && transition !== 'triggered' && transition !== 're-triggered'
          ? 'other'
          : 'triggered',
    service: tags.find((t) => t.startsWith('service:'))?.slice(8) ?? null,
    tags,
    url: text(o.link, 2000) ?? text(o.url, 2000),
    fields: fieldsOf(o, [
      'alert_type',
      'priority',
      'event_type',
      'alert_transition',
      'org_name',
      'hostname',
      'alert_metric',
    ]),
  };
}

/** The generic signed webhook: `{ id, title, severity, status?, service?, tags?, url?, …fields }`. */
export function genericEvent(payload: unknown, deliveryId: string | undefined): AlertEvent {
  const o = obj(payload);
  if (!o) throw bad('generic', 'the payload is not a JSON object');
  const id = text(deliveryId, LIMITS.id) ?? text(o.id, LIMITS.id);
  if (!id) throw bad('generic', 'no id: send an X-Aspora-Delivery header or an "id" field (a redelivery repeats it)');
  const title = text(o.title);
  if (!title) throw bad('generic', '"title" is missing');
  const status = (text(o.status, 20) ?? 'triggered').toLowerCase();
  const scalarFields = Object.fromEntries(
    Object.entries(o).filter(([k, v]) => !['id', 'title', 'tags', 'url'].includes(k) && typeof v !== 'object'),
  );
  return {
    source: 'webhook',
    id,
    title,
    severity: (text(o.severity, 20) ?? 'medium').toLowerCase(),
    status: status === 'resolved' || status === 'acknowledged' || status === 'triggered' ? status : 'other',
    service: text(o.service, 200),
    tags: tagsOf(o.tags),
    url: text(o.url, 2000),
    fields: fieldsOf(scalarFields, Object.keys(scalarFields)),
  };
}
