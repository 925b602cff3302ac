/**
 * aspora.platform.yaml: what a platform offers its skills — the secrets vault, the APIs skills may
 * call (base URL, auth from the vault, methods, rate limits), WebFetch's allow-list and the
 * runtime's caps. Skills never see this file; they name APIs and secrets, the host resolves them.
 * `${VAR}` and `${VAR:-default}` in string values are read from the environment at load time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { AsporaError, parseDurationMs, parseSizeMb, validateYaml, type Issue } from '@aspora/sdk';
import { parseAllowPrivate } from '../integrations/address-policy.ts';
import { parseHostEntry } from '../runtime/policy/hosts.ts';
import { DEFAULT_ROLES, RolesSchema } from '../runtime/policy/roles.ts';

const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'a duration such as 500ms, 10s, 5m')
  .transform(parseDurationMs);
const size = z
  .string()
  .regex(/^\d+(\.\d+)?(KB|MB|GB|Ki|Mi|Gi)$/, 'a size such as 512MB or 2GB')
  .transform(parseSizeMb);
const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and _ (an identifier)');

export const SecretSourceSchema = z.union([
  z.strictObject({ env: z.string().min(1) }),
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ value: z.string() }),
  // Sealed in the platform's encrypted vault, set by an admin (aspora platform-secrets set NAME).
  z.strictObject({ sealed: z.literal(true) }),
]);

const AuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('bearer'), secret: name }),
  z.strictObject({ type: z.literal('header'), name: z.string().min(1), secret: name, prefix: z.string().optional() }),
  z.strictObject({ type: z.literal('basic'), username: z.string(), secret: name }),
]);

const MethodSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  /** `/transactions/{transactionId}/check`: `{x}` is filled from the call's args (URL-encoded). */
  path: z.string().startsWith('/'),
  description: z.string().optional(),
  /**
   * The method runs a SQL statement: `arg` names the argument that carries it, `params` its bound
   * values. On a read_only API the host then sends only a single SELECT (integrations/read-only.ts).
   */
  sql: z.strictObject({ arg: name.default('sql'), params: name.default('params') }).optional(),
});

export const ApiSchema = z.strictObject({
  base_url: z.url(),
  description: z.string().optional(),
  /** Only reads reach it: GET/HEAD/OPTIONS methods, and a single SELECT on `sql:` methods; anything else is refused at the host. */
  read_only: z.boolean().default(false),
  /**
   * A shadow run (a candidate beside stable, issue 17) may send this API writes too: for APIs whose
   * writes are harmless twice (idempotent, a sandbox account). Otherwise a shadow sends reads only.
   */
  shadow_safe: z.boolean().default(false),
  auth: AuthSchema.default({ type: 'none' }),
  timeout: duration.default(10_000),
  headers: z.record(z.string(), z.string()).default({}),
  methods: z.record(name, MethodSchema).refine((m) => Object.keys(m).length > 0, 'declare at least one method'),
  rate_limit: z
    .strictObject({
      per_skill_per_hour: z.number().int().positive().default(1000),
      per_domain_per_day: z.number().int().positive().default(10_000),
    })
    .default({ per_skill_per_hour: 1000, per_domain_per_day: 10_000 }),
});

const percent = z
  .union([z.number().min(0).max(1000), z.string().regex(/^\d+(\.\d+)?%$/, 'a percentage such as 80%')])
  .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1))));

export const ProviderSchema = z.strictObject({
  /** OpenAI-compatible base URL, up to and including /v1. */
  base_url: z.url(),
  /** The vault secret holding the API key (none: a local server that needs no key). */
  api_key_secret: name.optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeout: duration.default(60_000),
});

const Price = z.strictObject({ prompt: z.number().min(0), completion: z.number().min(0) });

export const ModelEntrySchema = z.strictObject({
  /** A provider of `providers:` (default: the platform's default provider). */
  provider: z.string().optional(),
  /** The provider's model id. */
  id: z.string().min(1),
  /** USD per million tokens. */
  price: Price.optional(),
});

const TaskModels = z.strictObject({
  classification: z.string().optional(),
  routing: z.string().optional(),
  skill_execution: z.string().optional(),
  complex_reasoning: z.string().optional(),
});

export const GatewaySchema = z.strictObject({
  /** Which provider serves models that name none (default: openrouter, or ASPORA_MODEL_BASE_URL's). */
  default_provider: z.string().optional(),
  default_model: z.string().default('claude-sonnet-4-5'),
  by_task: TaskModels.default({}),
  retries: z.number().int().min(0).max(10).default(2),
  /** Total time one model call may take, retries and fallbacks included. */
  deadline: duration.default(120_000),
  circuit_breaker: z
    .strictObject({ failures: z.number().int().min(1).default(5), cooldown: duration.default(30_000) })
    .default({ failures: 5, cooldown: 30_000 }),
  /** Model calls a throttled skill (95 % of its monthly budget) may make per minute. */
  throttle_per_minute: z.number().int().min(1).default(10),
});

