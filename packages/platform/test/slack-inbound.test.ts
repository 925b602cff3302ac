/**
 * A Slack delivery is a durable job before it is acknowledged (channels/slack/inbound.ts): a platform
 * whose delivery worker is not running acknowledges a mention — its job is in the database, nothing
 * of its work done (no users.info, no run) — and stops; the same platform started again on the same
 * PGlite data directory takes the job and answers once. Slack's redeliveries of the event, to either
 * process, are refused as duplicates. The job carries neither the signing secret nor the bot token.
 * Real platforms, the local Slack stand-in (tools/slack-stub).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { eventCallback, signedHeaders, startSlackStub } from '../../../tools/slack-stub/src/server.ts';
import { SLACK_INBOUND_QUEUE } from '../src/channels/slack/inbound.ts';
import { bundle, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const skip = skipUnless('bubblewrap') ?? false;
const SECRET = 'inbound-signing-secret-7d1e';
const TICKETS = `export const handler = async (ctx) => ({ success: true, message: 'tickets of ' + ctx.user.email });\n`;

test('a mention acknowledged by a platform that then stops is answered once by the next one on its database', {
  skip,
}, async (t) => {
  const slack = await startSlackStub({ users: [{ id: 'USARAH', email: 'sarah@example.com', name: 'Sarah' }] });
  const over = {
    env: { ASPORA_SEARCH_VECTORS: 'off' },
    platformYaml: stringify({
      secrets: { SLACK_SIGNING_SECRET: { value: SECRET }, SLACK_BOT_TOKEN: { value: slack.botToken } },
      channels: { slack: { api_url: slack.apiUrl, response_url_prefix: `${slack.origin}/response/` } },
    }),
  };
  const a = await tempPlatform(over);
  let b: Awaited<ReturnType<typeof tempPlatform>> | undefined;
  try {
    const json = (body: unknown) => ({
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    assert.ok((await a.fetch('/v1/teams', json({ name: 'ecm-ops' }))).ok);
    assert.ok((await a.fetch('/v1/users', json({ email: 'sarah@example.com', team: 'ecm-ops', role: 'agent' }))).ok);
    const gz = await bundle({
      domain: 'ecm',
      name: 'my-tickets',
      patterns: ['my tickets'],
      handler: TICKETS,
      ownerTeam: 'ecm-ops',
    });
    assert.ok(
      (await a.fetch('/v1/bundles', { method: 'POST', body: gz, headers: { 'content-type': 'application/gzip' } })).ok,
    );
    assert.ok(
      (await a.fetch('/v1/skills/ecm/my-tickets/deployments', json({ environment: 'production', version: '1.0.0' })))
        .ok,
    );

    const eventId = 'EvInbound0001';
    const body = eventCallback(
      { type: 'app_mention', channel: 'CGEN', user: 'USARAH', text: '<@UBOT0001> my tickets', ts: '1700000100.000100' },
      eventId,
    );
    /** Slack's delivery of the event (n > 0: its n-th retry, signed anew). */
    const deliver = (url: string, n = 0) =>
      fetch(`${url}/v1/channels/slack/events`, {
        method: 'POST',
        body,
        headers: {
          ...signedHeaders(SECRET, body, 'application/json', Math.floor(Date.now() / 1000) + n),
          ...(n ? { 'x-slack-retry-num': String(n), 'x-slack-retry-reason': 'http_timeout' } : {}),
        },
      });

    // A takes the delivery but works none: as a process that dies right after its ack.
    await a.slackInbound.stop();
    const t0 = performance.now();
    const ack = await deliver(a.url);
    const ackMs = performance.now() - t0;
    t.diagnostic(`ack of a mention (signature, claim and job in one transaction): ${ackMs.toFixed(1)} ms`);
    assert.equal(ack.status, 200);
    assert.deepEqual(await ack.json(), { ok: true });
    assert.ok(ackMs < 1000, `acknowledged in ${ackMs.toFixed(0)} ms`);
    const again = await deliver(a.url, 1);
    assert.deepEqual(await again.json(), { ok: true, duplicate: true }, 'a redelivery while the first waits');

    const jobs = await a.db.query<{ state: string; data: Record<string, any> }>(
      'SELECT state, data FROM aspora_jobs.job WHERE name = $1',
      [SLACK_INBOUND_QUEUE],
    );
    assert.equal(jobs.length, 1, 'one job: the redelivery queued none');
    assert.equal(jobs[0]!.state, 'created');
    assert.equal(jobs[0]!.data.slackUser, 'USARAH');
    assert.equal(jobs[0]!.data.message.text, 'my tickets');
    const recorded = JSON.stringify(jobs[0]!.data);
    assert.ok(!recorded.includes(SECRET) && !recorded.includes(slack.botToken), 'no credential in the job');
    assert.equal(slack.calls.length, 0, 'nothing of its work done yet: no users.info');
    assert.equal(
      (await a.db.query('SELECT id FROM executions WHERE source_event_id = $1', [eventId])).length,
      0,
      'no run queued yet',
    );
    await a.close();

    // The same platform started again on its data directory: its worker takes the job.
    b = await tempPlatform({ ...over, dataDir: a.dataDir, apiToken: a.token });
    const [post] = await slack.waitFor('chat.postMessage', 1, 20_000);
    assert.equal(post!.args.channel, 'CGEN');
    assert.equal(post!.args.text, 'tickets of sarah@example.com');
    const late = await deliver(b.url, 2);
    assert.deepEqual(await late.json(), { ok: true, duplicate: true }, 'a redelivery to the next process');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(slack.calls.filter((c) => c.method === 'chat.postMessage').length, 1, 'answered once');
    assert.equal(
      (await b.db.query('SELECT id FROM executions WHERE source_event_id = $1', [eventId])).length,
      1,
      'run once',
    );
    assert.equal(
      (await b.db.query('SELECT id FROM aspora_jobs.job WHERE name = $1', [SLACK_INBOUND_QUEUE])).length,
      0,
      'the job is gone once done (it held the message)',
    );
  } finally {
    if (b) await b.close();
    else await a.close().catch(() => undefined);
    rmSync(a.dataDir, { recursive: true, force: true });
    await slack.close();
  }
});
