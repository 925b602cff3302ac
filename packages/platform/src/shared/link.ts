/**
 * Which shared resources a skill version runs with: fixed when the version is registered (in the
 * registration's transaction), so a version never changes under its runs and staging → production
 * promotes exactly what staging ran. permissions.shared_resources_version pins a registered version;
 * without it, the domain's current version at registration. Neither: no row, and the runtime falls
 * back to the host folder (ASPORA_SHARED_DIR), the development option.
 */
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';

/** The pin of a skill's aspora.config.yaml (a number or a semver), as the version label it names. */
export function pinnedSharedVersion(config: unknown): string | undefined {
  const pin = (config as { permissions?: { shared_resources_version?: unknown } } | null)?.permissions
    ?.shared_resources_version;
  return typeof pin === 'number' || typeof pin === 'string' ? String(pin) : undefined;
}

export async function linkSharedResources(
  tx: Db,
  versionId: string,
  ref: string,
  domain: string,
  config: unknown,
): Promise<void> {
  const pin = pinnedSharedVersion(config);
  const [row] = pin
    ? await tx.query<{ id: string }>('SELECT id FROM shared_resource_versions WHERE domain = $1 AND version = $2', [
        domain,
        pin,
      ])
    : await tx.query<{ id: string }>(
        `SELECT v.id FROM shared_resource_versions v JOIN shared_resource_domains d
           ON d.domain = v.domain AND v.seq = d.last_seq WHERE d.domain = $1`,
        [domain],
      );
  if (!row) {
    if (!pin) return;
    throw new AsporaError(
      'VERSION_NOT_FOUND',
      `${ref} pins shared resources ${domain}@${pin}, which are not registered`,
      {
        hint: `aspora shared-resources list ${domain} shows the registered versions; register one with aspora shared-resources register ${domain} --path <folder>`,
        details: { domain, version: pin },
      },
    );
  }
  await tx.query('INSERT INTO skill_version_shared (version_id, shared_version_id) VALUES ($1, $2)', [
    versionId,
    row.id,
  ]);
}

/** The shared-resource bundle a skill version runs with; undefined: none registered for it. */
export async function sharedBundleOf(
  db: Db,
  versionId: string,
): Promise<{ domain: string; version: string; digest: string } | undefined> {
  const [r] = await db.query<{ domain: string; version: string; bundle_digest: string }>(
    `SELECT v.domain, v.version, v.bundle_digest FROM skill_version_shared l
       JOIN shared_resource_versions v ON v.id = l.shared_version_id WHERE l.version_id = $1`,
    [versionId],
  );
  return r && { domain: r.domain, version: r.version, digest: r.bundle_digest };
}
