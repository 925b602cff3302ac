/**
 * Access control, route by route: every route of the contract (@aspora/api `routes`) called by
 * every kind of caller — no token, a malformed, an expired and a revoked token, another team's
 * token, a read-only token of the owner team, the owner team's deploy (service) token, a user of
 * no team, an admin — and, where the route is about a skill, on a public, an internal and a private
 * skill. The expected status of each cell is written in the table below. Then: nothing of the
 * private skill (its name, an input, a result) appears in any answer to a caller who may not see it.
 *
 * Refused tokens count against their source (20 a minute, access-middleware.ts); the cells with bad
 * tokens are sent from other loopback addresses (127.0.0.x) so that limit is not what they measure.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { routes } from '@aspora/api';
import { platformRules } from '../src/observe/alerts/rules.ts';
import { packFiles } from '../src/store/index.ts';
import { bundle, platformOnStub, type tempPlatform } from './helpers.ts';

type P = Awaited<ReturnType<typeof tempPlatform>>;
type Vis = 'public' | 'internal' | 'private';
const VIS: Vis[] = ['public', 'internal', 'private'];
/** The callers, in the order of the table's columns. */
const CALLERS = [
  'none',
  'malformed',
  'expired',
  'revoked',
  'other',
  'ownerRead',
  'ownerDeploy',
  'loner',
  'admin',
] as const;
type Caller = (typeof CALLERS)[number];

const SKILLS: Record<Vis, string> = { public: 'open-lookup', internal: 'team-notes', private: 'zq-secret-ledger' };
/** What the private skill is run with and answers: neither may reach anyone who may not see it. */
const PRIVATE_INPUT = 'zq-input-marker-41d7';
const PRIVATE_RESULT = 'zq-result-marker-93c2';
const HANDLER = `export const handler = async (ctx) => {
  ctx.log.info('looked up', { tag: ctx.input.metadata.tag });
  // The public skill calls the private one (its answer is not passed on).
  if (ctx.input.metadata.invoke)
    await ctx.invoke('fraud/${'zq-secret-ledger'}', { userMessage: '${'zq-input-marker-41d7'}', metadata: { tag: 'via', secret: true } });
  return { success: true, message: 'answer ' + ctx.input.metadata.tag + ' ' + (ctx.input.metadata.secret ? '${PRIVATE_RESULT}' : 'plain') };
};`;

let p: P;
let cleanup: () => Promise<void>;
const ADMIN = `matrix-admin-${randomBytes(18).toString('base64url')}`;
const tokens = {} as Record<Caller, string | undefined>;
const digests = {} as Record<Vis, string>;
const executions = {} as Record<Vis, string>;
/** A run of the public skill that invoked the private one. */
let viaPublic = '';
let host: string;
let port: number;

/** One request from a chosen loopback address (the failed-check limit is per source address). */
function call(
  method: string,
  path: string,
  o: {
    token?: string | undefined;
    header?: string;
    body?: unknown;
    raw?: Buffer;
    headers?: Record<string, string>;
    from?: string;
  } = {},
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.header !== undefined) headers.authorization = o.header;
  else if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  let payload: Buffer | undefined = o.raw;
  if (o.body !== undefined) {
    payload = Buffer.from(JSON.stringify(o.body));
    headers['content-type'] = 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method: method.toUpperCase(), path, headers, localAddress: o.from ?? '127.0.0.1' },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const admin = (method: string, path: string, body?: unknown) =>
  call(method, path, { token: ADMIN, ...(body !== undefined ? { body } : {}) });
async function ok<T = Record<string, any>>(r: Promise<{ status: number; text: string }>, what: string): Promise<T> {
  const res = await r;
  assert.ok(res.status < 300, `${what}: ${res.status} ${res.text}`);
  return (res.text ? JSON.parse(res.text) : {}) as T;
}
async function issue(body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  return ok(admin('post', '/v1/tokens', body), `token ${JSON.stringify(body)}`);
}

