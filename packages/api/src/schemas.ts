/**
 * Request and response shapes of the HTTP API, written once: the server validates with them, the
 * OpenAPI document is generated from them (a schema's `meta({ id })` names its component) and the
 * typed client infers its inputs and outputs from them.
 */
import { z } from 'zod';
import { IssueSchema } from './errors.ts';
import { SlugSchema } from './refs.ts';

export { ErrorSchema, IssueSchema } from './errors.ts';

export const EnvironmentName = z.enum(['staging', 'production']).meta({ id: 'Environment' });
export const ENVIRONMENTS = EnvironmentName.options;
export type EnvironmentName = z.infer<typeof EnvironmentName>;
export const VisibilitySchema = z.enum(['public', 'private', 'internal']);
export const LanguageSchema = z.enum(['typescript', 'python', 'go']);
export const TriggerTypeSchema = z.enum(['message', 'cron', 'alert', 'command']);
export const PermissionKindSchema = z.enum([
  'tool',
  'api',
  'secret',
  'shared_resource',
  'blocked_resource',
  'sheets_access',
]);
export const LogLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);

const pathParam = <T extends z.ZodType>(s: T, name: string, example?: string) =>
  s.meta({ param: { name, in: 'path' }, ...(example ? { example } : {}) });

export const SkillParams = z.object({
  domain: pathParam(SlugSchema, 'domain', 'fraud'),
  name: pathParam(SlugSchema, 'name', 'block-transaction'),
});
export const ExecutionParams = z.object({ id: pathParam(z.string().max(100), 'id') });
export const DigestParams = z.object({ digest: pathParam(z.string().max(100), 'digest', 'sha256:…') });

// ---- discovery and deploy ----------------------------------------------------------------

export const SkillSummarySchema = z
  .object({
    ref: z.string().meta({ example: 'fraud/block-transaction' }),
    domain: z.string(),
    name: z.string(),
    role: z.string().nullable(),
    description: z.string(),
    latestVersion: z
      .string()
      .meta({ description: 'with an environment filter: the version live there; otherwise the highest registered' }),
    environments: z.object({ staging: z.string().optional(), production: z.string().optional() }),
    ownerTeam: z.string().nullable(),
    visibility: VisibilitySchema,
    language: LanguageSchema,
    updatedAt: z.string(),
  })
  .meta({ id: 'SkillSummary' });
export type SkillSummary = z.infer<typeof SkillSummarySchema>;

export const WhyFieldSchema = z.enum(['name', 'description', 'patterns', 'examples', 'semantic']);
export const SearchHitSchema = z
  .object({
    skill: SkillSummarySchema,
    score: z.number().meta({ description: '0..1, comparable across queries' }),
    why: z.array(z.object({ field: WhyFieldSchema, terms: z.array(z.string()), detail: z.string().optional() })),
  })
  .meta({ id: 'SearchHit' });
export type SearchHit = z.infer<typeof SearchHitSchema>;

const DeploymentFields = {
  ref: z.string(),
  environment: EnvironmentName,
  version: z.string(),
  previousVersion: z.string().nullable(),
  action: z.enum(['deploy', 'rollback']),
  actor: z.string().nullable(),
  createdAt: z.string(),
};
export const DeploymentSchema = z
  .object({
    id: z.number(),
    ...DeploymentFields,
    changed: z.boolean().meta({ description: 'false when the environment already ran this version' }),
  })
  .meta({ id: 'Deployment' });
export type Deployment = z.infer<typeof DeploymentSchema>;

export const HistorySchema = z.object({ id: z.number(), ...DeploymentFields }).meta({ id: 'DeploymentHistoryEntry' });
export type DeploymentHistoryEntry = z.infer<typeof HistorySchema>;

export const PublishResultSchema = z
  .object({
    ref: z.string(),
    version: z.string(),
    digest: z.string().meta({ example: 'sha256:…' }),
    size: z.number(),
    created: z.boolean().meta({ description: 'false when this exact version and content were already registered' }),
    warnings: z.array(IssueSchema),
    skill: SkillSummarySchema,
  })
  .meta({ id: 'PublishResult' });
export type PublishResult = z.infer<typeof PublishResultSchema>;

// ---- shared resources ----------------------------------------------------------------------

