/**
 * Alerts in, executions out: PagerDuty V3 and Datadog payloads, verified, queue the skills whose
 * alert triggers accept them; a redelivery runs nothing again; a bad signature or a malformed
 * payload queues nothing. A skill's own signed webhook runs that skill only.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ALERTMANAGER, DATADOG, GRAFANA, PAGERDUTY } from '../src/webhooks/fixtures.ts';
import { bundle, jsonInit as json, okJson as ok, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const skip = skipUnless('bubblewrap') ?? false;
let p: Awaited<ReturnType<typeof tempPlatform>>;

const config = (name: string, triggers: string) => `skill:
  name: ${name}
  domain: ops
  version: 1.0.0
  description: "Handles ${name} alerts. Do NOT use for anything else."
runtime:
  language: typescript
  entry_point: code/handler.ts
triggers:
${triggers}
permissions:
  secrets: [DISPUTE_HOOK_SECRET]
owner_team: ops-team
`;
const HANDLER = `export const handler = async (ctx) => ({ success: true, message: 'handled ' + ctx.input.metadata.alert.id, data: { alert: ctx.input.metadata.alert } });\n`;
const SKILLS: Record<string, string> = {
  'fraud-spike': `  - type: alert
    sources: [pagerduty, datadog]
    filters:
      severity: [critical, high]
      tags: [fraud, payments-api]`,
  'low-noise': `  - type: alert
    sources: [pagerduty]
    filters:
      severity: [low]`,
  'prom-fraud': `  - type: alert
    sources: [prometheus]
    filters:
      severity: [critical]
      tags: [fraud]`,
  'grafana-checkout': `  - type: alert
    sources: [grafana]
    filters:
      service: [checkout]`,
  disputes: `  - type: alert
    sources: [webhook]
    secret: DISPUTE_HOOK_SECRET
    filters:
      tags: [dispute_received]`,
};

type Answer = {
  source: string;
  alert: string;
  alerts?: string[];
  executions: Array<{ skill: string; execution: string; existing: boolean }>;
};
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');
const post = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${p.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

async function settled(id: string): Promise<{ status: string; trigger?: string; result: { message: string } | null }> {
  for (let i = 0; i < 300; i++) {
    const r = await ok<{ status: string; result: { message: string } | null }>(p.fetch(`/v1/executions/${id}`));
    if (r.status === 'done' || r.status === 'error' || r.status === 'dead') return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`execution ${id} did not finish`);
}

before(async () => {
  p = await tempPlatform({
    platformYaml: `
secrets:
  PAGERDUTY_WEBHOOK_SECRET: { value: pd-webhook-secret }
  DATADOG_WEBHOOK_SECRET: { value: dd-webhook-secret }
  ALERTMANAGER_WEBHOOK_TOKEN: { value: am-token }
  GRAFANA_WEBHOOK_SECRET: { value: gf-secret }
`,
  });
  await ok(p.fetch('/v1/teams', json('POST', { name: 'ops-team' })));
  await ok(p.fetch('/v1/teams/ops-team/secrets/DISPUTE_HOOK_SECRET', json('PUT', { value: 'dispute-secret' })));
  for (const [name, triggers] of Object.entries(SKILLS)) {
    const b = await bundle({
      domain: 'ops',
      name,
      handler: HANDLER,
      extra: { 'aspora.config.yaml': config(name, triggers) },
    });
    await ok(p.fetch('/v1/bundles', { method: 'POST', body: b, headers: { 'content-type': 'application/gzip' } }));
    await ok(
      p.fetch(`/v1/skills/ops/${name}/deployments`, json('POST', { environment: 'production', version: '1.0.0' })),
    );
  }
});
after(() => p.cleanup());

test('a signed PagerDuty incident queues the matching skill, which runs with the alert; a redelivery runs nothing again', {
  skip,
}, async () => {
  const body = JSON.stringify(PAGERDUTY);
  const headers = { 'x-pagerduty-signature': `v1=${sign('pd-webhook-secret', body)}` };
  const r = await post('/v1/webhooks/pagerduty', body, headers);
  assert.equal(r.status, 202);
  const a = (await r.json()) as Answer;
  assert.deepEqual(
    a.executions.map((e) => [e.skill, e.existing]),
    [['ops/fraud-spike', false]],
    'critical, not low',
  );
  const done = await settled(a.executions[0]!.execution);
  assert.equal(done.status, 'done');
  assert.equal(done.result?.message, `handled ${PAGERDUTY.event.id}`);
  const again = (await (await post('/v1/webhooks/pagerduty', body, headers)).json()) as Answer;
  assert.deepEqual(again.executions, [{ ...a.executions[0]!, existing: true }]);
});

test('a bad, missing or stale signature is 401 and queues nothing; a malformed payload is 400', { skip }, async () => {
  const body = JSON.stringify({ event: { ...PAGERDUTY.event, id: 'forged-1' } });
  for (const sig of [undefined, `v1=${sign('wrong-secret', body)}`, `v1=${sign('pd-webhook-secret', `${body} `)}`]) {
    const r = await post('/v1/webhooks/pagerduty', body, sig ? { 'x-pagerduty-signature': sig } : {});
    assert.equal(r.status, 401, sig);
  }
  const bad = '{"event": {"event_type": "incident.triggered"}}';
  const r = await post('/v1/webhooks/pagerduty', bad, {
    'x-pagerduty-signature': `v1=${sign('pd-webhook-secret', bad)}`,
  });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /event\.id is missing/);
  const queued = await ok<{ executions: Array<{ input: unknown }> }>(p.fetch('/v1/executions?status=queued'));
  assert.ok(!JSON.stringify(queued).includes('forged-1'));
});

test('Datadog: the shared secret header, tags and priority decide; a recovery runs nothing', { skip }, async () => {
  const body = JSON.stringify({ ...DATADOG, tags: 'env:prod,service:payments-api' });
  const wrong = await post('/v1/webhooks/datadog', body, { 'x-aspora-webhook-secret': 'nope' });
  assert.equal(wrong.status, 401);
  const a = (await (
    await post('/v1/webhooks/datadog', body, { 'x-aspora-webhook-secret': 'dd-webhook-secret' })
  ).json()) as Answer;
  assert.deepEqual(
    a.executions.map((e) => e.skill),
    ['ops/fraud-spike'],
    'service:payments-api carries payments-api',
  );
  const recovered = JSON.stringify({ ...DATADOG, id: 'dd-2', alert_type: 'success', alert_transition: 'Recovered' });
  const r = (await (
    await post('/v1/webhooks/datadog', recovered, { 'x-aspora-webhook-secret': 'dd-webhook-secret' })
  ).json()) as Answer;
  assert.deepEqual(r.executions, []);
});

test('a skill’s own signed webhook runs that skill with the team’s secret, once per delivery', { skip }, async () => {
  const body = JSON.stringify({ title: 'Dispute received for order 42', severity: 'high', tags: ['dispute_received'] });
  const headers = { 'x-aspora-signature': `sha256=${sign('dispute-secret', body)}`, 'x-aspora-delivery': 'cko-evt-1' };
  const a = (await (await post('/v1/webhooks/skills/ops/disputes', body, headers)).json()) as Answer;
  assert.deepEqual(
    a.executions.map((e) => [e.skill, e.existing]),
    [['ops/disputes', false]],
  );
  assert.equal((await settled(a.executions[0]!.execution)).result?.message, 'handled cko-evt-1');
  const again = (await (await post('/v1/webhooks/skills/ops/disputes', body, headers)).json()) as Answer;
  assert.equal(again.executions[0]?.existing, true);
  // Another skill's path, or the wrong secret: nothing verifies.
  assert.equal((await post('/v1/webhooks/skills/ops/fraud-spike', body, headers)).status, 401);
  const forged = { ...headers, 'x-aspora-signature': `sha256=${sign('guess', body)}` };
  assert.equal((await post('/v1/webhooks/skills/ops/disputes', body, forged)).status, 401);
});

/** Executions (queued, running or done) whose input carries `marker`: a refused delivery has none. */
const executionsWith = async (marker: string) =>
  (
    await p.db.query<{ n: number }>('SELECT count(*)::int AS n FROM executions WHERE input::text LIKE $1', [
      `%${marker}%`,
    ])
  )[0]!.n;

