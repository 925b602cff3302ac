import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import type { ApiDeps } from '../deps.ts';

/** What this platform offers skills, by name only: `aspora validate` checks declared names against it. */
export function platformRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(createRoute(routes.platformOffers), (c) => c.json(deps.offers?.() ?? { apis: [], secrets: [] }, 200));
}
