/**
 * Registering a domain's shared folder as a version: the uploaded bundle is unpacked within the
 * skill bundles' limits (which refuse links, `..`, devices, oversized or too many files) before
 * anything is stored, then stored by content address and recorded. Who may register is rule()'s.
 */
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { parseSemver } from '../registry/semver.ts';
import { sha256Digest, unpackBundle, type BundleLimits, type BundleStore } from '../store/index.ts';
import { canManageTeam, forbidden, hasScope, type Principal } from '../access/principal.ts';
import { insertSharedVersion, listSharedVersions, type SharedVersion } from './versions.ts';

const DOMAIN_RE = /^[a-z0-9][a-z0-9_-]*$/;
export const REGISTER_RULE =
  "a domain's shared resources are registered by admins, or by members (deploy scope) of a team that owns a skill of the domain";

export class SharedResources {
  constructor(
    private readonly db: Db,
    private readonly store: BundleStore,
    private readonly limits: Partial<BundleLimits> = {},
  ) {}

  /** Teams owning a skill of the domain (by each skill's latest version, as visibility is). */
  async ownerTeams(domain: string): Promise<string[]> {
    const rows = await this.db.query<{ owner_team: string | null }>(
      `SELECT DISTINCT v.owner_team FROM skills s JOIN skill_versions v ON v.id = s.latest_version_id
        WHERE s.domain = $1`,
      [domain],
    );
    return rows.map((r) => r.owner_team).filter((t): t is string => !!t);
  }

  /** Refuses, naming the rule, a caller who may not register the domain's shared resources. */
  async requireRegister(p: Principal, domain: string): Promise<void> {
    // An admin with deploy (or admin) scope, as for a skill's deploy (principal.ts canManage).
    if (p.admin && hasScope(p, 'deploy')) return;
    const owners = await this.ownerTeams(domain);
    if (owners.some((t) => canManageTeam(p, t))) return;
    throw forbidden(
      p,
      'register shared resources of',
      `domain ${domain}`,
      owners.length
        ? `${REGISTER_RULE} (owners: ${owners.slice(0, 10).join(', ')})`
        : `${REGISTER_RULE}; no skill of ${domain} is registered, so only an admin may`,
    );
  }

  async register(
    domain: string,
    bytes: Buffer,
    opts: { version?: string | undefined; actor?: string | undefined } = {},
  ): Promise<{ version: SharedVersion; created: boolean }> {
    checkDomain(domain);
    if (opts.version !== undefined) checkLabel(opts.version);
    if (bytes.length === 0)
      throw new AsporaError('BAD_REQUEST', 'empty body', {
        hint: 'send the shared folder packed as a bundle (aspora shared-resources register does this)',
      });
    // Checks every entry (and the limits) before a byte is stored.
    const files = await unpackBundle(bytes, this.limits);
    const stored = await this.store.put(bytes);
    if (stored.digest !== sha256Digest(bytes)) throw new Error('bundle store returned another digest');
    return insertSharedVersion(this.db, {
      domain,
      version: opts.version,
      digest: stored.digest,
      size: stored.size,
      fileCount: files.size,
      actor: opts.actor,
    });
  }

  list(domain: string): Promise<SharedVersion[]> {
    checkDomain(domain);
    return listSharedVersions(this.db, domain);
  }
}

function checkDomain(domain: string): void {
  if (!DOMAIN_RE.test(domain) || domain.length > 64)
    throw new AsporaError('BAD_REQUEST', `"${domain.slice(0, 80)}" is not a domain name`, {
      hint: 'a domain is lowercase letters, digits, - and _ (skill.domain in aspora.config.yaml)',
    });
}

/** A given label is a semver; numbers are the domain's own (the next one is taken without --version). */
function checkLabel(v: string): void {
  if (v.length > 64) throw new AsporaError('BAD_REQUEST', 'version is longer than 64 characters');
  parseSemver(v);
}
