/**
 * The aspora.config.yaml schema, written once: it gives the TypeScript types (z.input / z.output),
 * the validator (parse.ts adds file/line/column) and the published JSON Schema (scripts/generate-schema.ts).
 * Objects are strict: an unknown key is an error (parse.ts adds a "did you mean" hint).
 * Refinements live here too so every consumer checks the same things.
 */
import { z } from 'zod';
import { MAX_SLUG_LENGTH, SLUG } from '@aspora/api';
import { DURATION_RE, SIZE_RE } from './units.ts';
import { cronError, globError, isSemver, MODEL_RE, timezoneError } from './checks.ts';
import { parseRowRule, RowRuleError } from './row-rule.ts';

const snake = /^[a-z][a-z0-9_]*$/;

const Slug = (what: string) =>
  z
    .string()
    .min(1)
    .max(MAX_SLUG_LENGTH)
    .regex(SLUG, { error: `${what} must be lowercase letters, digits and single hyphens (e.g. block-transaction)` });

const Duration = z
  .string()
  .regex(DURATION_RE, { error: 'must be a duration like "30s", "2m", "500ms" or "1h"' })
  .describe('Duration: a number followed by ms, s, m or h (e.g. "30s").');

const Size = z
  .string()
  .regex(SIZE_RE, { error: 'must be a size like "512MB", "2GB" or "256Mi"' })
  .describe('Size: a number followed by KB, MB, GB, Ki, Mi or Gi (e.g. "512MB").');

const ModelName = z
  .string()
  .regex(MODEL_RE, {
    error: 'must be a model alias (claude-sonnet-4-5) or a provider id (anthropic/claude-sonnet-4-5)',
  })
  .describe(
    'A platform model alias (claude-haiku-4-5, claude-sonnet-4-5, claude-opus-4-6, gpt-4o, gpt-4o-mini, gemini-2.0-flash) or a provider-qualified id.',
  );

const ResourceGlob = z
  .string()
  .superRefine((v, ctx) => {
    const err = globError(v);
    if (err)
      ctx.addIssue({ code: 'custom', message: err.message, ...(err.hint ? { params: { hint: err.hint } } : {}) });
  })
  .describe(
    "Glob relative to the skill's parent folder (the domain/role folder), e.g. ../shared/queries/ or ../field/**. A trailing / means everything below. Only *, **, ? and [...] are special: extglobs, braces, ( ) | and a leading ! are refused.",
  );

/** Every path a handler touches under /shared is matched against each glob: bound how many there are. */
export const MAX_RESOURCE_GLOBS = 200;

const Channel = z.string().regex(snake, { error: 'channel names are lowercase identifiers such as slack, web, teams' });

export const SkillMeta = z
  .strictObject({
    name: Slug('skill.name').describe(
      "Skill name, unique within its domain; equals the folder name and SKILL.md's name.",
    ),
    domain: Slug('skill.domain').describe('Business domain, e.g. fraud, wealth, ecm.'),
    role: Slug('skill.role')
      .optional()
      .describe(
        'Role inside the domain (manager, field, admin …). Role rules isolate resources: a manager skill never reads field runbooks.',
      ),
    version: z
      .string()
      .refine(isSemver, { error: 'must be a semantic version such as 1.0.0 or 1.2.0-beta.1' })
      .describe('Semantic version of this skill bundle. A version is immutable once deployed.'),
    description: z
      .string()
      .min(1)
      .max(2048)
      .describe('What the skill does, "Use when …" and "Do NOT use for …". Drives discovery search.'),
  })
  .describe('Identity of the skill.');

