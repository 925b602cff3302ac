/**
 * Role rules (aspora.platform.yaml `roles:`): what a role's skills never read, and which roles'
 * skills they may invoke. Platform configuration, not code: a platform without a `roles:` section
 * gets seed 003's ECM rules (DEC-011) below. Every rule has a name (`roles.field.may_invoke`) that
 * a denial quotes, so the author of a refused call knows which line of which file refused it.
 */
import { z } from 'zod';
import { MAX_RESOURCE_GLOB_LENGTH, normalizeResourceGlob, resourceGlobSource } from '@aspora/sdk';

/** A role as skills write it in aspora.config.yaml (skill.role): a slug. */
const ROLE_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const MAX_RULES = 200;

/** A glob relative to the domain's folder (`shared/runbooks/**`, `field/**`), in the resource-glob grammar. */
const NeverReadGlob = z
  .string()
  .min(1)
  .max(MAX_RESOURCE_GLOB_LENGTH)
  .superRefine((g, ctx) => {
    if (g.startsWith('/') || g.split('/').includes('..') || g.startsWith('!') || g.includes('\\')) {
      ctx.addIssue({ code: 'custom', message: `"${g}": a path relative to the domain folder, without .., / or !` });
      return;
    }
    try {
      resourceGlobSource(normalizeResourceGlob(g));
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `"${g}": not a supported glob: ${(e as Error).message}` });
    }
  });

export const RoleRuleSchema = z.strictObject({
  /** Globs under the domain folder a skill of this role never reads, whatever it declares in shared_resources. */
  never_read: z.array(NeverReadGlob).max(MAX_RULES).default([]),
  /** Platform APIs (names under apis:) its skills never call, whatever they declare in permissions.apis. */
  never_call: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an API name'))
    .max(MAX_RULES)
    .default([]),
  /** Roles whose skills it may context.invoke (`*`: any). Absent: no rule, it invokes any role. */
  may_invoke: z
    .array(z.string().regex(/^(\*|[a-z0-9]+(-[a-z0-9]+)*)$/, 'a role name or *'))
    .max(MAX_RULES)
    .optional(),
});

export const RolesSchema = z.record(
  z.string().regex(ROLE_NAME, 'a role name: lowercase letters, digits and single hyphens'),
  RoleRuleSchema,
);

export type RoleRule = z.output<typeof RoleRuleSchema>;
export type RoleRules = Record<string, RoleRule>;

/**
 * Seed 003 (DEC-011): a manager skill never loads field runbooks nor field skills; a field skill
 * never loads manager skills. Both roles read Redshift and the Sheets (seed 003), so no API is
 * withheld by role. Manager triage hands work to people, not to field skills, so a
 * manager invokes manager (and admin) skills; a field skill invokes field skills; admin skills
 * invoke anything. Which shared queries are a role's is per skill (blocked_resources), not here.
 */
export const DEFAULT_ROLES: RoleRules = {
  manager: { never_read: ['shared/runbooks/**', 'field/**'], never_call: [], may_invoke: ['manager', 'admin'] },
  field: { never_read: ['manager/**'], never_call: [], may_invoke: ['field'] },
  admin: { never_read: [], never_call: [], may_invoke: ['*'] },
};

/** The never_read globs of a role, each with the name a denial quotes. */
export function neverReadOf(rules: RoleRules, role: string | null): Array<{ glob: string; rule: string }> {
  const r = role !== null && Object.hasOwn(rules, role) ? rules[role] : undefined;
  return (r?.never_read ?? []).map((glob) => ({ glob, rule: `roles.${role}.never_read: ${glob}` }));
}

/** The rule that withholds an API from a role, or null. */
export function neverCallRule(rules: RoleRules, role: string | null, api: string): string | null {
  const r = role !== null && Object.hasOwn(rules, role) ? rules[role] : undefined;
  return r?.never_call.includes(api) ? `roles.${role}.never_call: ${api}` : null;
}

export interface InvokeParty {
  ref: string;
  role: string | null;
}

export type InvokeDecision = { allowed: true } | { allowed: false; rule: string; message: string };

/**
 * May `from` invoke `to`? Role rules govern calls between skills that both have a role: a
 * role-less skill is outside them (it invokes and is invoked freely; visibility still applies),
 * and so is a role the configuration does not list or a rule without may_invoke. Role names are
 * platform-wide, like the configuration: a field skill may not invoke another domain's manager skill either.
 */
export function mayInvoke(rules: RoleRules, from: InvokeParty, to: InvokeParty): InvokeDecision {
  if (from.role === null || to.role === null) return { allowed: true };
  const r = Object.hasOwn(rules, from.role) ? rules[from.role] : undefined;
  const allowed = r?.may_invoke;
  if (!allowed || allowed.includes('*') || allowed.includes(to.role)) return { allowed: true };
  const rule = `roles.${from.role}.may_invoke`;
  return {
    allowed: false,
    rule,
    message: `${withRole(from)} may not invoke ${withRole(to)}: ${rule} allows ${allowed.length ? allowed.join(', ') : 'no role'}`,
  };
}

/** `ecm/my-tickets` of role field as the source tree names it: `ecm/field/my-tickets`. */
function withRole(p: InvokeParty): string {
  const [domain, name] = p.ref.split('/');
  return p.role && name ? `${domain}/${p.role}/${name}` : p.ref;
}
