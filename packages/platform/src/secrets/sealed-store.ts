/**
 * Secrets kept in the database, sealed (envelope.ts): set, read, remove and list per team, and
 * master-key rotation that re-wraps data keys in place. The database holds ciphertext and wrapped
 * keys only; the master key stays in this process. Names are listed, values never.
 */
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { type KeyRing, openSecret, sealSecret, type WrappedKey } from './envelope.ts';

const TEAM = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const NAME = /^[A-Z][A-Z0-9_]{0,127}$/;

interface KeyRow {
  id: string;
  team: string;
  master_id: string;
  wrapped: Uint8Array;
}

const toWrapped = (r: KeyRow): WrappedKey => ({
  id: r.id,
  team: r.team,
  masterId: r.master_id,
  wrapped: Buffer.from(r.wrapped),
});

/**
 * The platform's own credentials (API auth, provider keys) sealed like a team's, under a name no
 * team can have (team names are lowercase slugs).
 */
export const PLATFORM_VAULT = '@platform';

function checkTeam(team: string): void {
  if (team === PLATFORM_VAULT) return;
  if (team.length > 64 || !TEAM.test(team))
    throw new AsporaError('BAD_REQUEST', `"${team.slice(0, 64)}" is not a team name`, {
      hint: 'lowercase words joined by hyphens, e.g. ecm-ops',
    });
}

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new AsporaError('BAD_REQUEST', `"${name.slice(0, 128)}" is not a secret name`, {
      hint: 'UPPER_SNAKE_CASE, e.g. ECM_GATEWAY_KEY',
    });
}

/** A stored secret as listed: never its value. */
export interface SecretEntry {
  name: string;
  updatedAt: string;
  /** Who last set it (a user's email, service:<team>/<token>); null when unknown. */
  updatedBy: string | null;
}

export class SealedSecretStore {
  /** Unwrapped data keys by id: one unwrap per key per process, not per read. */
  readonly #keys = new Map<string, Buffer>();

  constructor(
    private readonly db: Db,
    private readonly ring: KeyRing,
  ) {}

  /** Seals and stores the value; `by` (who set it, as callerLabel names them) is kept beside it. */
  async set(team: string, name: string, value: string, by: string | null = null): Promise<SecretEntry> {
    checkTeam(team);
    checkName(name);
    const dk = await this.#activeKey(team);
    const v = sealSecret(dk, team, name, value);
    const [row] = await this.db.query<{ updated_at: Date | string; updated_by: string | null }>(
      `INSERT INTO vault_secrets (team, name, key_id, sealed, updated_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (team, name) DO UPDATE
         SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed, updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING updated_at, updated_by`,
      [team, name, v.keyId, v.sealed, by?.slice(0, 300) ?? null],
    );
    return { name, updatedAt: new Date(row!.updated_at).toISOString(), updatedBy: row!.updated_by };
  }