before(async () => {
  ({ p, cleanup } = await platformOnStub(ADMIN, {
    models: { fast: { provider: 'stub', id: 'openai/gpt-4o-mini', price: { prompt: 1, completion: 2 } } },
    gateway: { default_model: 'fast' },
    // Slack's routes are open but signed: with a signing secret set, an unsigned request is refused.
    secrets: { SLACK_SIGNING_SECRET: { value: 'matrix-signing-secret' } },
  }));
  const u = new URL(p.url);
  host = u.hostname;
  port = Number(u.port);
  await ok(admin('post', '/v1/teams', { name: 'fraud-team' }), 'team');
  await ok(admin('post', '/v1/teams', { name: 'ecm-ops' }), 'team');
  await ok(admin('post', '/v1/users', { email: 'fraud-dev@example.com', team: 'fraud-team', role: 'dev' }), 'user');
  await ok(admin('post', '/v1/users', { email: 'ecm-dev@example.com', team: 'ecm-ops', role: 'dev' }), 'user');
  await ok(admin('post', '/v1/users', { email: 'loner@example.com' }), 'user');

  tokens.admin = ADMIN;
  tokens.none = undefined;
  tokens.malformed = 'aspora_not-a-token';
  tokens.other = (await issue({ user: 'ecm-dev@example.com', scopes: ['read', 'run', 'deploy'], expires: '1d' })).token;
  tokens.ownerRead = (await issue({ user: 'fraud-dev@example.com', scopes: ['read'], expires: '1d' })).token;
  tokens.ownerDeploy = (
    await issue({ team: 'fraud-team', name: 'ci', scopes: ['read', 'run', 'deploy'], expires: '1d' })
  ).token;
  tokens.loner = (await issue({ user: 'loner@example.com', scopes: ['read', 'run'], expires: '1d' })).token;
  const expired = await issue({ user: 'fraud-dev@example.com', scopes: ['read', 'run', 'deploy'], expires: '1d' });
  await p.db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
  tokens.expired = expired.token;
  const revoked = await issue({ user: 'fraud-dev@example.com', scopes: ['read', 'run', 'deploy'], expires: '1d' });
  await ok(admin('delete', `/v1/tokens/${revoked.id}`), 'revoke');
  tokens.revoked = revoked.token;

  for (const v of VIS) {
    for (const version of ['1.0.0', '1.0.1']) {
      const b = await bundle({ name: SKILLS[v], version, visibility: v, handler: HANDLER });
      const res = await ok(
        call('post', '/v1/bundles', { token: ADMIN, raw: b, headers: { 'content-type': 'application/gzip' } }),
        `publish ${v}`,
      );
      if (version === '1.0.0') digests[v] = res.digest;
    }
    await ok(
      admin('post', `/v1/skills/fraud/${SKILLS[v]}/deployments`, { environment: 'production', version: '1.0.1' }),
      'deploy',
    );
    const secret = v === 'private';
    const run = await ok(
      admin('post', `/v1/skills/fraud/${SKILLS[v]}/executions`, {
        input: { userMessage: secret ? PRIVATE_INPUT : 'hello', metadata: { tag: `t-${v}`, secret } },
      }),
      `run ${v}`,
    );
    executions[v] = run.id;
    await ok(admin('post', `/v1/executions/${run.id}/feedback`, { rating: 2, comment: `about ${v}` }), 'feedback');
    // A model call attributed to the skill: a row of /v1/gateway/stats.
    await ok(
      call('post', '/v1/chat/completions', {
        token: ADMIN,
        headers: { 'x-aspora-skill': `fraud/${SKILLS[v]}` },
        body: { model: 'fast', messages: [{ role: 'user', content: `about ${v}` }] },
      }),
      'chat',
    );
  }
  const via = await ok(
    admin('post', `/v1/skills/fraud/${SKILLS.public}/executions`, {
      input: { metadata: { tag: 'calls-private', invoke: true } },
    }),
    'run via',
  );
  assert.equal(via.success, true, JSON.stringify(via));
  viaPublic = via.id;
  // An alert about the private skill (as the evaluator writes one for a failing skill).
  await p.db.query(
    `INSERT INTO alerts (key, rule, scope, status, severity, title) VALUES ($1, 'error_rate', $2, 'firing', 'warning', $3)`,
    [
      `error_rate:fraud/${SKILLS.private}`,
      JSON.stringify({ skill: `fraud/${SKILLS.private}` }),
      `fraud/${SKILLS.private} fails`,
    ],
  );
  // A platform-wide alert (everyone's) whose title names the slowest busy skill: the private one.
  const slow = platformRules(
    p.platformFile.alerting,
    [
      {
        ref: `fraud/${SKILLS.private}`,
        domain: 'fraud',
        executions: 500,
        successes: 500,
        failures: 0,
        errors: 0,
        p95Ms: 60_000,
      },
    ],
    0,
  ).find((j) => j.key === 'platform:p95')!;
  assert.ok(slow.title.includes(SKILLS.private), slow.title);
  await p.db.query(
    `INSERT INTO alerts (key, rule, scope, status, severity, title, value, threshold) VALUES ($1, $2, $3, 'firing', $4, $5, $6, $7)`,
    [slow.key, slow.rule, JSON.stringify(slow.scope), slow.severity, slow.title, slow.value, slow.threshold],
  );
});
after(() => cleanup?.());

