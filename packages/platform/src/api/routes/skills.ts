import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import { DeploymentSchema, EnvironmentName, ErrorSchema, LoadedSkillSchema, SearchHitSchema, SkillDetailSchema, SkillParams, SkillSummarySchema } from '../schemas.ts';
import { actorOf } from './shared.ts';

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });
const ok = <T extends z.ZodType>(schema: T, description = 'ok') => ({ description, content: { 'application/json': { schema } } });
const Slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/);
const Limit = z.coerce.number().int().min(1).max(500);

export function skillRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { registry, publisher } = deps;

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/skills', tags: ['discovery'], summary: 'List skills, by domain and role',
      request: { query: z.object({ domain: Slug.optional(), role: Slug.optional(), environment: EnvironmentName.optional(), limit: Limit.default(100), offset: z.coerce.number().int().min(0).default(0) }) },
      responses: { 200: ok(z.object({ skills: z.array(SkillSummarySchema) })), 400: err('bad query') },
    }),
    async (c) => c.json({ skills: await registry.listSkills(c.req.valid('query')) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/search', tags: ['discovery'], summary: 'Search skills by meaning; each hit says why it matched',
      request: { query: z.object({ q: z.string().min(1).max(1000), domain: Slug.optional(), role: Slug.optional(), environment: EnvironmentName.optional(), limit: Limit.max(100).default(10) }) },
      responses: { 200: ok(z.object({ query: z.string(), hits: z.array(SearchHitSchema) })), 400: err('bad query') },
    }),
    async (c) => {
      const { q, ...opts } = c.req.valid('query');
      return c.json({ query: q, hits: await registry.searchSkills(q, opts) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/skills/{domain}/{name}', tags: ['discovery'], summary: 'A skill with its versions, environments, triggers and permissions',
      request: { params: SkillParams },
      responses: { 200: ok(SkillDetailSchema), 404: err('no such skill') },
    }),
    async (c) => {
      const { domain, name } = c.req.valid('param');
      return c.json(await registry.getSkill(`${domain}/${name}`), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/skills/{domain}/{name}/load', tags: ['discovery'], summary: 'Resolve the version to execute (environment, or explicit version) with its config and bundle digest',
      request: { params: SkillParams, query: z.object({ version: z.string().optional(), environment: EnvironmentName.optional() }) },
      responses: { 200: ok(LoadedSkillSchema), 404: err('no such skill or version'), 409: err('environment empty') },
    }),
    async (c) => {
      const { domain, name } = c.req.valid('param');
      return c.json(await registry.loadSkill(`${domain}/${name}`, c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/skills/{domain}/{name}/deployments', tags: ['deploy'], summary: 'Point an environment at a registered version',
      request: { params: SkillParams, body: { required: true, content: { 'application/json': { schema: z.object({ environment: EnvironmentName, version: z.string().min(1) }) } } } },
      responses: { 200: ok(DeploymentSchema), 404: err('no such skill or version'), 400: err('bad body') },
    }),
    async (c) => {
      const { domain, name } = c.req.valid('param');
      const { environment, version } = c.req.valid('json');
      return c.json(await publisher.deploy(`${domain}/${name}`, environment, version, actorOf(c)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/skills/{domain}/{name}/rollback', tags: ['deploy'], summary: 'Move an environment back to the version it ran before (or to toVersion)',
      request: { params: SkillParams, body: { required: true, content: { 'application/json': { schema: z.object({ environment: EnvironmentName, toVersion: z.string().min(1).optional() }) } } } },
      responses: { 200: ok(DeploymentSchema), 404: err('no such skill or version'), 409: err('nothing to roll back to') },
    }),
    async (c) => {
      const { domain, name } = c.req.valid('param');
      const { environment, toVersion } = c.req.valid('json');
      const actor = actorOf(c);
      return c.json(await publisher.rollback(`${domain}/${name}`, environment, { ...(toVersion ? { toVersion } : {}), ...(actor ? { actor } : {}) }), 200);
    },
  );
}
