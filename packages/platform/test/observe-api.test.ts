/** Observability over HTTP: /metrics for Prometheus, rollups, feedback and its promptfoo export, logs. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { bundle, tempPlatform } from './helpers.ts';

let p: Awaited<ReturnType<typeof tempPlatform>>;
const ids: string[] = [];
const post = (path: string, body: unknown) =>
  p.fetch(`${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-aspora-actor': 'analyst@aspora.com' },
  });

before(async () => {
  p = await tempPlatform();
  const handler = `export const handler = async (ctx) => {
    ctx.log.info('scored', { tx: ctx.input.metadata.tx });
    ctx.metrics.set('fraud_score', 0.9);
    if (ctx.input.metadata.fail) throw new Error('no score');
    return { success: true, message: 'blocked ' + ctx.input.metadata.tx };
  };`;
  await p.fetch(`/v1/bundles`, {
    method: 'POST',
    body: await bundle({ handler }),
    headers: { 'content-type': 'application/gzip' },
  });
  await post('/v1/skills/fraud/block-transaction/deployments', { environment: 'production', version: '1.0.0' });
  for (let i = 0; i < 6; i++) {
    const r = (await (
      await post('/v1/skills/fraud/block-transaction/executions', {
        input: { userMessage: `block tx_${i}`, metadata: { tx: `tx_${i}`, fail: i === 5 } },
      })
    ).json()) as { id: string };
    ids.push(r.id);
  }
});
after(() => p.cleanup());

test('GET /metrics: Prometheus text with bounded labels', async () => {
  const res = await p.fetch(`/metrics`);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  assert.match(
    text,
    /aspora_executions_total\{skill="fraud\/block-transaction",domain="fraud",version="1\.0\.0",status="success",code=""\} 5/,
  );
  assert.match(
    text,
    /aspora_executions_total\{skill="fraud\/block-transaction",domain="fraud",version="1\.0\.0",status="failure",code="HANDLER_ERROR"\} 1/,
  );
  assert.match(
    text,
    /aspora_execution_duration_seconds_bucket\{le="0\.005",skill="fraud\/block-transaction",domain="fraud",version="1\.0\.0"\}/,
  );
  assert.match(text, /aspora_workers\{state="idle"\} \d/);
  assert.doesNotMatch(text, /tx_\d|[0-9a-f]{8}-[0-9a-f]{4}-/, 'no inputs or execution ids as labels');
  assert.doesNotMatch(
    text,
    /aspora_skill_metric\{/,
    'fraud_score is not declared in monitoring.custom_metrics: dropped',
  );
});

test('GET /v1/metrics: platform → domain → skill figures from the rollups', async () => {
  const plat = (await (await p.fetch(`/v1/metrics?last=24h`)).json()) as {
    figures: { executions: number; successRate: number; errorRate: number; p50Ms: number };
    children: Array<{ name: string }>;
  };
  assert.equal(plat.figures.executions, 6);
  assert.equal(plat.figures.successRate, 5 / 6);
  assert.equal(plat.figures.errorRate, 1 / 6);
  assert.ok(plat.figures.p50Ms > 0);
  assert.deepEqual(
    plat.children.map((c) => c.name),
    ['fraud'],
  );
  const dom = (await (await p.fetch(`/v1/metrics?target=fraud`)).json()) as {
    children: Array<{ name: string; figures: { executions: number } }>;
  };
  assert.deepEqual(
    dom.children.map((c) => [c.name, c.figures.executions]),
    [['fraud/block-transaction', 6]],
  );
  const none = await p.fetch(`/v1/metrics?target=nope`);
  assert.equal(none.status, 404);
  const bad = await p.fetch(`/v1/metrics?last=5x`);
  assert.equal(bad.status, 400);
});

test('feedback: rating and correction stored, satisfaction in the rollups, corrections as promptfoo cases', async () => {
  const r = await post(`/v1/executions/${ids[0]}/feedback`, {
    rating: 2,
    correction: 'should have escalated to an analyst',
  });
  assert.equal(r.status, 201);
  // The author is the token's user; an x-aspora-actor header (once the author) names no one.
  assert.equal(((await r.json()) as { author: string }).author, 'admin@localhost');
  await post(`/v1/executions/${ids[1]}/feedback`, { rating: 4 });
  const skill = (await (await p.fetch(`/v1/metrics?target=fraud/block-transaction`)).json()) as {
    figures: { ratings: number; satisfaction: number };
  };
  assert.deepEqual([skill.figures.ratings, skill.figures.satisfaction], [2, 3]);
  const exp = await p.fetch(`/v1/skills/fraud/block-transaction/feedback/export`);
  const cases = parse(await exp.text()) as Array<{
    vars: { userMessage: string };
    assert: Array<{ type: string; value: string }>;
    metadata: { previousOutput: string };
  }>;
  assert.equal(cases.length, 1, 'only corrections become cases');
  assert.equal(cases[0]!.vars.userMessage, 'block tx_0');
  assert.deepEqual(cases[0]!.assert, [{ type: 'llm-rubric', value: 'should have escalated to an analyst' }]);
  assert.equal(cases[0]!.metadata.previousOutput, 'blocked tx_0');
  const list = (await (await p.fetch(`/v1/feedback?skill=fraud/block-transaction`)).json()) as {
    feedback: unknown[];
  };
  assert.equal(list.feedback.length, 2);
});

test('malformed feedback and unknown executions are refused clearly', async () => {
  assert.equal((await post(`/v1/executions/${ids[0]}/feedback`, {})).status, 400);
  assert.equal((await post(`/v1/executions/${ids[0]}/feedback`, { rating: 9 })).status, 400);
  const unknown = await post('/v1/executions/00000000-0000-4000-8000-000000000000/feedback', { rating: 3 });
  assert.equal(unknown.status, 404);
  assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /no execution/);
});

test('logs: recent lines with levels, and live lines over SSE', async () => {
  const past = (await (await p.fetch(`/v1/skills/fraud/block-transaction/logs?since=1h`)).json()) as {
    lines: Array<{ msg: string; level: string }>;
  };
  assert.equal(past.lines.filter((l) => l.msg === 'scored').length, 6);
  const errors = (await (await p.fetch(`/v1/skills/fraud/block-transaction/logs?since=1h&level=error`)).json()) as {
    lines: Array<{ msg: string }>;
  };
  assert.deepEqual(
    errors.lines.map((l) => l.msg),
    ['execution failed: HANDLER_ERROR Error: no score'],
  );
  const ctl = new AbortController();
  const live = await p.fetch(`/v1/skills/fraud/block-transaction/logs?since=1s&follow=true`, {
    signal: ctl.signal,
  });
  const reader = live.body!.getReader();
  await post('/v1/skills/fraud/block-transaction/executions', {
    input: { userMessage: 'live', metadata: { tx: 'live_1' } },
  });
  let text = '';
  // since=1s may replay the setup's executions first (on a loaded machine they are that recent): read on to the live one's end.
  while (!/"tx":"live_1"[\s\S]*execution finished/.test(text)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  ctl.abort();
  assert.match(text, /"msg":"scored","fields":\{"tx":"live_1"\}/);
});

test('GET /metrics: the metrics a skill declares, each as its type (gauge, counter, histogram)', async () => {
  const config = `skill: { name: scorer, domain: risk, version: 1.0.0, description: Scores risk. }
runtime: { language: typescript, entry_point: code/handler.ts }
monitoring:
  custom_metrics:
    - { name: queue_depth, type: gauge, description: Items waiting }
    - { name: cases_opened, type: counter, description: Cases opened }
    - { name: risk_score, type: histogram, description: Scores given }
owner_team: risk-team
`;
  const handler = `export const handler = async (ctx) => {
    ctx.metrics.set('queue_depth', ctx.input.metadata.n);
    ctx.metrics.set('cases_opened', 1);
    ctx.metrics.set('risk_score', 0.2 * ctx.input.metadata.n);
    ctx.metrics.set('undeclared', 1);
    return { success: true, message: 'scored' };
  };`;
  assert.equal(
    (
      await p.fetch(`/v1/bundles`, {
        method: 'POST',
        body: await bundle({ name: 'scorer', domain: 'risk', handler, extra: { 'aspora.config.yaml': config } }),
        headers: { 'content-type': 'application/gzip' },
      })
    ).status,
    201,
  );
  await post('/v1/skills/risk/scorer/deployments', { environment: 'production', version: '1.0.0' });
  for (const n of [1, 2, 3])
    assert.equal(
      (await post('/v1/skills/risk/scorer/executions', { input: { userMessage: 'score', metadata: { n } } })).status,
      200,
    );
  const text = await (await p.fetch(`/metrics`)).text();
  const labels = 'skill="risk/scorer",domain="risk"';
  assert.match(
    text,
    new RegExp(`aspora_skill_metric\\{${labels},metric="queue_depth"\\} 3\n`),
    'a gauge keeps the last value',
  );
  assert.match(
    text,
    new RegExp(`aspora_skill_metric_total\\{${labels},metric="cases_opened"\\} 3\n`),
    'a counter adds',
  );
  assert.match(text, new RegExp(`aspora_skill_metric_observed_count\\{${labels},metric="risk_score"\\} 3\n`));
  assert.match(
    text,
    new RegExp(`aspora_skill_metric_observed_bucket\\{le="0.5",${labels},metric="risk_score"\\} 2\n`),
    '0.2 and 0.4 are ≤ 0.5, 0.6 is not',
  );
  assert.doesNotMatch(text, /metric="undeclared"/);
});

test('an execution is readable, rateable and counted the moment it has answered (its row may still be on its way)', async () => {
  const before = (
    (await (await p.fetch(`/v1/metrics?target=fraud/block-transaction`)).json()) as {
      figures: { executions: number };
    }
  ).figures.executions;
  for (let i = 0; i < 5; i++) {
    const { id } = (await (
      await post('/v1/skills/fraud/block-transaction/executions', { input: { metadata: { tx: `now_${i}` } } })
    ).json()) as { id: string };
    // No wait of any kind between the answer and these.
    const [got, rated, figures] = await Promise.all([
      p.fetch(`/v1/executions/${id}`).then((r) => r.json() as Promise<{ id: string; success: boolean }>),
      post(`/v1/executions/${id}/feedback`, { rating: 5 }).then((r) => r.status),
      p
        .fetch(`/v1/metrics?target=fraud/block-transaction`)
        .then((r) => r.json() as Promise<{ figures: { executions: number } }>),
    ]);
    assert.equal(got.id, id);
    assert.equal(got.success, true);
    assert.equal(rated, 201);
    assert.equal(figures.figures.executions, before + i + 1);
  }
});
