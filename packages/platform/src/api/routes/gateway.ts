import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import { ErrorSchema, SkillParams } from '../schemas.ts';
import { modelPrefs } from '../../runtime/runtime.ts';
import { actorOf } from './shared.ts';

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });
const ok = <T extends z.ZodType>(schema: T, description = 'ok') => ({ description, content: { 'application/json': { schema } } });

const BudgetSchema = z
  .object({ ref: z.string(), period: z.string(), spent: z.number(), reserved: z.number(), limit: z.number().nullable(), mode: z.enum(['ok', 'throttled', 'paused']), lifted: z.boolean() })
  .openapi('Budget');

const StatsRow = z.object({
  skill: z.string(), model: z.string(), provider: z.string(), calls: z.number(), errors: z.number(), promptTokens: z.number(), completionTokens: z.number(),
  cost: z.number(), fallbacks: z.number(), cacheHits: z.number(), cacheMisses: z.number(), latencyMsTotal: z.number(), latencyBuckets: z.record(z.string(), z.number()),
});

export function gatewayRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { gateway, registry } = deps;
  const subject = async (domain: string, name: string) => {
    const l = await registry.loadSkill(`${domain}/${name}`, {});
    const p = modelPrefs(l.version);
    return { ref: l.ref, ownerTeam: l.version.ownerTeam, monthlyLimit: p.monthlyLimit };
  };

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/skills/{domain}/{name}/budget', tags: ['gateway'], summary: "A skill's model budget this month: spent, limit, mode (ok, throttled at 95 %, paused at 100 %)",
      request: { params: SkillParams },
      responses: { 200: ok(BudgetSchema), 404: err('no such skill') },
    }),
    async (c) => {
      const { domain, name } = c.req.valid('param');
      return c.json(await gateway.budgets.status(await subject(domain, name)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/skills/{domain}/{name}/budget/lift', tags: ['gateway'], summary: 'Lift a paused (or throttled) skill for the rest of the month',
      request: { params: SkillParams, body: { content: { 'application/json': { schema: z.object({ reason: z.string().max(500).optional() }) } }, required: false } },
      responses: { 200: ok(BudgetSchema), 404: err('no such skill') },
    }),
    async (c) => {
      const { domain, name } = c.req.valid('param');
      const s = await subject(domain, name);
      const reason = ((c.req.valid('json') ?? {}) as { reason?: string }).reason;
      await gateway.budgets.lift(s.ref, actorOf(c), reason);
      return c.json(await gateway.budgets.status(s), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/gateway/stats', tags: ['gateway'], summary: 'Model calls, tokens, cost, latency, fallbacks and cache hits per skill, model and provider (since start)',
      responses: { 200: ok(z.object({ rows: z.array(StatsRow), openCircuits: z.array(z.string()) })) },
    }),
    async (c) => c.json({ rows: gateway.stats.rows(), openCircuits: gateway.openCircuits() }, 200),
  );
}
