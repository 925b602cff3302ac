/**
 * POST /v1/messages: a message reaches the skill that should answer it — by its pattern (the most
 * specific phrase), by search, or by a cheap model's choice when the best candidates are close —
 * runs for its user, and the answer says which skill and why. Only skills the user may see are
 * candidates; a message nothing answers gets the closest skills instead.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startOpenAIStub, type OpenAIStub } from '../../../tools/openai-stub/src/server.ts';
import { bundle, createToken, jsonInit as json, okJson as ok, runCli, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const skip = skipUnless('bubblewrap') ?? false;
let p: Awaited<ReturnType<typeof tempPlatform>>;
let stub: OpenAIStub;
const tokens: Record<string, string> = {};

const SKILLS: Array<{ name: string; description: string; patterns: string[]; team?: string; visibility?: 'private' }> =
  [
    {
      name: 'my-tickets',
      description: "Lists the signed-in agent's open tickets.",
      patterns: ['my tickets', 'show my queue'],
    },
    {
      name: 'refund-status',
      description: "Checks where a customer's refund is. Do NOT use for chargebacks.",
      patterns: ['refund'],
    },
    {
      name: 'chargeback',
      description: 'Opens a chargeback dispute with the card network.',
      patterns: ['chargeback', 'refund dispute'],
    },
    {
      name: 'password-reset',
      description: 'Resets a forgotten password and unlocks a locked login.',
      patterns: ['reset password'],
    },
    {
      name: 'vpn-setup',
      description: 'VPN access on a laptop: installs and configures the client.',
      patterns: ['install vpn'],
    },
    {
      name: 'vpn-repair',
      description: 'VPN access on a laptop: repairs the client when it fails.',
      patterns: ['fix vpn'],
    },
    {
      name: 'payroll-export',
      description: 'Exports the monthly payroll file.',
      patterns: ['payroll export'],
      team: 'hr-team',
      visibility: 'private',
    },
  ];
const handler = (name: string) =>
  `export const handler = async (ctx) => ({ success: true, message: '${name} answered ' + (ctx.user ? ctx.user.email : 'nobody'), data: { metadata: ctx.input.metadata } });\n`;

type Answer = {
  routed: { skill: string; stage: string; reason: string; pattern?: string; score?: number } | null;
  candidates: Array<{ skill: string; score: number }>;
  execution: {
    userId: string | null;
    caller: string | null;
    trigger?: string;
    result: { message: string; data: { metadata: Record<string, unknown> } } | null;
  } | null;
  text: string;
};
const send = (body: Record<string, unknown>, token?: string) =>
  ok<Answer>(p.fetch('/v1/messages', json('POST', body, token ?? tokens.sarah)));

before(async () => {
  stub = await startOpenAIStub();
  // The routing model picks the repair skill when asked to choose among VPN skills.
  stub.behave('*', {
    reply: (req) =>
      JSON.stringify(req.body).includes('You route')
        ? '{"skill": "support/vpn-repair", "reason": "the user says it fails"}'
        : 'ok',
  });
  p = await tempPlatform({
    env: { ASPORA_MODEL_BASE_URL: stub.url, ASPORA_MODEL_API_KEY: 'k', ASPORA_SEARCH_VECTORS: 'sentences' },
  });
  for (const team of ['support-team', 'hr-team']) await ok(p.fetch('/v1/teams', json('POST', { name: team })));
  await ok(p.fetch('/v1/users', json('POST', { email: 'sarah@example.com', team: 'support-team', role: 'agent' })));
  tokens.sarah = await createToken(p, { user: 'sarah@example.com', scopes: ['read', 'run'], expires: '1d' });
  tokens.channel = await createToken(p, { team: 'support-team', scopes: ['run', 'act-as'], expires: '1d' });
  tokens.plain = await createToken(p, { team: 'support-team', scopes: ['run'], expires: '1d' });
  for (const s of SKILLS) {
    const b = await bundle({
      domain: 'support',
      name: s.name,
      description: s.description,
      patterns: s.patterns,
      handler: handler(s.name),
      ownerTeam: s.team ?? 'support-team',
      ...(s.visibility ? { visibility: s.visibility } : {}),
    });
    await ok(p.fetch('/v1/bundles', { method: 'POST', body: b, headers: { 'content-type': 'application/gzip' } }));
    await ok(
      p.fetch(
        `/v1/skills/support/${s.name}/deployments`,
        json('POST', { environment: 'production', version: '1.0.0' }),
      ),
    );
  }
});
after(async () => {
  await p.cleanup();
  await stub.close();
});

test('a pattern routes the message; the skill runs for the sender and answers; the answer says why', {
  skip,
}, async () => {
  const a = await send({ text: 'Show my tickets, please!', channel: 'web', thread: 't-1' });
  assert.equal(a.routed?.skill, 'support/my-tickets');
  assert.equal(a.routed?.stage, 'pattern');
  assert.equal(a.routed?.pattern, 'my tickets');
  assert.match(a.routed!.reason, /matches its pattern "my tickets"/);
  assert.equal(a.text, 'my-tickets answered sarah@example.com');
  assert.equal(a.execution?.userId, 'sarah@example.com');
  assert.equal(a.execution?.result?.data.metadata.channel, 'web');
  assert.equal(a.execution?.result?.data.metadata.thread, 't-1');
});

test('the most specific pattern wins: "refund dispute" over "refund"', { skip }, async () => {
  const a = await send({ text: 'I want to raise a refund dispute for order 5' });
  assert.equal(a.routed?.skill, 'support/chargeback');
  assert.equal(a.routed?.pattern, 'refund dispute');
});

test('without a pattern, search routes it', { skip }, async () => {
  const a = await send({ text: 'I forgot my password and my login is locked' });
  assert.equal(a.routed?.skill, 'support/password-reset');
  assert.ok(['search', 'model'].includes(a.routed!.stage), a.routed!.stage);
  assert.ok(a.candidates.length >= 1);
});

test('by meaning alone: no word in common with any skill, the default sentence encoder still finds it', {
  skip,
}, async () => {
  // "intranet", "home", "reach": in no skill's text, so lexical search has nothing to go on.
  const a = await send({ text: 'I cannot reach the intranet from home' });
  assert.match(a.routed?.skill ?? '', /^support\/vpn-/, JSON.stringify(a));
  const [row] = await p.db.query<{ m: string }>(
    `SELECT DISTINCT embedding_model AS m FROM skill_versions WHERE embedding IS NOT NULL`,
  );
  assert.equal(row?.m, 'use-lite-512-lines', "deploy stored the encoder's vectors");
});

test('close candidates: a cheap model chooses, and its reason is the answer’s', { skip }, async () => {
  const before = stub.chatRequests.length;
  const a = await send({ text: 'VPN access on my laptop' });
  assert.equal(a.routed?.stage, 'model', JSON.stringify(a.routed));
  assert.equal(a.routed?.skill, 'support/vpn-repair');
  assert.match(a.routed!.reason, /chose it: the user says it fails/);
  const asked = stub.chatRequests.slice(before).find((r) => JSON.stringify(r.body).includes('You route'));
  assert.ok(asked, 'the model was asked');
  assert.match(JSON.stringify(asked.body), /support\/vpn-setup/);
  assert.equal(a.text, 'vpn-repair answered sarah@example.com');
});

test('a message nothing answers gets the closest skills, and runs nothing', { skip }, async () => {
  const a = await send({ text: 'quantum chromodynamics lecture notes' });
  assert.equal(a.routed, null);
  assert.equal(a.execution, null);
  assert.match(a.text, /No skill/);
});

test('another team’s private skill is never a candidate, nor named', { skip }, async () => {
  const r = await p.fetch('/v1/messages', json('POST', { text: 'payroll export for March' }, tokens.sarah));
  const text = await r.text();
  assert.equal(r.status, 200);
  assert.ok(!text.includes('payroll-export'), text);
  assert.equal((JSON.parse(text) as Answer).routed, null);
  // Named explicitly: the same answer as for a skill that does not exist.
  const named = await (
    await p.fetch('/v1/messages', json('POST', { text: 'x', skill: 'support/payroll-export' }, tokens.sarah))
  ).text();
  assert.ok(!named.includes('payroll-export'), named);
  // Its own team's admin routes to it (the admin sees every skill).
  const admin = await send({ text: 'payroll export for March' }, p.token);
  assert.equal(admin.routed?.skill, 'support/payroll-export');
});

test('a channel with act-as sends for a user; without act-as, naming a user is refused', { skip }, async () => {
  const a = await send({ text: 'show my queue', user: 'sarah@example.com', channel: 'slack:C1' }, tokens.channel);
  assert.equal(a.execution?.userId, 'sarah@example.com');
  assert.match(a.execution?.caller ?? '', /^service:support-team\//);
  assert.equal(a.text, 'my-tickets answered sarah@example.com');
  const refused = await p.fetch(
    '/v1/messages',
    json('POST', { text: 'show my queue', user: 'sarah@example.com' }, tokens.plain),
  );
  assert.equal(refused.status, 403);
  const unknown = await p.fetch(
    '/v1/messages',
    json('POST', { text: 'x', user: 'nobody@example.com' }, tokens.channel),
  );
  assert.equal(unknown.status, 404);
});

test('the same as server-sent events: routed first, then the answer', { skip }, async () => {
  const r = await p.fetch('/v1/messages/stream', json('POST', { text: 'my tickets' }, tokens.sarah));
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
  const body = await r.text();
  const events = [...body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
  assert.deepEqual(events, ['routed', 'answer']);
  assert.match(body, /my-tickets answered sarah@example\.com/);
});

test('aspora send: routed and answered, or exit 2 with the closest skills', { skip }, async () => {
  const cli = (...args: string[]) => runCli(p, tokens.sarah!, ...args);
  const routed = await cli('send', 'show my tickets', '--channel', 'cli');
  assert.equal(routed.code, 0, routed.stderr);
  assert.match(routed.stderr, /→ support\/my-tickets \(pattern: matches its pattern "my tickets"\)/);
  assert.match(routed.stdout, /my-tickets answered sarah@example\.com/);
  const asJson = await cli('send', 'refund dispute', '--json');
  assert.equal((JSON.parse(asJson.stdout) as Answer).routed?.skill, 'support/chargeback');
  const none = await cli('send', 'quantum chromodynamics lecture notes');
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /No skill/);
});
