import { createHash } from 'node:crypto';
import { AsporaError } from './errors.ts';

/** Canonical content address: lowercase hex only, so one blob has exactly one name. */
const DIGEST_RE = /^sha256:([0-9a-f]{64})$/;

export interface ParsedDigest {
  algorithm: 'sha256';
  hex: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `sha256:<64 lowercase hex>` of the bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${sha256Hex(bytes)}`;
}

export function isDigest(s: unknown): s is string {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** Validates the form; throws BAD_REQUEST because a malformed digest is a caller error, not a bundle problem. */
export function parseDigest(s: string): ParsedDigest {
  const m = typeof s === 'string' ? DIGEST_RE.exec(s) : null;
  if (!m || m[1] === undefined) {
    const shown = typeof s === 'string' ? JSON.stringify(s.slice(0, 80)) : typeof s;
    throw new AsporaError('BAD_REQUEST', `invalid bundle digest ${shown}`, {
      hint: 'a digest looks like "sha256:" followed by 64 lowercase hex characters',
    });
  }
  return { algorithm: 'sha256', hex: m[1] };
}
