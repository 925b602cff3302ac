/**
 * Assembles one platform process: database (PGlite or PostgreSQL), migrations, bundle store,
 * registry, publisher and the HTTP server. `aspora up` and the tests start it the same way.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { getRequestListener, type ServerType } from '@hono/node-server';
import { platformCredentialNames, SecretVault } from './secrets/secrets.ts';
import { AccessControl, bootstrapAccess, type BootstrapResult } from './access/index.ts';
import { SkillAccess } from './access/skill-access.ts';
import { loadKeyRing } from './secrets/master-key.ts';
import { SealedSecretStore } from './secrets/sealed-store.ts';
import { TeamSecrets } from './secrets/team-secrets.ts';
import { createApp } from './api/app.ts';
import type { AuditHook } from './api/deps.ts';
import { callerLabel } from './access/principal.ts';
import { callerOfOptional } from './api/caller.ts';
import { adapterErrorResponse } from './api/errors.ts';
import { createMetricsApp } from './api/metrics-server.ts';
import type { PlatformConfig } from './config/platform-config.ts';
import { loadPlatformFile, type PlatformFile } from './config/platform-file.ts';
import { Publisher } from './publish/publisher.ts';
import { BudgetControl } from './gateway/budget/control.ts';
import { RedisBudgetStore } from './gateway/budget/redis-store.ts';
import { SqlBudgetStore } from './gateway/budget/sql-store.ts';
import { MemoryResponseCache } from './gateway/cache.ts';
import { ModelCatalog } from './gateway/catalog.ts';
import { ModelGateway } from './gateway/gateway.ts';
import { RedisResponseCache } from './gateway/redis-cache.ts';
import { GatewayStats } from './gateway/stats.ts';
import { PlatformApis } from './integrations/apis.ts';
import { MemoryRateLimiter } from './rate-limits/rate-limiter.ts';
import { RedisRateLimiter } from './rate-limits/redis-rate-limiter.ts';
import { connectRedis } from './redis/connect.ts';
import { slackChannel } from './channels/slack/index.ts';
import type { SlackInbound } from './channels/slack/inbound.ts';
import { MessageHandler } from './messages/handle.ts';
import { createLogger, type Logger } from './observe/logger.ts';
import { ModelCallLog } from './observe/model-calls.ts';
import { collectMetrics } from './observe/metrics/collector.ts';
import { PlatformMetrics } from './observe/metrics/prometheus-registry.ts';
import { AlertEvaluator } from './observe/alerts/evaluator.ts';
import { NotificationRouter } from './observe/notify/router.ts';
import { PlatformTracer } from './observe/tracing/index.ts';
import { LiveLogs } from './observe/live-logs.ts';
import { RollupJob } from './observe/rollups/job.ts';
import {
  type Embedder,
  OpenAIEmbedder,
  SentenceEncoderEmbedder,
  SkillRegistry,
  WordVectorEmbedder,
} from './registry/index.ts';
import { gatewayExampleWriter } from './registry/search/doc2query.ts';
import { AuditLog } from './audit/log.ts';
import { Releases } from './releases/service.ts';
import { ReleaseController } from './releases/controller.ts';
import { shadowJudge } from './releases/shadow-judge.ts';
import { migrate, openDb, type Db } from './db/index.ts';
import { SkillRuntime, type RuntimeOptions } from './runtime/runtime.ts';
import { PlatformSealed } from './secrets/platform-sealed.ts';
import { startEngine } from './jobs/engine.ts';
import { JobQueue } from './jobs/queue.ts';
import { runQueued } from './jobs/run-queued.ts';
import { Replies } from './jobs/replies.ts';
import { callbackDeliverer } from './webhooks/callback.ts';
import { CronTriggers } from './jobs/cron.ts';
import { openBundleStore, type BundleStore } from './store/index.ts';

export const PLATFORM_VERSION = '0.1.0';
/** How often an idle worker looks for executions other processes queued (its own wake it at once). */
const JOB_POLL_MS = 250;