export const Runtime = z
  .strictObject({
    language: z.enum(['typescript', 'python', 'go']).describe('Handler language.'),
    entry_point: z
      .string()
      .min(1)
      .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
        error: 'must be a path inside the skill folder',
      })
      .describe('Handler file relative to the skill folder, e.g. code/handler.ts.'),
    timeout: Duration.default('30s').describe('Wall-clock limit of one execution.'),
    memory: Size.default('512MB').describe('Memory cap of the handler process.'),
    cpu: z.number().min(0.05).max(16).default(0.5).describe('CPU cores (fractions allowed).'),
    max_concurrency: z
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe(
        'At most this many queued executions (async runs, triggers) of this skill run at once, across all platform processes.',
      ),
  })
  .describe('How the handler runs in the sandbox.');

export const Model = z
  .strictObject({
    primary: ModelName.optional(),
    fallback: ModelName.optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.int().min(1).max(1_000_000).optional(),
    cache_responses: z
      .boolean()
      .optional()
      .describe(
        'Let the gateway cache answers even at temperature > 0 (answers at temperature 0 are cached when the platform caches).',
      ),
    cost_budget: z
      .strictObject({
        max_per_execution: z.number().min(0).optional().describe('USD; a model call that would pass it is refused.'),
        monthly_limit: z
          .number()
          .min(0)
          .optional()
          .describe('USD per calendar month; notify 80 %, throttle 95 %, pause 100 %.'),
      })
      .optional(),
  })
  .describe('Model preferences; calls go through the platform model gateway.');

const MessageTrigger = z.strictObject({
  type: z.literal('message'),
  patterns: z.array(z.string().min(1)).min(1).describe('Phrases that route a message to this skill.'),
  channels: z.array(Channel).optional(),
});
const CommandTrigger = z.strictObject({
  type: z.literal('command'),
  patterns: z.array(z.string().min(1)).min(1).describe('Commands such as "@ecm-manager triage".'),
  channels: z.array(Channel).optional(),
});
const CronTrigger = z.strictObject({
  type: z.literal('cron'),
  schedule: z
    .string()
    .superRefine((v, ctx) => {
      const err = cronError(v);
      if (err) ctx.addIssue({ code: 'custom', message: `not a valid cron expression: ${err}` });
    })
    .describe('Cron expression, e.g. "0 7,14,20 * * *".'),
  timezone: z
    .string()
    .superRefine((v, ctx) => {
      const err = timezoneError(v);
      if (err) ctx.addIssue({ code: 'custom', message: err });
    })
    .optional()
    .describe('IANA time zone, e.g. Asia/Dubai. Default UTC.'),
  enabled: z.boolean().default(true),
  missed: z
    .enum(['skip', 'run_once'])
    .default('skip')
    .describe('Fires missed while no platform ran (downtime): skip them, or run once for the latest.'),
});
const AlertTrigger = z
  .strictObject({
    type: z.literal('alert'),
    sources: z.array(z.enum(['datadog', 'pagerduty', 'prometheus', 'grafana', 'webhook'])).min(1),
    filters: z
      .record(
        z.string(),
        z.union([z.array(z.union([z.string(), z.number(), z.boolean()])), z.string(), z.number(), z.boolean()]),
      )
      .optional()
      .describe('Field → accepted values, e.g. severity: [critical, high].'),
    secret: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/, { error: 'secret names are UPPER_SNAKE_CASE' })
      .optional()
      .describe(
        "For source webhook: the secret (the owner team's vault, else the platform's) whose HMAC-SHA256 of the body signs POST /v1/webhooks/skills/{domain}/{name}.",
      ),
    callback: z
      .string()
      .max(2000)
      .regex(/^https?:\/\/[^\s/@?#]+(\/[^\s#]*)?$/, {
        error:
          'an absolute http(s) URL without credentials, e.g. https://hooks.example.com/aspora/results or https://hooks.example.com/aspora/*',
      })
      .optional()
      .describe(
        "For source webhook (with secret): where the execution's result is POSTed, signed with the secret. An https URL; or a prefix ending in * under which the signed payload's callback_url may choose.",
      ),
  })
  .refine((t) => !t.callback || (t.sources.includes('webhook') && t.secret), {
    error: 'callback needs source webhook and a secret (the result is signed with it)',
    path: ['callback'],
  });

