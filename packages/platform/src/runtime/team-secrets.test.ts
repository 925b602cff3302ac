/**
 * A handler's secrets come from its owner team's vault first, then the platform: team A's skill
 * gets team A's value and never team B's, a name the team lacks falls back to the platform's, a
 * change made here reaches the next run at once; and a team's value a handler prints, logs,
 * returns or throws is scrubbed from the record, the logs and the trace like any other secret.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getExecution } from '../observe/executions.ts';
import { pastLogs } from '../observe/logs.ts';
import { bufferLogger, runtimeFixture } from './test-support.ts';

const TEAM_A_X = 'team-a-x-7c1e9b40';
const TEAM_B_X = 'team-b-x-52d8aa13';
const TEAM_B_Y = 'team-b-y-0f6e3c77';
const PLATFORM_Y = 'platform-y-9a4b2d61';
const ALL = [TEAM_A_X, TEAM_B_X, TEAM_B_Y, PLATFORM_Y];

const reversed = (s: string) => [...s].reverse().join('');

/** Returns its secrets reversed: what it got, past the redactor (which only knows the value as it is). */
const READER = `export const handler = async (ctx) => ({
  success: true,
  message: 'read',
  data: Object.fromEntries(Object.entries(ctx.secrets).map(([k, v]) => [k, [...v].reverse().join('')])),
});`;

const LEAKY = `export const handler = async (ctx) => {
  const s = ctx.secrets.SECRET_X;
  console.log('printed', s);
  ctx.log.info('logged ' + s, { secret: s });
  try { await ctx.apis[s].x({}); } catch {} // a denied call named after the secret: its name is in the trace
  if (ctx.input.metadata.mode === 'throw') throw new Error('thrown ' + s);
  return { success: true, message: 'returned ' + s, data: { s } };
};`;

let f: Awaited<ReturnType<typeof runtimeFixture>>;
const logs = bufferLogger();

before(async () => {
  f = await runtimeFixture({ log: logs.log, platformYaml: `secrets:\n  SECRET_Y: { value: ${PLATFORM_Y} }\n` });
  await f.teamSecrets.set('team-a', 'SECRET_X', TEAM_A_X, 'a@example.com');
  await f.teamSecrets.set('team-b', 'SECRET_X', TEAM_B_X, 'b@example.com');
  await f.teamSecrets.set('team-b', 'SECRET_Y', TEAM_B_Y, 'b@example.com');
  const permissions = '  secrets: [SECRET_X, SECRET_Y]';
  await f.deploy({ name: 'reader-a', ownerTeam: 'team-a', permissions, handler: READER });
  await f.deploy({ name: 'reader-b', ownerTeam: 'team-b', permissions, handler: READER });
  await f.deploy({ name: 'leaky-a', ownerTeam: 'team-a', permissions: '  secrets: [SECRET_X]', handler: LEAKY });
});
after(async () => {
  await f.close();
});

async function secretsOf(ref: string): Promise<Record<string, string>> {
  const r = await f.runtime.run({ ref, input: {} });
  assert.equal(r.success, true, JSON.stringify(r.error));
  const data = (r.result as { data: Record<string, string> }).data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, reversed(v)]));
}

describe("a handler's secrets", () => {
  test("team A's skill gets team A's value and not team B's; a name team A lacks comes from the platform", async () => {
    assert.deepEqual(await secretsOf('test/reader-a'), { SECRET_X: TEAM_A_X, SECRET_Y: PLATFORM_Y });
    assert.deepEqual(await secretsOf('test/reader-b'), { SECRET_X: TEAM_B_X, SECRET_Y: TEAM_B_Y });
  });

  test('a set or remove through this platform reaches the next run at once', async () => {
    await f.teamSecrets.set('team-a', 'SECRET_Y', 'team-a-y-new-3e8f', 'a@example.com');
    assert.equal((await secretsOf('test/reader-a')).SECRET_Y, 'team-a-y-new-3e8f');
    await f.teamSecrets.remove('team-a', 'SECRET_Y');
    assert.equal((await secretsOf('test/reader-a')).SECRET_Y, PLATFORM_Y, 'back to the platform value');
  });
});

function assertClean(where: string, text: string): void {
  for (const v of ALL)
    assert.ok(
      !text.includes(v),
      `${where} holds a secret (${v}): …${text.slice(Math.max(0, text.indexOf(v) - 80), text.indexOf(v) + 40)}…`,
    );
}

describe("a team's secret in what is recorded", () => {
  for (const mode of ['return', 'throw'] as const) {
    test(`a handler that prints, logs and ${mode === 'throw' ? 'throws' : 'returns'} its team's secret leaves [secret:SECRET_X] and never the value`, async () => {
      const since = new Date(Date.now() - 1000);
      const r = await f.runtime.run({ ref: 'test/leaky-a', input: { metadata: { mode } } });
      if (mode === 'throw') {
        assert.equal(r.error?.code, 'HANDLER_ERROR');
        assert.match(r.error!.message, /thrown \[secret:SECRET_X\]/);
      } else {
        assert.equal(r.success, true, JSON.stringify(r.error));
        assert.equal((r.result as { data: { s: string } }).data.s, '[secret:SECRET_X]');
      }
      assert.ok(
        r.logs.some((l) => l.msg === 'printed [secret:SECRET_X]'),
        JSON.stringify(r.logs),
      );
      assert.ok(r.logs.some((l) => l.msg === 'logged [secret:SECRET_X]' && l.fields?.secret === '[secret:SECRET_X]'));
      assertClean('the returned record', JSON.stringify(r));
      await f.runtime.recorder.drain();
      assertClean('the execution row', JSON.stringify(await getExecution(f.db, r.id)));
      assertClean('the logs API', JSON.stringify(await pastLogs(f.db, 'test/leaky-a', since)));
      await f.tracer.flushLocal();
      const spans = await f.db.query('SELECT * FROM spans WHERE execution_id = $1', [r.id]);
      assert.ok(spans.length >= 2, 'execution and tool spans');
      assert.ok(JSON.stringify(spans).includes('[secret:SECRET_X]'), 'the denied call is in the trace, scrubbed');
      assertClean('the trace', JSON.stringify(spans));
      assertClean('the server log', logs.text());
    });
  }
});
