/**
 * GET /metrics on a listener of its own (ASPORA_METRICS_LISTEN): for a Prometheus that cannot
 * carry the API token. It serves nothing else, and its protection is the address it is bound to —
 * loopback, or an interface only the scraper reaches.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { AsporaError } from '@aspora/sdk';
import type { ApiDeps } from './deps.ts';
import { errorResponse } from './errors.ts';
import { metricsRoute } from './routes/observe.ts';

export function createMetricsApp(deps: Pick<ApiDeps, 'metrics' | 'refreshMetrics' | 'log'>): OpenAPIHono {
  const app = new OpenAPIHono();
  app.onError((err, c) => errorResponse(c, err, deps.log));
  app.notFound((c) =>
    errorResponse(
      c,
      new AsporaError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`, {
        hint: 'this listener serves only GET /metrics',
      }),
      deps.log,
    ),
  );
  metricsRoute(app, deps, { adminOnly: false });
  return app;
}