export interface Platform {
  url: string;
  /** GET /metrics on its own listener (ASPORA_METRICS_LISTEN), when configured. */
  metricsUrl?: string | undefined;
  config: PlatformConfig;
  db: Db;
  store: BundleStore;
  registry: SkillRegistry;
  publisher: Publisher;
  /** Canary and shadow releases (store, router, deploy/promote/rollback). */
  releases: Releases;
  /** Judges canary steps every `releases.interval`: step-up, promotion, automatic rollback. */
  releaseController: ReleaseController;
  runtime: SkillRuntime;
  gateway: ModelGateway;
  modelCalls: ModelCallLog;
  metrics: PlatformMetrics;
  alerts: AlertEvaluator;
  tracer: PlatformTracer;
  rollups: RollupJob;
  liveLogs: LiveLogs;
  audit: AuditLog;
  /** The durable execution queue (async runs, triggers). */
  jobs: JobQueue;
  replies: Replies;
  /** Slack deliveries queued before their ack, worked by every process (channels/slack/inbound.ts). */
  slackInbound: SlackInbound;
  /** Starts this process's job, reply, Slack delivery and cron workers (again, after jobs.stop(): idempotent). */
  startWorkers(): void;
  /** Cron triggers: schedules of the deployed versions, fires taken into the queue. */
  cron: CronTriggers;
  /** Teams' own secrets, sealed in the database. */
  teamSecrets: TeamSecrets;
  /** The platform's credentials sealed in the database (`{ sealed: true }`). */
  platformSecrets: PlatformSealed;
  /** Where the host's credentials and skills' secrets are resolved (webhook secrets too). */
  vault: SecretVault;
  platformFile: PlatformFile;
  access: AccessControl;
  /** What this start did about the first admin (created one, where its token is). */
  bootstrap: BootstrapResult;
  log: Logger;
  close(): Promise<void>;
}

/** Everything but the HTTP listener: used by `aspora up` before it listens, and by tests. */
export interface CoreOverrides {
  /** Instead of reading aspora.platform.yaml. */
  platformFile?: PlatformFile;
  runtime?: Partial<RuntimeOptions>;
}