/** A route's call: its path (and body) for a skill of the given visibility, or for no skill. */
interface Cell {
  path: string;
  body?: unknown;
  raw?: Buffer;
  headers?: Record<string, string>;
}
type Make = (v: Vis | undefined) => Cell | Promise<Cell>;
/**
 * Expected statuses, one per column of CALLERS:
 *   none malformed expired revoked | other ownerRead ownerDeploy loner admin
 * other: an ecm-ops user (read, run, deploy); ownerRead: a fraud-team user (read only);
 * ownerDeploy: fraud-team's service token (read, run, deploy); loner: a user of no team (read, run).
 * A string applies to every skill (or to a route about none); an object gives one per visibility.
 */
type Row = { make: Make; expect: string | Record<Vis, string>; skill?: boolean };

const R = '401 401 401 401 |'; // every refused token, on every route but the open ones
const ref = (v: Vis | undefined) => `/v1/skills/fraud/${SKILLS[v!]}`;
/** Read routes of a skill: outsiders to a private skill, and a loner to an internal one, find nothing. */
const SEE = {
  public: `${R} 200 200 200 200 200`,
  internal: `${R} 200 200 200 404 200`,
  private: `${R} 404 200 200 404 200`,
};
const RUN = {
  public: `${R} 200 403 200 200 200`,
  internal: `${R} 200 403 200 404 200`,
  private: `${R} 404 403 200 404 200`,
};
/** Manage routes: the owner team with deploy, or an admin; another team is refused or finds nothing. */
const MANAGE = {
  public: `${R} 403 403 200 403 200`,
  internal: `${R} 403 403 200 403 200`,
  private: `${R} 404 403 200 403 200`,
};
const chat = (v: Vis | undefined): Cell => ({
  path: '/v1/chat/completions',
  ...(v ? { headers: { 'x-aspora-skill': `fraud/${SKILLS[v]}` } } : {}),
  body: { model: 'fast', messages: [{ role: 'user', content: 'hi' }] },
});
let serial = 0;
const fresh = () => `t${Date.now().toString(36)}${serial++}`;

