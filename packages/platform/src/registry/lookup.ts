import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { formatRef, parseRef } from './ref.ts';

export interface SkillRow {
  id: string;
  domain: string;
  name: string;
  role: string | null;
  latest_version_id: string | null;
  ref: string;
}

/** Resolves `domain/name` (or `domain/role/name`); `lock` takes the per-skill row lock. */
export async function findSkill(db: Db, ref: string, opts: { lock?: boolean } = {}): Promise<SkillRow> {
  const r = parseRef(ref);
  const rows = await db.query<Omit<SkillRow, 'ref'>>(
    `SELECT id, domain, name, role, latest_version_id FROM skills WHERE domain = $1 AND name = $2${opts.lock ? ' FOR UPDATE' : ''}`,
    [r.domain, r.name],
  );
  const row = rows[0];
  if (!row || (r.role !== undefined && row.role !== r.role)) {
    throw new AsporaError('SKILL_NOT_FOUND', `skill ${ref} is not registered`, {
      hint: `deploy it first (aspora deploy) or check the name with aspora list --domain ${r.domain}`,
    });
  }
  return { ...row, ref: formatRef(row.domain, row.name) };
}

export async function findVersionId(db: Db, skill: SkillRow, version: string): Promise<string> {
  const rows = await db.query<{ id: string }>('SELECT id FROM skill_versions WHERE skill_id = $1 AND version = $2', [
    skill.id,
    version,
  ]);
  const row = rows[0];
  if (!row) {
    throw new AsporaError('VERSION_NOT_FOUND', `${skill.ref} has no version ${version}`, {
      hint: `list its versions with aspora show ${skill.ref}, or register ${version} first`,
    });
  }
  return row.id;
}
