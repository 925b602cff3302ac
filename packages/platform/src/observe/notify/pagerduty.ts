/**
 * PagerDuty Events API v2. A notice's key is the event's dedup_key, so a rule firing again updates
 * the open incident and a resolved notice closes it. PagerDuty answers 202 when it queued the
 * event, 400 with `{message, errors}` for an invalid one, 429 when the routing key is throttled.
 */
import { AsporaError } from '@aspora/sdk';
import type { HttpResponse } from '../../integrations/http.ts';
import { originOf, postJson, snippet, truncate } from './post-json.ts';
import { DEFAULT_TIMEOUT_MS, type DestinationOf, type Notice, type Notifier } from './types.ts';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const SUMMARY_MAX = 1024; // PagerDuty's limit on payload.summary

export interface PagerDutyOptions {
  eventsUrl?: string;
  timeoutMs?: number;
  /** Wait before the one retry of a 429 or 5xx. */
  retryDelayMs?: number;
}

export function pagerDutyEvent(n: Notice, routingKey: string): Record<string, unknown> {
  const base = {
    routing_key: routingKey,
    event_action: n.status === 'firing' ? 'trigger' : 'resolve',
    dedup_key: n.key,
  };
  // A resolve needs only the dedup_key; PagerDuty keeps the incident's details from its trigger.
  if (n.status === 'resolved') return base;
  return {
    ...base,
    payload: {
      summary: truncate(n.title, SUMMARY_MAX),
      source: 'aspora',
      severity: n.severity,
      timestamp: n.at,
      ...(n.scope.skill ? { component: n.scope.skill } : {}),
      ...(n.scope.domain ? { group: n.scope.domain } : {}),
      class: n.rule,
      custom_details: {
        text: n.text,
        rule: n.rule,
        ...(n.value !== undefined ? { value: n.value } : {}),
        ...(n.threshold !== undefined ? { threshold: n.threshold } : {}),
        scope: n.scope,
      },
    },
    ...(n.links?.length ? { links: n.links.map((l) => ({ href: l.url, text: l.label })) } : {}),
  };
}

export class PagerDutyNotifier implements Notifier<'pagerduty'> {
  readonly channel = 'pagerduty' as const;
  private readonly eventsUrl: string;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: number;

  constructor(opts: PagerDutyOptions = {}) {
    this.eventsUrl = opts.eventsUrl ?? PAGERDUTY_EVENTS_URL;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
  }

  async send(n: Notice, to: DestinationOf<'pagerduty'>): Promise<void> {
    const what = `PagerDuty events API at ${originOf(this.eventsUrl)}`;
    const event = pagerDutyEvent(n, to.routingKey);
    const post = () => postJson(this.eventsUrl, event, { what, timeoutMs: this.timeoutMs });
    let res = await post();
    // One retry only: the dedup_key makes a repeat harmless, but an alert must not queue up
    // behind a struggling PagerDuty; the next evaluation of the rule sends it again anyway.
    if (res.status === 429 || res.status >= 500) {
      await new Promise((r) => setTimeout(r, this.retryDelayMs));
      res = await post();
    }
    if (res.status >= 200 && res.status < 300) return;
    throw statusError(what, res);
  }
}

function statusError(what: string, res: HttpResponse): AsporaError {
  let message = snippet(res.body) || '(no body)';
  try {
    const b = JSON.parse(res.body) as { message?: string; errors?: string[] };
    if (b.message) message = [b.message, ...(b.errors ?? [])].join(': ');
  } catch {
    /* not JSON: keep the text */
  }
  const details = { channel: 'pagerduty', status: res.status };
  if (res.status === 429) {
    return new AsporaError('RATE_LIMITED', `${what} answered 429 twice: ${message}`, {
      hint: 'the routing key sends too many events; the alert is sent again at its next evaluation',
      details,
    });
  }
  if (res.status >= 500)
    return new AsporaError('UPSTREAM_ERROR', `${what} answered ${res.status} twice: ${message}`, {
      hint: 'PagerDuty is having trouble; try again later',
      details,
    });
  return new AsporaError('UPSTREAM_ERROR', `${what} rejected the event (${res.status}): ${message}`, {
    hint: 'check the routing key (an Events API v2 integration key of the service) and pagerduty events_url',
    details,
  });
}
