/**
 * An alert from a monitoring provider, as the platform matches it against skills' alert triggers
 * and hands it to their handlers (input.metadata.alert). Every field is bounded: the payload is
 * the provider's (or whoever holds the secret), not ours.
 */
export interface AlertEvent {
  source: 'datadog' | 'pagerduty' | 'prometheus' | 'grafana' | 'webhook';
  /** The provider's id of this delivery: a redelivery has the same, and runs nothing again. */
  id: string;
  title: string;
  /** critical | high | medium | low | info (the providers' own words mapped onto these). */
  severity: string;
  status: 'triggered' | 'resolved' | 'acknowledged' | 'other';
  service: string | null;
  tags: string[];
  url: string | null;
  /** Provider fields worth filtering on as they came (priority, urgency, alert_type …). */
  fields: Record<string, string>;
}

export const LIMITS = { text: 500, tags: 50, tag: 200, fields: 20, id: 200 } as const;

export const text = (v: unknown, max: number = LIMITS.text): string | null =>
  typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : typeof v === 'number' ? String(v) : null;

/** P1…P5 (PagerDuty's and Datadog's priorities) as a severity. */
export function priorityToSeverity(p: string | null): string | null {
  const m = p ? /^p([1-5])$/i.exec(p.trim()) : null;
  if (!m) return null;
  return ['critical', 'high', 'medium', 'low', 'info'][Number(m[1]) - 1]!;
}

export function tagsOf(v: unknown): string[] {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
  return [
    ...new Set(
      list
        .map((t) => text(t, LIMITS.tag))
        .filter((t): t is string => !!t)
        .map((t) => t.toLowerCase()),
    ),
  ].slice(0, LIMITS.tags);
}

/**
 * Whether an alert trigger's filters accept the event: every filter's field has a value among the
 * accepted ones (case-insensitive; for tags, any of the event's tags, or a key:value tag's value).
 * A resolved (or acknowledged) alert runs only triggers whose filters name that status.
 */
export function filtersAccept(filters: Record<string, unknown> | null, e: AlertEvent): boolean {
  const f = filters ?? {};
  const wants = (v: unknown) =>
    (Array.isArray(v) ? v : [v]).map((x) => String(x).toLowerCase()).filter((x) => x.length > 0);
  if (e.status !== 'triggered' && !('status' in f && wants(f.status).includes(e.status))) return false;
  return Object.entries(f).every(([field, accepted]) => {
    const ok = wants(accepted);
    const key = field.toLowerCase();
    let values: string[];
    if (key === 'tags') values = e.tags.flatMap((t) => (t.includes(':') ? [t, t.slice(t.indexOf(':') + 1)] : [t]));
    else if (key === 'severity') values = [e.severity];
    else if (key === 'service') values = e.service ? [e.service.toLowerCase()] : [];
    else if (key === 'status') values = [e.status];
    else if (key === 'source') values = [e.source];
    else values = e.fields[key] !== undefined ? [e.fields[key]!.toLowerCase()] : [];
    return values.some((v) => ok.includes(v));
  });
}
