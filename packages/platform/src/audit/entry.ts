/**
 * One audit entry as it is stored and hashed: its fields bounded and normalised so that what is
 * written reads back byte for byte the same (jsonb and text columns refuse NUL and lone surrogates,
 * and would otherwise change a value between hashing and verifying), and its hash.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry } from '@aspora/api';

export type Outcome = AuditEntry['outcome'];

/** What a caller hands to record(): names of things, never secret values. */
export interface AuditInput {
  /** callerLabel(principal), or `platform` for the platform's own actions. */
  actor: string;
  /** dotted verb, e.g. skill.deploy, token.create, secret.set, access.denied */
  action: string;
  target?: string | null | undefined;
  outcome: Outcome;
  /** Small facts about the action (version, scopes, rule). Names only: values are redacted by key. */
  details?: Record<string, unknown> | undefined;
}

/** An entry's fields as hashed; `at` is an ISO time with milliseconds. */
export interface EntryFields {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: Outcome;
  details: Record<string, unknown>;
}

/** The hash before the first entry. */
export const GENESIS = '0'.repeat(64);

export const LIMITS = {
  actor: 300,
  action: 100,
  target: 500,
  /** details serialised, in UTF-8 bytes */
  detailsBytes: 8 * 1024,
  string: 1024,
  items: 50,
  depth: 5,
} as const;

/**
 * Keys whose values are credentials whatever a caller meant to pass. A backstop only: callers pass
 * names (the secret's name is the entry's target), never values.
 */
const SECRET_KEYS = new Set([
  'value',
  'secret',
  'token',
  'password',
  'passphrase',
  'authorization',
  'cookie',
  'apikey',
  'api_key',
  'masterkey',
  'master_key',
  'privatekey',
  'private_key',
]);
export const REDACTED = '[redacted]';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NUL = /\u0000/g; // text and jsonb columns refuse NUL

/** A string as the database stores it: no NUL, no lone surrogate, at most `max` characters. */
export function cleanText(s: string, max: number): string {
  let out = s.replace(NUL, '');
  if (out.length > max) out = `${out.slice(0, max - 1)}…`; // may split a pair: cleaned below
  return out.replace(LONE_SURROGATE, '\uFFFD');
}

function bound(v: unknown, depth: number): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return cleanText(v, LIMITS.string);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`; // bytes are never shown: they may be a key
  if (typeof v !== 'object') return undefined; // functions, symbols, undefined: not data
  if (depth >= LIMITS.depth) return '[too deep]';
  if (Array.isArray(v)) {
    const items = v.slice(0, LIMITS.items).map((x) => bound(x, depth + 1) ?? null);
    if (v.length > LIMITS.items) items.push(`[${v.length - LIMITS.items} more]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(v);
  for (const [k, x] of entries.slice(0, LIMITS.items)) {
    const key = cleanText(k, 100);
    const b = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : bound(x, depth + 1);
    if (b !== undefined) put(out, key, b);
  }
  if (entries.length > LIMITS.items) out['…'] = `${entries.length - LIMITS.items} more keys`;
  return out;
}

/** A key named __proto__ is data here, not the object's prototype. */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/**
 * details cut to the limits: long strings and lists shortened, deep nesting cut, credential-named
 * keys redacted; if still over LIMITS.detailsBytes, top-level keys kept in order while they fit
 * and the rest named as dropped.
 */
export function boundDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details) return {};
  const b = bound(details, 0) as Record<string, unknown>;
  if (bytes(b) <= LIMITS.detailsBytes) return b;
  const out: Record<string, unknown> = {};
  const dropped: string[] = [];
  const budget = LIMITS.detailsBytes - 300; // room for the note on what was dropped
  for (const [k, v] of Object.entries(b)) {
    if (bytes({ ...out, [k]: v }) <= budget) put(out, k, v);
    else dropped.push(k);
  }
  out['…truncated'] = cleanText(dropped.join(', '), 200);
  return out;
}

/** An input as it will be stored (without seq and time). */
export function normalise(e: AuditInput): Omit<EntryFields, 'seq' | 'at'> {
  return {
    actor: cleanText(e.actor, LIMITS.actor),
    action: cleanText(e.action, LIMITS.action),
    target: e.target == null ? null : cleanText(e.target, LIMITS.target),
    outcome: e.outcome,
    details: boundDetails(e.details),
  };
}

/** JSON with object keys sorted at every level: one encoding however jsonb reorders them. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** SHA-256 (hex) over the previous entry's hash and this entry's fields, canonically encoded. */
export function entryHash(prevHash: string, f: EntryFields): string {
  const body = canonicalJson([f.seq, f.at, f.actor, f.action, f.target, f.outcome, f.details]);
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