export const Trigger = z.discriminatedUnion('type', [MessageTrigger, CommandTrigger, CronTrigger, AlertTrigger]);

export const BUILTIN_TOOLS = ['Read', 'Write', 'Bash', 'Grep', 'Glob', 'WebFetch'] as const;

const SheetRule = z
  .string()
  .min(1)
  .superRefine((v, ctx) => {
    try {
      parseRowRule(v);
    } catch (e) {
      if (!(e instanceof RowRuleError)) throw e;
      ctx.addIssue({ code: 'custom', message: `${e.message} (at character ${e.at + 1})` });
    }
  })
  .describe(
    '"all", "none", or a row condition such as: Assigned Agent = {user.email} AND Status IN (\'OPEN\', \'DONE\')',
  );

export const Permissions = z
  .strictObject({
    tools: z.array(z.enum(BUILTIN_TOOLS)).optional().describe('Built-in tools the handler may call.'),
    apis: z
      .array(z.string().regex(snake, { error: 'API names are lowercase identifiers declared in aspora.platform.yaml' }))
      .optional(),
    secrets: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, { error: 'secret names are UPPER_SNAKE_CASE' })).optional(),
    shared_resources: z.array(ResourceGlob).max(MAX_RESOURCE_GLOBS).optional(),
    blocked_resources: z
      .array(ResourceGlob)
      .max(MAX_RESOURCE_GLOBS)
      .optional()
      .describe('Always wins over shared_resources.'),
    shared_resources_version: z
      .union([
        z.int().min(1).max(999_999_999),
        z.string().refine((v) => /^[1-9][0-9]{0,8}$/.test(v) || (v.length <= 64 && isSemver(v)), {
          error: 'must be a registered version of the shared resources: a number such as 3, or a semver such as 1.2.0',
        }),
      ])
      .optional()
      .describe(
        "Pins the domain's shared resources to this registered version; by default a skill version gets the one current when it is registered.",
      ),
    sheets_access: z
      .record(
        z.string().regex(snake).max(63),
        z.strictObject({ read: SheetRule.optional(), write: SheetRule.optional() }),
      )
      .refine((r) => Object.keys(r).length <= 32, { error: 'at most 32 tables' })
      .optional()
      .describe(
        "Row rules per state table of the owner team (context.state.table(name)); a key's `_tab` suffix is dropped (assignments_tab is the table assignments). A table not listed, or a missing read/write, is none.",
      ),
  })
  .describe('Everything the handler may reach; enforced by the host, never by the sandbox.');

export const Testing = z.strictObject({
  deepeval: z
    .strictObject({ metrics: z.array(z.string().min(1)).min(1), threshold: z.number().min(0).max(1).default(0.8) })
    .optional(),
  promptfoo: z
    .strictObject({ compare_versions: z.boolean().default(false), test_cases: z.string().min(1).optional() })
    .optional(),
});

