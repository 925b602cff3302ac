/**
 * A domain's shared-resource versions in the database. Registrations of one domain are serialised
 * by a lock on its shared_resource_domains row, so the next number and "is this content already
 * current?" cannot race. Versions are immutable: the same label with other content is a conflict.
 */
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';

export interface SharedVersion {
  domain: string;
  /** The label: the auto-incremented number, or the semver given at registration. */
  version: string;
  /** Order of registration within the domain; the highest is the current version. */
  seq: number;
  digest: string;
  size: number;
  fileCount: number;
  createdBy: string | null;
  createdAt: string;
}

export interface NewSharedVersion {
  domain: string;
  /** A semver label; none: the next number. */
  version?: string | undefined;
  digest: string;
  size: number;
  fileCount: number;
  actor?: string | undefined;
}

const COLUMNS = 'id, domain, seq, version, bundle_digest, bundle_size, file_count, created_by, created_at';

type Row = {
  id: string;
  domain: string;
  seq: number;
  version: string;
  bundle_digest: string;
  bundle_size: string | number;
  file_count: number;
  created_by: string | null;
  created_at: Date | string;
};

export function mapShared(r: Row): SharedVersion {
  return {
    domain: r.domain,
    version: r.version,
    seq: Number(r.seq),
    digest: r.bundle_digest,
    size: Number(r.bundle_size),
    fileCount: Number(r.file_count),
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/**
 * Records a version. Idempotent: without a label, content equal to the current version's is that
 * version; with a label, the same label and content is that version (created: false).
 */
export async function insertSharedVersion(
  db: Db,
  v: NewSharedVersion,
): Promise<{ version: SharedVersion; created: boolean }> {
  return db.transaction(async (tx) => {
    await tx.query('INSERT INTO shared_resource_domains (domain) VALUES ($1) ON CONFLICT (domain) DO NOTHING', [
      v.domain,
    ]);
    const [d] = await tx.query<{ last_seq: number }>(
      'SELECT last_seq FROM shared_resource_domains WHERE domain = $1 FOR UPDATE',
      [v.domain],
    );
    const last = Number(d!.last_seq);
    if (v.version !== undefined) {
      const [same] = await tx.query<Row>(
        `SELECT ${COLUMNS} FROM shared_resource_versions WHERE domain = $1 AND version = $2`,
        [v.domain, v.version],
      );
      if (same) {
        if (same.bundle_digest !== v.digest)
          throw new AsporaError(
            'VERSION_CONFLICT',
            `shared resources ${v.domain}@${v.version} are already registered with other content`,
            {
              hint: 'versions are immutable: register under a new --version, or without one for the next number',
              details: { domain: v.domain, version: v.version, existing: same.bundle_digest, attempted: v.digest },
            },
          );
        return { version: mapShared(same), created: false };
      }
    } else if (last > 0) {
      const [current] = await tx.query<Row>(
        `SELECT ${COLUMNS} FROM shared_resource_versions WHERE domain = $1 AND seq = $2`,
        [v.domain, last],
      );
      if (current?.bundle_digest === v.digest) return { version: mapShared(current), created: false };
    }
    const seq = last + 1;
    await tx.query('UPDATE shared_resource_domains SET last_seq = $2 WHERE domain = $1', [v.domain, seq]);
    const [row] = await tx.query<Row>(
      `INSERT INTO shared_resource_versions (domain, seq, version, bundle_digest, bundle_size, file_count, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [v.domain, seq, v.version ?? String(seq), v.digest, v.size, v.fileCount, v.actor ?? null],
    );
    return { version: mapShared(row!), created: true };
  });
}

/** A domain's versions, newest first (bounded: a domain registers a handful, not thousands). */
export async function listSharedVersions(db: Db, domain: string, limit = 100): Promise<SharedVersion[]> {
  const rows = await db.query<Row>(
    `SELECT ${COLUMNS} FROM shared_resource_versions WHERE domain = $1 ORDER BY seq DESC LIMIT $2`,
    [domain, limit],
  );
  return rows.map(mapShared);
}