const MATRIX: Record<keyof typeof routes, Row> = {
  health: { make: () => ({ path: '/healthz' }), expect: '200 200 200 200 | 200 200 200 200 200' },
  ready: { make: () => ({ path: '/readyz' }), expect: '200 200 200 200 | 200 200 200 200 200' },
  openapi: { make: () => ({ path: '/openapi.json' }), expect: '200 200 200 200 | 200 200 200 200 200' },
  // Signature-checked, not token-checked: a token is no signature. The matrix's platform declares
  // no provider secret (404: not set up); a skill without a signed webhook trigger verifies nothing.
  pagerDutyWebhook: {
    make: () => ({ path: '/v1/webhooks/pagerduty', body: {} }),
    expect: '404 404 404 404 | 404 404 404 404 404',
  },
  datadogWebhook: {
    make: () => ({ path: '/v1/webhooks/datadog', body: {} }),
    expect: '404 404 404 404 | 404 404 404 404 404',
  },
  skillWebhook: {
    skill: true,
    make: (v) => ({ path: `/v1/webhooks/skills/fraud/${SKILLS[v!]}`, body: { id: 'x', title: 'y' } }),
    expect: '401 401 401 401 | 401 401 401 401 401',
  },
  listSkills: { make: () => ({ path: '/v1/skills' }), expect: `${R} 200 200 200 200 200` },
  searchSkills: { make: () => ({ path: '/v1/search?q=transactions' }), expect: `${R} 200 200 200 200 200` },
  platformOffers: { make: () => ({ path: '/v1/platform/offers' }), expect: `${R} 200 200 200 200 200` },
  getSkill: { skill: true, make: (v) => ({ path: ref(v) }), expect: SEE },
  loadSkill: { skill: true, make: (v) => ({ path: `${ref(v)}/load` }), expect: SEE },
  listExecutions: { skill: true, make: (v) => ({ path: `${ref(v)}/executions` }), expect: SEE },
  getBudget: { skill: true, make: (v) => ({ path: `${ref(v)}/budget` }), expect: SEE },
  exportFeedback: { skill: true, make: (v) => ({ path: `${ref(v)}/feedback/export` }), expect: SEE },
  logs: { skill: true, make: (v) => ({ path: `${ref(v)}/logs?since=1h` }), expect: SEE },
  getBundle: { skill: true, make: (v) => ({ path: `/v1/bundles/${digests[v!]}` }), expect: SEE },
  getExecution: { skill: true, make: (v) => ({ path: `/v1/executions/${executions[v!]}` }), expect: SEE },
  // Every reader may ask; each sees the queued and dead executions of the skills it can see.
  listQueue: { make: () => ({ path: '/v1/executions?status=dead' }), expect: `${R} 200 200 200 200 200` },
  listTriggers: { make: () => ({ path: '/v1/triggers' }), expect: `${R} 200 200 200 200 200` },
  fireTrigger: {
    skill: true,
    make: (v) => ({ path: `${ref(v)}/triggers/fire`, body: { type: 'cron' } }),
    expect: {
      public: `${R} 202 403 202 202 202`,
      internal: `${R} 202 403 202 404 202`,
      private: `${R} 404 403 202 404 202`,
    },
  },
  executionTrace: { skill: true, make: (v) => ({ path: `/v1/executions/${executions[v!]}/trace` }), expect: SEE },
  runSkill: {
    skill: true,
    make: (v) => ({ path: `${ref(v)}/executions`, body: { input: { userMessage: 'x', metadata: { tag: 'matrix' } } } }),
    expect: RUN,
  },
  // Named by the sender: routed and run only where the user may see it; elsewhere the same 200
  // as a message nothing answers (suggestions among what they may see, never the skill's name).
  sendMessage: {
    skill: true,
    make: (v) => ({ path: '/v1/messages', body: { text: 'matrix message', skill: `fraud/${SKILLS[v!]}` } }),
    expect: `${R} 200 403 200 200 200`,
  },
  streamMessage: {
    skill: true,
    make: (v) => ({ path: '/v1/messages/stream', body: { text: 'matrix message', skill: `fraud/${SKILLS[v!]}` } }),
    expect: `${R} 200 403 200 200 200`,
  },
  testSkill: { skill: true, make: (v) => ({ path: `${ref(v)}/tests`, body: {} }), expect: RUN },
  addFeedback: {
    skill: true,
    make: (v) => ({ path: `/v1/executions/${executions[v!]}/feedback`, body: { rating: 5 } }),
    expect: {
      public: `${R} 201 403 201 201 201`,
      internal: `${R} 201 403 201 404 201`,
      private: `${R} 404 403 201 404 201`,
    },
  },
  chatCompletions: { skill: true, make: chat, expect: RUN },
  publishBundle: {
    skill: true,
    // The very bundle already published: a second publish is accepted as the same version (200).
    make: async (v) => ({
      path: '/v1/bundles',
      raw: await bundle({ name: SKILLS[v!], version: '1.0.0', visibility: v!, handler: HANDLER }),
      headers: { 'content-type': 'application/gzip' },
    }),
    expect: MANAGE,
  },
  deploy: {
    skill: true,
    // canary off: a release another row left in flight is replaced, not a 409.
    make: (v) => ({
      path: `${ref(v)}/deployments`,
      body: { environment: 'production', version: '1.0.1', canary: 'off' },
    }),
    expect: MANAGE,
  },
  rollback: {
    skill: true,
    // Each call has a version to go back to: production runs 1.0.0, then 1.0.1, first.
    make: async (v) => {
      for (const version of ['1.0.0', '1.0.1'])
        await ok(
          admin('post', `${ref(v)}/deployments`, { environment: 'production', version, canary: 'off' }),
          'redeploy',
        );
      return { path: `${ref(v)}/rollback`, body: { environment: 'production' } };
    },
    expect: MANAGE,
  },
  // Each call has a release in flight to promote: 1.0.0 live, 1.0.1 at 10 %.
  promote: {
    skill: true,
    make: async (v) => {
      await ok(
        admin('post', `${ref(v)}/deployments`, { environment: 'production', version: '1.0.0', canary: 'off' }),
        'redeploy',
      );
      await ok(
        admin('post', `${ref(v)}/deployments`, { environment: 'production', version: '1.0.1', canary: 10 }),
        'canary',
      );
      return { path: `${ref(v)}/promote`, body: { environment: 'production' } };
    },
    expect: MANAGE,
  },
  listReleases: { skill: true, make: (v) => ({ path: `${ref(v)}/releases` }), expect: SEE },
  shadowDiff: { skill: true, make: (v) => ({ path: `${ref(v)}/diff` }), expect: SEE },
  liftBudget: {
    skill: true,
    make: (v) => ({ path: `${ref(v)}/budget/lift`, body: { reason: 'matrix' } }),
    expect: MANAGE,
  },
  gatewayStats: { make: () => ({ path: '/v1/gateway/stats' }), expect: `${R} 200 200 200 200 200` },
  metrics: { make: () => ({ path: '/v1/metrics' }), expect: `${R} 200 200 200 200 200` },
  listFeedback: { make: () => ({ path: '/v1/feedback' }), expect: `${R} 200 200 200 200 200` },
  listAlerts: { make: () => ({ path: '/v1/alerts' }), expect: `${R} 200 200 200 200 200` },
  traces: { make: () => ({ path: '/v1/traces?domain=fraud' }), expect: `${R} 200 200 200 200 200` },
  // Prometheus text names every skill: admins only on the API's listener.
  prometheus: { make: () => ({ path: '/metrics' }), expect: `${R} 403 403 403 403 200` },
  embeddings: {
    make: () => ({ path: '/v1/embeddings', body: { model: 'fast', input: 'hello' } }),
    expect: `${R} 200 403 200 200 200`,
  },
  models: { make: () => ({ path: '/v1/models' }), expect: `${R} 200 200 200 200 200` },
  whoami: { make: () => ({ path: '/v1/whoami' }), expect: `${R} 200 200 200 200 200` },
  listTeams: { make: () => ({ path: '/v1/teams' }), expect: `${R} 200 200 200 200 200` },
  createTeam: { make: () => ({ path: '/v1/teams', body: { name: fresh() } }), expect: `${R} 403 403 403 403 201` },
  listUsers: { make: () => ({ path: '/v1/users' }), expect: `${R} 403 403 403 403 200` },
  createUser: {
    make: () => ({ path: '/v1/users', body: { email: `${fresh()}@example.com` } }),
    expect: `${R} 403 403 403 403 201`,
  },
  addMember: {
    make: () => ({ path: '/v1/teams/ecm-ops/members', body: { email: 'loner@example.com', role: 'guest' } }),
    expect: `${R} 403 403 403 403 200`,
  },
  removeMember: {
    // The loner is made a member first (and so is one again only for this moment).
    make: async () => {
      await p.access.directory.setMembership('ecm-ops', 'loner@example.com', 'guest');
      return { path: '/v1/teams/ecm-ops/members/loner@example.com' };
    },
    expect: `${R} 403 403 403 403 200`,
  },
  listTokens: { make: () => ({ path: '/v1/tokens' }), expect: `${R} 200 200 200 200 200` },
  // Any user mints tokens within its own scopes; a service token mints none.
  createToken: {
    make: () => ({ path: '/v1/tokens', body: { scopes: ['read'], expires: '1h' } }),
    expect: `${R} 201 201 403 201 201`,
  },
  // A fraud-dev token: its user (ownerRead) or an admin revokes it; to others it does not exist.
  revokeToken: {
    make: async () => {
      const t = await issue({ user: 'fraud-dev@example.com', scopes: ['read'], expires: '1h' });
      return { path: `/v1/tokens/${t.id}` };
    },
    expect: `${R} 404 200 404 404 200`,
  },
  registerSharedResources: {
    // The same folder each time: the first registration makes version 1, later ones find it.
    make: async () => ({
      path: '/v1/shared-resources/fraud',
      raw: (await packFiles(new Map([['notes.md', Buffer.from('matrix notes\n')]]))).bytes,
      headers: { 'content-type': 'application/gzip' },
    }),
    expect: `${R} 403 403 201 403 200`,
  },
  listSharedResources: { make: () => ({ path: '/v1/shared-resources/fraud' }), expect: `${R} 200 200 200 200 200` },
  listSecrets: { make: () => ({ path: '/v1/teams/fraud-team/secrets' }), expect: `${R} 403 403 200 403 200` },
  setSecret: {
    make: () => ({ path: '/v1/teams/fraud-team/secrets/MATRIX_KEY', body: { value: 'matrix-value' } }),
    expect: `${R} 403 403 200 403 200`,
  },
  removeSecret: {
    make: () => ({ path: '/v1/teams/fraud-team/secrets/MATRIX_KEY' }),
    expect: `${R} 403 403 200 403 200`,
  },
  listPlatformSecrets: { make: () => ({ path: '/v1/platform/secrets' }), expect: `${R} 403 403 403 403 200` },
  // Not declared { sealed: true } on the matrix's platform: an admin gets the 400 that says so.
  setPlatformSecret: {
    make: () => ({ path: '/v1/platform/secrets/MATRIX_KEY', body: { value: 'v' } }),
    expect: `${R} 403 403 403 403 400`,
  },
  removePlatformSecret: {
    make: () => ({ path: '/v1/platform/secrets/MATRIX_KEY' }),
    expect: `${R} 403 403 403 403 400`,
  },
  listStateTables: { make: () => ({ path: '/v1/teams/fraud-team/state' }), expect: `${R} 403 403 200 403 200` },
  listStateRows: {
    make: () => ({ path: '/v1/teams/fraud-team/state/cases/rows' }),
    expect: `${R} 403 403 200 403 200`,
  },
  importStateRows: {
    make: () => ({ path: '/v1/teams/fraud-team/state/cases/rows', body: { rows: [{ Case: 'matrix' }] } }),
    expect: `${R} 403 403 200 403 200`,
  },
  // Open to the network, checked by Slack's signature instead: a token, any token, counts for nothing.
  slackCommands: {
    make: () => ({ path: '/v1/channels/slack/commands', body: { text: 'matrix' } }),
    expect: '401 401 401 401 | 401 401 401 401 401',
  },
  slackEvents: {
    make: () => ({ path: '/v1/channels/slack/events', body: { type: 'url_verification', challenge: 'matrix' } }),
    expect: '401 401 401 401 | 401 401 401 401 401',
  },
  slackInteractions: {
    make: () => ({ path: '/v1/channels/slack/interactions', body: {} }),
    expect: '401 401 401 401 | 401 401 401 401 401',
  },
  audit: { make: () => ({ path: '/v1/audit' }), expect: `${R} 403 403 403 403 200` },
  verifyAudit: { make: () => ({ path: '/v1/audit/verify' }), expect: `${R} 403 403 403 403 200` },
};