  async get(team: string, name: string): Promise<string | undefined> {
    checkTeam(team);
    checkName(name);
    const [row] = await this.db.query<KeyRow & { sealed: Uint8Array; key_id: string }>(
      `SELECT s.sealed, s.key_id, k.id, k.team, k.master_id, k.wrapped
         FROM vault_secrets s JOIN vault_data_keys k ON k.id = s.key_id
        WHERE s.team = $1 AND s.name = $2`,
      [team, name],
    );
    if (!row) return undefined;
    const dk = { id: row.id, key: this.#unwrap(toWrapped(row)) };
    return openSecret(dk, team, name, { keyId: row.key_id, sealed: Buffer.from(row.sealed) });
  }

  async remove(team: string, name: string): Promise<boolean> {
    checkTeam(team);
    checkName(name);
    return (
      (await this.db.query('DELETE FROM vault_secrets WHERE team = $1 AND name = $2 RETURNING name', [team, name]))
        .length > 0
    );
  }

  /**
   * Every secret of a team, opened: one query for a handler's lookups (the vault caches the
   * result). A value that does not open is its error, not a failure of the whole team: only a
   * handler that declares that name is refused.
   */
  async all(team: string): Promise<Map<string, string | AsporaError>> {
    checkTeam(team);
    const rows = await this.db.query<KeyRow & { name: string; sealed: Uint8Array; key_id: string }>(
      `SELECT s.name, s.sealed, s.key_id, k.id, k.team, k.master_id, k.wrapped
         FROM vault_secrets s JOIN vault_data_keys k ON k.id = s.key_id
        WHERE s.team = $1`,
      [team],
    );
    const out = new Map<string, string | AsporaError>();
    for (const row of rows) {
      try {
        const dk = { id: row.id, key: this.#unwrap(toWrapped(row)) };
        out.set(row.name, openSecret(dk, team, row.name, { keyId: row.key_id, sealed: Buffer.from(row.sealed) }));
      } catch (e) {
        out.set(
          row.name,
          e instanceof AsporaError
            ? e
            : new AsporaError('INTERNAL', `secret ${row.name} of team ${team} does not open`),
        );
      }
    }
    return out;
  }

  /** The names a team has, with when and by whom each was last set; never a value. */
  async names(team: string): Promise<SecretEntry[]> {
    checkTeam(team);
    const rows = await this.db.query<{ name: string; updated_at: Date | string; updated_by: string | null }>(
      'SELECT name, updated_at, updated_by FROM vault_secrets WHERE team = $1 ORDER BY name',
      [team],
    );
    return rows.map((r) => ({
      name: r.name,
      updatedAt: new Date(r.updated_at).toISOString(),
      updatedBy: r.updated_by,
    }));
  }

  /**
   * Re-wraps every data key not wrapped by the current master key. Values are not touched, and each
   * key is updated only if nobody re-wrapped it meanwhile, so several processes may rotate at once
   * and reads go on throughout. Returns how many keys this call re-wrapped.
   */
  async rotateMaster(): Promise<number> {
    const stale = await this.db.query<KeyRow>(
      'SELECT id, team, master_id, wrapped FROM vault_data_keys WHERE master_id <> $1',
      [this.ring.current.id],
    );
    let done = 0;
    for (const row of stale) {
      const w = this.ring.rewrap(toWrapped(row));
      const updated = await this.db.query(
        'UPDATE vault_data_keys SET master_id = $1, wrapped = $2 WHERE id = $3 AND master_id = $4 RETURNING id',
        [w.masterId, w.wrapped, w.id, row.master_id],
      );
      done += updated.length;
    }
    return done;
  }

  /** The team's active data key, made on its first secret (two processes racing: one key wins). */
  async #activeKey(team: string): Promise<{ id: string; key: Buffer }> {
    const find = () =>
      this.db.query<KeyRow>(
        'SELECT id, team, master_id, wrapped FROM vault_data_keys WHERE team = $1 AND retired_at IS NULL',
        [team],
      );
    let [row] = await find();
    if (!row) {
      const { stored, key } = this.ring.newDataKey(team);
      const inserted = await this.db.query(
        `INSERT INTO vault_data_keys (id, team, master_id, wrapped) VALUES ($1, $2, $3, $4)
         ON CONFLICT (team) WHERE retired_at IS NULL DO NOTHING RETURNING id`,
        [stored.id, team, stored.masterId, stored.wrapped],
      );
      if (inserted.length) {
        this.#keys.set(stored.id, key);
        return { id: stored.id, key };
      }
      [row] = await find();
      if (!row) throw new AsporaError('INTERNAL', `no active data key for team ${team} after creating one`);
    }
    return { id: row.id, key: this.#unwrap(toWrapped(row)) };
  }

  #unwrap(w: WrappedKey): Buffer {
    let key = this.#keys.get(w.id);
    if (!key) {
      key = this.ring.unwrap(w);
      this.#keys.set(w.id, key);
    }
    return key;
  }
}
