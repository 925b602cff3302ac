/**
 * Every route of the HTTP API: method, path, request and response schemas. The server registers
 * its handlers on these (and /openapi.json is generated from them); the client builds one function
 * per route from them. The objects have the shape of @hono/zod-openapi's RouteConfig, without
 * depending on it.
 */
import { z } from 'zod';
import { ErrorSchema } from './errors.ts';
import * as S from './schemas.ts';
import * as A from './access.ts';
import * as M from './messages.ts';
import * as R from './releases.ts';
import type { RouteAccess } from './access.ts';

type Media = Record<string, { schema: z.ZodType }>;
export interface RouteSpec {
  /** What the route requires of its caller's token (access.ts); OpenAPI shows it as an extension. */
  'x-aspora-access': RouteAccess;
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
    'x-aspora-access': 'open',
    method: 'get',
    path: '/healthz',
    tags: ['health'],
    summary: 'The process is up',
    responses: { 200: ok(S.HealthSchema, 'alive') },
  }),
  ready: route({
    'x-aspora-access': 'open',
    method: 'get',
    path: '/readyz',
    tags: ['health'],
    summary: 'Database and bundle store answer',
    responses: { 200: ok(S.HealthSchema, 'ready'), 503: ok(S.HealthSchema, 'not ready') },
  }),

  // ---- discovery
  listSkills: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/skills',
    tags: ['discovery'],
    summary: 'List skills, by domain and role',
    request: { query: S.ListSkillsQuery },
    responses: { 200: ok(z.object({ skills: z.array(S.SkillSummarySchema) })), 400: err('bad query') },
  }),
  searchSkills: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/search',
    tags: ['discovery'],
    summary: 'Search skills by meaning; each hit says why it matched',
    request: { query: S.SearchQuery },
    responses: { 200: ok(z.object({ query: z.string(), hits: z.array(S.SearchHitSchema) })), 400: err('bad query') },
  }),
  getSkill: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/skills/{domain}/{name}',
    tags: ['discovery'],
    summary: 'A skill with its versions, environments, triggers and permissions',
    request: { params: S.SkillParams },
    responses: { 200: ok(S.SkillDetailSchema), 404: err('no such skill') },
  }),
  loadSkill: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/skills/{domain}/{name}/load',
    tags: ['discovery'],
    summary: 'Resolve the version to execute (environment, or explicit version) with its config and bundle digest',
    request: { params: S.SkillParams, query: S.LoadQuery },
    responses: { 200: ok(S.LoadedSkillSchema), 404: err('no such skill or version'), 409: err('environment empty') },
  }),

  // ---- deploy
  publishBundle: route({
    'x-aspora-access': 'deploy',
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
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/platform/offers',
    tags: ['deploy'],
    summary: 'Names of the APIs and secrets skills may declare (permissions.apis / permissions.secrets); never a value',
    responses: { 200: ok(S.PlatformOffersSchema, 'offered names') },
  }),
  getBundle: route({
    'x-aspora-access': 'read',
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
  registerSharedResources: route({
    'x-aspora-access': 'deploy',
    method: 'post',
    path: '/v1/shared-resources/{domain}',
    tags: ['deploy'],
    summary:
      "Upload a domain's shared folder (deterministic tar.gz) as a new version: skills registered from now on run with it under /shared",
    description:
      'Admins, or members (deploy scope) of a team that owns a skill of the domain. Same limits and checks as skill bundles: regular files only, no links, no `..`.',
    request: {
      params: S.SharedResourcesParams,
      query: S.RegisterSharedResourcesQuery,
      body: { required: true, content: { 'application/gzip': { schema: binary } } },
    },
    responses: {
      201: ok(S.RegisterSharedResourcesResultSchema, 'new version registered'),
      200: ok(S.RegisterSharedResourcesResultSchema, 'this content was already that version'),
      400: err('corrupt bundle or bad version'),
      403: err('not an admin nor a member of a team owning a skill of the domain'),
      409: err('version already registered with other content'),
      413: err('too large'),
      422: err('invalid bundle (a link, `..`, …)'),
    },
  }),
  listSharedResources: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/shared-resources/{domain}',
    tags: ['deploy'],
    summary: "A domain's shared-resource versions, newest (current) first",
    request: { params: S.SharedResourcesParams },
    responses: {
      200: ok(z.object({ domain: z.string(), versions: z.array(S.SharedResourceVersionSchema) })),
      404: err('no such domain (or none of its skills is visible to the caller)'),
    },
  }),
  deploy: route({
    'x-aspora-access': 'deploy',
    method: 'post',
    path: '/v1/skills/{domain}/{name}/deployments',
    tags: ['deploy'],
    summary: 'Point an environment at a registered version',
    description:
      "With `canary` (or a skill whose versioning config asks for one) and a version already live, starts a release: the environment keeps running stable while the candidate takes a share of traffic (split) or runs beside it (shadow); the analysis promotes or rolls it back. `canary: 'off'` replaces at once.",
    request: { params: S.SkillParams, body: body(R.DeployWithCanaryRequest) },
    responses: {
      200: ok(R.DeployAnswerSchema),
      404: err('no such skill or version'),
      400: err('bad body'),
      409: err('a release of this skill is already in flight in the environment'),
    },
  }),
  rollback: route({
    'x-aspora-access': 'deploy',
    method: 'post',
    path: '/v1/skills/{domain}/{name}/rollback',
    tags: ['deploy'],
    summary:
      'Move an environment back to the version it ran before (or to toVersion); with a release in flight, end it: all traffic back to stable',
    request: { params: S.SkillParams, body: body(S.RollbackRequest) },
    responses: {
      200: ok(R.DeployAnswerSchema),
      404: err('no such skill or version'),
      409: err('nothing to roll back to'),
    },
  }),

  listReleases: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/skills/{domain}/{name}/releases',
    tags: ['deploy'],
    summary:
      "A skill's releases, newest first: stable and canary side by side, the rules, every decision with its numbers",
    request: { params: S.SkillParams, query: R.ReleasesQuery },
    responses: { 200: ok(R.ReleaseListSchema), 404: err('no such skill') },
  }),
  promote: route({
    'x-aspora-access': 'deploy',
    method: 'post',
    path: '/v1/skills/{domain}/{name}/promote',
    tags: ['deploy'],
    summary: 'Promote the release in flight now: the environment runs the candidate, the release ends as promoted',
    request: { params: S.SkillParams, body: body(R.PromoteRequest) },
    responses: {
      200: ok(R.DeployAnswerSchema),
      404: err('no such skill'),
      409: err('no release in flight in that environment'),
    },
  }),
  shadowDiff: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/skills/{domain}/{name}/diff',
    tags: ['deploy'],
    summary: "The shadow report: the newest shadow release's comparisons, each with what changed by key",
    request: { params: S.SkillParams, query: R.DiffQuery },
    responses: { 200: ok(R.ShadowReportSchema), 404: err('no such skill') },
  }),

  // ---- runtime
  runSkill: route({
    'x-aspora-access': 'run',
    method: 'post',
    path: '/v1/skills/{domain}/{name}/executions',
    tags: ['runtime'],
    summary:
      'Run a skill: its handler in the sandbox; the execution record (200 also when the handler failed: see success and error)',
    description:
      'With "async": true the execution is queued and the answer is 202 with its id. An Idempotency-Key header makes a repeated request (same caller, same key) answer the same execution instead of running again.',
    request: { params: S.SkillParams, headers: S.RunHeaders, body: body(S.RunRequest) },
    responses: {
      200: ok(S.ExecutionSchema),
      202: ok(S.QueuedRunSchema, 'queued (async): follow it with GET /v1/executions/{id}'),
      400: err('bad request'),
      404: err('no such skill or version'),
      409: err('environment empty'),
      503: err('no sandbox, or at capacity'),
    },
  }),
  listExecutions: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/skills/{domain}/{name}/executions',
    tags: ['runtime'],
    summary: 'Recent executions of a skill, newest first',
    request: { params: S.SkillParams, query: S.ListExecutionsQuery },
    responses: { 200: ok(z.object({ executions: z.array(S.ExecutionSchema) })), 404: err('no such skill') },
  }),
  listTriggers: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/triggers',
    tags: ['runtime'],
    summary: "Every trigger of the deployed skills the caller can see, with a cron trigger's next fire and last result",
    request: { query: S.TriggersQuery },
    responses: { 200: ok(z.object({ triggers: z.array(S.TriggerStatusSchema) })), 400: err('bad query') },
  }),
  fireTrigger: route({
    'x-aspora-access': 'run',
    method: 'post',
    path: '/v1/skills/{domain}/{name}/triggers/fire',
    tags: ['runtime'],
    summary: "Fire a skill's trigger now, as its schedule would (for testing): the execution is queued",
    request: { params: S.SkillParams, body: body(S.FireTriggerRequest) },
    responses: {
      202: ok(S.QueuedRunSchema, 'queued'),
      404: err('no such skill'),
      409: err('nothing deployed to the environment'),
    },
  }),
  listQueue: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/executions',
    tags: ['runtime'],
    summary:
      'Queued executions (waiting, or waiting for a retry) or dead ones (attempts spent), of skills the caller can see',
    request: { query: S.QueueQuery },
    responses: { 200: ok(z.object({ executions: z.array(S.QueuedExecutionSchema) })), 400: err('bad query') },
  }),
  getExecution: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/executions/{id}',
    tags: ['runtime'],
    summary: 'One execution: input, result or error, logs, model usage, links',
    request: { params: S.ExecutionParams },
    responses: { 200: ok(S.ExecutionSchema), 404: err('no such execution') },
  }),
  testSkill: route({
    'x-aspora-access': 'run',
    method: 'post',
    path: '/v1/skills/{domain}/{name}/tests',
    tags: ['runtime'],
    summary: "Run a deployed version's unit tests (tests/unit) in the sandbox",
    request: { params: S.SkillParams, body: body(S.TestRequest, false) },
    responses: { 200: ok(S.SkillTestRunSchema), 404: err('no such skill, or no tests'), 503: err('no sandbox') },
  }),

  // ---- gateway
  getBudget: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/skills/{domain}/{name}/budget',
    tags: ['gateway'],
    summary: "A skill's model budget this month: spent, limit, mode (ok, throttled at 95 %, paused at 100 %)",
    request: { params: S.SkillParams },
    responses: { 200: ok(S.BudgetSchema), 404: err('no such skill') },
  }),
  liftBudget: route({
    'x-aspora-access': 'deploy',
    method: 'post',
    path: '/v1/skills/{domain}/{name}/budget/lift',
    tags: ['gateway'],
    summary: 'Lift a paused (or throttled) skill for the rest of the month',
    request: { params: S.SkillParams, body: body(S.LiftBudgetRequest, false) },
    responses: { 200: ok(S.BudgetSchema), 404: err('no such skill') },
  }),
  gatewayStats: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/gateway/stats',
    tags: ['gateway'],
    summary: 'Model calls, tokens, cost, latency, fallbacks and cache hits per skill, model and provider (since start)',
    responses: { 200: ok(S.GatewayStatsSchema) },
  }),

  // ---- observe
  metrics: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/metrics',
    tags: ['observe'],
    summary:
      'Figures of the platform, a domain or a skill over a window, with the next level down (from hourly rollups)',
    request: { query: S.MetricsQuery },
    responses: { 200: ok(S.RollupSchema), 400: err('bad window'), 404: err('no such skill or domain') },
  }),
  addFeedback: route({
    'x-aspora-access': 'run',
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
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/feedback',
    tags: ['observe'],
    summary: 'Feedback, newest first, of one skill or all',
    request: { query: S.ListFeedbackQuery },
    responses: { 200: ok(z.object({ feedback: z.array(S.FeedbackSchema) })) },
  }),
  exportFeedback: route({
    'x-aspora-access': 'read',
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
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/alerts',
    tags: ['observe'],
    summary: 'Alerts, firing or resolved, newest first',
    request: { query: S.AlertsQuery },
    responses: { 200: ok(z.object({ alerts: z.array(S.AlertSchema) })) },
  }),
  traces: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/traces',
    tags: ['observe'],
    summary: "A domain's executions of one day as workflows, each with its model and tool calls",
    request: { query: S.TracesQuery },
    responses: { 200: ok(S.TimelineSchema), 400: err('no domain') },
  }),
  executionTrace: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/executions/{id}/trace',
    tags: ['observe'],
    summary: 'One execution with its model and tool calls and the executions it started',
    request: { params: S.ExecutionParams },
    responses: { 200: ok(S.TimelineExecutionSchema), 404: err('no trace of this execution') },
  }),
  logs: route({
    'x-aspora-access': 'read',
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
    'x-aspora-access': 'read',
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
    'x-aspora-access': 'run',
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
    'x-aspora-access': 'run',
    method: 'post',
    path: '/v1/embeddings',
    tags: ['openai'],
    summary: 'OpenAI-compatible embeddings through the model gateway',
    request: { body: body(S.EmbeddingsRequest) },
    responses: { 200: ok(S.EmbeddingsSchema), 400: { description: 'bad request', content: json(S.OpenAIErrorSchema) } },
  }),
  models: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/models',
    tags: ['openai'],
    summary: 'The models the gateway serves, with provider model and price',
    responses: { 200: ok(S.ModelListSchema) },
  }),

  // ---- access
  whoami: route({
    'x-aspora-access': 'any',
    method: 'get',
    path: '/v1/whoami',
    tags: ['access'],
    summary: "The caller: user or service account, teams and roles, the token's scopes and expiry",
    responses: { 200: ok(A.PrincipalSchema), 401: err('no, expired or revoked token') },
  }),
  listTeams: route({
    'x-aspora-access': 'read',
    method: 'get',
    path: '/v1/teams',
    tags: ['access'],
    summary: 'Teams of the organisation',
    responses: { 200: ok(z.object({ teams: z.array(A.TeamSchema) })) },
  }),
  createTeam: route({
    'x-aspora-access': 'admin',
    method: 'post',
    path: '/v1/teams',
    tags: ['access'],
    summary: 'Create a team (admins)',
    request: { body: body(A.CreateTeamRequest) },
    responses: { 201: ok(A.TeamSchema, 'created'), 409: err('the team exists') },
  }),
  listUsers: route({
    'x-aspora-access': 'admin',
    method: 'get',
    path: '/v1/users',
    tags: ['access'],
    summary: 'Users with their teams and roles (admins)',
    responses: { 200: ok(z.object({ users: z.array(A.UserSchema) })) },
  }),
  createUser: route({
    'x-aspora-access': 'admin',
    method: 'post',
    path: '/v1/users',
    tags: ['access'],
    summary: 'Add a user, optionally to a team with a role (admins); an existing user joins the team',
    request: { body: body(A.CreateUserRequest) },
    responses: { 201: ok(A.UserSchema, 'created'), 200: ok(A.UserSchema, 'existing user, membership set') },
  }),
  addMember: route({
    'x-aspora-access': 'admin',
    method: 'put',
    path: '/v1/teams/{team}/members',
    tags: ['access'],
    summary: "Set a user's role in a team (admins)",
    request: { params: A.TeamParams, body: body(A.AddMemberRequest) },
    responses: { 200: ok(A.UserSchema), 404: err('no such team or user') },
  }),
  removeMember: route({
    'x-aspora-access': 'admin',
    method: 'delete',
    path: '/v1/teams/{team}/members/{email}',
    tags: ['access'],
    summary: 'Remove a user from a team (admins)',
    request: { params: A.MemberParams },
    responses: { 200: ok(A.UserSchema), 404: err('no such team, user or membership') },
  }),
  listTokens: route({
    'x-aspora-access': 'any',
    method: 'get',
    path: '/v1/tokens',
    tags: ['access'],
    summary:
      "The caller's tokens and its teams' service tokens (every token with all=true, for admins); never a token itself",
    request: { query: A.ListTokensQuery },
    responses: { 200: ok(z.object({ tokens: z.array(A.TokenSchema) })) },
  }),
  createToken: route({
    'x-aspora-access': 'any',
    method: 'post',
    path: '/v1/tokens',
    tags: ['access'],
    summary:
      "Create a token with scopes no wider than the caller's: the caller's own, a team's service token, or (admins) another user's. Shown once",
    request: { body: body(A.CreateTokenRequest) },
    responses: { 201: ok(A.CreatedTokenSchema, 'created; the token is in this answer only'), 403: err('not allowed') },
  }),
  revokeToken: route({
    'x-aspora-access': 'any',
    method: 'delete',
    path: '/v1/tokens/{id}',
    tags: ['access'],
    summary:
      "Revoke a token (one's own, a service token of one's team with deploy, or any for admins); within a second everywhere",
    request: { params: A.TokenParams },
    responses: { 200: ok(A.TokenSchema), 404: err('no such token') },
  }),
  listSecrets: route({
    'x-aspora-access': 'deploy',
    method: 'get',
    path: '/v1/teams/{team}/secrets',
    tags: ['access'],
    summary: "A team's secrets: names and when they changed, never values (members with deploy, admins)",
    request: { params: A.TeamParams },
    responses: { 200: ok(z.object({ secrets: z.array(A.SecretInfoSchema) })), 403: err('not a member') },
  }),
  setSecret: route({
    'x-aspora-access': 'deploy',
    method: 'put',
    path: '/v1/teams/{team}/secrets/{name}',
    tags: ['access'],
    summary: "Set a team's secret, encrypted at rest; the value is never returned (members with deploy, admins)",
    request: { params: A.SecretParams, body: body(A.SetSecretRequest) },
    responses: { 200: ok(A.SecretInfoSchema), 403: err('not a member, or a platform credential') },
  }),
  removeSecret: route({
    'x-aspora-access': 'deploy',
    method: 'delete',
    path: '/v1/teams/{team}/secrets/{name}',
    tags: ['access'],
    summary: "Remove a team's secret (members with deploy, admins)",
    request: { params: A.SecretParams },
    responses: { 200: ok(z.object({ removed: z.boolean() })), 403: err('not a member') },
  }),
  sendMessage: route({
    'x-aspora-access': 'run',
    method: 'post',
    path: '/v1/messages',
    tags: ['runtime'],
    summary:
      'Send a message: routed to the skill that should answer (its message patterns, then search, then a cheap model when the best are close), run, answered; says which skill and why. Only skills the user may see are candidates',
    request: { body: body(M.MessageRequest) },
    responses: {
      200: ok(M.MessageAnswerSchema, 'routed and run, or (routed: null) the closest skills as suggestions'),
      403: err('user given without act-as'),
    },
  }),
  streamMessage: route({
    'x-aspora-access': 'run',
    method: 'post',
    path: '/v1/messages/stream',
    tags: ['runtime'],
    summary:
      'The same as POST /v1/messages, as server-sent events for a web channel: `routed` (or `unrouted`) at once, then `answer` with the execution',
    request: { body: body(M.MessageRequest) },
    responses: {
      200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
      403: err('user given without act-as'),
    },
  }),
  pagerDutyWebhook: route({
    'x-aspora-access': 'open',
    method: 'post',
    path: '/v1/webhooks/pagerduty',
    tags: ['triggers'],
    summary:
      'PagerDuty V3 webhooks (X-PagerDuty-Signature checked with PAGERDUTY_WEBHOOK_SECRET): queues the skills whose alert triggers accept the incident; a redelivery runs nothing again',
    request: {
      body: { content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } }, required: true },
    },
    responses: {
      202: ok(M.WebhookAnswerSchema, 'queued'),
      400: err('not a PagerDuty V3 payload'),
      401: err('the signature does not verify'),
      404: err('no PAGERDUTY_WEBHOOK_SECRET on this platform (not set up)'),
    },
  }),
  datadogWebhook: route({
    'x-aspora-access': 'open',
    method: 'post',
    path: '/v1/webhooks/datadog',
    tags: ['triggers'],
    summary:
      "Datadog's webhook integration (its custom header X-Aspora-Webhook-Secret carries DATADOG_WEBHOOK_SECRET): queues the skills whose alert triggers accept the alert",
    request: {
      body: { content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } }, required: true },
    },
    responses: {
      202: ok(M.WebhookAnswerSchema, 'queued'),
      400: err('no id or not JSON'),
      401: err('the secret does not match'),
      404: err('no DATADOG_WEBHOOK_SECRET on this platform (not set up)'),
    },
  }),
  alertmanagerWebhook: route({
    'x-aspora-access': 'open',
    method: 'post',
    path: '/v1/webhooks/alertmanager',
    tags: ['triggers'],
    summary:
      'Prometheus Alertmanager webhooks (payload version 4; Authorization: Bearer ALERTMANAGER_WEBHOOK_TOKEN): queues, per alert of the group, the skills whose prometheus alert triggers accept it; an alert (fingerprint, startsAt) runs once',
    request: {
      body: { content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } }, required: true },
    },
    responses: {
      202: ok(M.WebhookAnswerSchema, 'queued'),
      400: err('not a version 4 payload: the field that is missing or wrong'),
      401: err('the bearer token does not match'),
      404: err('no ALERTMANAGER_WEBHOOK_TOKEN on this platform (not set up)'),
    },
  }),
  grafanaWebhook: route({
    'x-aspora-access': 'open',
    method: 'post',
    path: '/v1/webhooks/grafana',
    tags: ['triggers'],
    summary:
      "Grafana unified alerting's webhook contact point (X-Grafana-Alerting-Signature: HMAC-SHA256 with GRAFANA_WEBHOOK_SECRET, or Authorization: Bearer it): queues, per alert, the skills whose grafana alert triggers accept it; an alert (fingerprint, startsAt) runs once",
    request: {
      body: { content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } }, required: true },
    },
    responses: {
      202: ok(M.WebhookAnswerSchema, 'queued'),
      400: err('not a Grafana alerting payload: the field that is missing or wrong'),
      401: err('the signature (or bearer token) does not verify'),
      404: err('no GRAFANA_WEBHOOK_SECRET on this platform (not set up)'),
    },
  }),
  skillWebhook: route({
    'x-aspora-access': 'open',
    method: 'post',
    path: '/v1/webhooks/skills/{domain}/{name}',
    tags: ['triggers'],
    summary:
      "Anything else: X-Aspora-Signature: sha256=<HMAC-SHA256 of the body> with the secret the skill's webhook alert trigger names; X-Aspora-Delivery (or the body's id) makes a redelivery run once",
    request: {
      params: S.SkillParams,
      body: { content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } }, required: true },
    },
    responses: {
      202: ok(M.WebhookAnswerSchema, 'queued'),
      400: err('no id or title, or not JSON'),
      401: err('the signature does not verify (or the skill has no signed webhook trigger)'),
    },
  }),
  listPlatformSecrets: route({
    'x-aspora-access': 'admin',
    method: 'get',
    path: '/v1/platform/secrets',
    tags: ['access'],
    summary:
      "The platform's credentials sealed in the vault ({ sealed: true } in aspora.platform.yaml): names, whether set, never values (admins)",
    responses: { 200: ok(z.object({ secrets: z.array(A.PlatformSecretSchema) })) },
  }),
  setPlatformSecret: route({
    'x-aspora-access': 'admin',
    method: 'put',
    path: '/v1/platform/secrets/{name}',
    tags: ['access'],
    summary: 'Seal a platform credential in the vault; every process uses it within seconds (admins); audited',
    request: { params: A.PlatformSecretParams, body: body(A.SetSecretRequest) },
    responses: { 200: ok(A.PlatformSecretSchema), 400: err('not declared { sealed: true }') },
  }),
  removePlatformSecret: route({
    'x-aspora-access': 'admin',
    method: 'delete',
    path: '/v1/platform/secrets/{name}',
    tags: ['access'],
    summary: 'Remove a sealed platform credential (admins); audited',
    request: { params: A.PlatformSecretParams },
    responses: { 200: ok(z.object({ removed: z.boolean() })), 400: err('not declared { sealed: true }') },
  }),
  listStateTables: route({
    'x-aspora-access': 'deploy',
    method: 'get',
    path: '/v1/teams/{team}/state',
    tags: ['access'],
    summary: "A team's state tables and their row counts (members with deploy, admins)",
    request: { params: A.TeamParams },
    responses: { 200: ok(z.object({ tables: z.array(A.StateTableSchema) })), 403: err('not a member') },
  }),
  listStateRows: route({
    'x-aspora-access': 'deploy',
    method: 'get',
    path: '/v1/teams/{team}/state/{table}/rows',
    tags: ['access'],
    summary: "Every row of a team's state table, whatever the skills' row rules (members with deploy, admins)",
    request: { params: A.StateTableParams, query: A.StateRowsQuery },
    responses: {
      200: ok(z.object({ rows: z.array(A.StateRowSchema.and(z.object({ _id: z.number().int() }))) })),
      403: err('not a member'),
    },
  }),
  importStateRows: route({
    'x-aspora-access': 'deploy',
    method: 'post',
    path: '/v1/teams/{team}/state/{table}/rows',
    tags: ['access'],
    summary: "Add rows to a team's state table, or replace its rows (members with deploy, admins); audited",
    request: { params: A.StateTableParams, body: body(A.ImportStateRequest) },
    responses: {
      200: ok(z.object({ inserted: z.number().int(), removed: z.number().int() })),
      403: err('not a member'),
    },
  }),
  audit: route({
    'x-aspora-access': 'admin',
    method: 'get',
    path: '/v1/audit',
    tags: ['access'],
    summary:
      'The audit log, newest first: deploys, rollbacks, token, team, secret and budget changes, denials (admins)',
    request: { query: A.AuditQuery },
    responses: { 200: ok(z.object({ entries: z.array(A.AuditEntrySchema) })), 400: err('bad since') },
  }),
  verifyAudit: route({
    'x-aspora-access': 'admin',
    method: 'get',
    path: '/v1/audit/verify',
    tags: ['access'],
    summary: "Check the audit log's hash chain: an edited, removed or inserted entry is found (admins)",
    responses: { 200: ok(A.AuditVerifySchema) },
  }),

  // ---- channels: Slack signs its requests (X-Slack-Signature), so no token is asked for; docs/slack.md
  slackCommands: route({
    'x-aspora-access': 'open',
    method: 'post',
    path: '/v1/channels/slack/commands',
    tags: ['channels'],
    summary:
      "Slack slash commands (form-encoded, as Slack sends them; signature-checked): acknowledged at once, the command's text routed and run for the Slack user's platform user, answered through response_url",
    responses: {
      200: ok(z.record(z.string(), z.unknown()), 'acknowledged ("working on it", only to the person)'),
      400: err('not a slash command'),
      401: err('a bad, stale or replayed signature: nothing runs'),
      404: err('Slack is not set up (no SLACK_SIGNING_SECRET)'),
    },
  }),
  slackEvents: route({
    'x-aspora-access': 'open',
    method: 'post',
    path: '/v1/channels/slack/events',
    tags: ['channels'],
    summary:
      'Slack Events API (JSON; signature-checked): url_verification answered; app_mention and channel messages routed and run for the Slack user, answered in the channel or thread; a redelivered event runs once',
    responses: {
      200: ok(z.record(z.string(), z.unknown()), 'the challenge, or acknowledged'),
      400: err('not an event'),
      401: err('a bad, stale or replayed signature: nothing runs'),
      404: err('Slack is not set up (no SLACK_SIGNING_SECRET)'),
    },
  }),
  slackInteractions: route({
    'x-aspora-access': 'open',
    method: 'post',
    path: '/v1/channels/slack/interactions',
    tags: ['channels'],
    summary:
      "Slack interactivity (form-encoded `payload`; signature-checked): a press of a skill's button runs that skill again for the person who pressed it, with the action in input.metadata.action",
    responses: {
      200: { description: 'acknowledged' },
      400: err('not an interaction the platform made'),
      401: err('a bad, stale or replayed signature: nothing runs'),
      404: err('Slack is not set up (no SLACK_SIGNING_SECRET)'),
    },
  }),

  openapi: route({
    'x-aspora-access': 'open',
    method: 'get',
    path: '/openapi.json',
    tags: ['health'],
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: ok(z.record(z.string(), z.unknown())) },
  }),
};

export type Routes = typeof routes;
export type RouteName = keyof Routes;