export const CostOptimizationSchema = z.strictObject({
  auto_downgrade: z
    .strictObject({
      enabled: z.boolean().default(false),
      rules: z.array(z.strictObject({ if: z.string().min(1), use: z.string().min(1) })).default([]),
    })
    .default({ enabled: false, rules: [] }),
  rate_limits: z
    .strictObject({
      per_skill_per_hour: z.number().int().positive().default(1000),
      per_domain_per_day: z.number().int().positive().default(10_000),
      per_platform_per_month: z.number().int().positive().default(1_000_000),
    })
    .default({ per_skill_per_hour: 1000, per_domain_per_day: 10_000, per_platform_per_month: 1_000_000 }),
  alerts: z
    .array(
      z.strictObject({ threshold: percent, action: z.enum(['notify_owner_team', 'throttle_skill', 'pause_skill']) }),
    )
    .default([
      { threshold: 80, action: 'notify_owner_team' },
      { threshold: 95, action: 'throttle_skill' },
      { threshold: 100, action: 'pause_skill' },
    ]),
  caching: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Seconds. */
      ttl: z.number().int().min(1).default(3600),
      cache_keys: z.array(z.enum(['skill_id', 'user_input_hash', 'model'])).default(['skill_id', 'user_input_hash']),
    })
    .default({ enabled: true, ttl: 3600, cache_keys: ['skill_id', 'user_input_hash'] }),
});

/** Where alerts and budget notices go: a channel kind a skill names in monitoring.alert_channels. */
export const NotifiersSchema = z.strictObject({
  slack: z.strictObject({ webhook_url: z.url() }).optional(),
  pagerduty: z
    .strictObject({
      routing_key_secret: name,
      /** PagerDuty Events API v2. */
      events_url: z.url().default('https://events.pagerduty.com/v2/enqueue'),
    })
    .optional(),
  email: z
    .strictObject({
      host: z.string().min(1),
      port: z.number().int().positive().default(587),
      secure: z.boolean().default(false),
      user: z.string().optional(),
      password_secret: name.optional(),
      from: z.string().min(3),
      /** Addresses of alerts that belong to no team (platform rules). */
      to: z.array(z.string().min(3)).default([]),
    })
    .optional(),
  webhook: z.strictObject({ url: z.url(), headers: z.record(z.string(), z.string()).default({}) }).optional(),
});

/** Owner teams (owner_team in aspora.config.yaml): where their skills' alerts and budget notices go. */
export const TeamSchema = z.strictObject({
  slack_webhook_url: z.url().optional(),
  email: z.array(z.string().min(3)).default([]),
  pagerduty_routing_key_secret: name.optional(),
  webhook_url: z.url().optional(),
});

/** The platform's own alert rules (error rate, cost, latency), and how often every rule (platform and skill) is evaluated. */
export const AlertingSchema = z.strictObject({
  enabled: z.boolean().default(true),
  interval: duration.default(60_000),
  /** Window of the rate and latency rules. */
  window: duration.default(300_000),
  /** Fewer executions in the window than this: rates are not judged (one failure of two is not 50 %). */
  min_executions: z.number().int().min(1).default(10),
  error_rate: z.number().min(0).max(1).default(0.05),
  cost_per_hour: z.number().min(0).default(100),
  p95_ms: z.number().int().min(1).default(5000),
  /** Where platform-wide alerts go. */
  channels: z.array(z.enum(['slack', 'pagerduty', 'email', 'webhook'])).default(['slack']),
});

/** The release controller (releases/controller.ts): how often canary steps are judged. */
export const ReleasesSchema = z.strictObject({
  /** Off: no automatic step-up, promotion or rollback (people still promote and roll back). */
  enabled: z.boolean().default(true),
  /** Between two rounds of judging every active canary step. */
  interval: duration.default(1_000),
  /** A 'wait' decision is recorded at most this often per step (the history stays readable). */
  wait_record_every: duration.default(60_000),
});

/** A zod check from a parser that returns the entry or why it is not one. */
const entryCheck = (parse: (v: string) => unknown) => (v: string, ctx: z.RefinementCtx) => {
  const r = parse(v);
  if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: `"${v}": ${r}` });
};

