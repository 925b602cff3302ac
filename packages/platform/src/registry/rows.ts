import { formatRef } from './ref.ts';
import type {
  DeploymentRecord,
  EnvironmentName,
  PermissionRecord,
  RuntimeLanguage,
  SkillSummary,
  TriggerRecord,
  VersionRecord,
  Visibility,
} from './types.ts';

/** Row → record mappers. pg returns numeric/bigint as strings (PGlite: numeric only), hence num(). */

export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
export const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * Columns for a SkillSummary. `v` is the version shown (latest, or the one live in the filtered
 * environment); es/ep are the staging/production pointers.
 */
export const SUMMARY_SELECT = `
  s.id AS skill_id, s.domain, s.name, v.role, s.updated_at,
  v.version, v.description, v.owner_team, v.visibility, v.runtime_language,
  (SELECT sv.version FROM environments e JOIN skill_versions sv ON sv.id = e.version_id
    WHERE e.skill_id = s.id AND e.name = 'staging') AS staging_version,
  (SELECT sv.version FROM environments e JOIN skill_versions sv ON sv.id = e.version_id
    WHERE e.skill_id = s.id AND e.name = 'production') AS production_version`;

export function mapSummary(r: Record<string, unknown>): SkillSummary {
  const environments: SkillSummary['environments'] = {};
  if (r.staging_version) environments.staging = String(r.staging_version);
  if (r.production_version) environments.production = String(r.production_version);
  return {
    ref: formatRef(String(r.domain), String(r.name)),
    domain: String(r.domain),
    name: String(r.name),
    role: str(r.role),
    description: String(r.description),
    latestVersion: String(r.version),
    environments,
    ownerTeam: str(r.owner_team),
    visibility: r.visibility as Visibility,
    language: r.runtime_language as RuntimeLanguage,
    updatedAt: iso(r.updated_at),
  };
}

const splitLines = (v: unknown): string[] => (v ? String(v).split('\n').filter(Boolean) : []);

export function mapVersion(ref: string, r: Record<string, unknown>): VersionRecord {
  return {
    id: String(r.id),
    ref,
    version: String(r.version),
    role: str(r.role),
    description: String(r.description),
    ownerTeam: str(r.owner_team),
    visibility: r.visibility as Visibility,
    costCenter: str(r.cost_center),
    bundle: { digest: String(r.bundle_digest), size: num(r.bundle_size), fileCount: num(r.file_count) },
    bundleDigest: String(r.bundle_digest),
    runtime: {
      language: r.runtime_language as RuntimeLanguage,
      entryPoint: String(r.entry_point),
      timeoutMs: num(r.timeout_ms),
      memoryMb: num(r.memory_mb),
      cpu: num(r.cpu),
    },
    model: {
      primary: str(r.primary_model),
      fallback: str(r.fallback_model),
      temperature: numOrNull(r.temperature),
      maxTokens: numOrNull(r.max_tokens),
      maxCostPerExecution: numOrNull(r.max_cost_per_execution),
      monthlyLimit: numOrNull(r.monthly_cost_limit),
    },
    config: r.config,
    frontmatter: (r.frontmatter ?? {}) as Record<string, unknown>,
    search: {
      name: String(r.search_name),
      description: String(r.search_description),
      negative: String(r.search_negative ?? ''),
      patterns: splitLines(r.search_patterns),
      examples: splitLines(r.search_examples),
    },
    hasEmbedding: r.has_embedding === true || Array.isArray(r.embedding),
    createdBy: str(r.created_by),
    createdAt: iso(r.created_at),
  };
}

/** Version columns without the (large) embedding and generated tsvectors. */
export const VERSION_COLUMNS = `v.id, v.version, v.role, v.bundle_digest, v.bundle_size, v.file_count, v.description,
  v.owner_team, v.visibility, v.cost_center, v.runtime_language, v.entry_point, v.timeout_ms, v.memory_mb, v.cpu,
  v.primary_model, v.fallback_model, v.temperature, v.max_tokens, v.max_cost_per_execution, v.monthly_cost_limit,
  v.config, v.frontmatter, v.search_name, v.search_description, v.search_negative, v.search_patterns,
  v.search_examples, (v.embedding IS NOT NULL) AS has_embedding, v.created_by, v.created_at`;

export function mapTrigger(r: Record<string, unknown>): TriggerRecord {
  return {
    type: r.type as TriggerRecord['type'],
    patterns: (r.patterns as string[]) ?? [],
    channels: (r.channels as string[]) ?? [],
    schedule: str(r.cron_schedule),
    timezone: str(r.timezone),
    enabled: r.enabled === true,
    sources: (r.alert_sources as string[]) ?? [],
    filters: (r.alert_filters as Record<string, unknown> | null) ?? null,
  };
}

export function mapPermission(r: Record<string, unknown>): PermissionRecord {
  return { kind: r.kind as PermissionRecord['kind'], value: String(r.value), detail: r.detail ?? null };
}

/** Expects d.* plus `version` and `previous_version` (joined version strings). */
export function mapDeployment(ref: string, r: Record<string, unknown>): DeploymentRecord {
  return {
    id: num(r.id),
    ref,
    environment: r.environment as EnvironmentName,
    version: String(r.version),
    previousVersion: str(r.previous_version),
    action: r.action as DeploymentRecord['action'],
    actor: str(r.actor),
    createdAt: iso(r.created_at),
  };
}
