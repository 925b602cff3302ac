/**
 * The organisation's people: teams, users and each user's role in a team. One platform is one
 * organisation (docs/decisions/012-access.md). Every change is written to access_changes so that
 * every process drops the principals it cached (authenticator.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Membership } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';

export interface TeamInfo {
  name: string;
  description: string | null;
  members: number;
  createdAt: string;
}

export interface UserInfo {
  id: string;
  email: string;
  name: string | null;
  admin: boolean;
  teams: Membership[];
  createdAt: string;
}

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  admin: boolean;
  created_at: Date | string;
  teams: Membership[] | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();
/** Emails name users; compared without case, as mail systems do. */
export const normaliseEmail = (e: string) => e.trim().toLowerCase();

const USER_SELECT = `SELECT u.id, u.email, u.name, u.admin, u.created_at,
  (SELECT json_agg(json_build_object('team', m.team, 'role', m.role) ORDER BY m.team)
     FROM memberships m WHERE m.user_id = u.id) AS teams
  FROM users u`;

export class Directory {
  constructor(private readonly db: Db) {}

  /** Marks a change every process must see: cached principals are dropped within a second. */
  async changed(kind: string, db: Db = this.db): Promise<void> {
    await db.query('INSERT INTO access_changes (kind) VALUES ($1)', [kind]);
  }

  async createTeam(name: string, description?: string): Promise<TeamInfo> {
    const rows = await this.db.query<{ created_at: Date }>(
      'INSERT INTO teams (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING created_at',
      [name, description ?? null],
    );
    if (!rows[0])
      throw new AsporaError('CONFLICT', `team ${name} exists`, { hint: 'aspora teams list shows the teams' });
    return { name, description: description ?? null, members: 0, createdAt: iso(rows[0].created_at) };
  }

  async listTeams(): Promise<TeamInfo[]> {
    const rows = await this.db.query<{ name: string; description: string | null; created_at: Date; members: number }>(
      `SELECT t.name, t.description, t.created_at,
         (SELECT count(*)::int FROM memberships m WHERE m.team = t.name) AS members
       FROM teams t ORDER BY t.name`,
    );
    return rows.map((r) => ({
      name: r.name,
      description: r.description,
      members: Number(r.members),
      createdAt: iso(r.created_at),
    }));
  }

  async teamExists(name: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM teams WHERE name = $1', [name])).length > 0;
  }

  async userByEmail(email: string): Promise<UserInfo | undefined> {
    const rows = await this.db.query<UserRow>(`${USER_SELECT} WHERE u.email = $1`, [normaliseEmail(email)]);
    return rows[0] && toUser(rows[0]);
  }

  async userById(id: string): Promise<UserInfo | undefined> {
    const rows = await this.db.query<UserRow>(`${USER_SELECT} WHERE u.id = $1`, [id]);
    return rows[0] && toUser(rows[0]);
  }

  async listUsers(): Promise<UserInfo[]> {
    return (await this.db.query<UserRow>(`${USER_SELECT} ORDER BY u.email`)).map(toUser);
  }

  async countUsers(): Promise<number> {
    const [r] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return Number(r?.n ?? 0);
  }

  /** Adds a user (or finds the existing one) and, with a team, sets the user's role in it. */
  async addUser(u: {
    email: string;
    name?: string | undefined;
    admin?: boolean | undefined;
    team?: string | undefined;
    role?: string | undefined;
  }): Promise<{ user: UserInfo; created: boolean }> {
    if (u.team && !u.role)
      throw new AsporaError('BAD_REQUEST', `a role in team ${u.team} is needed`, {
        hint: 'e.g. --role field (roles are the ones your role rules name)',
      });
    const email = normaliseEmail(u.email);
    const created = await this.db.transaction(async (tx) => {
      const rows = await tx.query(
        'INSERT INTO users (id, email, name, admin) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING RETURNING id',
        [randomUUID(), email, u.name ?? null, u.admin ?? false],
      );
      if (u.team) await this.#setRole(tx, u.team, email, u.role!);
      if (u.team || rows.length === 0) await this.changed('user', tx);
      return rows.length > 0;
    });
    return { user: (await this.userByEmail(email))!, created };
  }

  async setMembership(team: string, email: string, role: string): Promise<UserInfo> {
    await this.db.transaction(async (tx) => {
      await this.#setRole(tx, team, normaliseEmail(email), role);
      await this.changed('membership', tx);
    });
    return (await this.userByEmail(email))!;
  }

  async removeMembership(team: string, email: string): Promise<UserInfo> {
    const user = await this.#require(team, email);
    const rows = await this.db.transaction(async (tx) => {
      const r = await tx.query('DELETE FROM memberships WHERE team = $1 AND user_id = $2 RETURNING role', [
        team,
        user.id,
      ]);
      await this.changed('membership', tx);
      return r;
    });
    if (rows.length === 0)
      throw new AsporaError('NOT_FOUND', `${user.email} is not a member of ${team}`, {
        hint: 'aspora users list shows who is in which team',
      });
    return (await this.userByEmail(email))!;
  }

  async #setRole(tx: Db, team: string, email: string, role: string): Promise<void> {
    const user = await this.#require(team, email, tx);
    await tx.query(
      `INSERT INTO memberships (team, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (team, user_id) DO UPDATE SET role = excluded.role`,
      [team, user.id, role],
    );
  }

  /** The team and the user, or NOT_FOUND naming which is missing. */
  async #require(team: string, email: string, db: Db = this.db): Promise<{ id: string; email: string }> {
    const [t] = await db.query('SELECT 1 FROM teams WHERE name = $1', [team]);
    if (!t) throw new AsporaError('NOT_FOUND', `no team ${team}`, { hint: `aspora teams create ${team}` });
    const [u] = await db.query<{ id: string; email: string }>('SELECT id, email FROM users WHERE email = $1', [
      normaliseEmail(email),
    ]);
    if (!u) throw new AsporaError('NOT_FOUND', `no user ${email}`, { hint: `aspora users add ${email}` });
    return u;
  }
}

function toUser(r: UserRow): UserInfo {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    admin: r.admin,
    teams: r.teams ?? [],
    createdAt: iso(r.created_at),
  };
}