function parse(s: string): number[] {
  const n = s.replace('|', ' ').trim().split(/\s+/).map(Number);
  assert.equal(n.length, CALLERS.length, `a row of ${CALLERS.length} statuses: ${s}`);
  return n;
}

/** Sources for refused tokens: a fresh loopback address every 15 refusals (the limit is 20 a minute). */
let refusals = 0;
const badSource = () => `127.0.0.${2 + Math.floor(refusals++ / 15)}`;

describe('every route × every caller × every visibility', () => {
  test('the table names every route of the contract, and no other', () => {
    assert.deepEqual(Object.keys(MATRIX).sort(), Object.keys(routes).sort());
  });

  test('each cell answers the status the table says', { timeout: 9 * 60_000 }, async () => {
    const served = new Set(Object.keys(JSON.parse((await call('get', '/openapi.json')).text).paths));
    const wrong: string[] = [];
    let cells = 0;
    for (const [key, row] of Object.entries(MATRIX) as [keyof typeof routes, Row][]) {
      const spec = routes[key];
      // Routes of the contract other branches serve (secrets, audit): the middleware's answers
      // (401, and 403 for a missing scope) hold already; the handler's, once the route is served.
      const isServed = served.has(spec.path);
      for (const v of row.skill ? VIS : [undefined]) {
        const expected = parse(typeof row.expect === 'string' ? row.expect : row.expect[v!]);
        for (const [i, who] of CALLERS.entries()) {
          const want = expected[i]!;
          if (!isServed && want !== 401 && !(want === 403 && scopeMissing(spec['x-aspora-access'], who))) continue;
          const cell = await row.make(v);
          const bad = i < 4;
          const res = await call(spec.method, cell.path, {
            ...(who === 'none' ? {} : { token: tokens[who]! }),
            ...(cell.body !== undefined ? { body: cell.body } : {}),
            ...(cell.raw ? { raw: cell.raw } : {}),
            ...(cell.headers ? { headers: cell.headers } : {}),
            ...(bad && spec['x-aspora-access'] !== 'open' ? { from: badSource() } : {}),
          });
          cells++;
          if (res.status !== want)
            wrong.push(
              `${key}${v ? ` (${v})` : ''} as ${who}: ${res.status}, expected ${want} — ${res.text.slice(0, 200)}`,
            );
        }
      }
    }
    assert.deepEqual(wrong, [], `${wrong.length} of ${cells} cells differ`);
    assert.ok(cells > 400, `${cells} cells checked`);
  });
});

