import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AsporaError } from '@aspora/sdk';
import type { ApiDeps } from '../deps.ts';
import { EnvironmentName, ErrorSchema, ExecutionSchema, SkillParams, SkillTestRunSchema } from '../schemas.ts';

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });
const ok = <T extends z.ZodType>(schema: T, description = 'ok') => ({ description, content: { 'application/json': { schema } } });

const RunBody = z
  .object({
    input: z
      .object({ userMessage: z.string().max(100_000).default(''), userId: z.string().max(200).optional(), metadata: z.record(z.string(), z.unknown()).default({}) })
      .passthrough()
      .default({ userMessage: '', metadata: {} }),
    environment: EnvironmentName.optional(),
    version: z.string().max(100).optional(),
    workflowId: z.string().max(200).optional(),
    trigger: z.enum(['api', 'message', 'cron', 'alert', 'command']).default('api'),
  })
  .openapi('RunRequest');

export function executionRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { runtime } = deps;

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/skills/{domain}/{name}/executions', tags: ['runtime'],
      summary: 'Run a skill: its handler in the sandbox; the execution record (200 also when the handler failed: see success and error)',
      request: { params: SkillParams, body: { content: { 'application/json': { schema: RunBody } }, required: true } },
      responses: { 200: ok(ExecutionSchema), 400: err('bad request'), 404: err('no such skill or version'), 409: err('environment empty'), 503: err('no sandbox, or at capacity') },
    }),
    async (c) => {
      const { domain, name } = c.req.valid('param');
      const b = c.req.valid('json');
      const r = await runtime.run({
        ref: `${domain}/${name}`,
        input: b.input,
        trigger: b.trigger,
        ...(b.version ? { version: b.version } : { environment: b.environment ?? 'production' }),
        ...(b.workflowId ? { workflowId: b.workflowId } : {}),
        ...(b.input.userId ? { userId: b.input.userId } : {}),
      });
      return c.json(r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/skills/{domain}/{name}/executions', tags: ['runtime'], summary: 'Recent executions of a skill, newest first',
      request: { params: SkillParams, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(20) }) },
      responses: { 200: ok(z.object({ executions: z.array(ExecutionSchema) })), 404: err('no such skill') },
    }),
    async (c) => {
      const { domain, name } = c.req.valid('param');
      const { ref } = await deps.registry.getSkill(`${domain}/${name}`); // 404 for an unknown skill
      return c.json({ executions: await runtime.listExecutions({ ref, limit: c.req.valid('query').limit }) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/executions/{id}', tags: ['runtime'], summary: 'One execution: input, result or error, logs, model usage, links',
      request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 200: ok(ExecutionSchema), 404: err('no such execution') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const r = await runtime.getExecution(id);
      if (!r) throw new AsporaError('NOT_FOUND', `no execution ${id}`, { hint: 'execution ids are UUIDs, as returned by a run' });
      return c.json(r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/skills/{domain}/{name}/tests', tags: ['runtime'], summary: "Run a deployed version's unit tests (tests/unit) in the sandbox",
      request: { params: SkillParams, body: { content: { 'application/json': { schema: z.object({ environment: EnvironmentName.optional(), version: z.string().max(100).optional() }) } }, required: false } },
      responses: { 200: ok(SkillTestRunSchema), 404: err('no such skill, or no tests'), 503: err('no sandbox') },
    }),
    async (c) => {
      const { domain, name } = c.req.valid('param');
      const b = (c.req.valid('json') ?? {}) as { environment?: string; version?: string };
      return c.json(await runtime.testSkill(`${domain}/${name}`, b.version ? { version: b.version } : b.environment ? { environment: b.environment } : {}), 200);
    },
  );
}
