/** The HTTP API (REST + JSON) for the CLI, the portal and channels. /openapi.json is generated from the route schemas. */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { AsporaError, type Issue } from '@aspora/sdk';
import type { ApiDeps } from './deps.ts';
import { errorResponse } from './errors.ts';
import { healthRoutes } from './routes/health.ts';
import { skillRoutes } from './routes/skills.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { executionRoutes } from './routes/executions.ts';
import { requireToken } from './auth.ts';
import { OPENAI_PATHS, openaiError } from './openai/errors.ts';
import { openaiRoutes } from './openai/routes.ts';
import { gatewayRoutes } from './routes/gateway.ts';
import { observeRoutes } from './routes/observe.ts';
import { toAsporaError } from './errors.ts';
import { textDeeperThan } from '../runtime/protocol/json-depth.ts';
import { LIMITS } from '../runtime/protocol/limits.ts';

export function createApp(deps: ApiDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    // Request validation failures become the same typed error body as everything else.
    defaultHook: (result) => {
      if (result.success) return;
      const issues: Issue[] = result.error.issues.map((i) => ({ file: 'request', path: i.path.join('.'), message: i.message }));
      throw new AsporaError('BAD_REQUEST', `invalid request: ${issues.map((i) => `${i.path || '(body)'} ${i.message}`).join('; ')}`, {
        issues,
        hint: 'check the request against /openapi.json',
      });
    },
  });

  // OpenAI clients read OpenAI's error envelope; everything else gets the platform's.
  app.onError((err, c) => {
    if (!OPENAI_PATHS.includes(c.req.path)) return errorResponse(c, err, deps.log);
    const e = toAsporaError(err);
    if (e.details?.errorId) deps.log.error({ err, path: c.req.path, errorId: e.details.errorId }, 'request failed');
    return openaiError(c, e);
  });
  app.notFound((c) =>
    errorResponse(c, new AsporaError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`, { hint: 'see /openapi.json for the API' }), deps.log),
  );

  if (deps.apiToken) app.use('/v1/*', requireToken(deps.apiToken));
  // /v1/chat/completions and /v1/embeddings read and limit their bodies themselves (openai/body.ts).
  app.use('/v1/skills/*', bodyLimit({ maxSize: deps.limits.maxJsonBytes, onError: () => { throw new AsporaError('PAYLOAD_TOO_LARGE', `request body is larger than ${deps.limits.maxJsonBytes} bytes`); } }));
  // Measured on the text, before JSON.parse builds it (a deep body stalls the parser, then overflows what serialises it).
  app.use('/v1/skills/*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.header('content-type')?.includes('json') && textDeeperThan(await c.req.text(), LIMITS.messageDepth)) {
      throw new AsporaError('BAD_REQUEST', `request body is nested deeper than ${LIMITS.messageDepth} levels`, { hint: `nest objects and arrays at most ${LIMITS.valueDepth} levels deep in an execution's input` });
    }
    await next();
  });

  healthRoutes(app, deps);
  skillRoutes(app, deps);
  bundleRoutes(app, deps);
  executionRoutes(app, deps);
  gatewayRoutes(app, deps);
  observeRoutes(app, deps);
  openaiRoutes(app, deps);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'ASPORA_TOKEN' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Aspora API', version: deps.version, description: 'Build, deploy, discover and run LLM skills.' },
    security: [{ bearer: [] }],
  });
  return app;
}
