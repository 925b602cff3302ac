/** Public shapes of the registry. A skill is referenced everywhere as `domain/name`. */

export type Visibility = 'public' | 'private' | 'internal';
export type RuntimeLanguage = 'typescript' | 'python' | 'go';
export type EnvironmentName = 'staging' | 'production';
export type Environment = EnvironmentName;
export type TriggerType = 'message' | 'cron' | 'alert' | 'command';
export type PermissionKind = 'tool' | 'api' | 'secret' | 'shared_resource' | 'blocked_resource' | 'sheets_access';

export const ENVIRONMENTS: readonly EnvironmentName[] = ['staging', 'production'];

export interface TriggerInput {
  type: TriggerType;
  patterns?: string[];
  channels?: string[];
  schedule?: string;
  timezone?: string;
  enabled?: boolean;
  sources?: string[];
  filters?: Record<string, unknown>;
}

export interface PermissionInput {
  kind: PermissionKind;
  value: string;
  detail?: unknown;
}

export interface RegisterVersionInput {
  domain: string;
  name: string;
  role: string | null;
  version: string;
  description: string;
  ownerTeam: string | null;
  visibility: Visibility;
  costCenter: string | null;
  runtime: { language: RuntimeLanguage; entryPoint: string; timeoutMs: number; memoryMb: number; cpu: number };
  model: {
    primary: string | null;
    fallback: string | null;
    temperature: number | null;
    maxTokens: number | null;
    maxCostPerExecution: number | null;
    monthlyLimit: number | null;
  };
  config: unknown;
  frontmatter: Record<string, unknown>;
  search: { name: string; description: string; negative: string; patterns: string[]; examples: string[] };
  triggers: TriggerInput[];
  permissions: PermissionInput[];
  bundle: { digest: string; size: number; fileCount: number };
  actor?: string;
}

export interface SkillSummary {
  ref: string;
  domain: string;
  name: string;
  role: string | null;
  description: string;
  /** With an `environment` filter: the version live there; otherwise the highest registered. */
  latestVersion: string;
  environments: { staging?: string; production?: string };
  ownerTeam: string | null;
  visibility: Visibility;
  language: RuntimeLanguage;
  updatedAt: string;
}

export interface VersionRecord {
  id: string;
  ref: string;
  version: string;
  role: string | null;
  description: string;
  ownerTeam: string | null;
  visibility: Visibility;
  costCenter: string | null;
  bundle: { digest: string; size: number; fileCount: number };
  /** Same as bundle.digest (content address of the stored bundle). */
  bundleDigest: string;
  runtime: RegisterVersionInput['runtime'];
  model: RegisterVersionInput['model'];
  config: unknown;
  frontmatter: Record<string, unknown>;
  search: RegisterVersionInput['search'];
  hasEmbedding: boolean;
  createdBy: string | null;
  createdAt: string;
}

export interface TriggerRecord {
  type: TriggerType;
  patterns: string[];
  channels: string[];
  schedule: string | null;
  timezone: string | null;
  enabled: boolean;
  sources: string[];
  filters: Record<string, unknown> | null;
}

export interface PermissionRecord {
  kind: PermissionKind;
  value: string;
  detail: unknown;
}

export interface DeploymentRecord {
  id: number;
  ref: string;
  environment: EnvironmentName;
  version: string;
  previousVersion: string | null;
  action: 'deploy' | 'rollback';
  actor: string | null;
  createdAt: string;
}

export interface DeployResult extends DeploymentRecord {
  /** false when the requested version was already live (no new history row). */
  changed: boolean;
}

export interface RegisterResult {
  skill: SkillSummary;
  version: VersionRecord;
  /** false for an idempotent re-register of the same version and bundle digest. */
  created: boolean;
  /** Set when this version declares a different role than the previous latest version. */
  roleChange?: { from: string | null; to: string | null };
}

export interface SkillDetail extends SkillSummary {
  versions: Array<{ version: string; digest: string; role: string | null; createdAt: string; createdBy: string | null }>;
  deployments: DeploymentRecord[];
  triggers: TriggerRecord[];
  permissions: PermissionRecord[];
}

export interface LoadedSkill {
  ref: string;
  /** Row id of the skill (executions and state reference it). */
  skillId: string;
  /** Where the version was resolved from. */
  source: EnvironmentName | 'latest' | 'pinned';
  version: VersionRecord;
  triggers: TriggerRecord[];
  permissions: PermissionRecord[];
}

export interface ListSkillsOptions {
  domain?: string;
  role?: string;
  environment?: EnvironmentName;
  limit?: number;
  offset?: number;
}

export interface SearchOptions {
  domain?: string;
  role?: string;
  environment?: EnvironmentName;
  limit?: number;
}

export type WhyField = 'name' | 'description' | 'patterns' | 'examples' | 'semantic';

export interface SearchHit {
  skill: SkillSummary;
  /** 0..1; comparable across queries (not just a rank). */
  score: number;
  why: Array<{ field: WhyField; terms: string[]; detail?: string }>;
}
