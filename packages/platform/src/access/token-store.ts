/**
 * Tokens: who may issue which (issue), list and revoke them, and the principal a token stands for
 * (load). A token never widens its issuer's rights: scopes are a subset of the issuer's, `admin` only
 * for an admin holder, `act-as` and tokens that never expire (or live past 366 days) only by admins, another user's token
 * or a team's service token only by admins or (for a service token) the team's members with deploy.
 */
import { randomUUID } from 'node:crypto';
import { SCOPES, type Scope } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { type Directory, normaliseEmail } from './directory.ts';
import { callerLabel, canManageTeam, forbidden, hasScope, isAdmin, type Principal } from './principal.ts';
import { hashToken, lifetimeMs, mintToken, tokenPrefix } from './tokens.ts';

export interface TokenInfo {
  id: string;
  name: string | null;
  kind: 'user' | 'service';
  user: string | null;
  team: string | null;
  scopes: Scope[];
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface IssueRequest {
  name?: string | undefined;
  scopes: Scope[];
  expires: string;
  team?: string | undefined;
  user?: string | undefined;
}

interface TokenRow {
  id: string;
  name: string | null;
  prefix: string;
  user_id: string | null;
  email: string | null;
  team: string | null;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const TOKEN_SELECT = `SELECT t.id, t.name, t.prefix, t.user_id, u.email, t.team, t.scopes, t.created_at,
  t.expires_at, t.revoked_at, t.last_used_at FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id`;
/** The longest lifetime a non-admin may give a token (a year and a day: yearly rotation). */
export const MAX_LIFETIME_MS = 366 * 86_400_000;
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export class TokenStore {
  constructor(
    private readonly db: Db,
    private readonly directory: Directory,
  ) {}

  async issue(caller: Principal, r: IssueRequest): Promise<TokenInfo & { token: string }> {
    const scopes = [...new Set(r.scopes)].sort((a, b) => SCOPES.indexOf(a) - SCOPES.indexOf(b));
    if (caller.kind !== 'user') throw forbidden(caller, 'create', 'tokens', 'a service token cannot create tokens');
    if (r.team && r.user) throw new AsporaError('BAD_REQUEST', 'a token is either a user’s or a team’s, not both');
    const admin = isAdmin(caller);
    const wide = scopes.filter((s) => !hasScope(caller, s));
    if (wide.length) throw forbidden(caller, 'grant', wide.join(', '), 'a token’s scopes are within its creator’s');
    if (scopes.includes('act-as') && !admin)
      throw forbidden(caller, 'grant', 'act-as', 'only admins grant act-as (it runs skills as any user)');
    if (r.expires === 'never' && !admin)
      throw forbidden(caller, 'create', 'a token that never expires', 'only admins create tokens without expiry');
    // 99999d is as good as never: a lifetime past the bound is an admin's choice too.
    const life = lifetimeMs(r.expires);
    if (!admin && life !== null && life > MAX_LIFETIME_MS)
      throw forbidden(caller, 'create', `a token that lives ${r.expires}`, 'tokens for longer than 366d: admins only');
    let userId: string | null = null;
    let team: string | null = null;
    if (r.team) {
      if (!canManageTeam(caller, r.team))
        throw forbidden(caller, 'create', `a service token of ${r.team}`, 'members of the team with deploy, or admins');
      if (!(await this.directory.teamExists(r.team)))
        throw new AsporaError('NOT_FOUND', `no team ${r.team}`, { hint: `aspora teams create ${r.team}` });
      if (scopes.includes('admin')) throw forbidden(caller, 'grant', 'admin', 'a service token is never an admin');
      team = r.team;
    } else if (r.user && normaliseEmail(r.user) !== caller.user?.email) {
      if (!admin) throw forbidden(caller, 'create', `a token for ${r.user}`, 'only admins create tokens for others');
      const u = await this.directory.userByEmail(r.user);
      if (!u) throw new AsporaError('NOT_FOUND', `no user ${r.user}`, { hint: `aspora users add ${r.user}` });
      if (scopes.includes('admin') && !u.admin) throw forbidden(caller, 'grant', 'admin', `${u.email} is not an admin`);
      userId = u.id;
    } else {
      userId = caller.user!.id;
    }
    const token = mintToken();
    const id = await this.insert({
      token,
      name: r.name ?? null,
      userId,
      team,
      scopes,
      createdBy: callerLabel(caller),
      expiresAt: life === null ? null : new Date(Date.now() + life),
    });
    return { ...(await this.get(id))!, token };
  }

  /** Stores a token (minted here, or an operator's ASPORA_ADMIN_TOKEN) by its hash. */
  async insert(t: {
    token: string;
    name: string | null;
    userId: string | null;
    team: string | null;
    scopes: Scope[];
    createdBy: string;
    expiresAt: Date | null;
    db?: Db;
  }): Promise<string> {
    const id = randomUUID();
    await (t.db ?? this.db).query(
      `INSERT INTO api_tokens (id, hash, prefix, name, user_id, team, scopes, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, hashToken(t.token), tokenPrefix(t.token), t.name, t.userId, t.team, t.scopes, t.createdBy, t.expiresAt],
    );
    return id;
  }

  async get(id: string): Promise<TokenInfo | undefined> {
    const rows = await this.db.query<TokenRow>(`${TOKEN_SELECT} WHERE t.id = $1`, [id]);
    return rows[0] && toInfo(rows[0]);
  }

  /** The caller's own tokens and its teams' service tokens; every token for an admin asking for all. */
  async list(caller: Principal, all: boolean): Promise<TokenInfo[]> {
    if (all && !isAdmin(caller)) throw forbidden(caller, 'list', 'every token', 'admins only');
    const teams = [...caller.teams.keys()];
    const rows = all
      ? await this.db.query<TokenRow>(`${TOKEN_SELECT} ORDER BY t.created_at DESC`)
      : await this.db.query<TokenRow>(
          `${TOKEN_SELECT} WHERE t.user_id = $1 OR t.team = ANY($2) ORDER BY t.created_at DESC`,
          [caller.user?.id ?? null, teams],
        );
    return rows.map(toInfo);
  }

  async revoke(caller: Principal, id: string): Promise<TokenInfo> {
    const t = await this.get(id);
    const own = t && ((t.user && t.user === caller.user?.email) || t.id === caller.tokenId);
    const team = t?.team && canManageTeam(caller, t.team);
    if (!t || !(own || team || isAdmin(caller))) {
      // A token one may not revoke is answered as missing: ids of others' tokens are not confirmed.
      throw new AsporaError('NOT_FOUND', `no token ${id}`, { hint: 'aspora tokens list shows your tokens' });
    }
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [id]);
      await this.directory.changed('token', tx);
    });
    return (await this.get(id))!;
  }

  /** The principal a token hash stands for, with why not when it stands for none. */
  async load(hash: Buffer): Promise<{ principal: Principal } | { refused: 'unknown' | 'expired' | 'revoked' }> {
    const [t] = await this.db.query<TokenRow & { admin: boolean | null; uname: string | null }>(
      `SELECT t.id, t.name, t.user_id, u.email, u.name AS uname, u.admin, t.team, t.scopes, t.expires_at, t.revoked_at
       FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.hash = $1`,
      [hash],
    );
    if (!t) return { refused: 'unknown' };
    if (t.revoked_at) return { refused: 'revoked' };
    const expiresAt = t.expires_at ? new Date(t.expires_at).getTime() : null;
    if (expiresAt !== null && expiresAt <= Date.now()) return { refused: 'expired' };
    const teams = new Map<string, string>();
    if (t.user_id) {
      const rows = await this.db.query<{ team: string; role: string }>(
        'SELECT team, role FROM memberships WHERE user_id = $1',
        [t.user_id],
      );
      for (const r of rows) teams.set(r.team, r.role);
    } else if (t.team) teams.set(t.team, 'service');
    return {
      principal: {
        kind: t.user_id ? 'user' : 'service',
        tokenId: t.id,
        tokenName: t.name,
        user: t.user_id ? { id: t.user_id, email: t.email!, name: t.uname } : null,
        team: t.user_id ? null : t.team,
        teams,
        admin: Boolean(t.admin),
        scopes: new Set(t.scopes as Scope[]),
        expiresAt,
      },
    };
  }

  /** Last use, at most once a minute per token and never awaited by a request. */
  touch(id: string): Promise<unknown> {
    return this.db.query(
      `UPDATE api_tokens SET last_used_at = now()
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }
}

function toInfo(r: TokenRow): TokenInfo {
  return {
    id: r.id,
    name: r.name,
    kind: r.user_id ? 'user' : 'service',
    user: r.email,
    team: r.team,
    scopes: r.scopes as Scope[],
    prefix: r.prefix,
    createdAt: iso(r.created_at)!,
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
    lastUsedAt: iso(r.last_used_at),
  };
}
