/**
 * Command triggers through POST /v1/messages: a message that starts with a skill's command
 * (`@ecm-manager assign …`) runs that skill ahead of message patterns and search, with the words
 * after the command as its arguments; a trigger's `channels` limits where its commands and
 * patterns match; only skills the sender may see are candidates. (Slack's side — a mention of the
 * app standing for the command's `@name` — is in slack.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bundle, createToken, jsonInit as json, okJson as ok, runCli, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const skip = skipUnless('bubblewrap') ?? false;
let p: Awaited<ReturnType<typeof tempPlatform>>;
const tokens: Record<string, string> = {};

const SKILLS: Array<{
  name: string;
  description: string;
  patterns: string[];
  channels?: string[];
  triggers?: Record<string, unknown>[];
  team?: string;
  visibility?: 'private';
}> = [
  {
    name: 'my-tickets',
    description: "Lists the signed-in agent's open tickets.",
    patterns: ['my tickets'],
  },
  {
    name: 'assign-tickets',
    description: 'Assigns open ECM tickets to agents by capacity.',
    patterns: ['balance the queue'],
    triggers: [{ type: 'command', patterns: ['@ecm-manager assign', '@ecm-manager reassign', 'reassign tickets'] }],
  },
  {
    name: 'triage',
    description: 'Triages the ECM queue: priorities and owners for new tickets.',
    patterns: ['triage the queue'],
    triggers: [{ type: 'command', patterns: ['@ecm-manager triage', 'run triage'], channels: ['slack'] }],
  },
  {
    name: 'standup',
    description: 'Writes the team stand-up notes.',
    patterns: ['standup notes'],
    channels: ['slack', 'web'],
  },
  {
    name: 'payroll-export',
    description: 'Exports the monthly payroll file.',
    patterns: ['payroll export'],
    triggers: [{ type: 'command', patterns: ['@payroll export'] }],
    team: 'hr-team',
    visibility: 'private',
  },
];
const handler = (name: string) =>
  `export const handler = async (ctx) => ({ success: true, message: '${name} answered ' + (ctx.user ? ctx.user.email : 'nobody'), data: { input: ctx.input } });\n`;

type Answer = {
  routed: { skill: string; stage: string; reason: string; pattern?: string; args?: string } | null;
  execution: {
    trigger?: string;
    result: {
      message: string;
      data: { input: { userMessage: string; metadata: Record<string, any> } };
    } | null;
  } | null;
  text: string;
};
const send = (body: Record<string, unknown>, token?: string) =>
  ok<Answer>(p.fetch('/v1/messages', json('POST', body, token ?? tokens.sarah)));

before(async () => {
  if (skip) return;
  p = await tempPlatform({ env: { ASPORA_SEARCH_VECTORS: 'off' } });
  for (const team of ['ecm-ops', 'hr-team']) await ok(p.fetch('/v1/teams', json('POST', { name: team })));
  await ok(p.fetch('/v1/users', json('POST', { email: 'sarah@example.com', team: 'ecm-ops', role: 'agent' })));
  tokens.sarah = await createToken(p, { user: 'sarah@example.com', scopes: ['read', 'run'], expires: '1d' });
  for (const s of SKILLS) {
    const b = await bundle({
      domain: 'ecm',
      name: s.name,
      description: s.description,
      patterns: s.patterns,
      ...(s.channels ? { channels: s.channels } : {}),
      ...(s.triggers ? { triggers: s.triggers } : {}),
      handler: handler(s.name),
      ownerTeam: s.team ?? 'ecm-ops',
      ...(s.visibility ? { visibility: s.visibility } : {}),
    });
    const up = await p.fetch('/v1/bundles', {
      method: 'POST',
      body: b,
      headers: { 'content-type': 'application/gzip' },
    });
    const uploaded = (await up.json()) as { warnings?: { message: string }[] };
    assert.equal(up.status, 201, JSON.stringify(uploaded));
    // Command triggers and channels are acted on: the upload warns about neither.
    assert.deepEqual(
      (uploaded.warnings ?? []).filter((w) => w.message.startsWith('accepted, not acted on yet')),
      [],
    );
    await ok(
      p.fetch(`/v1/skills/ecm/${s.name}/deployments`, json('POST', { environment: 'production', version: '1.0.0' })),
    );
  }
});
after(async () => {
  await p?.cleanup();
});

test('a command routes ahead of a message pattern in the same text; the answer names the skill and the command', {
  skip,
}, async () => {
  // "my tickets" is my-tickets' pattern, but the text starts with assign-tickets' command.
  const a = await send({ text: '@ecm-manager assign my tickets to Dinesh', channel: 'web' });
  assert.equal(a.routed?.skill, 'ecm/assign-tickets');
  assert.equal(a.routed?.stage, 'command');
  assert.equal(a.routed?.pattern, '@ecm-manager assign');
  assert.match(a.routed!.reason, /starts with its command "@ecm-manager assign"/);
  assert.equal(a.text, 'assign-tickets answered sarah@example.com');
  assert.equal(a.execution?.trigger, 'command');
});

test('a command routes ahead of search, and only as the start of the text, in whole words', { skip }, async () => {
  // Without the command's words, search sends this to triage; with them, the command decides.
  const searched = await send({ text: 'triage the new ECM tickets: priorities and owners' });
  assert.equal(searched.routed?.skill, 'ecm/triage', JSON.stringify(searched.routed));
  assert.ok(['search', 'model'].includes(searched.routed!.stage), searched.routed!.stage);
  const a = await send({ text: 'Reassign tickets: triage the new ECM tickets: priorities and owners' });
  assert.equal(a.routed?.skill, 'ecm/assign-tickets');
  assert.equal(a.routed?.pattern, 'reassign tickets');
  // Not at the start: not a command (the message pattern "my tickets" answers instead).
  const mid = await send({ text: 'please @ecm-manager assign my tickets' });
  assert.equal(mid.routed?.skill, 'ecm/my-tickets');
  assert.equal(mid.routed?.stage, 'pattern');
  // "@ecm-manager assignments" is not the word "assign".
  const word = await send({ text: '@ecm-manager assignments for my tickets' });
  assert.equal(word.routed?.stage, 'pattern');
  // Case does not matter; "reassign" is its own word, not "assign".
  const re = await send({ text: '@ECM-Manager REASSIGN case-7' });
  assert.equal(re.routed?.pattern, '@ecm-manager reassign');
});

test('the words after the command are its arguments; the skill gets the whole text as userMessage', {
  skip,
}, async () => {
  const text = '@ecm-manager assign: 5 tickets to Dinesh, P1 first';
  const a = await send({ text, channel: 'slack:C1' });
  assert.equal(a.routed?.args, '5 tickets to Dinesh, P1 first');
  const input = a.execution!.result!.data.input;
  assert.equal(input.userMessage, text);
  assert.deepEqual(input.metadata.command, { pattern: '@ecm-manager assign', args: '5 tickets to Dinesh, P1 first' });
  assert.equal(input.metadata.routed.stage, 'command');
  assert.equal(input.metadata.channel, 'slack:C1');
  // A command alone has empty arguments.
  const bare = await send({ text: 'reassign tickets' });
  assert.equal(bare.execution!.result!.data.input.metadata.command.args, '');
});

test('a command restricted to channels: [slack] matches from Slack only, not from web or a message without channel', {
  skip,
}, async () => {
  for (const channel of ['web', 'cli', undefined]) {
    const a = await send({ text: '@ecm-manager triage now', ...(channel ? { channel } : {}) });
    assert.notEqual(a.routed?.stage, 'command', `from ${channel ?? 'no channel'}: ${JSON.stringify(a.routed)}`);
  }
  const slack = await send({ text: '@ecm-manager triage now', channel: 'slack:C0123' });
  assert.equal(slack.routed?.skill, 'ecm/triage');
  assert.equal(slack.routed?.stage, 'command');
  assert.equal(slack.routed?.args, 'now');
  // Without its "@ecm-manager" the text is a command only when sent to the app itself (a Slack
  // mention of the app, a slash command: slack.test.ts), which POST /v1/messages cannot claim.
  const bare = await send({ text: 'triage now', channel: 'slack:C0123', addressed: true });
  assert.notEqual(bare.routed?.stage, 'command', JSON.stringify(bare.routed));
});

test('aspora send reaches a command, with --channel naming where it is from', { skip }, async () => {
  const cli = (...args: string[]) => runCli(p, tokens.sarah!, ...args);
  const r = await cli('send', '@ecm-manager triage now', '--channel', 'slack:C1');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /→ ecm\/triage \(command: starts with its command "@ecm-manager triage"\)/);
  assert.match(r.stdout, /triage answered sarah@example\.com/);
});

test('a message trigger’s channels limit where its patterns match', { skip }, async () => {
  for (const channel of ['slack:C9', 'web']) {
    const a = await send({ text: 'write the standup notes', channel });
    assert.equal(a.routed?.stage, 'pattern', channel);
    assert.equal(a.routed?.skill, 'ecm/standup');
  }
  const cli = await send({ text: 'write the standup notes', channel: 'cli' });
  assert.notEqual(cli.routed?.stage, 'pattern', JSON.stringify(cli.routed));
});

test('aspora send speaks as web unless --channel says otherwise (api: no channel)', { skip }, async () => {
  const cli = (...args: string[]) => runCli(p, tokens.sarah!, ...args);
  const bare = await cli('send', 'write the standup notes', '--json');
  assert.equal(bare.code, 0, bare.stderr);
  assert.equal((JSON.parse(bare.stdout) as Answer).routed?.stage, 'pattern', bare.stdout);
  const api = await cli('send', 'write the standup notes', '--channel', 'api', '--json');
  assert.notEqual((JSON.parse(api.stdout) as Answer).routed?.stage, 'pattern', api.stdout);
});

test('another team’s private skill’s command is never a candidate; its admin’s is', { skip }, async () => {
  const r = await p.fetch('/v1/messages', json('POST', { text: '@payroll export March' }, tokens.sarah));
  const body = await r.text();
  assert.equal(r.status, 200);
  assert.ok(!body.includes('payroll-export'), body);
  const admin = await send({ text: '@payroll export March' }, p.token);
  assert.equal(admin.routed?.skill, 'ecm/payroll-export');
  assert.equal(admin.routed?.stage, 'command');
  assert.equal(admin.routed?.args, 'March');
});

test('aspora triggers list shows command triggers with their channels', { skip }, async () => {
  const r = await ok<{ triggers: Array<{ ref: string; type: string; patterns: string[]; channels: string[] }> }>(
    p.fetch('/v1/triggers?domain=ecm'),
  );
  const triage = r.triggers.find((t) => t.ref === 'ecm/triage' && t.type === 'command');
  assert.ok(triage, JSON.stringify(r.triggers));
  assert.deepEqual(triage.patterns, ['@ecm-manager triage', 'run triage']);
  assert.deepEqual(triage.channels, ['slack']);
});