test('Alertmanager: the bearer token, one execution per firing alert, a repeat of the group runs nothing again', {
  skip,
}, async () => {
  const body = JSON.stringify(ALERTMANAGER);
  const r = await post('/v1/webhooks/alertmanager', body, { authorization: 'Bearer am-token' });
  assert.equal(r.status, 202);
  const a = (await r.json()) as Answer;
  assert.equal(a.alert, ALERTMANAGER.groupKey);
  assert.equal(a.alerts?.length, 2);
  // The resolved alert of the group runs nothing: the trigger's filters do not name status resolved.
  assert.deepEqual(
    a.executions.map((e) => [e.skill, e.existing]),
    [['ops/prom-fraud', false]],
  );
  const done = await settled(a.executions[0]!.execution);
  assert.equal(done.status, 'done');
  assert.equal(
    done.result?.message,
    `handled ${ALERTMANAGER.alerts[0]!.fingerprint}:${ALERTMANAGER.alerts[0]!.startsAt}`,
  );
  // repeat_interval sends the group again: the same alert (fingerprint, startsAt) runs once.
  const again = (await (
    await post('/v1/webhooks/alertmanager', body, { authorization: 'Bearer am-token' })
  ).json()) as Answer;
  assert.deepEqual(again.executions, [{ ...a.executions[0]!, existing: true }]);
});

