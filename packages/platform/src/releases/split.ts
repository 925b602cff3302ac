/**
 * The sticky traffic split: a key's bucket is a fast 32-bit hash of `${releaseId}:${key}` folded
 * to 0..9999, and the canary takes the buckets below its share × 100. The bucket does not depend
 * on the share, so a key in the canary at 10 % is still in it at 25 % (its bucket stays below the
 * line as the line moves up), and a new release reshuffles who goes first.
 */
import type { ExecutionUser } from '../runtime/end-user.ts';

export const BUCKETS = 10_000;

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so that near keys spread evenly. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 0..9999; a null key (an anonymous caller with no session) draws a random bucket each time. */
export function bucketOf(releaseId: number, key: string | null): number {
  if (key === null) return Math.floor(Math.random() * BUCKETS);
  return hash32(`${releaseId}:${key}`) % BUCKETS;
}

/** True when this bucket is in the canary's share (0–100, fractions allowed to 0.01). */
export const inCanary = (bucket: number, percentage: number): boolean => bucket < Math.round(percentage * 100);

/** Keys longer than this are cut: the hash stays cheap whatever a caller sends as a session id. */
const MAX_KEY = 256;

/**
 * What keeps a person on one side during a step: the end user's email, else the caller, else the
 * input's metadata.sessionId (an anonymous channel's session), else null.
 */
export function splitKey(req: {
  user?: Pick<ExecutionUser, 'email'> | undefined;
  caller?: string | undefined;
  input?: Record<string, unknown>;
}): string | null {
  const email = req.user?.email;
  if (email) return email.slice(0, MAX_KEY);
  if (req.caller) return req.caller.slice(0, MAX_KEY);
  const meta = req.input?.metadata;
  const session =
    meta && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>).sessionId : undefined;
  if (typeof session === 'string' && session) return `s:${session.slice(0, MAX_KEY)}`;
  if (typeof session === 'number' && Number.isFinite(session)) return `s:${session}`;
  return null;
}
