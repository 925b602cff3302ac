import type { Logger } from '../observe/logger.ts';
import type { SkillRegistry } from '../registry/index.ts';
import type { BundleStore } from '../store/index.ts';
import type { Publisher } from '../publish/publisher.ts';
import type { Releases } from '../releases/service.ts';
import type { SkillRuntime } from '../runtime/runtime.ts';
import type { ModelGateway } from '../gateway/gateway.ts';
import type { ModelCallLog } from '../observe/model-calls.ts';
import type { PlatformMetrics } from '../observe/metrics/prometheus-registry.ts';
import type { AlertEvaluator } from '../observe/alerts/evaluator.ts';
import type { PlatformTracer } from '../observe/tracing/index.ts';
import type { RollupJob } from '../observe/rollups/job.ts';
import type { LiveLogs } from '../observe/live-logs.ts';
import type { Context } from 'hono';
import type { AccessControl } from '../access/index.ts';
import type { SkillAccess } from '../access/skill-access.ts';
import type { RateLimiter } from '../rate-limits/rate-limiter.ts';
import type { AuditLog } from '../audit/log.ts';
import type { PlatformSealed } from '../secrets/platform-sealed.ts';
import type { TeamSecrets } from '../secrets/team-secrets.ts';
import type { SlackChannel } from '../channels/slack/channel.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { SecretVault } from '../secrets/secrets.ts';
import type { CronTriggers } from '../jobs/cron.ts';

/** What the HTTP layer needs; assembled by platform.ts. */
export interface ApiDeps {
  registry: SkillRegistry;
  store: BundleStore;
  publisher: Publisher;
  /** Canary and shadow releases: start, promote, roll back, list (releases/). */
  releases: Releases;
  runtime: SkillRuntime;
  gateway: ModelGateway;
  modelCalls: ModelCallLog;
  metrics: PlatformMetrics;
  /** Sets the gauges read from state, before a scrape. */
  refreshMetrics: () => void;
  alerts: AlertEvaluator;
  tracer: PlatformTracer;
  rollups: RollupJob;
  /** Live log lines of every platform process (Redis pub/sub) or of this one. */
  liveLogs: LiveLogs;
  /** Who did what: deploys, token, team, secret and budget changes, denials (names, never values). */
  audit: AuditLog;
  log: Logger;
  /** Teams, users, tokens: every route but the open ones authenticates its caller through it. */
  access: AccessControl;
  /** Visibility and ownership of skills and what they own. */
  skillAccess: SkillAccess;
  /** Counts failed token checks per source (shared by processes when Redis is configured). */
  limiter: RateLimiter;
  /** Appends to the audit log (never awaited by the answer; failures are logged). */
  recordAudit: AuditHook;
  /** The durable execution queue (async runs, idempotency keys, triggers); absent in a bare app. */
  jobs?: JobQueue;
  /** Cron triggers (GET /v1/triggers, POST …/triggers/fire); absent in a bare app. */
  cron?: CronTriggers;
  /** Teams' own secrets, sealed (routes/secrets.ts). */
  /** The platform's credentials sealed in the vault (admins set them). */
  platformSecrets: PlatformSealed;
  /** Platform credentials and skills' secrets (webhook secrets are resolved here). */
  vault: SecretVault;
  teamSecrets: TeamSecrets;
  /** The Slack channel (docs/slack.md); without it its routes answer 503 (not set up). */
  slack?: SlackChannel;
  /** GET /metrics is served on its own listener (ASPORA_METRICS_LISTEN), not here. */
  metricsElsewhere?: boolean;
  limits: { maxBundleBytes: number; maxJsonBytes: number };
  readiness: Record<string, () => Promise<unknown>>;
  /** Names (never values) of the APIs and secrets skills may declare; absent in an app without a platform file. */
  offers?: () => { apis: string[]; secrets: string[] };
  version: string;
}

/** Who did what to what, with what outcome: the caller of `c` (or the source, for a refused token) is the actor. */
export type AuditHook = (
  c: Context,
  action: string,
  target: string | null,
  details?: Record<string, unknown>,
  outcome?: 'ok' | 'denied' | 'failed',
) => void;