export const PlatformFileSchema = z.strictObject({
  secrets: z.record(name, SecretSourceSchema).default({}),
  apis: z.record(name, ApiSchema).default({}),
  web_fetch: z
    .strictObject({
      /** `host` (the scheme's default port only), `host:port`, `*.example.com` for its subdomains, `*.example.com:port`. */
      allow_hosts: z.array(z.string().superRefine(entryCheck(parseHostEntry))).default([]),
      /**
       * Loopback, private, link-local … addresses are refused at connect time whatever the host name;
       * these may still be reached: `ip`, `ip:port`, `[v6]:port` or a CIDR range.
       */
      allow_private: z.array(z.string().superRefine(entryCheck(parseAllowPrivate))).default([]),
      max_bytes: size.default(2),
      timeout: duration.default(10_000),
    })
    .default({ allow_hosts: [], allow_private: [], max_bytes: 2, timeout: 10_000 }),
  /** Results POSTed back to webhook callback URLs (docs/alerts.md): where they may go, how long they may take. */
  callbacks: z
    .strictObject({
      /** Loopback, private … addresses are refused at connect time; these may still be reached (as web_fetch's). */
      allow_private: z.array(z.string().superRefine(entryCheck(parseAllowPrivate))).default([]),
      /** Plain http:// callback URLs (a receiver on a private network, tests); https only otherwise. */
      allow_http: z.boolean().default(false),
      timeout: duration.default(10_000),
    })
    .default({ allow_private: [], allow_http: false, timeout: 10_000 }),
  providers: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _'), ProviderSchema)
    .default({}),
  /** Model aliases skills may name, mapped to a provider's id and a price. */
  models: z.record(z.string().min(1), ModelEntrySchema).default({}),
  gateway: GatewaySchema.default(GatewaySchema.parse({})),
  cost_optimization: CostOptimizationSchema.default(CostOptimizationSchema.parse({})),
  notifiers: NotifiersSchema.default({}),
  /** Channels people talk to skills through (docs/slack.md); their credentials are secrets (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN). */
  channels: z
    .strictObject({
      slack: z
        .strictObject({
          /** The Web API's base URL (a local stand-in in tests and offline). */
          api_url: z.url().default('https://slack.com/api/'),
          /** Where a command's or a button's response_url may point: nowhere else is posted to. */
          response_url_prefix: z.url().default('https://hooks.slack.com/'),
          /** The environment of the skills Slack reaches. */
          environment: z.enum(['staging', 'production']).default('production'),
        })
        .default({
          api_url: 'https://slack.com/api/',
          response_url_prefix: 'https://hooks.slack.com/',
          environment: 'production',
        }),
    })
    .default({
      slack: {
        api_url: 'https://slack.com/api/',
        response_url_prefix: 'https://hooks.slack.com/',
        environment: 'production',
      },
    }),
  alerting: AlertingSchema.default(AlertingSchema.parse({})),
  releases: ReleasesSchema.default(ReleasesSchema.parse({})),
  teams: z.record(z.string().min(1), TeamSchema).default({}),
  /**
   * Role rules: what a role's skills never read, which roles' skills they may invoke. A section
   * replaces the defaults (seed 003's manager / field / admin) as a whole.
   */
  roles: RolesSchema.default(DEFAULT_ROLES),
  /** The execution queue (docs/triggers.md). */
  jobs: z
    .strictObject({
      /** How long an Idempotency-Key (or an alert's delivery id) answers its first execution; then it runs anew. */
      idempotency_retention: duration
        .refine((ms) => ms >= 3_600_000, 'at least 1h (a retried cron fire must still find its key)')
        .default(86_400_000),
      /** Six-field (per-second) cron schedules fire each second: for tests and benchmarks. */
      cron_seconds: z.boolean().default(false),
    })
    .default({ idempotency_retention: 86_400_000, cron_seconds: false }),
  runtime: z
    .strictObject({
      max_workers: z.number().int().positive().default(16),
      /** Sum of the declared runtime.memory of all live workers. */
      max_memory: size.default(8192),
      max_idle_per_version: z.number().int().positive().default(4),
      idle_timeout: duration.default(600_000),
    })
    .default({ max_workers: 16, max_memory: 8192, max_idle_per_version: 4, idle_timeout: 600_000 }),
});

export type PlatformFile = z.output<typeof PlatformFileSchema>;
export type ApiDefinition = z.output<typeof ApiSchema>;
export type SecretSource = z.output<typeof SecretSourceSchema>;
export type ProviderDefinition = z.output<typeof ProviderSchema>;
export type ModelEntry = z.output<typeof ModelEntrySchema>;
export type GatewayConfig = z.output<typeof GatewaySchema>;
export type CostOptimization = z.output<typeof CostOptimizationSchema>;
export type NotifiersConfig = z.output<typeof NotifiersSchema>;
export type AlertingConfig = z.output<typeof AlertingSchema>;
export type ReleasesConfig = z.output<typeof ReleasesSchema>;
export type TeamConfig = z.output<typeof TeamSchema>;

