/**
 * Slack's request signing: X-Slack-Signature is `v0=` + HMAC-SHA256 of `v0:{timestamp}:{raw body}`
 * with the app's signing secret, X-Slack-Request-Timestamp the seconds it was sent. A request older
 * (or newer) than the window is refused whatever its signature, so a captured request cannot be
 * replayed later; inside the window the route refuses a signature seen before (deliveries.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AsporaError } from '@aspora/sdk';

/** Slack's own window: five minutes either way. */
export const SLACK_WINDOW_S = 300;

export interface SignedHeaders {
  timestamp: string | undefined;
  signature: string | undefined;
}

const refused = (why: string) =>
  new AsporaError('UNAUTHORIZED', `Slack request refused: ${why}`, {
    hint: 'requests must come from Slack, signed with the app signing secret the platform holds (SLACK_SIGNING_SECRET)',
  });

export function verifySlackSignature(secret: string, h: SignedHeaders, raw: string, nowMs = Date.now()): void {
  if (!h.timestamp || !h.signature) throw refused('no X-Slack-Signature or X-Slack-Request-Timestamp');
  if (!/^\d{1,12}$/.test(h.timestamp)) throw refused('a malformed timestamp');
  if (Math.abs(nowMs / 1000 - Number(h.timestamp)) > SLACK_WINDOW_S)
    throw refused('the timestamp is outside 5 minutes');
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${h.timestamp}:${raw}`).digest('hex')}`);
  const given = Buffer.from(h.signature);
  // Equal lengths first: timingSafeEqual throws on a mismatch, and a length says nothing of the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused('a bad signature');
}
