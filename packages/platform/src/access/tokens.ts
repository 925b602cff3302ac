/**
 * API tokens: 32 random bytes behind a recognisable prefix (secret scanners and people can tell an
 * Aspora token from other strings). Only a SHA-256 of the whole token is stored: a token has 256
 * bits of entropy, so a fast hash is safe, and lookups by hash make the check's timing independent
 * of how much of a guessed token matched.
 */
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'aspora_';
/** aspora_ + 43 base64url characters. */
const TOKEN_RE = /^aspora_[A-Za-z0-9_-]{43}$/;
/** Longest bearer value even looked at: anything longer is refused before hashing. */
export const MAX_TOKEN_LENGTH = 512;

export function mintToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * The first characters shown in listings: enough to recognise a token, far too few to use it. A
 * minted token shows its fixed prefix and 6 of its 43 random characters; any other (an operator's
 * ASPORA_ADMIN_TOKEN, 20 characters at least, of unknown entropy) shows 4 characters only — 13 of
 * a 20-character secret would leave 7 to guess, next to its fast hash in the database.
 */
export function tokenPrefix(token: string): string {
  return looksMinted(token) ? token.slice(0, TOKEN_PREFIX.length + 6) : token.slice(0, 4);
}

/** Minted by this platform (other strings, e.g. an operator's ASPORA_ADMIN_TOKEN, are accepted too). */
export function looksMinted(token: string): boolean {
  return TOKEN_RE.test(token);
}

/** 90m, 12h, 30d → milliseconds; `never` → null. */
export function lifetimeMs(s: string): number | null {
  if (s === 'never') return null;
  const m = /^(\d{1,5})([mhd])$/.exec(s);
  if (!m) throw new Error(`not a lifetime: ${s}`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}
