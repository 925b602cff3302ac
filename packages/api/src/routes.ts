/**
 * Every route of the HTTP API: method, path, request and response schemas. The server registers
 * its handlers on these (and /openapi.json is generated from them); the client builds one function
 * per route from them. The objects have the shape of @hono/zod-openapi's RouteConfig, without
 * depending on it.
 */
import { z } from 'zod';
import { ErrorSchema } from './errors.ts';
import * as S from './schemas.ts';

type Media = Record<string, { schema: z.ZodType }>;
export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'delete' | 'patch';
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  request?: {
    params?: z.ZodObject;
    query?: z.ZodObject;
    body?: { content: Media; required: boolean };
  };
  responses: Record<number, { description: string; content?: Media }>;
}

const route = <R extends RouteSpec>(r: R): R => r;
const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const ok = <T extends z.ZodType>(schema: T, description = 'ok') => ({ description, content: json(schema) });
const err = (description: string) => ({ description, content: json(ErrorSchema) });
const body = <T extends z.ZodType>(schema: T, required = true) => ({ content: json(schema), required });
const binary = z.string().meta({ format: 'binary' });

export const routes = {
  // ---- health
  health: route({
    method: 'get',
    path: '/healthz',
    tags: ['health'],
    summary: 'The process is up',
    responses: { 200: ok(S.HealthSchema, 'alive') },
  }),
  ready: route({
    method: 'get',
    path: '/readyz',
    tags: ['health'],
    summary: 'Database and bundle store answer',
    responses: { 200: ok(S.HealthSchema, 'ready'), 503: ok(S.HealthSchema, 'not ready') },
  }),

  // ---- discovery
  listSkills: route({
    method: 'get',
    path: '/v1/skills',
    tags: ['discovery'],
    summary: 'List skills, by domain and role',
    request: { query: S.ListSkillsQuery },
    responses: { 200: ok(z.object({ skills: z.array(S.SkillSummarySchema) })), 400: err('bad query') },
  }),
  searchSkills: route({
    method: 'get',
    path: '/v1/search',
    tags: ['discovery'],
    summary: 'Search skills by meaning; each hit says why it matched',
    request: { query: S.SearchQuery },
    responses: { 200: ok(z.object({ query: z.string(), hits: z.array(S.SearchHitSchema) })), 400: err('bad query') },
  }),
  getSkill: route({
    method: 'get',
    path: '/v1/skills/{domain}/{name}',
    tags: ['discovery'],
    summary: 'A skill with its versions, environments, triggers and permissions',
    request: { params: S.SkillParams },
    responses: { 200: ok(S.SkillDetailSchema), 404: err('no such skill') },
  }),
  loadSkill: route({
    method: 'get',
    path: '/v1/skills/{domain}/{name}/load',
    tags: ['discovery'],
    summary: 'Resolve the version to execute (environment, or explicit version) with its config and bundle digest',
    request: { params: S.SkillParams, query: S.LoadQuery },
    responses: { 200: ok(S.LoadedSkillSchema), 404: err('no such skill or version'), 409: err('environment empty') },
  }),

  // ---- deploy
  publishBundle: route({
    method: 'post',
    path: '/v1/bundles',
    tags: ['deploy'],
    summary:
      'Upload a skill bundle (deterministic tar.gz of the skill folder): validate, store by content address, register its version',
    request: { body: { required: true, content: { 'application/gzip': { schema: binary } } } },
    responses: {
      201: ok(S.PublishResultSchema, 'new version registered'),
      200: ok(S.PublishResultSchema, 'this exact version was already registered'),
      400: err('corrupt bundle'),
      409: err('version already registered with other content'),
      413: err('too large'),
      422: err('invalid skill'),
    },
  }),
  platformOffers: route({
    method: 'get',
    path: '/v1/platform/offers',
    tags: ['deploy'],
    summary: 'Names of the APIs and secrets skills may declare (permissions.apis / permissions.secrets); never a value',
    responses: { 200: ok(S.PlatformOffersSchema, 'offered names') },
  }),
  getBundle: route({
    method: 'get',
    path: '/v1/bundles/{digest}',
    tags: ['deploy'],
    summary: 'Download a bundle by its content address',
    request: { params: S.DigestParams },
    responses: {
      200: { description: 'bundle bytes', content: { 'application/gzip': { schema: binary } } },
      404: err('unknown digest'),
      400: err('malformed digest'),
    },
  }),
  deploy: route({
    method: 'post',
    path: '/v1/skills/{domain}/{name}/deployments',
    tags: ['deploy'],
    summary: 'Point an environment at a registered version',
    request: { params: S.SkillParams, body: body(S.DeployRequest) },
    responses: { 200: ok(S.DeploymentSchema), 404: err('no such skill or version'), 400: err('bad body') },
  }),
  rollback: route({
    method: 'post',
    path: '/v1/skills/{domain}/{name}/rollback',
    tags: ['deploy'],
    summary: 'Move an environment back to the version it ran before (or to toVersion)',
    request: { params: S.SkillParams, body: body(S.RollbackRequest) },
    responses: {
      200: ok(S.DeploymentSchema),
      404: err('no such skill or version'),
      409: err('nothing to roll back to'),
    },
  }),

  // ---- runtime
  runSkill: route({
    method: 'post',
    path: '/v1/skills/{domain}/{name}/executions',
    tags: ['runtime'],
    summary:
      'Run a skill: its handler in the sandbox; the execution record (200 also when the handler failed: see success and error)',
    request: { params: S.SkillParams, body: body(S.RunRequest) },
    responses: {
      200: ok(S.ExecutionSchema),
      400: err('bad request'),
      404: err('no such skill or version'),
      409: err('environment empty'),
      503: err('no sandbox, or at capacity'),
    },
  }),
  listExecutions: route({
    method: 'get',
    path: '/v1/skills/{domain}/{name}/executions',
    tags: ['runtime'],
    summary: 'Recent executions of a skill, newest first',
    request: { params: S.SkillParams, query: S.ListExecutionsQuery },
    responses: { 200: ok(z.object({ executions: z.array(S.ExecutionSchema) })), 404: err('no such skill') },
  }),
  getExecution: route({
    method: 'get',
    path: '/v1/executions/{id}',
    tags: ['runtime'],
    summary: 'One execution: input, result or error, logs, model usage, links',
    request: { params: S.ExecutionParams },
    responses: { 200: ok(S.ExecutionSchema), 404: err('no such execution') },
  }),
  testSkill: route({
    method: 'post',
    path: '/v1/skills/{domain}/{name}/tests',
    tags: ['runtime'],
    summary: "Run a deployed version's unit tests (tests/unit) in the sandbox",
    request: { params: S.SkillParams, body: body(S.TestRequest, false) },
    responses: { 200: ok(S.SkillTestRunSchema), 404: err('no such skill, or no tests'), 503: err('no sandbox') },
  }),

  // ---- gateway
  getBudget: route({
    method: 'get',
    path: '/v1/skills/{domain}/{name}/budget',
    tags: ['gateway'],
    summary: "A skill's model budget this month: spent, limit, mode (ok, throttled at 95 %, paused at 100 %)",
    request: { params: S.SkillParams },
    responses: { 200: ok(S.BudgetSchema), 404: err('no such skill') },
  }),
  liftBudget: route({
    method: 'post',
    path: '/v1/skills/{domain}/{name}/budget/lift',
    tags: ['gateway'],
    summary: 'Lift a paused (or throttled) skill for the rest of the month',
    request: { params: S.SkillParams, body: body(S.LiftBudgetRequest, false) },
    responses: { 200: ok(S.BudgetSchema), 404: err('no such skill') },
  }),
  gatewayStats: route({
    method: 'get',
    path: '/v1/gateway/stats',
    tags: ['gateway'],
    summary: 'Model calls, tokens, cost, latency, fallbacks and cache hits per skill, model and provider (since start)',
    responses: { 200: ok(S.GatewayStatsSchema) },
  }),

  // ---- observe
  metrics: route({
    method: 'get',
    path: '/v1/metrics',
    tags: ['observe'],
    summary:
      'Figures of the platform, a domain or a skill over a window, with the next level down (from hourly rollups)',
    request: { query: S.MetricsQuery },
    responses: { 200: ok(S.RollupSchema), 400: err('bad window'), 404: err('no such skill or domain') },
  }),
  addFeedback: route({
    method: 'post',
    path: '/v1/executions/{id}/feedback',
    tags: ['observe'],
    summary: 'Rate an execution and/or correct it (a correction becomes a regression case of the skill)',
    request: { params: S.ExecutionParams, body: body(S.FeedbackRequest) },
    responses: {
      201: ok(S.FeedbackSchema, 'stored'),
      400: err('neither rating nor correction'),
      404: err('no such execution'),
    },
  }),
  listFeedback: route({
    method: 'get',
    path: '/v1/feedback',
    tags: ['observe'],
    summary: 'Feedback, newest first, of one skill or all',
    request: { query: S.ListFeedbackQuery },
    responses: { 200: ok(z.object({ feedback: z.array(S.FeedbackSchema) })) },
  }),
  exportFeedback: route({
    method: 'get',
    path: '/v1/skills/{domain}/{name}/feedback/export',
    tags: ['observe'],
    summary: "The skill's corrections as a promptfoo test-case file (YAML)",
    request: { params: S.SkillParams },
    responses: {
      200: { description: 'promptfoo tests', content: { 'application/yaml': { schema: z.string() } } },
      404: err('no such skill'),
    },
  }),
  listAlerts: route({
    method: 'get',
    path: '/v1/alerts',
    tags: ['observe'],
    summary: 'Alerts, firing or resolved, newest first',
    request: { query: S.AlertsQuery },
    responses: { 200: ok(z.object({ alerts: z.array(S.AlertSchema) })) },
  }),
  traces: route({
    method: 'get',
    path: '/v1/traces',
    tags: ['observe'],
    summary: "A domain's executions of one day as workflows, each with its model and tool calls",
    request: { query: S.TracesQuery },
    responses: { 200: ok(S.TimelineSchema), 400: err('no domain') },
  }),
  executionTrace: route({
    method: 'get',
    path: '/v1/executions/{id}/trace',
    tags: ['observe'],
    summary: 'One execution with its model and tool calls and the executions it started',
    request: { params: S.ExecutionParams },
    responses: { 200: ok(S.TimelineExecutionSchema), 404: err('no trace of this execution') },
  }),
  logs: route({
    method: 'get',
    path: '/v1/skills/{domain}/{name}/logs',
    tags: ['observe'],
    summary: "A skill's execution log lines since a moment; with follow=true, a server-sent event stream of them, live",
    request: { params: S.SkillParams, query: S.LogsQuery },
    responses: {
      200: {
        description: 'the lines (JSON), or with follow=true an event stream whose `log` events carry one LogLine each',
        content: {
          ...json(z.object({ lines: z.array(S.LogLineSchema) })),
          'text/event-stream': { schema: z.string() },
        },
      },
      400: err('bad since, level or limit'),
      404: err('no such skill'),
    },
  }),
  prometheus: route({
    method: 'get',
    path: '/metrics',
    tags: ['observe'],
    summary:
      'Prometheus metrics (text exposition format); behind the API token when one is set, or on ASPORA_METRICS_LISTEN',
    responses: {
      200: { description: 'Prometheus text', content: { 'text/plain': { schema: z.string() } } },
      401: err('no or wrong token'),
    },
  }),

  // ---- OpenAI-compatible (bodies and errors follow OpenAI's API)
  chatCompletions: route({
    method: 'post',
    path: '/v1/chat/completions',
    tags: ['openai'],
    summary:
      'OpenAI-compatible chat completions, streamed (stream: true, server-sent events) or not, through the model gateway',
    request: { body: body(S.ChatCompletionRequest) },
    responses: {
      200: {
        description: 'the completion, or an event stream of chunks',
        content: { ...json(S.ChatCompletionSchema), 'text/event-stream': { schema: z.string() } },
      },
      400: { description: 'bad request', content: json(S.OpenAIErrorSchema) },
      429: { description: 'rate limited or over budget', content: json(S.OpenAIErrorSchema) },
    },
  }),
  embeddings: route({
    method: 'post',
    path: '/v1/embeddings',
    tags: ['openai'],
    summary: 'OpenAI-compatible embeddings through the model gateway',
    request: { body: body(S.EmbeddingsRequest) },
    responses: { 200: ok(S.EmbeddingsSchema), 400: { description: 'bad request', content: json(S.OpenAIErrorSchema) } },
  }),
  models: route({
    method: 'get',
    path: '/v1/models',
    tags: ['openai'],
    summary: 'The models the gateway serves, with provider model and price',
    responses: { 200: ok(S.ModelListSchema) },
  }),

  openapi: route({
    method: 'get',
    path: '/openapi.json',
    tags: ['health'],
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: ok(z.record(z.string(), z.unknown())) },
  }),
};

export type Routes = typeof routes;
export type RouteName = keyof Routes;
