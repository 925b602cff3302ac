import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import type { ApiDeps } from '../deps.ts';

export function healthRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(createRoute(routes.health), (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(createRoute(routes.ready), async (c) => {
    const checks: Record<string, string> = {};
    let ok = true;
    for (const [name, probe] of Object.entries(deps.readiness)) {
      try {
        await probe();
        checks[name] = 'ok';
      } catch (e) {
        ok = false;
        checks[name] = (e as Error).message;
      }
    }
    return ok
      ? c.json({ status: 'ok' as const, checks }, 200)
      : c.json({ status: 'unavailable' as const, checks }, 503);
  });
}
