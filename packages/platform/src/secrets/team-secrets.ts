/**
 * Teams' own secrets (the sealed store) as the platform uses them: set, list and remove for the
 * HTTP routes, and a team's opened values for its skills' handlers, read through a short cache so a
 * run does not cost a query and a decryption per secret.
 *
 * The cache holds a team's opened values for TEAM_SECRETS_TTL_MS at most, and a set or remove in
 * this process drops that team's entry at once. Another platform process keeps serving the value it
 * cached until its entry expires: a change made elsewhere reaches a handler here within
 * TEAM_SECRETS_TTL_MS (a few seconds), never later.
 */
import type { AsporaError } from '@aspora/sdk';
import type { SealedSecretStore, SecretEntry } from './sealed-store.ts';

/** How long a team's opened values are reused in this process (the cross-process lag of a change). */
export const TEAM_SECRETS_TTL_MS = 5_000;
/** Teams whose values are held at once; the oldest entry goes first beyond this. */
const MAX_CACHED_TEAMS = 512;

type TeamValues = ReadonlyMap<string, string | AsporaError>;

interface Entry {
  at: number;
  values: Promise<TeamValues>;
}

export class TeamSecrets {
  readonly #cache = new Map<string, Entry>();

  constructor(
    private readonly store: SealedSecretStore,
    /** The platform's own credentials: no team may store one under that name (SecretVault.reserved). */
    readonly reserved: ReadonlySet<string>,
    private readonly ttlMs = TEAM_SECRETS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A team's secrets, opened (a value that does not open is its error). Concurrent callers share
   * one load; a failed load is not kept.
   */
  values(team: string): Promise<TeamValues> {
    const t = this.now();
    const hit = this.#cache.get(team);
    if (hit && t - hit.at < this.ttlMs) return hit.values;
    if (hit) this.#cache.delete(team);
    if (this.#cache.size >= MAX_CACHED_TEAMS) this.#cache.delete(this.#cache.keys().next().value!);
    const entry: Entry = { at: t, values: this.store.all(team) };
    this.#cache.set(team, entry);
    entry.values.catch(() => {
      if (this.#cache.get(team) === entry) this.#cache.delete(team);
    });
    return entry.values;
  }

  async set(team: string, name: string, value: string, by: string): Promise<SecretEntry> {
    try {
      return await this.store.set(team, name, value, by);
    } finally {
      this.#cache.delete(team);
    }
  }

  async remove(team: string, name: string): Promise<boolean> {
    try {
      return await this.store.remove(team, name);
    } finally {
      this.#cache.delete(team);
    }
  }

  list(team: string): Promise<SecretEntry[]> {
    return this.store.names(team);
  }

  /** Master-key rotation: re-wraps data keys; values and the cache are unchanged by it. */
  rotateMaster(): Promise<number> {
    return this.store.rotateMaster();
  }
}
