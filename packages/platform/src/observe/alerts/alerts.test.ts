/**
 * Alert rules end to end: a skill's monitoring thresholds and the platform's default error-rate rule
 * fire once, stay quiet while firing, and resolve when healthy — sent to Slack and PagerDuty
 * stand-ins (real HTTP servers) with the same dedup key for trigger and resolve; budget notices
 * reach the owner team.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runtimeFixture } from '../../runtime/test-support.ts';
import { pct } from './rules.ts';

let f: Awaited<ReturnType<typeof runtimeFixture>>;
let hooks: Server;
const got: Array<{ path: string; body: any }> = [];

before(async () => {
  hooks = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      got.push({ path: req.url!, body: JSON.parse(b) });
      if (req.url === '/pagerduty')
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'success', dedup_key: JSON.parse(b).dedup_key }));
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
  f = await runtimeFixture({
    platformYaml: `
secrets:
  PD_KEY: { value: pd-routing-key }
notifiers:
  slack: { webhook_url: ${url}/slack-platform }
  pagerduty: { routing_key_secret: PD_KEY, events_url: ${url}/pagerduty }
teams:
  test-team: { slack_webhook_url: ${url}/slack-team }
alerting: { window: 2s, min_executions: 3, channels: [slack] }
`,
  });
  await f.deploy({
    name: 'wobbly',
    handler: `export const handler = async (ctx) => { if (ctx.input.metadata.fail) throw new Error('down'); return { success: true, message: 'ok' }; };`,
    permissions:
      '  tools: [Read]\nmonitoring:\n  success_rate_threshold: 0.95\n  alert_on_failure: true\n  alert_channels: [slack, pagerduty]',
  });
});
after(async () => {
  await f.close();
  hooks.close();
});

// Rules read the rows, which reach the database just after the answers: wait for them.
const runs = async (n: number, fail: boolean) => {
  await Promise.all(
    Array.from({ length: n }, () => f.runtime.run({ ref: 'test/wobbly', input: { metadata: { fail } } })),
  );
  await f.runtime.recorder.drain();
};

test('failures fire the skill and platform rules once; healthy again resolves them', async () => {
  await runs(4, true);
  const fired = await f.alerts.evaluate();
  assert.deepEqual(fired.map((a) => `${a.key} ${a.status}`).sort(), [
    'platform:error_rate firing',
    'skill:test/wobbly:failure firing',
    'skill:test/wobbly:success_rate firing',
  ]);
  const team = got.filter((g) => g.path === '/slack-team');
  assert.equal(team.length, 2, "the skill's alerts go to its owner team's Slack");
  assert.match(team.map((g) => g.body.text).join('\n'), /test\/wobbly: success rate 0\.0 % &lt; 95\.0 % over 2 s/);
  const platformSlack = got.filter((g) => g.path === '/slack-platform');
  assert.equal(platformSlack.length, 1, 'the platform rule goes to the platform channel');
  const pd = got.filter((g) => g.path === '/pagerduty');
  assert.deepEqual(
    pd.map((g) => g.body.event_action),
    ['trigger', 'trigger'],
  );
  assert.equal(pd[0]!.body.routing_key, 'pd-routing-key');

  got.length = 0;
  assert.deepEqual(await f.alerts.evaluate(), [], 'still firing: nothing new is sent');
  assert.equal(got.length, 0);

  await new Promise((r) => setTimeout(r, 2100)); // the failures leave the window
  await runs(4, false);
  const resolved = await f.alerts.evaluate();
  assert.deepEqual(resolved.map((a) => `${a.key} ${a.status}`).sort(), [
    'platform:error_rate resolved',
    'skill:test/wobbly:failure resolved',
    'skill:test/wobbly:success_rate resolved',
  ]);
  const resolves = got.filter((g) => g.path === '/pagerduty');
  assert.deepEqual(
    resolves.map((g) => g.body.event_action),
    ['resolve', 'resolve'],
  );
  assert.deepEqual(
    resolves.map((g) => g.body.dedup_key).sort(),
    pd.map((g) => g.body.dedup_key).sort(),
    'the same dedup keys close the incidents',
  );
  const list = await f.alerts.list('firing');
  assert.equal(list.length, 0);
});

test("budget notices go to the owner team on the skill's alert channels", async () => {
  got.length = 0;
  await f.alerts.budgetNotice({
    ref: 'test/wobbly',
    ownerTeam: 'test-team',
    period: '2026-12',
    threshold: 80,
    action: 'notify_owner_team',
    spent: 80.5,
    budget: 100,
  });
  assert.equal(got.filter((g) => g.path === '/slack-team').length, 1);
  assert.match(JSON.stringify(got.find((g) => g.path === '/slack-team')!.body), /80 % of its monthly model budget/);
  assert.equal(got.filter((g) => g.path === '/pagerduty').length, 1);
});

test('a firing alert carries the current figure: in its row while firing, and in the resolve notice', async () => {
  await new Promise((r) => setTimeout(r, 2100)); // the earlier tests' runs leave the window
  got.length = 0;
  await runs(4, true);
  await f.alerts.evaluate();
  const first = got.find((g) => g.path === '/slack-team' && /success rate/.test(g.body.text));
  assert.match(first!.body.text, /success rate 0\.0 % &lt; 95\.0 %/);

  await runs(4, false); // half of the window's runs succeed now: still firing, another figure
  got.length = 0;
  assert.deepEqual(await f.alerts.evaluate(), [], 'no new state, no new notice');
  const firing = (await f.alerts.list('firing')).find((a) => a.rule === 'skill.success_rate')!;
  assert.equal(firing.value, 0.5);
  assert.match(firing.title, /success rate 50\.0 % < 95\.0 %/, 'the title says what the value says');

  await new Promise((r) => setTimeout(r, 2100));
  await runs(4, false);
  const resolved = await f.alerts.evaluate();
  assert.ok(resolved.some((a) => a.rule === 'skill.success_rate' && a.status === 'resolved'));
  const notice = got
    .filter((g) => g.path === '/slack-team')
    .map((g) => JSON.stringify(g.body))
    .find((b) => b.includes('success rate'))!;
  assert.match(
    notice,
    /success rate 100\.0 % ≥ 95\.0 % over 2 s/,
    'the resolve notice reads the figure it was resolved on',
  );
  assert.doesNotMatch(notice, /0\.0 % &lt;|50\.0 %/, 'not the figure of when it fired');
  assert.match(notice, /"text":"\*Value\*\\n1"/, 'its value field agrees with its title');
  const row = (await f.alerts.list('resolved')).find((a) => a.rule === 'skill.success_rate')!;
  assert.match(row.title, /100\.0 % ≥ 95\.0 %/);
});

test('percentages never read as their threshold, nor as 0 or 100 %, when they are not', () => {
  assert.equal(pct(0.5), '50.0 %');
  assert.equal(pct(0.9996), '99.96 %');
  assert.equal(pct(0.0004), '0.04 %');
  assert.equal(pct(1), '100.0 %');
  assert.equal(pct(0.9986, 0.999), '99.86 %');
  assert.equal(pct(0.999, 0.999), '99.9 %');
});
