/**
 * context.invoke of one skill by another: the caller skill sees what its owner team sees (a
 * private skill of another team is answered as one that does not exist, so its name is not
 * confirmed), and the role rules (roles.<role>.may_invoke) decide between roles.
 */
import { AsporaError } from '@aspora/sdk';
import { canSee } from '../../access/principal.ts';
import { notFound, type SkillAccess } from '../../access/skill-access.ts';
import type { LoadedSkill } from '../../registry/index.ts';
import { mayInvoke, type RoleRules } from './roles.ts';

/** The skill whose handler called context.invoke. */
export interface Invoker {
  ref: string;
  role: string | null;
  ownerTeam: string | null;
}

export async function checkInvoke(
  skills: Pick<SkillAccess, 'owned'>,
  rules: RoleRules,
  invoker: Invoker,
  target: LoadedSkill,
): Promise<void> {
  // The skill's owner team, as a service account of that team would be: no admin, no other team.
  const asTeam = { admin: false, teams: new Map(invoker.ownerTeam ? [[invoker.ownerTeam, 'service']] : []) };
  const owned = await skills.owned(target.ref);
  if (owned && !canSee(asTeam, owned)) throw notFound(target.ref);
  const d = mayInvoke(rules, invoker, { ref: target.ref, role: target.version.role });
  if (!d.allowed)
    throw new AsporaError('PERMISSION_DENIED', d.message, {
      hint: `a platform admin decides which roles may invoke which, under ${d.rule} in aspora.platform.yaml`,
      // The shape of every host denial (skill, role, resource, rule: runtime-protocol.md).
      details: {
        skill: invoker.ref,
        role: invoker.role,
        resource: `invoke ${target.ref}${target.version.role ? ` (role ${target.version.role})` : ''}`,
        rule: d.rule,
      },
    });
}
