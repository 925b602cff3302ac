import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { deploymentHistory } from './deploy.ts';
import { findSkill, findVersionId } from './lookup.ts';
import { checkEnvironment } from './ref.ts';
import { iso, mapPermission, mapSummary, mapTrigger, mapVersion, SUMMARY_SELECT, VERSION_COLUMNS } from './rows.ts';
import { compareVersions } from './semver.ts';
import type {
  EnvironmentName,
  ListSkillsOptions,
  LoadedSkill,
  PermissionRecord,
  SkillDetail,
  SkillSummary,
  TriggerRecord,
  VersionRecord,
} from './types.ts';

export interface SkillFilter {
  domain?: string;
  role?: string;
  environment?: EnvironmentName;
}

/**
 * FROM/WHERE shared by listing and search: `v` is the version that represents the skill — live in
 * `environment` when filtered, else the latest. Parameters are appended to `params`.
 */
export function skillScope(f: SkillFilter, params: unknown[]): { from: string; where: string[] } {
  const where: string[] = [];
  let from: string;
  if (f.environment) {
    params.push(checkEnvironment(f.environment));
    from = `skills s JOIN environments pe ON pe.skill_id = s.id AND pe.name = $${params.length}
      JOIN skill_versions v ON v.id = pe.version_id`;
  } else {
    from = 'skills s JOIN skill_versions v ON v.id = s.latest_version_id';
  }
  if (f.domain) {
    params.push(f.domain);
    where.push(`s.domain = $${params.length}`);
  }
  if (f.role) {
    params.push(f.role);
    // s.role mirrors the latest version's role (indexed); a deployed older version may differ.
    where.push(f.environment ? `v.role = $${params.length}` : `s.role = $${params.length}`);
  }
  return { from, where };
}

export async function listSkills(db: Db, opts: ListSkillsOptions = {}): Promise<SkillSummary[]> {
  const params: unknown[] = [];
  const { from, where } = skillScope(opts, params);
  const limit = clamp(opts.limit ?? 100, 1, 1000);
  const offset = Math.max(0, Math.floor(opts.offset ?? 0));
  params.push(limit, offset);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${SUMMARY_SELECT} FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY s.domain, s.name LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows.map(mapSummary);
}

export async function summariesByIds(
  db: Db,
  skillIds: string[],
  f: SkillFilter = {},
): Promise<Map<string, SkillSummary>> {
  const params: unknown[] = [];
  const { from } = skillScope({ ...(f.environment ? { environment: f.environment } : {}) }, params);
  params.push(skillIds);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${SUMMARY_SELECT} FROM ${from} WHERE s.id = ANY($${params.length}::uuid[])`,
    params,
  );
  return new Map(rows.map((r) => [String(r.skill_id), mapSummary(r)]));
}

export async function getSkill(db: Db, ref: string): Promise<SkillDetail> {
  const skill = await findSkill(db, ref);
  const [sum] = await db.query<Record<string, unknown>>(
    `SELECT ${SUMMARY_SELECT} FROM skills s JOIN skill_versions v ON v.id = s.latest_version_id WHERE s.id = $1`,
    [skill.id],
  );
  if (!sum) throw notFound(skill.ref);
  const versions = await db.query<Record<string, unknown>>(
    `SELECT version, bundle_digest, role, created_at, created_by FROM skill_versions WHERE skill_id = $1`,
    [skill.id],
  );
  // Newest first, in semver's order (SQL would sort pre-releases as text: rc.10 before rc.9).
  versions.sort((a, b) => compareVersions(String(b.version), String(a.version)));
  const latestId = skill.latest_version_id!;
  return {
    ...mapSummary(sum),
    versions: versions.map((v) => ({
      version: String(v.version),
      digest: String(v.bundle_digest),
      role: (v.role as string | null) ?? null,
      createdAt: iso(v.created_at),
      createdBy: (v.created_by as string | null) ?? null,
    })),
    deployments: await deploymentHistory(db, skill, 20),
    triggers: await triggersOf(db, latestId),
    permissions: await permissionsOf(db, latestId),
  };
}

export async function getVersion(db: Db, ref: string, version: string): Promise<VersionRecord> {
  const skill = await findSkill(db, ref);
  const id = await findVersionId(db, skill, version);
  return versionById(db, skill.ref, id);
}

/** Resolution: explicit version > explicit environment > production > staging > latest. */
export async function loadSkill(
  db: Db,
  ref: string,
  opts: { version?: string; environment?: string } = {},
): Promise<LoadedSkill> {
  const skill = await findSkill(db, ref);
  let versionId: string;
  let source: LoadedSkill['source'];
  if (opts.version) {
    versionId = await findVersionId(db, skill, opts.version);
    source = 'pinned';
  } else {
    const envs = await db.query<{ name: EnvironmentName; version_id: string }>(
      'SELECT name, version_id FROM environments WHERE skill_id = $1',
      [skill.id],
    );
    const at = (n: EnvironmentName) => envs.find((e) => e.name === n)?.version_id;
    if (opts.environment) {
      const env = checkEnvironment(opts.environment);
      const id = at(env);
      if (!id) {
        throw new AsporaError('ENVIRONMENT_EMPTY', `${skill.ref} is not deployed to ${env}`, {
          hint: `deploy it first: aspora deploy ${skill.ref} --env ${env}`,
        });
      }
      versionId = id;
      source = env;
    } else if (at('production')) {
      versionId = at('production')!;
      source = 'production';
    } else if (at('staging')) {
      versionId = at('staging')!;
      source = 'staging';
    } else {
      versionId = skill.latest_version_id!;
      source = 'latest';
    }
  }
  const [version, triggers, permissions] = [
    await versionById(db, skill.ref, versionId),
    await triggersOf(db, versionId),
    await permissionsOf(db, versionId),
  ];
  return { ref: skill.ref, skillId: skill.id, source, version, triggers, permissions };
}

async function versionById(db: Db, ref: string, id: string): Promise<VersionRecord> {
  const [row] = await db.query<Record<string, unknown>>(
    `SELECT ${VERSION_COLUMNS} FROM skill_versions v WHERE v.id = $1`,
    [id],
  );
  if (!row) throw notFound(ref);
  return mapVersion(ref, row);
}

async function triggersOf(db: Db, versionId: string): Promise<TriggerRecord[]> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT * FROM skill_triggers WHERE version_id = $1 ORDER BY position',
    [versionId],
  );
  return rows.map(mapTrigger);
}

async function permissionsOf(db: Db, versionId: string): Promise<PermissionRecord[]> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT kind, value, detail FROM skill_permissions WHERE version_id = $1 ORDER BY id',
    [versionId],
  );
  return rows.map(mapPermission);
}

function notFound(ref: string) {
  return new AsporaError('SKILL_NOT_FOUND', `skill ${ref} has no registered version`, {
    hint: 'register a version first (aspora deploy)',
  });
}

export const clamp = (n: number, lo: number, hi: number) =>
  Math.min(hi, Math.max(lo, Math.floor(Number.isFinite(n) ? n : lo)));