export const SharedResourcesParams = z.object({ domain: pathParam(SlugSchema, 'domain', 'ecm') });
export const RegisterSharedResourcesQuery = z.object({
  version: z
    .string()
    .max(64)
    .optional()
    .meta({ description: 'a semver label for this version; none: the next number of the domain', example: '1.2.0' }),
});
export const SharedResourceVersionSchema = z
  .object({
    domain: z.string(),
    version: z.string().meta({ description: 'the auto-incremented number, or the semver given at registration' }),
    seq: z.number().meta({ description: 'order of registration in the domain; the highest is current' }),
    digest: z.string().meta({ example: 'sha256:…' }),
    size: z.number(),
    fileCount: z.number(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'SharedResourceVersion' });
export type SharedResourceVersion = z.infer<typeof SharedResourceVersionSchema>;
export const RegisterSharedResourcesResultSchema = SharedResourceVersionSchema.extend({
  created: z.boolean().meta({ description: 'false when this content was already that version (idempotent)' }),
}).meta({ id: 'RegisterSharedResourcesResult' });

export const PlatformOffersSchema = z
  .object({
    apis: z.array(z.string()).meta({ description: 'APIs declared in aspora.platform.yaml', example: ['trm_api'] }),
    secrets: z
      .array(z.string())
      .meta({ description: 'names of the secrets a handler can be given (never a value)', example: ['TRM_API_KEY'] }),
  })
  .meta({ id: 'PlatformOffers' });
export type PlatformOffersAnswer = z.infer<typeof PlatformOffersSchema>;

export const TriggerSchema = z
  .object({
    type: TriggerTypeSchema,
    patterns: z.array(z.string()),
    channels: z.array(z.string()),
    schedule: z.string().nullable(),
    timezone: z.string().nullable(),
    enabled: z.boolean(),
    sources: z.array(z.string()),
    filters: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'Trigger' });
export type Trigger = z.infer<typeof TriggerSchema>;

export const PermissionSchema = z
  .object({ kind: PermissionKindSchema, value: z.string(), detail: z.unknown() })
  .meta({ id: 'Permission' });
export type Permission = z.infer<typeof PermissionSchema>;

export const SkillDetailSchema = SkillSummarySchema.extend({
  versions: z.array(
    z.object({
      version: z.string(),
      digest: z.string(),
      role: z.string().nullable(),
      createdAt: z.string(),
      createdBy: z.string().nullable(),
    }),
  ),
  deployments: z.array(HistorySchema).meta({ description: 'newest first, at most 20' }),
  triggers: z.array(TriggerSchema).meta({ description: 'of the latest version' }),
  permissions: z.array(PermissionSchema).meta({ description: 'of the latest version' }),
}).meta({ id: 'SkillDetail' });
export type SkillDetail = z.infer<typeof SkillDetailSchema>;

export const VersionSchema = z
  .object({
    id: z.string(),
    ref: z.string(),
    version: z.string(),
    role: z.string().nullable(),
    description: z.string(),
    ownerTeam: z.string().nullable(),
    visibility: VisibilitySchema,
    costCenter: z.string().nullable(),
    bundle: z.object({ digest: z.string(), size: z.number(), fileCount: z.number() }),
    bundleDigest: z.string().meta({ description: 'same as bundle.digest' }),
    runtime: z.object({
      language: LanguageSchema,
      entryPoint: z.string(),
      timeoutMs: z.number(),
      memoryMb: z.number(),
      cpu: z.number(),
    }),
    model: z.object({
      primary: z.string().nullable(),
      fallback: z.string().nullable(),
      temperature: z.number().nullable(),
      maxTokens: z.number().nullable(),
      maxCostPerExecution: z.number().nullable(),
      monthlyLimit: z.number().nullable(),
    }),
    config: z.unknown().meta({ description: 'the validated aspora.config.yaml of this version' }),
    frontmatter: z.record(z.string(), z.unknown()),
    search: z.object({
      name: z.string(),
      description: z.string(),
      negative: z.string(),
      patterns: z.array(z.string()),
      examples: z.array(z.string()),
    }),
    hasEmbedding: z.boolean(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Version' });
export type Version = z.infer<typeof VersionSchema>;

export const LoadedSkillSchema = z
  .object({
    ref: z.string(),
    skillId: z.string(),
    source: z
      .enum(['staging', 'production', 'latest', 'pinned'])
      .meta({ description: 'where the version was resolved from' }),
    version: VersionSchema,
    triggers: z.array(TriggerSchema),
    permissions: z.array(PermissionSchema),
  })
  .meta({ id: 'LoadedSkill' });
export type LoadedSkill = z.infer<typeof LoadedSkillSchema>;

const Limit = z.coerce.number().int().min(1).max(500);
export const ListSkillsQuery = z.object({
  domain: SlugSchema.optional(),
  role: SlugSchema.optional(),
  environment: EnvironmentName.optional(),
  limit: Limit.default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export const SearchQuery = z.object({
  q: z.string().min(1).max(1000),
  domain: SlugSchema.optional(),
  role: SlugSchema.optional(),
  environment: EnvironmentName.optional(),
  limit: Limit.max(100).default(10),
});
export const LoadQuery = z.object({ version: z.string().max(100).optional(), environment: EnvironmentName.optional() });
/** The plain part; routes.ts adds the canary fields (releases.ts) to make the route's body. */
export const DeployRequest = z.object({ environment: EnvironmentName, version: z.string().min(1).max(100) });
export const RollbackRequest = z
  .object({ environment: EnvironmentName, toVersion: z.string().min(1).max(100).optional() })
  .meta({ id: 'RollbackRequest' });

// ---- runtime -----------------------------------------------------------------------------

export const LogEntrySchema = z.object({
  level: LogLevelSchema,
  msg: z.string(),
  fields: z.record(z.string(), z.unknown()).optional(),
  source: z
    .enum(['handler', 'stdout', 'stderr', 'platform'])
    .meta({ description: 'platform: a note of the platform own (lines or output dropped over a limit)' }),
  at: z.string().optional(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** The provider name of the local model stand-in, wherever a provider is shown (records, /v1/models, traces). */
export const STAND_IN_PROVIDER = 'local-stand-in';

export const ExecutionSchema = z
  .object({
    id: z.string().meta({ example: '3f0c8f8e-5d3a-4c1e-9d59-2f8a4a0f1c2b' }),
    ref: z.string(),
    version: z.string(),
    environment: z.string().nullable(),
    trigger: z.string().nullable(),
    userId: z
      .string()
      .nullable()
      .meta({ description: "the end user's email: the authenticated caller, or whom an act-as token named" }),
    caller: z.string().nullable().meta({
      description:
        "who called: a user's email or service:<team>/<token>; differs from userId when a channel acts on a user's behalf",
    }),
    sourceEventId: z.string().nullable().optional().meta({
      description: "the source's event id: a Slack event_id or trigger id, a webhook's delivery id",
    }),
    channel: z.string().nullable().optional().meta({
      description:
        'where the work came from and its result goes back to, e.g. slack:C123 (a thread: slack:C123/1712.0001)',
    }),
    workflowId: z.string().nullable(),
    parentExecutionId: z.string().nullable(),
    startedAt: z.string(),
    completedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    success: z.boolean().nullable(),
    error: z
      .object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() })
      .nullable(),
    input: z.unknown(),
    result: z.unknown(),
    logs: z.array(LogEntrySchema),
    hostCalls: z.number(),
    deniedCalls: z.number(),
    model: z.object({
      calls: z.number(),
      promptTokens: z.number(),
      completionTokens: z.number(),
      cost: z.number(),
      providers: z.array(z.string()).optional().meta({
        description:
          'providers that answered its model calls; local-stand-in is the local stand-in (canned replies, no cost)',
      }),
    }),
    buildMs: z.number().nullable().optional().meta({
      description:
        "time waited for the version's handler to be built (its first run in a process), apart from durationMs",
    }),
    status: z.enum(['queued', 'running', 'done', 'error', 'dead']).optional().meta({
      description:
        'queued (waiting for a worker, or for its next attempt), running, done, error, or dead (a queued execution whose attempts were all spent)',
    }),
    attempts: z.number().optional().meta({ description: 'attempts made so far (queued executions)' }),
    reply: z
      .object({
        kind: z.string().meta({ description: 'callback (a webhook’s callback URL) or slack' }),
        status: z.enum(['pending', 'delivered', 'failed']),
        attempts: z.number(),
        lastStatus: z.number().nullable().meta({ description: 'the receiver’s last HTTP status' }),
        error: z.string().nullable(),
      })
      .optional()
      .meta({ description: 'how its result went back where the work came from, when it goes somewhere' }),
    releaseId: z
      .number()
      .nullable()
      .optional()
      .meta({ description: 'the release in flight when it ran (aspora releases shows it)' }),
    variant: z.enum(['stable', 'canary', 'shadow']).nullable().optional().meta({
      description: "which side of the release served it: stable, canary (the split's share) or shadow",
    }),
  })
  .meta({ id: 'Execution' });
export type Execution = z.infer<typeof ExecutionSchema>;

export const RunRequest = z
  .object({
    input: z
      .looseObject({
        userMessage: z.string().max(100_000).default(''),
        metadata: z.record(z.string(), z.unknown()).default({}),
      })
      .default({ userMessage: '', metadata: {} }),
    environment: EnvironmentName.optional(),
    version: z.string().max(100).optional(),
    workflowId: z.string().max(200).optional(),
    trigger: z.enum(['api', 'message', 'cron', 'alert', 'command']).default('api'),
    /** Run on behalf of this user (a token with act-as only); otherwise the caller is the user. */
    as: z.email().max(254).optional(),
    async: z.boolean().default(false).meta({
      description: 'queue the execution and answer 202 with its id at once; GET /v1/executions/{id} follows it',
    }),
    maxAttempts: z.int().min(1).max(10).optional().meta({
      description: 'with async: attempts in all before the execution is dead (default 3; retried with backoff)',
    }),
  })
  .meta({ id: 'RunRequest' });
/** The Idempotency-Key header: a repeated request with the same key (same caller) answers the same execution. */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, { error: 'at most 200 printable ASCII characters, no spaces' });
export const RunHeaders = z.object({
  'idempotency-key': IdempotencyKey.optional().meta({
    description: 'a repeated request with the same key answers the same execution instead of running again',
  }),
});
export const QueuedRunSchema = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'done', 'error', 'dead']),
    /** True when an earlier request with the same Idempotency-Key made it. */
    existing: z.boolean(),
  })
  .meta({ id: 'QueuedRun' });
export type QueuedRun = z.infer<typeof QueuedRunSchema>;
export const QueuedExecutionSchema = z
  .object({
    id: z.string(),
    ref: z.string(),
    status: z.enum(['queued', 'running', 'dead']),
    trigger: z.string().nullable(),
    attempts: z.number(),
    maxAttempts: z.number().nullable(),
    queuedAt: z.string(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'QueuedExecution' });
export type QueuedExecution = z.infer<typeof QueuedExecutionSchema>;
export const TriggerStatusSchema = z
  .object({
    ref: z.string(),
    environment: z.string(),
    version: z.string(),
    position: z.number().meta({ description: "the trigger's index in the config's triggers" }),
    type: z.string(),
    schedule: z.string().nullable(),
    timezone: z.string().nullable(),
    enabled: z.boolean(),
    missed: z.enum(['skip', 'run_once']).nullable(),
    patterns: z.array(z.string()),
    channels: z
      .array(z.string())
      .meta({ description: "a message or command trigger's channels (empty: every channel)" }),
    nextFire: z.string().nullable().meta({ description: 'the next cron fire (ISO time), for an enabled cron trigger' }),
    lastResult: z
      .object({ executionId: z.string(), at: z.string(), status: z.string() })
      .nullable()
      .meta({ description: "the skill's last cron execution in this environment" }),
  })
  .meta({ id: 'TriggerStatus' });
export type TriggerStatus = z.infer<typeof TriggerStatusSchema>;
export const TriggersQuery = z.object({ domain: SlugSchema.optional() });
export const FireTriggerRequest = z.object({
  type: z.enum(['cron']),
  environment: EnvironmentName.default('production'),
});
export const QueueQuery = z.object({
  status: z.enum(['queued', 'dead']).default('queued'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export const ListExecutionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(20) });

export const SkillTestRunSchema = z
  .object({
    ref: z.string(),
    version: z.string(),
    language: z.string(),
    passed: z.boolean(),
    exitCode: z.number().nullable(),
    output: z.string(),
    durationMs: z.number(),
  })
  .meta({ id: 'SkillTestRun' });
export type SkillTestRun = z.infer<typeof SkillTestRunSchema>;
export const TestRequest = z.object({
  environment: EnvironmentName.optional(),
  version: z.string().max(100).optional(),
});

// ---- gateway -----------------------------------------------------------------------------

export const BudgetSchema = z
  .object({
    ref: z.string(),
    period: z.string(),
    spent: z.number(),
    reserved: z.number(),
    limit: z.number().nullable(),
    mode: z.enum(['ok', 'throttled', 'paused']),
    lifted: z.boolean(),
  })
  .meta({ id: 'Budget' });
export type Budget = z.infer<typeof BudgetSchema>;
export const LiftBudgetRequest = z.object({ reason: z.string().max(500).optional() });

export const GatewayStatsRow = z.object({
  skill: z.string(),
  model: z.string(),
  provider: z.string(),
  calls: z.number(),
  errors: z.number(),
  promptTokens: z.number(),
  completionTokens: z.number(),
  cost: z.number(),
  fallbacks: z.number(),
  cacheHits: z.number(),
  cacheMisses: z.number(),
  latencyMsTotal: z.number(),
  latencyBuckets: z.record(z.string(), z.number()),
});
export const GatewayStatsSchema = z
  .object({ rows: z.array(GatewayStatsRow), openCircuits: z.array(z.string()) })
  .meta({ id: 'GatewayStats' });

// ---- observe -----------------------------------------------------------------------------

export const FiguresSchema = z
  .object({
    executions: z.number(),
    successRate: z.number().nullable(),
    errorRate: z.number().nullable(),
    p50Ms: z.number().nullable(),
    p95Ms: z.number().nullable(),
    p99Ms: z.number().nullable(),
    avgMs: z.number().nullable(),
    cost: z.number(),
    modelCalls: z.number(),
    promptTokens: z.number(),
    completionTokens: z.number(),
    ratings: z.number(),
    satisfaction: z.number().nullable().meta({ description: 'average rating 1-5, null without ratings' }),
  })
  .meta({ id: 'Figures' });
export type Figures = z.infer<typeof FiguresSchema>;
export const RollupSchema = z
  .object({
    scope: z.enum(['platform', 'domain', 'skill']),
    name: z.string(),
    window: z.object({ from: z.string(), to: z.string(), last: z.string() }),
    figures: FiguresSchema,
    children: z.array(z.object({ name: z.string(), figures: FiguresSchema })),
  })
  .meta({ id: 'Rollup' });
export type Rollup = z.infer<typeof RollupSchema>;
export const MetricsQuery = z.object({
  target: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*(\/[a-z0-9]+(-[a-z0-9]+)*)?$/)
    .optional()
    .meta({ description: 'domain or domain/name; none: the platform' }),
  last: z
    .string()
    .regex(/^\d+[hd]$/, 'e.g. 1h, 24h, 7d')
    .default('24h'),
});

export const FeedbackSchema = z
  .object({
    id: z.number(),
    executionId: z.string(),
    ref: z.string(),
    rating: z.number().nullable(),
    correction: z.string().nullable(),
    author: z.string().nullable(),
    createdAt: z.string(),
    input: z.unknown(),
    result: z.unknown(),
    userId: z.string().nullable().optional().meta({ description: "the execution's end user (email)" }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'Feedback' });
export type Feedback = z.infer<typeof FeedbackSchema>;
export const FeedbackRequest = z.object({
  rating: z.number().int().min(1).max(5).optional(),
  correction: z.string().min(1).max(20_000).optional(),
});
export const ListFeedbackQuery = z.object({
  skill: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*\/[a-z0-9]+(-[a-z0-9]+)*$/)
    .optional(),
  corrections: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

export const AlertSchema = z
  .object({
    key: z.string(),
    rule: z.string(),
    status: z.enum(['firing', 'resolved']),
    severity: z.string(),
    title: z.string(),
    value: z.number().nullable(),
    threshold: z.number().nullable(),
    scope: z.record(z.string(), z.unknown()),
    firedAt: z.string(),
    resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'Alert' });
export type Alert = z.infer<typeof AlertSchema>;
export const AlertsQuery = z.object({ status: z.enum(['firing', 'resolved']).optional() });

export const LogLineSchema = LogEntrySchema.extend({ executionId: z.string(), ref: z.string(), at: z.string() }).meta({
  id: 'LogLine',
});
export type LogLine = z.infer<typeof LogLineSchema>;
export const LogsQuery = z.object({
  since: z.string().max(20).default('15m').meta({ description: 'how far back, e.g. 10m, 1h, 24h' }),
  level: LogLevelSchema.default('debug').meta({ description: 'lowest level returned' }),
  limit: z.string().max(20).default('1000').meta({ description: 'at most this many executions (1-10000)' }),
  follow: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'true: a text/event-stream of `log` events, the past lines first, then live ones' }),
});

const SpanStatus = z.enum(['ok', 'error', 'unset']);
export const TimelineCallSchema = z.object({
  name: z.string(),
  kind: z.enum(['model', 'tool']),
  offsetMs: z.number(),
  durationMs: z.number(),
  status: SpanStatus,
  error: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
});
export interface TimelineExecution {
  executionId: string;
  skill: string;
  version: string | null;
  startedAt: string;
  durationMs: number;
  status: z.infer<typeof SpanStatus>;
  error: string | null;
  cost: number | null;
  calls: Array<z.infer<typeof TimelineCallSchema>>;
  children: TimelineExecution[];
}
export const TimelineExecutionSchema: z.ZodType<TimelineExecution> = z
  .object({
    executionId: z.string(),
    skill: z.string(),
    version: z.string().nullable(),
    startedAt: z.string(),
    durationMs: z.number(),
    status: SpanStatus,
    error: z.string().nullable(),
    cost: z.number().nullable(),
    calls: z.array(TimelineCallSchema),
    get children() {
      return z.array(TimelineExecutionSchema);
    },
  })
  .meta({ id: 'TimelineExecution' });
export const TimelineSchema = z
  .object({
    domain: z.string(),
    date: z.string(),
    workflows: z.array(
      z.object({
        workflowId: z.string().nullable(),
        startedAt: z.string(),
        endedAt: z.string(),
        executions: z.array(TimelineExecutionSchema),
      }),
    ),
    executions: z.number(),
  })
  .meta({ id: 'Timeline' });
export type Timeline = z.infer<typeof TimelineSchema>;
export const TracesQuery = z.object({
  domain: SlugSchema,
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional()
    .meta({ description: 'UTC day, default today' }),
});

// ---- health ------------------------------------------------------------------------------

export const HealthSchema = z
  .object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() })
  .meta({ id: 'Health' });
export type Health = z.infer<typeof HealthSchema>;

// ---- the OpenAI-compatible surface (documented; bodies follow OpenAI's API) ---------------

export const ModelListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal('model'),
        created: z.number(),
        owned_by: z.string(),
        aspora: z.object({ provider_model: z.string(), price_per_million: z.unknown() }),
      }),
    ),
  })
  .meta({ id: 'ModelList' });
export type ModelList = z.infer<typeof ModelListSchema>;
export const ChatCompletionRequest = z
  .looseObject({
    model: z.string(),
    messages: z.array(z.looseObject({ role: z.string() })),
    stream: z.boolean().optional(),
  })
  .meta({ id: 'ChatCompletionRequest', description: "OpenAI's chat completion request" });
export const ChatCompletionSchema = z
  .looseObject({ id: z.string(), object: z.string(), model: z.string(), choices: z.array(z.unknown()) })
  .meta({ id: 'ChatCompletion', description: "OpenAI's chat completion" });
export const EmbeddingsRequest = z
  .looseObject({ model: z.string(), input: z.union([z.string(), z.array(z.string())]) })
  .meta({ id: 'EmbeddingsRequest' });
export const EmbeddingsSchema = z
  .looseObject({
    object: z.literal('list'),
    data: z.array(z.looseObject({ embedding: z.array(z.number()) })),
    model: z.string(),
  })
  .meta({ id: 'Embeddings' });
export const OpenAIErrorSchema = z
  .object({
    error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string() }),
  })
  .meta({ id: 'OpenAIError' });