export async function openPlatformCore(
  config: PlatformConfig,
  log: Logger = createLogger(config.logLevel),
  over: CoreOverrides = {},
) {
  // First: a broken aspora.platform.yaml stops the start before anything is opened.
  const loaded = over.platformFile
    ? { file: over.platformFile, path: undefined }
    : loadPlatformFile(config.platformFile, config.env);
  const { file: platformFile, path: platformFilePath } = loaded;
  mkdirSync(config.dataDir, { recursive: true });
  // The vault's master key (ASPORA_MASTER_KEY, else the 0600 key file): a bad one stops the start here too.
  const keys = loadKeyRing(config.env, config.dataDir);
  const db = await openDb({
    ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.dataDir, 'db') }),
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
  });
  try {
    await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  const access = new AccessControl(db, log);
  const bootstrap = await bootstrapAccess(db, access.tokens, {
    dataDir: config.dataDir,
    adminToken: config.adminToken,
    adminEmail: config.adminEmail,
  }).catch(async (e: unknown) => (await db.close(), Promise.reject(e)));
  if (bootstrap.createdAdmin)
    log.info(
      { admin: bootstrap.createdAdmin, ...(bootstrap.tokenFile ? { tokenFile: bootstrap.tokenFile } : {}) },
      bootstrap.tokenFile
        ? `first admin ${bootstrap.createdAdmin} created; its token is in ${bootstrap.tokenFile} (mode 0600)`
        : `first admin ${bootstrap.createdAdmin} created with ASPORA_ADMIN_TOKEN`,
    );
  if (config.env.ASPORA_API_TOKEN && !config.env.ASPORA_ADMIN_TOKEN)
    log.warn('ASPORA_API_TOKEN is now ASPORA_ADMIN_TOKEN (the first admin’s token); rename it');
  await access.auth.start();
  const store = await openBundleStore(config.storeUrl, join(config.dataDir, 'bundles'), {
    env: config.env,
    maxBundleBytes: config.limits.maxBundleBytes,
  }).catch(async (e: unknown) => (await db.close(), Promise.reject(e)));
  const embedder: Embedder | undefined = config.embeddings
    ? new OpenAIEmbedder(config.embeddings)
    : config.searchVectors === 'off'
      ? undefined
      : config.searchVectors === 'words'
        ? new WordVectorEmbedder()
        : new SentenceEncoderEmbedder();
  const registry = new SkillRegistry(db, embedder ? { embedder, log } : { log });
  // Versions stored without a vector of this embedder get one in the background (an upgrade from
  // word vectors, an embeddings service that was down); until then search finds them lexically.
  const backfill = new AbortController();
  const backfilled = registry
    .backfillEmbeddings(backfill.signal)
    .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'search vector backfill failed'));
  const credentials = platformCredentialNames(platformFile);
  const sealedStore = new SealedSecretStore(db, keys.ring);
  const teamSecrets = new TeamSecrets(sealedStore, credentials);
  const platformSecrets = new PlatformSealed(
    sealedStore,
    new Set(Object.entries(platformFile.secrets).flatMap(([n, s]) => ('sealed' in s ? [n] : []))),
    log,
  );
  const vault = new SecretVault(platformFile.secrets, config.env, {}, credentials, teamSecrets, platformSecrets);
  // Rotation: started with the new key current and the old one(s) in ASPORA_MASTER_KEY_PREVIOUS,
  // the data keys are re-wrapped now (values untouched; concurrent starters re-wrap each key once).
  if (config.env.ASPORA_MASTER_KEY_PREVIOUS?.trim()) {
    const rewrapped = await teamSecrets
      .rotateMaster()
      .catch(async (e: unknown) => (await db.close(), Promise.reject(e)));
    log.info({ rewrapped, master: keys.ring.current.id }, 'vault data keys re-wrapped by the current master key');
  }
  await platformSecrets.start().catch(async (e: unknown) => (await db.close(), Promise.reject(e)));
  // One process: counters and cache in memory. Several: in Redis, so limits hold across them.
  const redis = config.redisUrl
    ? await connectRedis(config.redisUrl).catch(async (e) => (await db.close(), Promise.reject(e)))
    : undefined;
  const limiter = redis ? new RedisRateLimiter(redis) : new MemoryRateLimiter();
  const apis = new PlatformApis(platformFile.apis, vault, limiter);
  const catalog = new ModelCatalog(platformFile, vault, config.env, config.modelStandIn);
  catalog.startPriceRefresh(log);
  const publisher = new Publisher(
    store,
    registry,
    { maxCompressedBytes: config.limits.maxBundleBytes },
    credentials,
    catalog,
  );
  const budgets = new BudgetControl(
    redis ? new RedisBudgetStore(redis) : new SqlBudgetStore(db),
    db,
    platformFile.cost_optimization,
    limiter,
    platformFile.gateway.throttle_per_minute,
  );
  const notify = new NotificationRouter(platformFile.notifiers, platformFile.teams, vault, log);
  const gateway = new ModelGateway({
    catalog,
    gateway: platformFile.gateway,
    cost: platformFile.cost_optimization,
    limiter,
    budgets,
    cache: redis ? new RedisResponseCache(redis) : new MemoryResponseCache(),
    stats: new GatewayStats(),
  });
  // doc2query only with a real model: the local stand-in's answers would index noise as examples.
  if (gateway.configured && !gateway.standIn) registry.useExampleWriter(gatewayExampleWriter(gateway));
  const rt = platformFile.runtime;
  const metrics = new PlatformMetrics();
  const tracer = new PlatformTracer({ db, log, metrics, env: config.env });
  const audit = new AuditLog(db, log);
  // Releases: the router the runtime asks and the store the API changes share this registry.
  const releases = new Releases(registry, { audit });
  publisher.useReleases(releases);
  const runtime = new SkillRuntime(
    {
      registry,
      store,
      log,
      vault,
      apis,
      gateway,
      tracer,
      audit,
      releases: releases.router,
      shadowJudge: shadowJudge({ db, log, store: releases.store, notify }),
    },
    {
      dataDir: config.dataDir,
      sharedRoot: config.sharedRoot,
      env: config.env,
      roles: platformFile.roles,
      pool: {
        maxWorkers: rt.max_workers,
        maxMemoryMb: rt.max_memory,
        maxIdlePerVersion: rt.max_idle_per_version,
        idleTimeoutMs: rt.idle_timeout,
      },
      webFetch: {
        allowHosts: platformFile.web_fetch.allow_hosts,
        allowPrivate: platformFile.web_fetch.allow_private,
        maxBytes: platformFile.web_fetch.max_bytes,
        timeoutMs: platformFile.web_fetch.timeout,
      },
      ...over.runtime,
    },
  );
  // Rows a process that died had journaled but not written (decision 010), before anything is served.
  await runtime.recorder
    .recover?.()
    .catch((e: unknown) =>
      log.error(
        { err: e },
        'execution records in the journal could not be written now; they are kept for the next start',
      ),
    );
  const modelCalls = new ModelCallLog(db, log);
  // The durable execution queue (decision 014): async runs and triggers. Workers start with the server.
  const jobs = new JobQueue(
    db,
    await startEngine(db, log, { url: config.databaseUrl, schema: config.databaseSchema }).catch(
      async (e: unknown) => (await runtime.close(), await db.close(), Promise.reject(e)),
    ),
    log,
    { idempotency: { retentionMs: platformFile.jobs.idempotency_retention } },
  );
  await jobs.init();
  // Results back where the work came from (a webhook's callback, Slack): durable, retried (jobs/replies.ts).
  const replies = new Replies(db, jobs.boss, log);
  await replies.init();
  const cb = platformFile.callbacks;
  replies.register(
    'callback',
    callbackDeliverer(
      { allowPrivate: cb.allow_private, allowHttp: cb.allow_http, timeoutMs: cb.timeout },
      async (team, name) => (await vault.forSkill(team, [name]))[name],
    ),
  );
  // Cron schedules follow deploys: all of them now, a skill's own when this process deploys it.
  const cron = new CronTriggers(db, jobs.boss, jobs, log, { seconds: platformFile.jobs.cron_seconds });
  await cron.init();
  await cron.sync();
  registry.onEnvironmentChange(
    (ref) =>
      void cron
        .sync(ref)
        .catch((e: unknown) => log.error({ err: e, ref }, 'cron schedules could not follow the deploy')),
  );
  // Not awaited by the answer: the action has happened; a failed write is logged by the log itself.
  const recordAudit: AuditHook = (c, action, target, details, outcome = 'ok') => {
    const p = callerOfOptional(c);
    void audit.record({ actor: p ? callerLabel(p) : 'anonymous', action, target, outcome, details });
  };
  // Gateway calls from OpenAI clients (no execution): a span each, attributed to the skill they
  // name — for the collector only (their model_calls rows are the local record), so none without one.
  if (tracer.exportTarget)
    modelCalls.listeners.push((ref, c) => {
      const end = Date.now();
      tracer.recordModelCall({ ...c, startTime: end - c.latencyMs, endTime: end }, ref ? { skill: ref } : {});
    });
  const refreshMetrics = collectMetrics(metrics, { runtime, stats: gateway.stats, budgets });
  const alerts = new AlertEvaluator(db, registry, notify, platformFile.alerting, log, metrics);
  const releaseController = new ReleaseController(
    { db, registry, notify, audit, log },
    { intervalMs: platformFile.releases.interval, waitEveryMs: platformFile.releases.wait_record_every },
  );
  const rollups = new RollupJob(db, log);
  const liveLogs = new LiveLogs(log, redis);
  liveLogs.fromRuntime(runtime);
  await liveLogs.start();
  budgets.on('notice', (n) => {
    log.warn({ ...n }, `model budget of ${n.ref}: ${n.threshold} % reached (${n.action})`);
    void alerts.budgetNotice(n).catch((e: unknown) => log.error({ err: e }, 'budget notice could not be sent'));
  });
  log.info(
    { from: keys.from, ...(keys.file ? { file: keys.file } : {}), id: keys.ring.current.id },
    keys.from === 'generated'
      ? 'vault master key generated (back it up: without it no team secret opens)'
      : 'vault master key loaded',
  );
  const skillAccess = new SkillAccess(db);
  const sl = platformFile.channels.slack;
  // Slack (docs/slack.md): its credentials from the vault, read per request.
  const slack = slackChannel(
    {
      apiUrl: sl.api_url,
      responseUrlPrefix: sl.response_url_prefix,
      environment: sl.environment,
      secret: (n) => vault.get(n),
    },
    {
      db,
      boss: jobs.boss,
      messages: new MessageHandler({ registry, gateway, log, skillAccess, runtime }),
      directory: access.directory,
      log,
      enqueue: (run, o) => jobs.enqueue(run, o),
    },
  );
  await slack.inbound.init();
  replies.register(
    'slack',
    (execution, target, attempt) => slack.channel.deliver(execution, target, attempt),
    // A response_url lets its holder post to the channel for 30 minutes: in the job only, not the record.
    (t) => ({ ...t, to: { ...(t.to as object), url: undefined } }),
  );
  if (platformFilePath)
    log.info(
      {
        file: platformFilePath,
        apis: Object.keys(platformFile.apis).length,
        secrets: Object.keys(platformFile.secrets).length,
      },
      'platform configuration loaded',
    );
  return {
    db,
    store,
    registry,
    publisher,
    releases,
    releaseController,
    runtime,
    gateway,
    modelCalls,
    metrics,
    refreshMetrics,
    alerts,
    notify,
    tracer,
    rollups,
    liveLogs,
    audit,
    jobs,
    replies,
    cron,
    /** Starts this process's queue workers and takes cron fires (the serving process does). */
    startWorkers: () => {
      jobs.start(runQueued(runtime), {
        concurrency: Math.max(1, rt.max_workers),
        pollMs: JOB_POLL_MS,
        done: async (d) => void (d.reply && (await replies.queue(d.executionId, d.reply))),
      });
      replies.start({ pollMs: JOB_POLL_MS });
      slack.inbound.start((w, o) => slack.channel.handle(w, o), { pollMs: JOB_POLL_MS });
      jobs.keys.start(log);
      cron.start();
    },
    platformFile,
    access,
    skillAccess,
    slack: slack.channel,
    slackInbound: slack.inbound,
    bootstrap,
    limiter,
    recordAudit,
    log,
    /** Teams' own secrets, sealed in the database (the /v1/teams/{team}/secrets routes). */
    teamSecrets,
    platformSecrets,
    vault,
    /** Names of what skills may declare (GET /v1/platform/offers). */
    offers: () => ({ apis: apis.names(), secrets: vault.names() }),
    /** Stops the runtime (workers, pending records), then the database. */
    async close() {
      backfill.abort();
      await backfilled; // a batch in flight ends before the database closes
      await embedder?.close?.();
      platformSecrets.stop();
      await slack.inbound.stop(); // deliveries in flight queue their runs (or are retried by another process)
      await alerts.stop();
      await releaseController.stop(); // a round in flight finishes before the database closes
      await cron.stop();
      await jobs.keys.stop();
      await jobs.stop(); // attempts in flight finish (and queue their replies) before the runtime stops
      await replies.stop();
      await jobs.close();
      await access.auth.stop();
      await runtime.close();
      await rollups.stop();
      await modelCalls.flush();
      await tracer.shutdown();
      await liveLogs.close();
      await catalog.close();
      await redis?.quit();
      await store.close?.();
      await audit.flush(); // entries recorded by the last requests
      await db.close();
    },
  };
}

