/**
 * A Slack mention's run is a job of the durable queue: the process that acknowledged it is killed
 * (kill -9) while the run is going, another process sharing the PostgreSQL database runs the job
 * again, and the answer reaches Slack once — from the process that ran it, not the one that took
 * the request. Two real `aspora up` processes, the local Slack stand-in (tools/slack-stub).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { stringify } from 'yaml';
import { eventCallback, signedHeaders, startSlackStub } from '../../../tools/slack-stub/src/server.ts';
import { PG_URL } from '../src/registry/test-support.ts';
import { bundle } from './helpers.ts';
import { postgres, skipUnless } from './tools.ts';
import { upProcess } from './up-process.ts';
import { until as waitUntil } from './until.ts';
import { dropSchemas } from '../src/jobs/test-support.ts';

const skip = skipUnless('bubblewrap') || skipUnless(await postgres()) || false;
const TOKEN = `slack-durable-${randomBytes(16).toString('hex')}`;
const SECRET = 'durable-signing-secret-51c0';

// Long enough to be killed in; every attempt takes as long.
const SLOW = `export const handler = async (ctx) => {
  await new Promise((r) => setTimeout(r, 4000));
  return { success: true, message: 'slow answer for ' + ctx.user.email };
};\n`;

/** Two processes and a kill -9: longer than the shared default. */
const until = <T>(what: string, f: () => Promise<T | undefined | false>, ms = 90_000) => waitUntil(what, f, ms);

test('kill -9 of the process that acknowledged a mention mid-run: another process runs it and answers once', {
  skip,
}, async () => {
  const schema = `aspora_t_${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'aspora-slack-kill-'));
  chmodSync(dir, 0o755);
  const slack = await startSlackStub({ users: [{ id: 'USARAH', email: 'sarah@example.com', name: 'Sarah' }] });
  const platformFile = join(dir, 'aspora.platform.yaml');
  writeFileSync(
    platformFile,
    stringify({
      secrets: { SLACK_SIGNING_SECRET: { value: SECRET }, SLACK_BOT_TOKEN: { value: slack.botToken } },
      channels: { slack: { api_url: slack.apiUrl, response_url_prefix: `${slack.origin}/response/` } },
    }),
  );
  const env = {
    DATABASE_URL: PG_URL,
    ASPORA_DB_SCHEMA: schema,
    ASPORA_PLATFORM_CONFIG: platformFile,
    ASPORA_SEARCH_VECTORS: 'off',
  };
  const api = (url: string, path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(init.headers as object), authorization: `Bearer ${TOKEN}` },
    });
  const a = await upProcess(dir, TOKEN, env);
  let b: { url: string; child: ChildProcess } | undefined;
  try {
    await api(a.url, '/v1/teams', { method: 'POST', body: JSON.stringify({ name: 'ecm-ops' }) });
    await api(a.url, '/v1/users', {
      method: 'POST',
      body: JSON.stringify({ email: 'sarah@example.com', team: 'ecm-ops', role: 'agent' }),
    });
    await api(a.url, '/v1/bundles', {
      method: 'POST',
      body: await bundle({
        domain: 'ecm',
        name: 'slow',
        patterns: ['slow answer'],
        handler: SLOW,
        ownerTeam: 'ecm-ops',
      }),
      headers: { 'content-type': 'application/gzip' },
    });
    await api(a.url, '/v1/skills/ecm/slow/deployments', {
      method: 'POST',
      body: JSON.stringify({ environment: 'production', version: '1.0.0' }),
    });

    const eventId = 'EvDurable0001';
    const body = eventCallback(
      {
        type: 'app_mention',
        channel: 'CGEN',
        user: 'USARAH',
        text: '<@UBOT0001> slow answer',
        ts: '1700000050.000100',
      },
      eventId,
    );
    const ack = await fetch(`${a.url}/v1/channels/slack/events`, {
      method: 'POST',
      body,
      headers: signedHeaders(SECRET, body, 'application/json'),
    });
    assert.equal(ack.status, 200);
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      const row = async () =>
        (
          await db.query<{ id: string; status: string }>(
            `SELECT id::text, status FROM "${schema}".executions WHERE source_event_id = $1`,
            [eventId],
          )
        ).rows[0];
      const running = await until('A running it', async () => ((await row())?.status === 'running' ? row() : false));
      a.child.kill('SIGKILL'); // mid-run: no answer was posted, none can be from A now
      assert.equal(slack.calls.filter((c) => c.method === 'chat.postMessage').length, 0);

      b = await upProcess(dir, TOKEN, env);
      const [post] = await slack.waitFor('chat.postMessage', 1, 90_000);
      assert.equal(post!.args.channel, 'CGEN');
      assert.equal(post!.args.text, 'slow answer for sarah@example.com');
      const done = await db.query<{ status: string | null; success: boolean; attempts: number }>(
        `SELECT status, success, attempts FROM "${schema}".executions WHERE id = $1`,
        [running!.id],
      );
      assert.equal(done.rows[0]!.success, true);
      assert.equal(done.rows[0]!.attempts, 2, 'the second attempt, by B');
      const delivery = await until('the reply recorded', async () => {
        const r = (
          await db.query<{ status: string; attempts: number }>(
            `SELECT status, attempts FROM "${schema}".result_deliveries WHERE execution_id = $1`,
            [running!.id],
          )
        ).rows[0];
        return r?.status === 'delivered' ? r : false;
      });
      assert.equal(delivery.attempts, 1);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(slack.calls.filter((c) => c.method === 'chat.postMessage').length, 1, 'answered once');
    } finally {
      await db.end();
    }
  } finally {
    a.child.kill('SIGKILL');
    b?.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    b?.child.kill('SIGKILL');
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
    await dropSchemas(schema);
  }
});
