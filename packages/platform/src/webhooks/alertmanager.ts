/**
 * Prometheus Alertmanager (webhook payload version 4) and Grafana unified alerting (the same
 * envelope, and orgId, title, state, message; each alert with dashboard and panel URLs) as alert
 * events: one event per alert of the group. Its id is the alert's fingerprint and startsAt (and
 * `:resolved` once resolved), so Alertmanager's repeat_interval resends and redeliveries of a still
 * firing alert run nothing again, while the same alert firing anew (a new startsAt) does.
 */
import { AsporaError } from '@aspora/sdk';
import { type AlertEvent, LIMITS, tagsOf, text } from './event.ts';

/** Alerts read from one delivery (Alertmanager groups them; max_alerts bounds it at the sender). */
export const MAX_GROUP_ALERTS = 100;

type Source = 'prometheus' | 'grafana';

const NAMES: Record<Source, string> = { prometheus: 'Alertmanager', grafana: 'Grafana' };

const bad = (source: Source, why: string) =>
  new AsporaError('BAD_REQUEST', `${NAMES[source]} webhook: ${why}`, {
    hint: 'send the webhook payload as the sender makes it (docs/alerts.md shows what each field maps to)',
  });

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** Label and annotation values as bounded strings (the payload is whoever holds the token's). */
function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v) ?? {}).slice(0, LIMITS.fields * 5)) {
    const s = text(x, LIMITS.tag);
    if (s && k.length <= 100) out[k] = s;
  }
  return out;
}

/** Severities as labels say them: Prometheus rules' usual words mapped onto the platform's five. */
const SEVERITY: Record<string, string> = {
  critical: 'critical',
  crit: 'critical',
  page: 'critical',
  p1: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  p2: 'high',
  warning: 'medium',
  warn: 'medium',
  medium: 'medium',
  p3: 'medium',
  low: 'low',
  minor: 'low',
  p4: 'low',
  info: 'info',
  none: 'info',
  p5: 'info',
};

/** Fields kept for filters (`alertname`, `job`, `instance` …), besides every label as a key:value tag. */
const FIELD_LABELS = ['alertname', 'job', 'instance', 'namespace', 'cluster', 'team', 'env', 'environment'];

/** The delivery's alerts as events; a payload without `alerts[]` or an alert without a fingerprint is a 400. */
export function alertGroupEvents(source: Source, payload: unknown): { groupKey: string; events: AlertEvent[] } {
  const o = obj(payload);
  if (!o) throw bad(source, 'the payload is not a JSON object');
  if (source === 'prometheus' && o.version !== undefined && String(o.version) !== '4')
    throw bad(source, `version ${text(String(o.version), 10)} is not the webhook payload version 4 this reads`);
  if (!Array.isArray(o.alerts)) throw bad(source, 'no `alerts` array');
  if (o.alerts.length > MAX_GROUP_ALERTS)
    throw bad(source, `alerts has ${o.alerts.length} entries; at most ${MAX_GROUP_ALERTS} (set max_alerts)`);
  const groupKey = text(o.groupKey, LIMITS.id) ?? '';
  const common = strings(o.commonLabels);
  const events = o.alerts.map((raw, i): AlertEvent => {
    const a = obj(raw);
    if (!a) throw bad(source, `alerts[${i}] is not an object`);
    const fingerprint = text(a.fingerprint, 64);
    if (!fingerprint) throw bad(source, `alerts[${i}].fingerprint is missing`);
    const startsAt = text(a.startsAt, 40);
    if (!startsAt || Number.isNaN(Date.parse(startsAt))) throw bad(source, `alerts[${i}].startsAt is not a time`);
    const labels = { ...common, ...strings(a.labels) };
    const annotations = strings(a.annotations);
    const status = (text(a.status, 20) ?? text(o.status, 20) ?? '').toLowerCase();
    if (status !== 'firing' && status !== 'resolved')
      throw bad(source, `alerts[${i}].status is not firing or resolved`);
    const severity = (labels.severity ?? labels.priority ?? '').toLowerCase();
    const fields: Record<string, string> = {};
    for (const n of FIELD_LABELS) if (labels[n]) fields[n] = labels[n]!.slice(0, 100).toLowerCase();
    if (severity) fields.severity_label = severity.slice(0, 100);
    if (source === 'grafana' && o.orgId !== undefined) fields.org_id = String(text(o.orgId, 20) ?? '');
    return {
      source,
      id: `${fingerprint}:${startsAt}${status === 'resolved' ? ':resolved' : ''}`,
      title: annotations.summary ?? annotations.title ?? labels.alertname ?? text(o.title) ?? `${NAMES[source]} alert`,
      severity: SEVERITY[severity] ?? 'medium',
      status: status === 'firing' ? 'triggered' : 'resolved',
      service: labels.service ?? labels.job ?? null,
      tags: tagsOf(Object.entries(labels).map(([k, v]) => `${k}:${v}`)),
      url: text(a.panelURL, 2000) ?? text(a.dashboardURL, 2000) ?? text(a.generatorURL, 2000),
      fields,
    };
  });
  return { groupKey, events };
}