export async function startPlatform(
  config: PlatformConfig,
  log: Logger = createLogger(config.logLevel),
  over: CoreOverrides = {},
): Promise<Platform> {
  const core = await openPlatformCore(config, log, over);
  const app = createApp({
    ...core,
    metricsElsewhere: config.metricsListen !== undefined,
    limits: config.limits,
    version: PLATFORM_VERSION,
    readiness: { database: () => core.db.query('select 1'), store: () => core.store.has(`sha256:${'0'.repeat(64)}`) },
  });
  const server = await listen(app.fetch, config.host, config.port, log);
  const ml = config.metricsListen;
  const metricsServer = ml
    ? await listen(createMetricsApp(core).fetch, ml.host, ml.port, log, 'ASPORA_METRICS_LISTEN').catch(
        async (e: unknown) => {
          await closeServer(server);
          await core.close();
          throw e;
        },
      )
    : undefined;
  // The serving process evaluates alert rules; a core opened for a one-off job does not.
  core.alerts.start();
  if (core.platformFile.releases.enabled) core.releaseController.start();
  core.rollups.start();
  core.startWorkers();
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host}:${port}`;
  const metricsUrl =
    metricsServer && ml
      ? `http://${ml.host.includes(':') ? `[${ml.host}]` : ml.host}:${(metricsServer.address() as AddressInfo).port}/metrics`
      : undefined;
  log.info(
    { url, ...(metricsUrl ? { metrics: metricsUrl } : {}), database: core.db.dialect, store: core.store.kind },
    'platform listening',
  );
  return {
    url,
    metricsUrl,
    config,
    ...core,
    async close() {
      await closeServer(server);
      if (metricsServer) await closeServer(metricsServer);
      await core.close();
    },
  };
}

const closeServer = (s: ServerType) => new Promise<void>((res) => s.close(() => res()));

function listen(
  fetch: Parameters<typeof getRequestListener>[0],
  hostname: string,
  port: number,
  log: Logger,
  setting = 'ASPORA_PORT',
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    // @hono/node-server's serve() without its errorHandler: a request the adapter refuses (a backslash
    // in the path, a bad Host) got a bare 400 (or 500) outside the app, not the typed error body.
    const server = createServer(
      getRequestListener(fetch, { hostname, errorHandler: (e) => adapterErrorResponse(e, log) }),
    );
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: stop the other platform or set ${setting}`) : e,
      ),
    );
    server.listen(port, hostname, () => resolve(server));
  });
}
