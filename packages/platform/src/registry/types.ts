/**
 * Shapes of the registry. What the API returns (summaries, details, versions, deployments, search
 * hits) is the API contract's (@aspora/api), inferred from its schemas; what stays here is the
 * registry's own input. A skill is referenced everywhere as `domain/name`.
 */
import type { z } from 'zod';
import type {
  Deployment,
  DeploymentHistoryEntry,
  EnvironmentName,
  LanguageSchema,
  LoadedSkill as LoadedSkillContract,
  Permission,
  PermissionKindSchema,
  SearchHit as SearchHitContract,
  SkillDetail as SkillDetailContract,
  SkillSummary as SkillSummaryContract,
  Trigger,
  TriggerTypeSchema,
  Version,
  VisibilitySchema,
  WhyFieldSchema,
} from '@aspora/api';

export { ENVIRONMENTS, type EnvironmentName } from '@aspora/api';
export type Visibility = z.infer<typeof VisibilitySchema>;
export type RuntimeLanguage = z.infer<typeof LanguageSchema>;
export type Environment = EnvironmentName;
export type TriggerType = z.infer<typeof TriggerTypeSchema>;
export type PermissionKind = z.infer<typeof PermissionKindSchema>;

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

export type SkillSummary = SkillSummaryContract;

export type VersionRecord = Version;

export type TriggerRecord = Trigger;

export type PermissionRecord = Permission;

export type DeploymentRecord = DeploymentHistoryEntry;

/** changed is false when the requested version was already live (no new history row). */
export type DeployResult = Deployment;

export interface RegisterResult {
  skill: SkillSummary;
  version: VersionRecord;
  /** false for an idempotent re-register of the same version and bundle digest. */
  created: boolean;
  /** Set when this version declares a different role than the previous latest version. */
  roleChange?: { from: string | null; to: string | null };
}

export type SkillDetail = SkillDetailContract;

export type LoadedSkill = LoadedSkillContract;

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

export type WhyField = z.infer<typeof WhyFieldSchema>;

export type SearchHit = SearchHitContract;
