/**
 * A webhook-triggered execution's result, POSTed back to a callback URL (issue 16 part 7). The
 * URL is the skill's, never the payload's alone: the webhook trigger's `callback` names it (an
 * https URL), or a prefix (`https://hooks.example.com/aspora/*`) under which the signed payload's
 * `callback_url` may choose — anything else is refused before anything is queued. The POST goes
 * through the guarded dispatcher (no loopback, private or link-local address unless
 * `callbacks.allow_private` names it; every address the name resolves to is checked when the
 * connection is made), follows no redirect, has a deadline and a bounded body, and is signed with
 * the trigger's secret like the webhook that asked: `X-Aspora-Signature: sha256=<HMAC-SHA256 of
 * the body>`. Retries are the reply queue's (jobs/replies.ts).
 */
import { createHmac } from 'node:crypto';
import { AsporaError } from '@aspora/sdk';
import type { Dispatcher } from 'undici';
import { AddressPolicy } from '../integrations/address-policy.ts';
import { AddressRefused, guardedDispatcher } from '../integrations/guarded-dispatcher.ts';
import { httpRequest } from '../integrations/http.ts';
import type { Deliverer, Delivery, ReplyTarget } from '../jobs/replies.ts';
import type { ExecutionRecord } from '../observe/executions.ts';

/** The largest callback body: a result bigger than this goes without it (`resultTruncated: true`). */
export const MAX_CALLBACK_BYTES = 256 * 1024;
const MAX_URL = 2000;

export interface CallbackTarget extends ReplyTarget {
  kind: 'callback';
  url: string;
  /** The trigger's secret's name (its value is read when sending, never stored with the job). */
  secret: string;
  ownerTeam: string | null;
}

export interface CallbackPolicy {
  /** Private addresses callbacks may still reach (the platform file's callbacks.allow_private). */
  allowPrivate: readonly string[];
  /** Plain http:// callbacks (a local receiver in tests); https only otherwise. */
  allowHttp: boolean;
  timeoutMs: number;
}

const refuse = (why: string) =>
  new AsporaError('BAD_REQUEST', `callback_url: ${why}`, {
    hint: "the skill's webhook trigger names where results may go (callback: an https URL, or a prefix ending in *)",
  });

/** A URL the platform would post to: absolute, http(s), no credentials, bounded. */
function parsed(url: string): URL | null {
  if (url.length > MAX_URL) return null;
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password ? u : null;
  } catch {
    return null;
  }
}

/**
 * Where this delivery's result goes: the trigger's URL, or the payload's `callback_url` when the
 * trigger's callback is a prefix it lies under (same origin, the path below the prefix's). None
 * when neither names one; a payload URL the trigger does not allow is a 400.
 */
export function callbackUrl(configured: string | undefined, requested: unknown): string | null {
  if (requested !== undefined && requested !== null && typeof requested !== 'string') throw refuse('not a string');
  if (!configured) {
    if (requested) throw refuse('this skill’s webhook trigger names no callback');
    return null;
  }
  if (!configured.endsWith('*')) {
    if (requested && requested !== configured)
      throw refuse('the trigger names its own callback; send none or that one');
    return configured;
  }
  if (!requested) return null;
  const prefix = parsed(configured.slice(0, -1));
  const want = parsed(requested);
  if (!prefix || !want) throw refuse('not an absolute http(s) URL without credentials');
  // Compared as parsed URLs, so `https://hooks.example.com.evil.test/` or `/../` tricks do not pass.
  if (want.origin !== prefix.origin || !want.pathname.startsWith(prefix.pathname) || want.href.includes('/../'))
    throw refuse(`not under ${configured.slice(0, -1)}`);
  return want.href;
}

/** What the receiver gets: the execution's outcome, bounded. */
export function callbackBody(e: ExecutionRecord, sentAt: Date): string {
  const outcome = {
    execution: e.id,
    skill: e.ref,
    version: e.version,
    trigger: e.trigger,
    sourceEventId: e.sourceEventId ?? null,
    status: e.success ? 'done' : 'error',
    success: e.success === true,
    error: e.error ? { code: e.error.code, message: e.error.message } : null,
    completedAt: e.completedAt,
    sentAt: sentAt.toISOString(),
  };
  const whole = JSON.stringify({ ...outcome, result: e.result ?? null });
  if (Buffer.byteLength(whole) <= MAX_CALLBACK_BYTES) return whole;
  return JSON.stringify({ ...outcome, result: null, resultTruncated: true });
}

export const signCallback = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Statuses worth another attempt: the receiver was busy or broken, not refusing. */
const RETRY_STATUS = (s: number) => s === 408 || s === 425 || s === 429 || s >= 500;

export function callbackDeliverer(
  policy: CallbackPolicy,
  secretOf: (ownerTeam: string | null, name: string) => Promise<string | undefined>,
): Deliverer {
  const dispatcher: Dispatcher = guardedDispatcher(new AddressPolicy(policy.allowPrivate), {
    connectTimeoutMs: policy.timeoutMs,
  });
  return async (execution, t, attempt): Promise<Delivery> => {
    const target = t as CallbackTarget;
    const url = parsed(target.url);
    if (!url) return { ok: false, error: 'the callback URL is not an absolute http(s) URL', retry: false };
    if (url.protocol === 'http:' && !policy.allowHttp)
      return { ok: false, error: 'callbacks go to https:// URLs only (callbacks.allow_http)', retry: false };
    const secret = await secretOf(target.ownerTeam, target.secret);
    if (!secret) return { ok: false, error: `the secret ${target.secret} is not set`, retry: false };
    const body = callbackBody(execution, new Date());
    try {
      const res = await httpRequest(url.href, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'aspora-callback',
          'x-aspora-signature': signCallback(secret, body),
          'x-aspora-delivery': execution.id,
          'x-aspora-attempt': String(attempt),
        },
        body,
        dispatcher,
        timeoutMs: policy.timeoutMs,
        maxBytes: 64 * 1024,
        what: `callback to ${url.host}`,
      });
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      if (res.status >= 300 && res.status < 400)
        return { ok: false, status: res.status, error: 'the receiver redirected (not followed)', retry: false };
      return {
        ok: false,
        status: res.status,
        error: `the receiver answered ${res.status}`,
        retry: RETRY_STATUS(res.status),
      };
    } catch (e) {
      if (e instanceof AddressRefused) return { ok: false, error: `refused: ${e.message}`, retry: false };
      return { ok: false, error: e instanceof Error ? e.message : String(e), retry: true };
    }
  };
}
