/**
 * Shadow targets (issue 17 part 4, decision 020): what a shadow execution may touch. It reads
 * stable's world (the same tables, state and APIs, so both versions see the same input) and every
 * write goes somewhere stable never reads: a state table's `_canary` twin, a state key's
 * `canary:` twin. A write to an API is refused unless the platform marks the API shadow_safe;
 * WebFetch sends reads only. Nothing of a shadow reaches a channel (its result is compared, never
 * answered), and a context.invoke from it runs the child as a shadow too.
 */
import { createHash } from 'node:crypto';
import { AsporaError } from '@aspora/sdk';

export const TWIN_SUFFIX = '_canary';
/** State table names are at most 63 characters (state_tables.tab's check). */
const MAX_TABLE = 63;
const HASH_CHARS = 8;

/**
 * The twin of a state table: `assignments` → `assignments_canary`; a table already ending in
 * `_canary` is its own twin. A name too long for the suffix keeps a prefix and a hash of the whole
 * name, so two long names that share a prefix never share a twin, and the twin is still a table name.
 */
export function twinTable(table: string): string {
  if (table.endsWith(TWIN_SUFFIX)) return table;
  if (table.length + TWIN_SUFFIX.length <= MAX_TABLE) return table + TWIN_SUFFIX;
  const hash = createHash('sha256').update(table).digest('hex').slice(0, HASH_CHARS);
  return `${table.slice(0, MAX_TABLE - TWIN_SUFFIX.length - HASH_CHARS - 1)}_${hash}${TWIN_SUFFIX}`;
}

/** A compare tab as the user writes it (`Assignments_canary`, `assignments_tab`, `assignments`) → stable's table and its twin. */
export function compareTables(compareTab: string): { stable: string; twin: string } {
  let t = compareTab.trim().toLowerCase();
  if (t.endsWith(TWIN_SUFFIX)) t = t.slice(0, -TWIN_SUFFIX.length);
  if (t.endsWith('_tab') && t.length > 4) t = t.slice(0, -4);
  return { stable: t, twin: twinTable(t) };
}

/** The twin of a skill_state key (context.state.set): stable never reads it. */
export const twinStateKey = (key: string) => `canary:${key}`;

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** WebFetch from a shadow: reads only (a POST may change the world stable lives in). */
export function shadowFetchRefusal(ref: string, method: string | undefined): AsporaError | null {
  const m = (method ?? 'GET').toUpperCase();
  if (READ_METHODS.has(m)) return null;
  return new AsporaError(
    'PERMISSION_DENIED',
    `skill ${ref} runs in shadow: WebFetch ${m} refused (shadow runs send reads only)`,
    {
      hint: 'a shadow run may not change anything outside its _canary targets; stable makes this request',
      details: { skill: ref, resource: `WebFetch ${m}`, rule: 'shadow: reads only' },
    },
  );
}

/** A write to a platform API from a shadow, refused unless the API is shadow_safe. */
export function shadowApiRefusal(ref: string, api: string, method: string, why: string): AsporaError {
  const rule = `apis.${api}.shadow_safe`;
  return new AsporaError(
    'PERMISSION_DENIED',
    `skill ${ref} runs in shadow: api ${api}.${method} refused: not a read (${why}), and ${rule} is not true`,
    {
      hint: `shadow runs send reads only, unless a platform admin marks the API safe for them (apis.${api}.shadow_safe: true in aspora.platform.yaml)`,
      details: { skill: ref, resource: `api ${api}.${method}`, rule },
    },
  );
}
