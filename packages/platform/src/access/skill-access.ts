/**
 * Visibility and ownership of skills, and of everything a skill owns (executions, logs, traces,
 * feedback, budget, metrics). A skill the caller may not see is answered exactly as a skill that
 * does not exist, so a private skill's name is not confirmed to outsiders. The latest registered
 * version's owner_team and visibility govern the skill.
 */
import { parseSkillRef } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { canManage, canSee, forbidden, type Owned, type Principal } from './principal.ts';

type Row = { domain: string; name: string; owner_team: string | null; visibility: Owned['visibility'] };

export interface SkillView {
  visible: (ref: string) => boolean;
  refs: string[] | undefined;
  hidden: string[];
}

export class SkillAccess {
  constructor(private readonly db: Db) {}

  /** The skill's owner and visibility; undefined for a skill that is not registered. */
  async owned(ref: string): Promise<Owned | undefined> {
    const [domain, name] = splitRef(ref);
    const [r] = await this.db.query<Row>(
      `SELECT s.domain, s.name, v.owner_team, v.visibility FROM skills s
       JOIN skill_versions v ON v.id = s.latest_version_id WHERE s.domain = $1 AND s.name = $2`,
      [domain, name],
    );
    return r && toOwned(r);
  }

  /** Every skill's owner and visibility, for filtering lists (ref → Owned). */
  async all(): Promise<Map<string, Owned>> {
    const rows = await this.db.query<Row>(
      `SELECT s.domain, s.name, v.owner_team, v.visibility FROM skills s
       JOIN skill_versions v ON v.id = s.latest_version_id`,
    );
    return new Map(rows.map((r) => [`${r.domain}/${r.name}`, toOwned(r)]));
  }

  /**
   * What the caller may see, from one read of every skill: a predicate, the visible refs (for SQL
   * filters; undefined for an admin, who sees all) and the hidden ones (what text shown to
   * everyone must not name; none for an admin).
   */
  async view(p: Principal): Promise<SkillView> {
    if (p.admin) return { visible: () => true, refs: undefined, hidden: [] };
    const seen = new Set<string>();
    const hidden: string[] = [];
    for (const [ref, o] of await this.all()) canSee(p, o) ? seen.add(ref) : hidden.push(ref);
    return { visible: (ref) => seen.has(baseRef(ref)), refs: [...seen], hidden };
  }

  /** The refs the caller may see, as a predicate (one query, whatever the list's length). */
  async visibleTo(p: Principal): Promise<(ref: string) => boolean> {
    return (await this.view(p)).visible;
  }

  /** Passes when the caller may see the skill (or it does not exist: the route answers 404 itself). */
  async requireVisible(p: Principal, ref: string): Promise<Owned | undefined> {
    const o = await this.owned(ref);
    if (o && !canSee(p, o)) throw notFound(ref);
    return o;
  }

  /** Deploy, roll back, lift a budget: the owner team or an admin; an unseen skill is not found. */
  async requireManage(p: Principal, ref: string, action: string): Promise<void> {
    const o = await this.requireVisible(p, ref);
    if (o && !canManage(p, o))
      throw forbidden(p, action, ref, `only the owner team (${o.ownerTeam || 'none'}) or an admin, with deploy`);
  }
}

/** Text for everyone (a platform-wide alert's title) with each of `hidden` named as no skill in particular. */
export function redactRefs(text: string, hidden: readonly string[]): string {
  let out = text;
  // Longest first, whole refs only: fraud/ab is not redacted inside fraud/abc.
  for (const ref of [...hidden].sort((a, b) => b.length - a.length)) {
    if (!out.includes(ref)) continue;
    const escaped = ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![\\w/-])${escaped}(?![\\w-])`, 'g'), 'a skill you may not see');
  }
  return out;
}

/** The same answer as for a skill that is not registered (registry/lookup.ts). */
export function notFound(ref: string): AsporaError {
  const domain = splitRef(ref)[0];
  return new AsporaError('SKILL_NOT_FOUND', `skill ${ref} is not registered`, {
    hint: `deploy it first (aspora deploy) or check the name with aspora list --domain ${domain}`,
  });
}

const toOwned = (r: Row): Owned => ({ ownerTeam: r.owner_team ?? '', visibility: r.visibility });
/** [domain, name] of domain/name, domain/role/name or domain/name@version; not a reference: ['', '']. */
function splitRef(ref: string): [string, string] {
  try {
    const r = parseSkillRef(ref);
    return [r.domain, r.name];
  } catch {
    return ['', ''];
  }
}
const baseRef = (ref: string) => splitRef(ref).join('/');