export const EMPTY_PLATFORM_FILE: PlatformFile = PlatformFileSchema.parse({});

/** `${VAR}` / `${VAR:-default}` from env; an unset variable without a default is an issue at its line. */
export function interpolate(text: string, env: NodeJS.ProcessEnv, file: string): { text: string; issues: Issue[] } {
  const issues: Issue[] = [];
  const lines = text.split('\n').map((line, i) =>
    line.trimStart().startsWith('#')
      ? line
      : line.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, v: string, dflt: string | undefined) => {
          const val = env[v] ?? dflt;
          if (val === undefined)
            issues.push({
              file,
              line: i + 1,
              message: `environment variable ${v} is not set`,
              hint: `set ${v}, or write \${${v}:-default}`,
            });
          return val ?? '';
        }),
  );
  return { text: lines.join('\n'), issues };
}

export function parsePlatformFile(text: string, file: string, env: NodeJS.ProcessEnv = process.env): PlatformFile {
  const sub = interpolate(text, env, file);
  const v = validateYaml(PlatformFileSchema, sub.text, file);
  const issues = [...sub.issues, ...v.issues];
  if (issues.length || !v.value) {
    throw new AsporaError(
      'CONFIG_INVALID',
      `${file} is not a valid platform configuration (${issues.length} problem${issues.length === 1 ? '' : 's'})`,
      {
        issues,
        hint: 'fix the listed lines; docs/platform-config.md describes the format',
      },
    );
  }
  const undeclared = Object.entries(v.value.apis).flatMap(([api, a]) =>
    'secret' in a.auth && !(a.auth.secret in v.value!.secrets)
      ? [
          {
            file,
            path: `apis.${api}.auth.secret`,
            message: `secret ${a.auth.secret} is not in secrets`,
            hint: `add secrets.${a.auth.secret}: {env: ${a.auth.secret}}`,
          },
        ]
      : [],
  );
  const f = v.value;
  const known = new Set(Object.keys(f.providers));
  const refs: Issue[] = [
    ...Object.entries(f.providers).flatMap(([p, d]) =>
      d.api_key_secret && !(d.api_key_secret in f.secrets)
        ? [
            {
              file,
              path: `providers.${p}.api_key_secret`,
              message: `secret ${d.api_key_secret} is not in secrets`,
              hint: `add secrets.${d.api_key_secret}: {env: ${d.api_key_secret}}`,
            },
          ]
        : [],
    ),
    ...Object.entries(f.models).flatMap(([m, d]) =>
      d.provider && d.provider !== 'default' && !known.has(d.provider)
        ? [
            {
              file,
              path: `models.${m}.provider`,
              message: `no provider named ${d.provider}`,
              hint: `declare it under providers, or use one of: ${[...known].join(', ') || '(none yet)'}`,
            },
          ]
        : [],
    ),
    ...Object.entries(f.roles).flatMap(([role, r]) =>
      r.never_call
        .filter((api) => !(api in f.apis))
        .map((api) => ({
          file,
          path: `roles.${role}.never_call`,
          message: `no api named ${api}`,
          hint: 'name an API of apis:',
        })),
    ),
    ...(f.gateway.default_provider && !known.has(f.gateway.default_provider)
      ? [{ file, path: 'gateway.default_provider', message: `no provider named ${f.gateway.default_provider}` }]
      : []),
  ];
  const issues2 = [...undeclared, ...refs];
  if (issues2.length)
    throw new AsporaError('CONFIG_INVALID', `${file}: a name it refers to is not declared`, { issues: issues2 });
  return f;
}

/** ASPORA_PLATFORM_CONFIG, else ./aspora.platform.yaml when present, else nothing configured. */
export function loadPlatformFile(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { file: PlatformFile; path: string | undefined } {
  const p = path ?? (existsSync('aspora.platform.yaml') ? 'aspora.platform.yaml' : undefined);
  if (!p) return { file: EMPTY_PLATFORM_FILE, path: undefined };
  const abs = resolve(p);
  if (!existsSync(abs))
    throw new AsporaError('CONFIG_INVALID', `platform configuration ${p} does not exist`, {
      hint: 'fix ASPORA_PLATFORM_CONFIG or create the file',
    });
  return { file: parsePlatformFile(readFileSync(abs, 'utf8'), p, env), path: abs };
}
