/**
 * The end user of an execution, as a handler sees it in `context.user`: who the platform
 * authenticated (or whom a service token with act-as named), never anything from the input.
 */
import type { Principal } from '../access/principal.ts';

export interface ExecutionUser {
  id: string;
  /** Names the user: the record's user_id, the trace's user.id. */
  email: string;
  name: string | null;
  /** The user's team for this run (the skill's owner team when the user is in it), and the role there. */
  team: string | null;
  role: string | null;
}

/** Longest text of a field that reaches the handler (an email is at most 254). */
const MAX_FIELD = 256;

const text = (v: string | null | undefined): string | null =>
  typeof v === 'string' && v ? v.slice(0, MAX_FIELD) : null;

/** The caller as recorded: a user's email or service:<team>/<token>, cut to size like the user's fields. */
export const callerOf = (caller: string | undefined): string | null => text(caller);

/** The five fields and nothing more: whatever else the caller's object carries stays out of the sandbox. */
export function endUserOf(u: ExecutionUser): ExecutionUser {
  return {
    id: text(u.id) ?? '',
    email: text(u.email) ?? '',
    name: text(u.name),
    team: text(u.team),
    role: text(u.role),
  };
}

/**
 * The end user of a principal (a user's token, or the user an act-as token names) running a skill
 * owned by ownerTeam: its membership there if it has one, else its only team, else none.
 * A team's service account is no user: null.
 */
export function executionUser(p: Pick<Principal, 'user' | 'teams'>, ownerTeam?: string | null): ExecutionUser | null {
  if (!p.user) return null;
  let team: string | null = null;
  if (ownerTeam && p.teams.has(ownerTeam)) team = ownerTeam;
  else if (p.teams.size === 1) team = [...p.teams.keys()][0]!;
  return endUserOf({
    id: p.user.id,
    email: p.user.email,
    name: p.user.name,
    team,
    role: team ? (p.teams.get(team) ?? null) : null,
  });
}
