/** The HTTP API (REST + JSON) for the CLI, the portal and channels. /openapi.json is generated from the route schemas. */
import { OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import { bodyLimit } from 'hono/body-limit';
import { AsporaError, type Issue } from '@aspora/sdk';
import type { ApiDeps } from './deps.ts';
import { errorResponse } from './errors.ts';
import { healthRoutes } from './routes/health.ts';
import { skillRoutes } from './routes/skills.ts';
import { releaseRoutes } from './routes/releases.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { executionRoutes, triggerRoutes } from './routes/executions.ts';
import { installAccess } from './access-middleware.ts';
import { accessRoutes } from './routes/access.ts';
import { callerLabel } from '../access/principal.ts';
import { callerOfOptional } from './caller.ts';
import { OPENAI_PATHS, openaiError } from './openai/errors.ts';
import { openaiRoutes } from './openai/routes.ts';
import { gatewayRoutes } from './routes/gateway.ts';
import { observeRoutes } from './routes/observe.ts';
import { platformRoutes } from './routes/platform.ts';
import { auditRoutes } from './routes/audit.ts';
import { sharedResourceRoutes } from './routes/shared-resources.ts';
import { secretRoutes } from './routes/secrets.ts';
import { stateRoutes } from './routes/state.ts';
import { messageRoutes } from './routes/messages.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { slackRoutes } from './routes/slack.ts';
import { notSetUp, SLACK_MAX_BODY } from '../channels/slack/index.ts';
import { toAsporaError } from './errors.ts';
import { bodyTooDeep, tooDeep } from './body-depth.ts';

export function createApp(deps: ApiDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    // Request validation failures become the same typed error body as everything else.
    defaultHook: (result) => {
      if (result.success) return;
      const issues: Issue[] = result.error.issues.map((i) => ({
        file: 'request',
        path: i.path.join('.'),
        message: i.message,
      }));
      throw new AsporaError(
        'BAD_REQUEST',
        `invalid request: ${issues.map((i) => `${i.path || '(body)'} ${i.message}`).join('; ')}`,
        {
          issues,
          hint: 'check the request against /openapi.json',
        },
      );
    },
  });

  // OpenAI clients read OpenAI's error envelope; everything else gets the platform's.
  app.onError((err, c) => {
    // A denial of a known caller (a scope, a visibility or ownership rule, a token rule) is audited.
    if (err instanceof AsporaError && err.code === 'FORBIDDEN') {
      const p = callerOfOptional(c);
      deps.recordAudit(c, 'access.denied', `${c.req.method} ${c.req.path}`, { reason: err.message }, 'denied');
      if (!p) deps.log.warn({ path: c.req.path }, 'a denial without a caller');
    }
    if (!OPENAI_PATHS.includes(c.req.path)) return errorResponse(c, err, deps.log);
    const e = toAsporaError(err);
    if (e.details?.errorId) deps.log.error({ err, path: c.req.path, errorId: e.details.errorId }, 'request failed');
    return openaiError(c, e);
  });
  app.notFound((c) =>
    errorResponse(
      c,
      new AsporaError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`, {
        hint: 'see /openapi.json for the API',
      }),
      deps.log,
    ),
  );

  installAccess(
    app,
    {
      access: deps.access,
      limiter: deps.limiter,
      onDenied: (d) => {
        deps.log.info({ source: d.who, route: d.route, reason: d.reason }, 'access denied');
        // Every denial is audited, up to 60 a minute per source: a flood of refused requests
        // cannot flood the log (the rest are counted in the structured log above).
        void deps.limiter.hit(`audit-denied:${d.who}`, 60, 60_000).then((r) => {
          if (r.allowed)
            void deps.audit.record({
              actor: d.principal ? callerLabel(d.principal) : `anonymous@${d.who}`,
              action: 'access.denied',
              target: d.route,
              outcome: 'denied',
              details: { reason: d.reason, source: d.who },
            });
        });
      },
    },
    new Set(deps.metricsElsewhere ? [routes.prometheus.path] : []),
  );
  // Every body is bounded before anything reads it whole (a skill's run, a team's secret, a message,
  // a webhook), but those that bound their own: /v1/chat/completions and /v1/embeddings as they read
  // (openai/body.ts), and bundles and shared resources (bytes, up to the bundle limit).
  const limitJson = bodyLimit({
    maxSize: deps.limits.maxJsonBytes,
    onError: () => {
      throw new AsporaError('PAYLOAD_TOO_LARGE', `request body is larger than ${deps.limits.maxJsonBytes} bytes`);
    },
  });
  app.use('/v1/*', (c, next) =>
    OPENAI_PATHS.includes(c.req.path) ||
    c.req.path.startsWith('/v1/bundles') ||
    c.req.path.startsWith('/v1/shared-resources')
      ? next()
      : limitJson(c, next),
  );
  // Slack's deliveries are read whole (the signature covers the raw bytes): bounded first.
  app.use(
    '/v1/channels/*',
    bodyLimit({
      maxSize: Math.min(deps.limits.maxJsonBytes, SLACK_MAX_BODY),
      onError: () => {
        throw new AsporaError('PAYLOAD_TOO_LARGE', `a Slack request is at most ${SLACK_MAX_BODY} bytes`);
      },
    }),
  );
  // JSON bodies of the platform's routes (the OpenAI routes check theirs as they read them; a bundle
  // is bytes whatever its label). Read as text, which the request caches for validation: a failed
  // c.req.json() would be cached too and fail every later read of the body.
  app.use('/v1/*', async (c, next) => {
    if (
      !OPENAI_PATHS.includes(c.req.path) &&
      !c.req.path.startsWith('/v1/bundles') &&
      /json/i.test(c.req.header('content-type') ?? '')
    ) {
      if (bodyTooDeep(await c.req.text())) throw tooDeep();
    }
    await next();
  });

  healthRoutes(app, deps);
  skillRoutes(app, deps);
  releaseRoutes(app, deps);
  bundleRoutes(app, deps);
  executionRoutes(app, deps);
  triggerRoutes(app, deps);
  gatewayRoutes(app, deps);
  observeRoutes(app, deps);
  platformRoutes(app, deps);
  auditRoutes(app, deps);
  secretRoutes(app, deps);
  stateRoutes(app, deps);
  messageRoutes(app, deps);
  webhookRoutes(app, deps);
  slackRoutes(app, deps.slack ?? notSetUp());
  sharedResourceRoutes(app, deps);
  openaiRoutes(app, deps);
  accessRoutes(app, deps);

  // Routes that read their own bodies (OpenAI's surface: the gateway parses the wire format) or
  // answer text are documented from the same contract; app.test.ts checks every served route is.
  for (const r of [routes.prometheus, routes.chatCompletions, routes.embeddings, routes.models, routes.openapi]) {
    if (r === routes.prometheus && deps.metricsElsewhere) continue;
    app.openAPIRegistry.registerPath(r);
  }
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'ASPORA_TOKEN',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Aspora API', version: deps.version, description: 'Build, deploy, discover and run LLM skills.' },
    security: [{ bearer: [] }],
  });
  return app;
}
