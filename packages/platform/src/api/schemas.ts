/** Request and response shapes of the HTTP API, written once: they validate requests and produce /openapi.json. */
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'VERSION_CONFLICT' }),
      message: z.string(),
      hint: z.string().optional(),
      issues: z
        .array(z.object({ file: z.string(), line: z.number().optional(), column: z.number().optional(), path: z.string().optional(), message: z.string(), hint: z.string().optional() }))
        .optional(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi('Error');

export const EnvironmentName = z.enum(['staging', 'production']).openapi('Environment');

export const SkillParams = z.object({
  domain: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/).openapi({ param: { name: 'domain', in: 'path' }, example: 'fraud' }),
  name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/).openapi({ param: { name: 'name', in: 'path' }, example: 'block-transaction' }),
});

export const SkillSummarySchema = z
  .object({
    ref: z.string().openapi({ example: 'fraud/block-transaction' }),
    domain: z.string(),
    name: z.string(),
    role: z.string().nullable(),
    description: z.string(),
    latestVersion: z.string().nullable(),
    environments: z.object({ staging: z.string().optional(), production: z.string().optional() }),
    ownerTeam: z.string().nullable(),
    visibility: z.string(),
    language: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi('SkillSummary');

export const SearchHitSchema = z
  .object({
    skill: SkillSummarySchema,
    score: z.number(),
    why: z.array(z.object({ field: z.string(), terms: z.array(z.string()), detail: z.string().optional() })),
  })
  .openapi('SearchHit');

export const DeploymentSchema = z
  .object({
    ref: z.string(),
    environment: EnvironmentName,
    version: z.string(),
    previousVersion: z.string().nullable(),
    action: z.enum(['deploy', 'rollback']),
    actor: z.string().nullable(),
    createdAt: z.string(),
    changed: z.boolean().openapi({ description: 'false when the environment already ran this version' }),
  })
  .openapi('Deployment');

export const PublishResultSchema = z
  .object({
    ref: z.string(),
    version: z.string(),
    digest: z.string().openapi({ example: 'sha256:…' }),
    size: z.number(),
    created: z.boolean(),
    warnings: ErrorSchema.shape.error.shape.issues.unwrap(),
    skill: SkillSummarySchema,
  })
  .openapi('PublishResult');

export const PlatformOffersSchema = z
  .object({
    apis: z.array(z.string()).openapi({ description: 'APIs declared in aspora.platform.yaml', example: ['trm_api'] }),
    secrets: z.array(z.string()).openapi({ description: 'names of the secrets a handler can be given (never a value)', example: ['TRM_API_KEY'] }),
  })
  .openapi('PlatformOffers');

const TriggerSchema = z
  .object({
    type: z.enum(['message', 'cron', 'alert', 'command']),
    patterns: z.array(z.string()),
    channels: z.array(z.string()),
    schedule: z.string().nullable(),
    timezone: z.string().nullable(),
    enabled: z.boolean(),
    sources: z.array(z.string()),
    filters: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('Trigger');

const PermissionSchema = z
  .object({ kind: z.enum(['tool', 'api', 'secret', 'shared_resource', 'blocked_resource', 'sheets_access']), value: z.string(), detail: z.unknown() })
  .openapi('Permission');

const HistorySchema = DeploymentSchema.omit({ changed: true }).extend({ id: z.number() }).openapi('DeploymentHistoryEntry');

export const SkillDetailSchema = SkillSummarySchema.extend({
  versions: z.array(z.object({ version: z.string(), digest: z.string(), role: z.string().nullable(), createdAt: z.string(), createdBy: z.string().nullable() })),
  deployments: z.array(HistorySchema).openapi({ description: 'newest first, at most 20' }),
  triggers: z.array(TriggerSchema).openapi({ description: 'of the latest version' }),
  permissions: z.array(PermissionSchema).openapi({ description: 'of the latest version' }),
}).openapi('SkillDetail');

const VersionSchema = z
  .object({
    id: z.string(),
    ref: z.string(),
    version: z.string(),
    role: z.string().nullable(),
    description: z.string(),
    ownerTeam: z.string().nullable(),
    visibility: z.string(),
    costCenter: z.string().nullable(),
    bundle: z.object({ digest: z.string(), size: z.number(), fileCount: z.number() }),
    bundleDigest: z.string(),
    runtime: z.object({ language: z.string(), entryPoint: z.string(), timeoutMs: z.number(), memoryMb: z.number(), cpu: z.number() }),
    model: z.record(z.string(), z.unknown()),
    config: z.unknown().openapi({ description: 'the validated aspora.config.yaml of this version' }),
    frontmatter: z.record(z.string(), z.unknown()),
    search: z.record(z.string(), z.unknown()),
    hasEmbedding: z.boolean(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Version');

export const LoadedSkillSchema = z
  .object({
    ref: z.string(),
    skillId: z.string(),
    source: z.enum(['staging', 'production', 'latest', 'pinned']),
    version: VersionSchema,
    triggers: z.array(TriggerSchema),
    permissions: z.array(PermissionSchema),
  })
  .openapi('LoadedSkill');

export const ExecutionSchema = z
  .object({
    id: z.string().openapi({ example: '3f0c8f8e-5d3a-4c1e-9d59-2f8a4a0f1c2b' }),
    ref: z.string(),
    version: z.string(),
    environment: z.string().nullable(),
    trigger: z.string().nullable(),
    userId: z.string().nullable(),
    workflowId: z.string().nullable(),
    parentExecutionId: z.string().nullable(),
    startedAt: z.string(),
    completedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    success: z.boolean().nullable(),
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }).nullable(),
    input: z.unknown(),
    result: z.unknown(),
    logs: z.array(z.object({ level: z.enum(['debug', 'info', 'warn', 'error']), msg: z.string(), fields: z.record(z.string(), z.unknown()).optional(), source: z.enum(['handler', 'stdout', 'stderr', 'platform']) })),
    hostCalls: z.number(),
    deniedCalls: z.number(),
    model: z.object({
      calls: z.number(),
      promptTokens: z.number(),
      completionTokens: z.number(),
      cost: z.number(),
      providers: z.array(z.string()).optional().openapi({ description: 'providers that answered its model calls; local-stand-in is the local stand-in (canned replies, no cost)' }),
    }),
    buildMs: z.number().nullable().optional().openapi({ description: "time waited for the version's handler to be built (its first run in a process), apart from durationMs" }),
  })
  .openapi('Execution');

export const SkillTestRunSchema = z
  .object({ ref: z.string(), version: z.string(), language: z.string(), passed: z.boolean(), exitCode: z.number().nullable(), output: z.string(), durationMs: z.number() })
  .openapi('SkillTestRun');
