/** Helpers the channels share: a JSON POST with a deadline, and how a notice's facts read. */
import { httpRequest, type HttpResponse } from '../../integrations/http.ts';
import type { Notice } from './types.ts';

/** Answers of the services we post to are short; anything longer is not worth holding on to. */
const MAX_ANSWER_BYTES = 64 * 1024;

export function postJson(
  url: string,
  body: unknown,
  opts: { what: string; timeoutMs: number; headers?: Record<string, string> },
): Promise<HttpResponse> {
  return httpRequest(url, {
    method: 'POST',
    // Configured headers go first so they may add auth, but never change what the body is.
    headers: { 'user-agent': 'aspora-notifier', ...opts.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    timeoutMs: opts.timeoutMs,
    maxBytes: MAX_ANSWER_BYTES,
    what: opts.what,
  });
}

/**
 * Where a URL points, for messages and logs: scheme and host only. Slack webhook paths and many
 * webhook query strings are credentials.
 */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/** The start of an answer's body, for an error message. */
export function snippet(body: string, max = 300): string {
  const s = body.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** "skill fraud/block-transaction · domain fraud · team risk", or "platform" for platform rules. */
export function scopeText(n: Notice): string {
  const parts = [
    n.scope.skill && `skill ${n.scope.skill}`,
    n.scope.domain && `domain ${n.scope.domain}`,
    n.scope.team && `team ${n.scope.team}`,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'platform';
}

export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** Label/value pairs every channel shows: value, threshold, scope, rule. */
export function facts(n: Notice): Array<[string, string]> {
  return [
    ...(n.value !== undefined ? [['Value', formatNumber(n.value)] as [string, string]] : []),
    ...(n.threshold !== undefined ? [['Threshold', formatNumber(n.threshold)] as [string, string]] : []),
    ['Scope', scopeText(n)],
    ['Rule', n.rule],
    ['Severity', n.severity],
  ];
}

export const statusWord = (n: Notice): 'FIRING' | 'RESOLVED' => (n.status === 'firing' ? 'FIRING' : 'RESOLVED');
