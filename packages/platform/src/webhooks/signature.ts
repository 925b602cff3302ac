/**
 * What the providers sign, checked in constant time. PagerDuty V3 signs the raw body with
 * HMAC-SHA256 (`X-PagerDuty-Signature: v1=<hex>[, v1=<hex>]` while a secret rotates); the generic
 * webhook the same (`X-Aspora-Signature: sha256=<hex>`). Datadog's webhook integration signs
 * nothing: it sends the custom header its configuration holds, compared here as a shared secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const hmac = (secret: string, body: Uint8Array) => createHmac('sha256', secret).update(body).digest();

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** PagerDuty V3: any of the header's v1 signatures is the body's. */
export function pagerDutySigned(header: string | undefined, secret: string, body: Uint8Array): boolean {
  if (!header || header.length > 2000) return false;
  const want = hmac(secret, body);
  let ok = false;
  for (const part of header.split(',')) {
    const m = /^\s*v1=([0-9a-f]{64})\s*$/i.exec(part);
    // Every candidate is compared (no early exit), so the time does not say which one matched.
    if (m && sameBytes(Buffer.from(m[1]!, 'hex'), want)) ok = true;
  }
  return ok;
}

/** The generic webhook: `sha256=<hex of HMAC-SHA256(secret, body)>`. */
export function genericSigned(header: string | undefined, secret: string, body: Uint8Array): boolean {
  const m = header ? /^sha256=([0-9a-f]{64})$/i.exec(header.trim()) : null;
  return !!m && sameBytes(Buffer.from(m[1]!, 'hex'), hmac(secret, body));
}

/** A shared secret sent as a header (Datadog): compared as digests, so lengths do not leak either. */
export function sharedSecretMatches(given: string | undefined, secret: string): boolean {
  if (!given) return false;
  const digest = (s: string) => createHmac('sha256', 'aspora-shared-secret').update(s).digest();
  return sameBytes(digest(given), digest(secret));
}

/** `Authorization: Bearer <token>` (Alertmanager's http_config authorization): the token compared as a shared secret. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const m = authorization ? /^Bearer\s+(\S{1,4096})\s*$/i.exec(authorization) : null;
  return sharedSecretMatches(m?.[1], token);
}

/** How far a signed timestamp may be from now (as Slack's window). */
export const SIGNED_TIMESTAMP_WINDOW_S = 300;

/**
 * Grafana's webhook HMAC (Grafana ≥ 11, the contact point's "HMAC signature"): the header holds the
 * lowercase hex HMAC-SHA256 of the raw body, or of `<timestamp>:<body>` when a timestamp header is
 * configured — then the timestamp (Unix seconds) must also be within five minutes of now.
 */
export function grafanaSigned(
  signature: string | undefined,
  timestamp: string | undefined,
  secret: string,
  body: Uint8Array,
  nowS: number = Date.now() / 1000,
): boolean {
  const m = signature ? /^(?:sha256=)?([0-9a-f]{64})$/i.exec(signature.trim()) : null;
  if (!m) return false;
  let signed: Uint8Array = body;
  if (timestamp !== undefined) {
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowS - Number(timestamp)) > SIGNED_TIMESTAMP_WINDOW_S) return false;
    signed = Buffer.concat([Buffer.from(`${timestamp}:`), body]);
  }
  return sameBytes(Buffer.from(m[1]!, 'hex'), hmac(secret, signed));
}
