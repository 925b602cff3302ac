/**
 * The user of an execution over HTTP: the authenticated caller, or the user a token with act-as
 * names (who must exist and may see the skill); never a userId in the input.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { bundle, jsonInit as json, okJson as ok, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const skip = skipUnless('bubblewrap') ?? false;
type P = Awaited<ReturnType<typeof tempPlatform>>;
let p: P;
const tokens: Record<string, string> = {};

const HANDLER = `export const handler = async (ctx) => ({ success: true, message: 'who', data: { user: ctx.user } });\n`;

before(async () => {
  p = await tempPlatform();
  await ok(p.fetch('/v1/teams', json('POST', { name: 'fraud-team' })));
  await ok(p.fetch('/v1/teams', json('POST', { name: 'slack-channel' })));
  await ok(p.fetch('/v1/users', json('POST', { email: 'sarah@example.com', team: 'fraud-team', role: 'field' })));
  await ok(p.fetch('/v1/users', json('POST', { email: 'outsider@example.com' })));
  for (const [k, body] of Object.entries({
    sarah: { user: 'sarah@example.com', scopes: ['read', 'run'], expires: '1d' },
    channel: { team: 'slack-channel', scopes: ['run', 'act-as'], expires: '1d' },
    plain: { team: 'slack-channel', scopes: ['run'], expires: '1d' },
  }))
    tokens[k] = (await ok<{ token: string }>(p.fetch('/v1/tokens', json('POST', body)))).token;
  const b = await bundle({ handler: HANDLER, extra: {} });
  await ok(p.fetch('/v1/bundles', { method: 'POST', body: b, headers: { 'content-type': 'application/gzip' } }));
  await ok(
    p.fetch(
      '/v1/skills/fraud/block-transaction/deployments',
      json('POST', { environment: 'production', version: '1.0.0' }),
    ),
  );
});
after(() => p.cleanup());

type Run = {
  userId: string | null;
  caller: string | null;
  error: unknown;
  result: { data: { user: Record<string, unknown> | null } };
};
const run = (body: unknown, token: string) =>
  p.fetch('/v1/skills/fraud/block-transaction/executions', json('POST', body, token));

test('a user’s token runs as that user: context.user, the record’s user and caller', { skip }, async () => {
  const r = await ok<Run>(run({ input: { userMessage: 'hi', userId: 'mallory@example.com' } }, tokens.sarah!));
  assert.deepEqual(
    { ...r.result.data.user, id: undefined },
    { id: undefined, email: 'sarah@example.com', name: null, team: 'fraud-team', role: 'field' },
  );
  assert.equal(r.userId, 'sarah@example.com', 'the input’s userId names no one');
  assert.equal(r.caller, 'sarah@example.com');
});

test('a service token with act-as runs for the user it names; the record keeps both', { skip }, async () => {
  const r = await ok<Run>(run({ input: { userMessage: 'hi' }, as: 'sarah@example.com' }, tokens.channel!));
  assert.equal(r.result.data.user?.email, 'sarah@example.com');
  assert.equal(r.userId, 'sarah@example.com');
  assert.match(r.caller ?? '', /^service:slack-channel\//);
  // Without a user named, a service token's run has none.
  const anon = await ok<Run>(run({ input: { userMessage: 'hi' } }, tokens.channel!));
  assert.equal(anon.result.data.user, null);
  assert.equal(anon.userId, null);
});

test('act-as is refused without the scope, for an unknown user, and for a user who may not see the skill', async () => {
  const no = await run({ input: {}, as: 'sarah@example.com' }, tokens.plain!);
  assert.equal(no.status, 403);
  assert.match(((await no.json()) as { error: { message: string } }).error.message, /act-as/);
  const ghost = await run({ input: {}, as: 'ghost@example.com' }, tokens.channel!);
  assert.equal(ghost.status, 404);
  // block-transaction is internal: a user in no team may not see it, so nobody may act for them on it.
  const outsider = await run({ input: {}, as: 'outsider@example.com' }, tokens.channel!);
  assert.equal(outsider.status, 403);
  assert.match(
    ((await outsider.json()) as { error: { message: string } }).error.message,
    /outsider@example.com may not see/,
  );
  // A user's own token may not act for another, whatever its scopes.
  const sarah = await run({ input: {}, as: 'outsider@example.com' }, tokens.sarah!);
  assert.equal(sarah.status, 403);
});

test('a scope refusal is audited with the caller’s name, not as anonymous', async () => {
  const r = await p.fetch('/v1/bundles', {
    method: 'POST',
    body: Buffer.from('x'),
    headers: { 'content-type': 'application/gzip', authorization: `Bearer ${tokens.sarah}` },
  });
  assert.equal(r.status, 403);
  await p.audit.flush();
  const { entries } = await ok<{ entries: Array<{ actor: string; target: string; outcome: string }> }>(
    p.fetch('/v1/audit?action=access.denied&limit=5'),
  );
  assert.ok(
    entries.some((e) => e.actor === 'sarah@example.com' && e.target === 'POST /v1/bundles' && e.outcome === 'denied'),
    JSON.stringify(entries),
  );
});
