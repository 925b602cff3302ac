import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';

const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() }).openapi('Health');

export function healthRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(
    createRoute({ method: 'get', path: '/healthz', tags: ['health'], summary: 'The process is up', responses: { 200: { description: 'alive', content: { 'application/json': { schema: Health } } } } }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/readyz', tags: ['health'], summary: 'Database and bundle store answer',
      responses: {
        200: { description: 'ready', content: { 'application/json': { schema: Health } } },
        503: { description: 'not ready', content: { 'application/json': { schema: Health } } },
      },
    }),
    async (c) => {
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
      return ok ? c.json({ status: 'ok' as const, checks }, 200) : c.json({ status: 'unavailable' as const, checks }, 503);
    },
  );
}
