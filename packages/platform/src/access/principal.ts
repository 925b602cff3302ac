/**
 * Who is calling, and what that caller may do with a skill or a team. Pure rules: the directory
 * (directory.ts) builds a Principal from a token; routes ask these questions once they know the object.
 */
import type { Scope } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';

export interface Principal {
  kind: 'user' | 'service';
  tokenId: string;
  tokenName: string | null;
  /** The user a user's token belongs to; null for a team's service account. */
  user: { id: string; email: string; name: string | null } | null;
  /** A service account's team; null for a user's token. */
  team: string | null;
  /** Team → role in it (a service account: its team → `service`). */
  teams: ReadonlyMap<string, string>;
  /** The holder is a platform admin (sees every skill); admin actions also need the admin scope. */
  admin: boolean;
  scopes: ReadonlySet<Scope>;
  /** Epoch ms; null for a token that does not expire. */
  expiresAt: number | null;
}

/** What a skill (or anything a skill owns: executions, logs, feedback) shows of its ownership. */
export interface Owned {
  ownerTeam: string;
  visibility: 'public' | 'internal' | 'private';
}

/** The token carries the scope; an admin token held by an admin carries every scope but act-as. */
export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.has(scope) || (scope !== 'act-as' && p.admin && p.scopes.has('admin'));
}

/** An admin acting as one: the holder is an admin and the token has the admin scope. */
export function isAdmin(p: Principal): boolean {
  return p.admin && p.scopes.has('admin');
}

/** How the caller is named in records and the audit log. */
export function callerLabel(p: Principal): string {
  if (p.user) return p.user.email;
  return `service:${p.team}/${p.tokenName ?? p.tokenId.slice(0, 8)}`;
}

/**
 * public: any token; internal: a member of any team of the organisation (or a team's service
 * account); private: the owner team's members and service accounts, and admins.
 */
export function canSee(p: Pick<Principal, 'admin' | 'teams'>, s: Owned): boolean {
  if (p.admin || s.visibility === 'public') return true;
  if (s.visibility === 'internal') return p.teams.size > 0;
  return p.teams.has(s.ownerTeam);
}

/** Deploy, roll back, lift a budget: the owner team (with deploy) or an admin (with deploy or admin). */
export function canManage(p: Principal, s: Pick<Owned, 'ownerTeam'>): boolean {
  return hasScope(p, 'deploy') && (p.admin || p.teams.has(s.ownerTeam));
}

/** A team's secrets and service tokens: its members with deploy, or admins. */
export function canManageTeam(p: Principal, team: string): boolean {
  return hasScope(p, 'deploy') && (p.admin || p.teams.has(team));
}

/** Refusal of an action the caller may see but not do: names the caller, the target and the rule. */
export function forbidden(p: Principal, action: string, target: string, rule: string): AsporaError {
  return new AsporaError('FORBIDDEN', `${callerLabel(p)} may not ${action} ${target}: ${rule}`, {
    hint: 'ask an admin or a member of the owner team (aspora whoami shows your teams and scopes)',
  });
}

/** Refuses, naming `rule`, a caller that may not manage `team`'s own things (its secrets, its state tables). */
export function requireTeamManager(p: Principal, action: string, team: string, rule: string): void {
  if (!canManageTeam(p, team)) throw forbidden(p, action, `team ${team}`, rule);
}