/** The middleware refuses for the scope before any handler runs (so even an unserved route answers 403). */
function scopeMissing(access: string, who: Caller): boolean {
  const scopes: Partial<Record<Caller, string[]>> = {
    other: ['read', 'run', 'deploy'],
    ownerRead: ['read'],
    ownerDeploy: ['read', 'run', 'deploy'],
    loner: ['read', 'run'],
  };
  if (access === 'open' || access === 'any' || who === 'admin') return false;
  return !scopes[who]!.includes(access);
}

describe('nothing of a private skill reaches a caller who may not see it', () => {
  const leaks = (text: string) =>
    [SKILLS.private, PRIVATE_INPUT, PRIVATE_RESULT, digests.private, executions.private].filter((m) =>
      text.includes(m),
    );
  const reads = () => [
    '/v1/skills',
    '/v1/skills?domain=fraud',
    '/v1/search?q=transactions',
    `/v1/search?q=${SKILLS.private}`,
    '/v1/metrics',
    '/v1/metrics?target=fraud',
    '/v1/metrics?last=7d',
    `/v1/metrics?target=fraud/${SKILLS.private}`,
    '/v1/gateway/stats',
    '/v1/feedback',
    `/v1/feedback?skill=fraud/${SKILLS.private}`,
    '/v1/alerts',
    '/v1/traces?domain=fraud',
    `/v1/executions/${executions.private}`,
    `/v1/executions/${executions.private}/trace`,
    `/v1/bundles/${digests.private}`,
    `/v1/skills/fraud/${SKILLS.private}`,
    `/v1/skills/fraud/${SKILLS.private}/logs?since=1h`,
    `/v1/skills/fraud/${SKILLS.private}/executions`,
    `/v1/skills/fraud/${SKILLS.public}/logs?since=1h`,
    `/v1/skills/fraud/${SKILLS.public}/executions`,
    // The public skill's execution that invoked the private one: its record, calls and trace.
    `/v1/executions/${viaPublic}`,
    `/v1/executions/${viaPublic}/trace`,
    '/v1/models',
  ];

  test('the private skill is there to be seen: its owner team and an admin see it in the same answers', async () => {
    // Without this the checks below could pass on a platform that shows nobody anything.
    for (const who of ['ownerRead', 'admin'] as const) {
      for (const path of [
        '/v1/skills',
        '/v1/search?q=transactions',
        '/v1/gateway/stats',
        '/v1/feedback',
        '/v1/alerts',
      ]) {
        const r = await call('get', path, { token: tokens[who]! });
        assert.equal(r.status, 200, `${who} ${path}`);
        assert.ok(r.text.includes(SKILLS.private), `${who} sees the private skill in ${path}`);
      }
      const e = await call('get', `/v1/executions/${executions.private}`, { token: tokens[who]! });
      assert.ok(
        e.text.includes(PRIVATE_RESULT) && e.text.includes(PRIVATE_INPUT),
        `${who} reads the private execution`,
      );
      const via = await call('get', `/v1/executions/${viaPublic}/trace`, { token: tokens[who]! });
      assert.ok(via.text.includes(SKILLS.private), `${who} sees the public skill's call of the private one`);
    }
  });

  for (const who of ['other', 'loner'] as const) {
    test(`${who}: no answer names it, shows its input or its result`, async () => {
      const found: string[] = [];
      for (const path of reads()) {
        const r = await call('get', path, { token: tokens[who]! });
        assert.ok(r.status === 200 || r.status === 404, `${path}: ${r.status} ${r.text.slice(0, 200)}`);
        // A 404 for the private skill names what was asked for, as for any skill that does not exist.
        const asked =
          path.includes(SKILLS.private) || path.includes(executions.private) || path.includes(digests.private);
        // …and a search echoes its query: what was asked is not what was shown.
        const text =
          asked && r.status === 404
            ? ''
            : path.startsWith('/v1/search')
              ? JSON.stringify({ ...JSON.parse(r.text), query: '' })
              : r.text;
        for (const m of leaks(text)) {
          const at = text.indexOf(m);
          found.push(`${path} shows ${m}: …${text.slice(Math.max(0, at - 150), at + 60)}…`);
        }
        if (
          asked &&
          !path.includes('search') &&
          !path.includes('feedback?skill') &&
          !path.includes('metrics?target=fraud/')
        )
          assert.equal(r.status, 404, `${path} is answered as missing`);
      }
      assert.deepEqual(found, []);
    });

    test(`${who}: a 404 for the private skill is the very answer for a skill that does not exist`, async () => {
      const missing = await call('get', '/v1/skills/fraud/zq-no-such-skill', { token: tokens[who]! });
      const hidden = await call('get', `/v1/skills/fraud/${SKILLS.private}`, { token: tokens[who]! });
      assert.equal(hidden.status, missing.status);
      assert.equal(hidden.text.replaceAll(SKILLS.private, 'X'), missing.text.replaceAll('zq-no-such-skill', 'X'));
    });

    test(`${who}: live logs of the private skill are refused; following a public one carries none of its lines`, async () => {
      const refused = await call('get', `/v1/skills/fraud/${SKILLS.private}/logs?follow=true&since=1s`, {
        token: tokens[who]!,
      });
      assert.equal(refused.status, 404);
      const ctl = new AbortController();
      const live = await fetch(`${p.url}/v1/skills/fraud/${SKILLS.public}/logs?follow=true&since=1s`, {
        headers: { authorization: `Bearer ${tokens[who]}` },
        signal: ctl.signal,
      });
      assert.equal(live.status, 200);
      const reader = live.body!.getReader();
      let text = '';
      const reading = (async () => {
        for (;;) {
          const c = await reader.read().catch(() => ({ done: true as const, value: undefined }));
          if (c.done) return;
          text += new TextDecoder().decode(c.value);
        }
      })();
      // The private skill runs (its lines go to followers of it only), then the public one.
      await ok(
        admin('post', `/v1/skills/fraud/${SKILLS.private}/executions`, {
          input: { userMessage: PRIVATE_INPUT, metadata: { tag: PRIVATE_INPUT, secret: true } },
        }),
        'private run',
      );
      await ok(
        admin('post', `/v1/skills/fraud/${SKILLS.public}/executions`, { input: { metadata: { tag: 'pub-live' } } }),
        'run',
      );
      for (const end = Date.now() + 5000; !text.includes('pub-live') && Date.now() < end; )
        await new Promise((r) => setTimeout(r, 20));
      ctl.abort();
      await reading;
      assert.ok(text.includes('pub-live'), 'the public line arrived');
      assert.deepEqual(leaks(text), []);
    });
  }
});

describe('a user of no team', () => {
  test('sees public skills only, in lists and by name', async () => {
    const list = JSON.parse((await call('get', '/v1/skills', { token: tokens.loner! })).text) as {
      skills: { ref: string }[];
    };
    assert.deepEqual(
      list.skills.map((s) => s.ref),
      [`fraud/${SKILLS.public}`],
    );
    const who = JSON.parse((await call('get', '/v1/whoami', { token: tokens.loner! })).text) as { teams: unknown[] };
    assert.deepEqual(who.teams, []);
  });
});