test('Alertmanager: a wrong or missing token is 401 and queues nothing; a malformed group is 400 naming the field', {
  skip,
}, async () => {
  const forged = JSON.stringify({
    ...ALERTMANAGER,
    alerts: [{ ...ALERTMANAGER.alerts[0], fingerprint: 'forged0000am' }],
  });
  for (const auth of [undefined, 'Bearer nope', 'Basic YW06YW0tdG9rZW4=', 'am-token']) {
    const r = await post('/v1/webhooks/alertmanager', forged, auth ? { authorization: auth } : {});
    assert.equal(r.status, 401, auth);
  }
  assert.equal(await executionsWith('forged0000am'), 0);
  const bad = JSON.stringify({ version: '4', alerts: [{ status: 'firing', startsAt: '2026-12-05T10:00:00Z' }] });
  const r = await post('/v1/webhooks/alertmanager', bad, { authorization: 'Bearer am-token' });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /alerts\[0\]\.fingerprint is missing/);
  const notJson = await post('/v1/webhooks/alertmanager', '{"alerts": [', { authorization: 'Bearer am-token' });
  assert.equal(notJson.status, 400);
});

test('Grafana: its HMAC signature (with a timestamp) or a bearer token; a bad signature is 401 and queues nothing', {
  skip,
}, async () => {
  const body = JSON.stringify(GRAFANA);
  const ts = String(Math.floor(Date.now() / 1000));
  const stamped = createHmac('sha256', 'gf-secret').update(`${ts}:${body}`).digest('hex');
  const r = await post('/v1/webhooks/grafana', body, {
    'x-grafana-alerting-signature': stamped,
    'x-grafana-alerting-signature-timestamp': ts,
  });
  assert.equal(r.status, 202);
  const a = (await r.json()) as Answer;
  assert.deepEqual(
    a.executions.map((e) => e.skill),
    ['ops/grafana-checkout'],
  );
  assert.equal((await settled(a.executions[0]!.execution)).status, 'done');
  assert.equal(await executionsWith(GRAFANA.alerts[0]!.fingerprint), 1, 'the query finds what was queued');
  // The same alert by bearer (a Grafana before signing): already queued, nothing runs again.
  const viaBearer = (await (
    await post('/v1/webhooks/grafana', body, { authorization: 'Bearer gf-secret' })
  ).json()) as Answer;
  assert.equal(viaBearer.executions[0]?.existing, true);

  const forged = JSON.stringify({ ...GRAFANA, alerts: [{ ...GRAFANA.alerts[0], fingerprint: 'forged0000gf' }] });
  const stale = String(Number(ts) - 600);
  for (const h of [
    {},
    { 'x-grafana-alerting-signature': sign('wrong', forged) },
    { 'x-grafana-alerting-signature': sign('gf-secret', body) }, // another body's signature
    {
      'x-grafana-alerting-signature': createHmac('sha256', 'gf-secret').update(`${stale}:${forged}`).digest('hex'),
      'x-grafana-alerting-signature-timestamp': stale,
    },
    { authorization: 'Bearer wrong' },
  ] as Record<string, string>[]) {
    assert.equal((await post('/v1/webhooks/grafana', forged, h)).status, 401, JSON.stringify(h));
  }
  assert.equal(await executionsWith('forged0000gf'), 0);
  const bad = JSON.stringify({ status: 'firing', alerts: 'none' });
  const r400 = await post('/v1/webhooks/grafana', bad, { 'x-grafana-alerting-signature': sign('gf-secret', bad) });
  assert.equal(r400.status, 400);
  assert.match(await r400.text(), /Grafana webhook: no `alerts` array/);
});
