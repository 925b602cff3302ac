/**
 * shared_resources / blocked_resources and the role rules, applied to a visible path.
 * Resource globs in aspora.config.yaml are relative to the skill's parent folder in the source
 * tree (`ecm/manager/` → `../shared/queries/` means `ecm/shared/queries/**`); a path under /shared is
 * `<domain>/shared/<rel>` in that tree. Blocked always wins; a role rule (roles.<role>.never_read,
 * globs relative to the domain folder) wins over everything.
 * The handler chooses the path, so globs are matched by RE2 (linear in path × pattern; a
 * backtracking regex stalled the event loop on `*(a*)*(a*)b`), and paths are bounded in length.
 */
import { posix } from 'node:path';
import { RE2JS } from 're2js';
import { MAX_RESOURCE_GLOB_LENGTH, normalizeResourceGlob, resourceGlobSource } from '@aspora/sdk';
import { DEFAULT_ROLES, neverReadOf, type RoleRules } from './roles.ts';
import type { VisiblePath } from './view.ts';

export interface ResourceRules {
  domain: string;
  role: string | null;
  shared: string[];
  blocked: string[];
  /** The platform's role rules (aspora.platform.yaml `roles:`); default: seed 003's (roles.ts). */
  roles?: RoleRules;
}

export type ResourceDecision = { allowed: true } | { allowed: false; rule: string };

/** Linux's PATH_MAX: no file under /shared has a longer path, so a longer one is refused unmatched. */
export const MAX_RESOURCE_PATH = 4096;

type Matcher = { test: (p: string) => boolean; source: string };

/**
 * A glob outside the grammar cannot come from validation, only from a version stored before it
 * (extglobs, braces): it fails closed — as a shared rule it grants nothing, as a blocked rule it
 * blocks everything, and the denial names it so the author can fix and redeploy.
 */
function compile(tree: string, source: string, fallback: boolean): Matcher {
  try {
    if (source.length > MAX_RESOURCE_GLOB_LENGTH) throw new RangeError('glob too long');
    const re = RE2JS.compile(resourceGlobSource(tree));
    return { test: (p) => re.matches(p), source };
  } catch {
    return { test: () => fallback, source: `${source} (not a supported glob)` };
  }
}

export class ResourcePolicy {
  readonly #shared: Matcher[];
  readonly #blocked: Matcher[];
  readonly #role: Array<Matcher & { rule: string }>;

  constructor(readonly rules: ResourceRules) {
    const parent = rules.role ? `${rules.domain}/${rules.role}` : rules.domain;
    const tree = (g: string) => posix.normalize(posix.join(parent, normalizeResourceGlob(g)));
    this.#shared = rules.shared.map((g) => compile(tree(g), g, false));
    this.#blocked = rules.blocked.map((g) => compile(tree(g), g, true));
    this.#role = neverReadOf(rules.roles ?? DEFAULT_ROLES, rules.role).map((r) => ({
      ...compile(`${rules.domain}/${r.glob}`, r.glob, true),
      rule: r.rule,
    }));
  }

  /** The source-tree path of a /shared path (what the globs match). */
  treePath(v: VisiblePath): string {
    return v.rel ? `${this.rules.domain}/shared/${v.rel}` : `${this.rules.domain}/shared`;
  }

  check(v: VisiblePath): ResourceDecision {
    if (v.area !== 'shared') return { allowed: true };
    const tree = this.treePath(v);
    if (tree.length > MAX_RESOURCE_PATH)
      return { allowed: false, rule: `paths under /shared are at most ${MAX_RESOURCE_PATH} characters` };
    // A folder is checked as its contents would be: `shared/runbooks` is as blocked as its files.
    const probes = [tree, `${tree}/x`];
    const role = this.#role.find((m) => probes.some((p) => m.test(p)));
    if (role) return { allowed: false, rule: role.rule };
    const blocked = this.#blocked.find((m) => probes.some((p) => m.test(p)));
    if (blocked) return { allowed: false, rule: `blocked_resources: ${blocked.source}` };
    if (this.#shared.some((m) => m.test(tree))) return { allowed: true };
    return { allowed: false, rule: 'not in shared_resources' };
  }
}
