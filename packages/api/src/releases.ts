/**
 * Releases (issue 17): a canary beside stable, by traffic split or in shadow, judged by visible
 * rules, promoted or rolled back by the analysis or a person. Shared by the server, the CLI
 * (`aspora deploy --canary`, `releases`, `promote`, `rollback`, `diff`) and the typed client.
 */
import { z } from 'zod';
import { DeploymentSchema, DeployRequest, EnvironmentName } from './schemas.ts';

export const RELEASE_MODES = ['split', 'shadow'] as const;
export const RELEASE_STATUSES = ['active', 'proposed', 'promoted', 'rolled_back', 'aborted'] as const;
export const RELEASE_OUTCOMES = ['start', 'wait', 'pass', 'fail', 'promote', 'rollback', 'propose', 'expire'] as const;
export const VARIANTS = ['stable', 'canary', 'shadow'] as const;

/** `30m`, `2h`, `48h`, `7d`: a release's bound (--monitor) or an analysis window. */
export const DurationText = z
  .string()
  .regex(/^[1-9][0-9]{0,5}(s|m|h|d)$/, { error: 'a duration such as 90s, 30m, 48h or 7d' })
  .meta({ id: 'Duration' });

/** The rules every step is judged by; each defaults from the skill's config, then the platform's. */
export const ReleaseRulesSchema = z
  .object({
    /** How long a step lasts at least before it can pass (the analysis window). */
    window: DurationText,
    /** Executions each side needs in the window before anything but `wait` (or a clear failure). */
    minSamples: z.number().int().min(1).max(100_000),
    /** Canary success may be at most this many points below stable's (one-sided test at `confidence`). */
    maxSuccessDropPoints: z.number().min(0).max(100),
    /** Canary p95 latency may be at most this many percent above stable's. */
    maxP95IncreasePercent: z.number().min(0).max(10_000),
    /** Canary cost per execution may be at most this many percent above stable's. */
    maxCostIncreasePercent: z.number().min(0).max(10_000),
    /** Canary mean rating (1–5) may be at most this much below stable's, when both have ratings. */
    maxRatingDrop: z.number().min(0).max(4),
    /** Confidence of the success-rate test. */
    confidence: z.number().min(0.5).max(0.999),
  })
  .meta({ id: 'ReleaseRules' });
export type ReleaseRules = z.infer<typeof ReleaseRulesSchema>;

export const ShadowSettingsSchema = z
  .object({
    /** Table (state) writes of the shadow go to `<table>_canary`; compareTab names the one the report compares. */
    compareTab: z.string().min(1).max(63).nullable(),
    /** Fields that identify an item in the outputs' arrays (e.g. order_id), tried in order. */
    keys: z.array(z.string().min(1).max(100)).max(10),
    maxDiffPercentage: z.number().min(0).max(100),
    /** false: the outputs are not compared, only the compare tab (or, without one, that the shadow ran). Absent: true. */
    compareOutput: z.boolean().optional(),
    /** Comparisons in a row under maxDiffPercentage before the release passes. */
    runs: z.number().int().min(1).max(1000),
    /** promote: promote on pass; propose: wait for `aspora promote`. */
    onPass: z.enum(['promote', 'propose']),
  })
  .meta({ id: 'ShadowSettings' });
export type ShadowSettings = z.infer<typeof ShadowSettingsSchema>;

/** One side's numbers over a window. */
export const VariantStatsSchema = z
  .object({
    executions: z.number().int(),
    successes: z.number().int(),
    successRate: z.number().nullable(),
    p95Ms: z.number().nullable(),
    costPerExecution: z.number().nullable(),
    ratings: z.number().int(),
    meanRating: z.number().nullable(),
  })
  .meta({ id: 'VariantStats' });
export type VariantStats = z.infer<typeof VariantStatsSchema>;

