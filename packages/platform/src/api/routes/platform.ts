import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import { PlatformOffersSchema } from '../schemas.ts';

/** What this platform offers skills, by name only: `aspora validate` checks declared names against it. */
export function platformRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get', path: '/v1/platform/offers', tags: ['deploy'],
      summary: 'Names of the APIs and secrets skills may declare (permissions.apis / permissions.secrets); never a value',
      responses: { 200: { description: 'offered names', content: { 'application/json': { schema: PlatformOffersSchema } } } },
    }),
    (c) => c.json(deps.offers?.() ?? { apis: [], secrets: [] }, 200),
  );
}
