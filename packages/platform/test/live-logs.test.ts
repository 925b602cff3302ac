/**
 * `aspora logs --follow` across platform processes: two platforms on one PostgreSQL database and
 * one Redis (as behind a load balancer); a follower of one sees the lines of executions the other
 * runs. Uses the machine's PostgreSQL and Redis.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { REDIS_URL, redisDown } from '../src/rate-limits/test-support.ts';
import { PG_URL, pgDown } from '../src/registry/test-support.ts';
import { bundle, tempPlatform } from './helpers.ts';

type P = Awaited<ReturnType<typeof tempPlatform>>;
let a: P;
let b: P;
const schema = `aspora_live_${randomBytes(4).toString('hex')}`;
const json = (body: unknown) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

before(async () => {
  const down = (await pgDown()) || (await redisDown());
  if (down) throw new Error(down);
  const shared = { databaseUrl: PG_URL, databaseSchema: schema, env: { REDIS_URL } };
  a = await tempPlatform(shared);
  b = await tempPlatform(shared);
  const handler = `export const handler = async (ctx) => { ctx.log.info('working on', { n: ctx.input.metadata.n }); return { success: true, message: 'done ' + ctx.input.metadata.n }; };`;
  // Each test platform has a bundle folder of its own (in production they share S3, or a volume).
  const bytes = await bundle({ handler });
  for (const p of [a, b])
    assert.ok(
      (
        await p.fetch(`/v1/bundles`, {
          method: 'POST',
          body: bytes,
          headers: { 'content-type': 'application/gzip' },
        })
      ).ok,
    );
  await a.fetch(
    `/v1/skills/fraud/block-transaction/deployments`,
    json({ environment: 'production', version: '1.0.0' }),
  );
});

after(async () => {
  await a?.cleanup();
  await b?.cleanup();
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
});

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

test('a follower on one process sees the live lines of executions run by another, and only while it follows', async () => {
  const ref = 'fraud/block-transaction';
  assert.equal(b.liveLogs.wanted(ref), false, 'nobody follows yet: no line is published');
  const ctl = new AbortController();
  const live = await a.fetch(`/v1/skills/${ref}/logs?since=1s&follow=true`, { signal: ctl.signal });
  assert.equal(live.status, 200);
  const reader = live.body!.getReader();
  // A's follow is announced to the other processes over Redis.
  await until(() => b.liveLogs.wanted(ref), 'process B to learn that A follows the skill');

  const ran = await b.fetch(`/v1/skills/${ref}/executions`, json({ input: { metadata: { n: 7 } } }));
  assert.equal(ran.status, 200, await ran.clone().text());
  const { id } = (await ran.json()) as { id: string };
  let text = '';
  const timer = setTimeout(() => ctl.abort(), 10_000); // fails below instead of hanging
  while (!/execution finished/.test(text)) {
    const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (chunk.done) break;
    text += new TextDecoder().decode(chunk.value);
  }
  clearTimeout(timer);
  ctl.abort();
  const lines = text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as { msg: string; executionId: string; fields?: unknown });
  const mine = lines.filter((l) => l.executionId === id);
  assert.equal(mine.length, 2, text);
  assert.equal(mine[0]!.msg, 'working on');
  assert.match(mine[1]!.msg, /^execution finished in \d+ ms$/);
  assert.deepEqual(mine[0]!.fields, { n: 7 });
  // Once nobody follows, A stops asking for the lines; B stops publishing when the belief lapses.
  await until(() => !a.liveLogs.wanted(ref), 'A to stop following');
});