export const ReleaseDecisionSchema = z
  .object({
    at: z.string(),
    step: z.number().int(),
    percentage: z.number(),
    outcome: z.enum(RELEASE_OUTCOMES),
    actor: z.string().meta({ description: 'analysis, or the person who promoted or rolled back' }),
    reason: z.string(),
    numbers: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ReleaseDecision' });
export type ReleaseDecision = z.infer<typeof ReleaseDecisionSchema>;

export const ReleaseSchema = z
  .object({
    id: z.number().int(),
    ref: z.string(),
    environment: EnvironmentName,
    mode: z.enum(RELEASE_MODES),
    status: z.enum(RELEASE_STATUSES),
    stableVersion: z.string(),
    canaryVersion: z.string(),
    steps: z.array(z.number()),
    step: z.number().int().meta({ description: 'index into steps' }),
    percentage: z.number().meta({ description: "the canary's current share of executions (0 in shadow mode)" }),
    stepStartedAt: z.string(),
    rules: ReleaseRulesSchema,
    shadow: ShadowSettingsSchema.nullable(),
    rollbackOnError: z.boolean(),
    monitorUntil: z.string().nullable(),
    canarySuccessRate: z.number().nullable(),
    endedReason: z.string().nullable(),
    promotedAt: z.string().nullable(),
    rolledBackAt: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    /** The current step's window, each side (absent for ended releases). */
    current: z.object({ stable: VariantStatsSchema, canary: VariantStatsSchema }).optional(),
    decisions: z.array(ReleaseDecisionSchema),
  })
  .meta({ id: 'Release' });
export type Release = z.infer<typeof ReleaseSchema>;

/** The canary part of a deploy request: absent means the skill's versioning config decides. */
export const CanaryRequest = z.object({
  /** 1–99: a traffic split starting at that share; 'shadow': a shadow run; 'off': replace at once. */
  canary: z.union([z.number().min(1).max(99), z.enum(['shadow', 'off'])]).optional(),
  /** The split's steps (ascending, the last one 100); default from the config, else [start, 25, 50, 100]. */
  steps: z.array(z.number().min(1).max(100)).min(1).max(10).optional(),
  /** Bound on the whole release: not promoted by then, it is rolled back (or proposed, for shadow). */
  monitor: DurationText.optional(),
  /** Shadow: the table the report compares (`Assignments_canary` compares Assignments with it). */
  compareTab: z.string().min(1).max(63).optional(),
});

export const DeployWithCanaryRequest = DeployRequest.extend(CanaryRequest.shape).meta({ id: 'DeployRequest' });

/** A deploy's answer: the pointer move, or (a release started or ended) the release. */
export const DeployAnswerSchema = DeploymentSchema.extend({
  release: ReleaseSchema.optional().meta({
    description:
      'present when the deploy started a release (the environment keeps running stable until promotion) or a rollback ended one',
  }),
}).meta({ id: 'DeployAnswer' });
export type DeployAnswer = z.infer<typeof DeployAnswerSchema>;

export const ReleasesQuery = z.object({
  environment: EnvironmentName.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
export const ReleaseListSchema = z
  .object({ ref: z.string(), releases: z.array(ReleaseSchema) })
  .meta({ id: 'ReleaseList' });
export type ReleaseList = z.infer<typeof ReleaseListSchema>;

export const PromoteRequest = z
  .object({ environment: EnvironmentName.default('production') })
  .meta({ id: 'PromoteRequest' });

/** One input both sides ran on, and how their outputs differ. */
export const ShadowChangeSchema = z.object({
  /** The item's key (e.g. order_id=1042), or a JSON path for outputs without keyed arrays. */
  key: z.string(),
  kind: z.enum(['added', 'removed', 'changed']),
  /** Changed fields of the item: path → stable and shadow values (bounded). */
  fields: z.record(z.string(), z.object({ stable: z.unknown(), shadow: z.unknown() })).optional(),
});
export const ShadowComparisonSchema = z
  .object({
    at: z.string(),
    stableExecutionId: z.string().nullable(),
    shadowExecutionId: z.string().nullable(),
    /** null: the shadow failed (crashed, over budget); stable was not affected. */
    diffPercentage: z.number().nullable(),
    compared: z.number().int(),
    changed: z.number().int(),
    changes: z.array(ShadowChangeSchema),
    error: z.string().optional(),
  })
  .meta({ id: 'ShadowComparison' });
export type ShadowComparison = z.infer<typeof ShadowComparisonSchema>;

export const ShadowReportSchema = z
  .object({
    ref: z.string(),
    release: ReleaseSchema.nullable(),
    comparisons: z.array(ShadowComparisonSchema),
    summary: z.object({
      runs: z.number().int(),
      failed: z.number().int(),
      meanDiffPercentage: z.number().nullable(),
      /** Comparisons in a row, newest back, under the release's max diff. */
      passingInARow: z.number().int(),
    }),
  })
  .meta({ id: 'ShadowReport' });
export type ShadowReport = z.infer<typeof ShadowReportSchema>;
export const DiffQuery = z.object({
  environment: EnvironmentName.default('production'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
