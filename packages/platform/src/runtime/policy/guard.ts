/**
 * The host side of every permission: a handler's call is checked here before the host carries it
 * out. A denial is a typed PERMISSION_DENIED naming the skill, its role, the resource and the rule.
 */
import { AsporaError } from '@aspora/sdk';
import { hostAllowed } from './hosts.ts';
import { ResourcePolicy } from './resources.ts';
import { DEFAULT_ROLES, neverCallRule, type RoleRules } from './roles.ts';
import { toVisible, type VisiblePath } from './view.ts';
import type { TableRules } from '../../state/rules.ts';

export type ToolName = 'Read' | 'Write' | 'Bash' | 'Grep' | 'Glob' | 'WebFetch';

export interface SkillPermissions {
  ref: string;
  domain: string;
  role: string | null;
  tools: string[];
  apis: string[];
  secrets: string[];
  sharedResources: string[];
  blockedResources: string[];
  /** Hosts (and ports) WebFetch may reach (platform-wide allow-list; empty = none). */
  webFetchHosts: string[];
  /** The platform's role rules (aspora.platform.yaml `roles:`); absent: the defaults. */
  roles?: RoleRules;
  /** Row rules per state table (permissions.sheets_access), keyed by the table's name. */
  tables?: Map<string, TableRules>;
}

export class PermissionGuard {
  readonly resources: ResourcePolicy;

  constructor(readonly perms: SkillPermissions) {
    this.resources = new ResourcePolicy({
      domain: perms.domain,
      role: perms.role,
      shared: perms.sharedResources,
      blocked: perms.blockedResources,
      ...(perms.roles ? { roles: perms.roles } : {}),
    });
  }

  deny(resource: string, rule: string, hint?: string): AsporaError {
    const { ref, role } = this.perms;
    return new AsporaError(
      'PERMISSION_DENIED',
      `skill ${ref}${role ? ` (role ${role})` : ''} may not use ${resource}: ${rule}`,
      {
        hint: hint ?? 'declare it under permissions in aspora.config.yaml, if the skill should have it',
        details: { skill: ref, role, resource, rule },
      },
    );
  }

  tool(name: ToolName): void {
    if (!this.perms.tools.includes(name)) throw this.deny(`tool ${name}`, 'not in permissions.tools');
  }

  api(name: string): void {
    if (!this.perms.apis.includes(name)) throw this.deny(`api ${name}`, 'not in permissions.apis');
    // A role rule wins over the declaration, as never_read wins over shared_resources.
    const rule = neverCallRule(this.perms.roles ?? DEFAULT_ROLES, this.perms.role, name);
    if (rule)
      throw this.deny(
        `api ${name}`,
        rule,
        'a platform admin decides which roles call which APIs (roles: in aspora.platform.yaml)',
      );
  }

  secret(name: string): void {
    if (!this.perms.secrets.includes(name)) throw this.deny(`secret ${name}`, 'not in permissions.secrets');
  }

  /** A path the handler wants to read (or write, with `write`): normalised, area-checked, rule-checked. */
  path(input: string, mode: 'read' | 'write'): VisiblePath {
    const v = toVisible(input);
    if (!v)
      throw this.deny(
        `path ${JSON.stringify(input)}`,
        "outside the skill's view (/skill, /shared, /scratch)",
        "relative paths are inside the skill's bundle; shared resources are under /shared",
      );
    if (mode === 'write' && v.area !== 'scratch')
      throw this.deny(v.path, 'only /scratch is writable', 'write to /scratch/…');
    const d = this.resources.check(v);
    if (!d.allowed) throw this.deny(v.path, d.rule);
    return v;
  }

  url(raw: string | URL): URL {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new AsporaError('BAD_REQUEST', `not a URL: ${String(raw)}`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw this.deny(`url ${u.href}`, 'only http(s) URLs');
    if (!hostAllowed(u, this.perms.webFetchHosts)) {
      const port = u.port ? `:${u.port}` : '';
      throw this.deny(
        `host ${u.hostname}${port}`,
        "not in the platform's WebFetch allow-list",
        `ask a platform admin to add ${u.hostname}${port} to web_fetch.allow_hosts in aspora.platform.yaml${port ? " (a port other than the scheme's default is listed as host:port)" : ''}`,
      );
    }
    return u;
  }
}