export const Versioning = z.strictObject({
  strategy: z
    .enum(['semver', 'timestamp'])
    .default('semver')
    .describe(
      'timestamp: the registry names each version by its publish time (sorted by it) instead of skill.version.',
    ),
  rollback_on_error: z
    .boolean()
    .default(false)
    .describe(
      'A canary step that fails its analysis sends all traffic back to stable at once, and the owner team is told.',
    ),
  canary_percentage: z
    .number()
    .min(1)
    .max(99)
    .optional()
    .describe('A deploy over a live version starts a traffic split at this share (the first step).'),
  canary_strategy: z
    .enum(['traffic_split', 'shadow', 'hybrid'])
    .optional()
    .describe('hybrid: shadow for a cron-triggered skill, a traffic split for an interactive one.'),
  steps: z
    .array(z.number().min(1).max(100))
    .min(1)
    .max(10)
    .optional()
    .describe("The canary's share at each step, ascending, ending at 100 (default: canary_percentage, 25, 50, 100)."),
  monitor: Duration.optional().describe(
    'Bound on a whole release: not promoted by then, it is rolled back (shadow: proposed).',
  ),
  analysis: z
    .strictObject({
      window: Duration.optional().describe('Each step lasts at least this long (default 10m).'),
      min_samples: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .optional()
        .describe('Executions each side needs per step (default 50).'),
      max_success_drop_points: z.number().min(0).max(100).optional().describe('Default 2.'),
      max_p95_increase_percent: z.number().min(0).max(10_000).optional().describe('Default 20.'),
      max_cost_increase_percent: z.number().min(0).max(10_000).optional().describe('Default 50.'),
      max_rating_drop: z.number().min(0).max(4).optional().describe('Default 0.5 (on a 1–5 scale).'),
      confidence: z.number().min(0.5).max(0.999).optional().describe('Of the success-rate test (default 0.95).'),
    })
    .optional()
    .describe('The rules a canary step passes, waits or fails by.'),
  shadow_config: z
    .strictObject({
      compare_output: z
        .boolean()
        .default(true)
        .describe(
          "false: the outputs are not compared; the compare tab is, or without one the shadow's running at all.",
        ),
      max_diff_percentage: z.number().min(0).max(100).default(5),
      output_diff_tool: z.string().min(1).optional(),
      compare_tab: z
        .string()
        .min(1)
        .max(63)
        .optional()
        .describe('The _canary table the report compares with its stable twin.'),
      keys: z
        .array(z.string().min(1).max(100))
        .max(10)
        .optional()
        .describe('Fields identifying an item in the outputs (e.g. order_id); default id, order_id, key, name.'),
      runs: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(3)
        .describe('Comparisons in a row under max_diff_percentage to pass.'),
      on_pass: z.enum(['promote', 'propose']).default('propose'),
    })
    .optional(),
});

export const Monitoring = z.strictObject({
  success_rate_threshold: z.number().min(0).max(1).optional(),
  latency_p95_threshold: z.number().int().min(1).optional().describe('Milliseconds.'),
  alert_on_failure: z.boolean().default(false),
  alert_channels: z.array(z.enum(['slack', 'pagerduty', 'email', 'webhook'])).optional(),
  custom_metrics: z
    .array(
      z.strictObject({
        name: z.string().regex(snake, { error: 'metric names are snake_case' }),
        type: z.enum(['gauge', 'counter', 'histogram']),
        description: z.string().min(1),
      }),
    )
    .optional(),
});

export const SkillConfigSchema = z
  .strictObject({
    skill: SkillMeta,
    runtime: Runtime,
    model: Model.optional(),
    triggers: z.array(Trigger).optional(),
    permissions: Permissions.optional(),
    testing: Testing.optional(),
    versioning: Versioning.optional(),
    monitoring: Monitoring.optional(),
    visibility: z.enum(['public', 'private', 'internal']).default('internal'),
    owner_team: Slug('owner_team').describe('Team that owns the skill; receives budget and alert notices.'),
    cost_center: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const ext = { typescript: ['.ts', '.mts', '.js', '.mjs'], python: ['.py'], go: ['.go'] }[c.runtime.language];
    if (!ext.some((e) => c.runtime.entry_point.endsWith(e))) {
      ctx.addIssue({
        code: 'custom',
        path: ['runtime', 'entry_point'],
        message: `a ${c.runtime.language} entry point must end in ${ext.join(' or ')}`,
      });
    }
    const f = c.model?.fallback;
    if (f && f === c.model?.primary) {
      ctx.addIssue({ code: 'custom', path: ['model', 'fallback'], message: 'fallback is the same model as primary' });
    }
  })
  .describe('Aspora skill configuration (aspora.config.yaml).');

/** What a user writes (defaults optional). */
export type SkillConfigInput = z.input<typeof SkillConfigSchema>;
/** What the platform works with (defaults applied). */
export type SkillConfig = z.output<typeof SkillConfigSchema>;
export type TriggerConfig = z.output<typeof Trigger>;
export type PermissionsConfig = z.output<typeof Permissions>;
