import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { migrate, openDb, type Db } from '../../db/index.ts';
import { PlatformMetrics } from '../metrics/prometheus-registry.ts';
import { readTracingConfig, tracesUrl } from './config.ts';
import { spansOfDomain, spansOfExecution, spansOfTrace, spansOfWorkflow } from './queries.ts';
import { closedPort, OtlpReceiver, waitFor, type ReceivedSpan } from './test-support.ts';
import { PlatformTracer, type PlatformTracerOptions } from './tracer.ts';

let db: Db;
before(async () => {
  db = await openDb();
  await migrate(db);
});
after(() => db.close());

/** A real pino logger whose lines the test can read. */
function capturingLog() {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return {
    log: pino({ level: 'info' }, stream),
    lines,
    warnings: (msg: string) => lines.filter((l) => l.level === 40 && l.msg === msg).length,
  };
}

const tracers: PlatformTracer[] = [];
function tracer(env: Record<string, string>, more: Partial<PlatformTracerOptions> = {}) {
  const t = new PlatformTracer({
    db,
    log: capturingLog().log,
    env: { OTEL_BSP_SCHEDULE_DELAY: '10', ...env },
    ...more,
  });
  tracers.push(t);
  return t;
}
/** Stops the tests' tracers: before their receivers close, so that no export is left retrying. */
const stopTracers = () => Promise.all(tracers.splice(0).map((t) => t.shutdown()));
after(stopTracers);

interface Ids {
  domain: string;
  workflow: string;
  parent: string;
  child: string;
}
const newIds = (): Ids => ({
  domain: `d${randomUUID().slice(0, 8)}`,
  workflow: `wf-${randomUUID()}`,
  parent: randomUUID(),
  child: randomUUID(),
});

/** An execution with 2 model calls (one a failed fallback) and 3 tool calls (one denied) that invokes a child, which times out. 8 spans. */
function scenario(t: PlatformTracer, ids: Ids, t0: number) {
  const parent = t.startExecution({
    executionId: ids.parent,
    ref: `${ids.domain}/planner`,
    domain: ids.domain,
    version: '1.2.0',
    trigger: 'api',
    userId: 'user-7',
    // A channel acting for user-7: both are on every span.
    caller: 'service:slack/bot',
    workflowId: ids.workflow,
    startTime: t0,
  });
  parent.modelCall({
    provider: 'openai',
    requestedModel: 'fast',
    model: 'gpt-4o-mini',
    promptTokens: 120,
    completionTokens: 30,
    cost: 0.00125,
    ok: true,
    isFallback: false,
    cached: false,
    startTime: t0 + 5,
    endTime: t0 + 105,
  });
  parent.modelCall({
    provider: 'anthropic',
    requestedModel: 'fast',
    model: 'claude-haiku',
    promptTokens: 0,
    completionTokens: 0,
    cost: 0,
    ok: false,
    errorCode: 'RATE_LIMITED',
    isFallback: true,
    startTime: t0 + 110,
    endTime: t0 + 130,
  });
  parent.toolCall({ op: 'tools.read', name: 'Read', ok: true, startTime: t0 + 140, endTime: t0 + 141 });
  parent.toolCall({
    op: 'apis.call',
    name: 'crm.lookup',
    ok: false,
    code: 'PERMISSION_DENIED',
    startTime: t0 + 150,
    endTime: t0 + 160,
  });
  parent.toolCall({ op: 'tools.webFetch', ok: true, startTime: t0 + 170, endTime: t0 + 200 });
  const child = t.startExecution({
    executionId: ids.child,
    ref: `${ids.domain}/summarize`,
    domain: ids.domain,
    version: '0.3.1',
    trigger: 'invoke',
    userId: 'user-7',
    workflowId: ids.workflow,
    parent: parent.context,
    startTime: t0 + 210,
  });
  child.modelCall({
    provider: 'openai',
    requestedModel: 'embed',
    model: 'text-embedding-3-small',
    promptTokens: 50,
    completionTokens: 0,
    cost: 0.0001,
    ok: true,
    isFallback: false,
    cached: true,
    operation: 'embeddings',
    startTime: t0 + 215,
    endTime: t0 + 230,
  });
  child.end({
    success: false,
    errorCode: 'TIMEOUT',
    errorMessage: 'handler exceeded 30s',
    endTime: t0 + 300,
    modelCost: 0.0001,
    promptTokens: 50,
    completionTokens: 0,
  });
  parent.end({ success: true, endTime: t0 + 400, modelCost: 0.00125, promptTokens: 120, completionTokens: 30 });
  parent.end({ success: false, endTime: t0 + 500, modelCost: 0, promptTokens: 0, completionTokens: 0 }); // ignored: already ended
}
const SCENARIO_NAMES = (d: string) => [
  `skill ${d}/planner`,
  'chat gpt-4o-mini',
  'chat claude-haiku',
  'execute_tool Read',
  'execute_tool crm.lookup',
  'execute_tool tools.webFetch',
  `skill ${d}/summarize`,
  'embeddings text-embedding-3-small',
];

const ns = (ms: number) => BigInt(ms) * 1_000_000n;

/** What a collector must see of the scenario, whichever protocol carried it. */
function assertScenario(spans: ReceivedSpan[], ids: Ids, t0: number, serviceName: string) {
  assert.equal(spans.length, 8);
  const by = (name: string) => {
    const s = spans.find((x) => x.name === name);
    assert.ok(s, `span ${name} exported`);
    return s;
  };
  const exec = by(`skill ${ids.domain}/planner`);
  const child = by(`skill ${ids.domain}/summarize`);
  assert.ok(/^[0-9a-f]{32}$/.test(exec.traceId) && /^[0-9a-f]{16}$/.test(exec.spanId));
  assert.ok(
    spans.every((s) => s.traceId === exec.traceId),
    'one trace: the child execution continues its parent',
  );
  assert.ok(spans.every((s) => s.resource['service.name'] === serviceName));

  // The execution span: the root, an agent invocation.
  assert.equal(exec.parentSpanId, '');
  assert.equal(exec.kind, 1); // INTERNAL
  assert.deepEqual(exec.status, { code: 1, message: '' });
  assert.equal(exec.startNs, ns(t0));
  assert.equal(exec.endNs, ns(t0 + 400));
  assert.deepEqual(
    { ...exec.attributes },
    {
      'aspora.execution.id': ids.parent,
      'aspora.skill': `${ids.domain}/planner`,
      'aspora.domain': ids.domain,
      'aspora.skill.version': '1.2.0',
      'aspora.trigger': 'api',
      'aspora.workflow.id': ids.workflow,
      'user.id': 'user-7',
      'aspora.caller': 'service:slack/bot',
      'session.id': ids.workflow,
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': `${ids.domain}/planner`,
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'aspora.cost_usd': 0.00125,
    },
  );

  // Model spans: GenAI client spans under the execution.
  const ok = by('chat gpt-4o-mini');
  assert.equal(ok.parentSpanId, exec.spanId);
  assert.equal(ok.kind, 3); // CLIENT
  assert.equal(ok.startNs, ns(t0 + 5));
  assert.equal(ok.endNs, ns(t0 + 105));
  assert.equal(ok.status.code, 1);
  assert.deepEqual(
    { ...ok.attributes },
    {
      'aspora.execution.id': ids.parent,
      'aspora.skill': `${ids.domain}/planner`,
      'aspora.domain': ids.domain,
      'aspora.workflow.id': ids.workflow,
      'user.id': 'user-7',
      'aspora.caller': 'service:slack/bot',
      'session.id': ids.workflow,
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fast',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'aspora.cost_usd': 0.00125,
      'aspora.cached': false,
      'aspora.fallback': false,
    },
  );
  const failed = by('chat claude-haiku');
  assert.equal(failed.parentSpanId, exec.spanId);
  assert.deepEqual(failed.status, { code: 2, message: 'RATE_LIMITED' });
  assert.equal(failed.attributes['error.type'], 'RATE_LIMITED');
  assert.equal(failed.attributes['aspora.fallback'], true);
  assert.equal(failed.attributes['gen_ai.provider.name'], 'anthropic');

  // Tool spans.
  const read = by('execute_tool Read');
  assert.equal(read.parentSpanId, exec.spanId);
  assert.equal(read.kind, 1);
  assert.equal(read.status.code, 1);
  assert.equal(read.attributes['gen_ai.operation.name'], 'execute_tool');
  assert.equal(read.attributes['gen_ai.tool.name'], 'Read');
  assert.equal(read.attributes['aspora.host.op'], 'tools.read');
  assert.equal(read.attributes['session.id'], ids.workflow);
  assert.equal(read.attributes['aspora.caller'], 'service:slack/bot');
  const denied = by('execute_tool crm.lookup');
  assert.deepEqual(denied.status, { code: 2, message: 'PERMISSION_DENIED' });
  assert.equal(denied.attributes['error.type'], 'PERMISSION_DENIED');
  assert.equal(by('execute_tool tools.webFetch').attributes['gen_ai.tool.name'], 'tools.webFetch');

  // The child execution: same trace, parent = the invoking execution; failed.
  assert.equal(child.parentSpanId, exec.spanId);
  assert.deepEqual(child.status, { code: 2, message: 'TIMEOUT: handler exceeded 30s' });
  assert.equal(child.attributes['error.type'], 'TIMEOUT');
  assert.equal(child.attributes['aspora.execution.id'], ids.child);
  assert.equal(child.attributes['aspora.trigger'], 'invoke');
  assert.equal(child.attributes['session.id'], ids.workflow);
  assert.equal(child.attributes['aspora.cost_usd'], 0.0001);
  const embed = by('embeddings text-embedding-3-small');
  assert.equal(embed.parentSpanId, child.spanId);
  assert.equal(embed.attributes['gen_ai.operation.name'], 'embeddings');
  assert.equal(embed.attributes['aspora.cached'], true);
  assert.equal(embed.attributes['aspora.execution.id'], ids.child);
}

describe('PlatformTracer over OTLP/HTTP', () => {
  it('exports execution trees over http/protobuf and http/json: two tracers, each with its own env', async () => {
    const [a, b] = await Promise.all([new OtlpReceiver().start(), new OtlpReceiver().start()]);
    try {
      const protoTracer = tracer({
        OTEL_EXPORTER_OTLP_ENDPOINT: `${a.origin}/`,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20secret-a,x-tenant=acme',
      });
      const jsonTracer = tracer({
        // The signal-specific settings win over the generic ones; the specific endpoint is used as given.
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${b.origin}/v1/traces`,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/unused',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=globex',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=key-b',
        OTEL_SERVICE_NAME: 'aspora-gateway',
      });
      assert.equal(protoTracer.exportTarget, `http/protobuf ${a.origin}/v1/traces`);
      assert.equal(jsonTracer.exportTarget, `http/json ${b.origin}/v1/traces`);

      const t0 = Date.UTC(2026, 5, 1, 12);
      const [ia, ib] = [newIds(), newIds()];
      scenario(protoTracer, ia, t0);
      scenario(jsonTracer, ib, t0);
      await waitFor(() => a.spans.length >= 8 && b.spans.length >= 8, 10_000, 'both receivers to get 8 spans');

      assert.deepEqual([a.errors, b.errors], [[], []]);
      assert.ok(a.requests.every((r) => r.headers['content-type'] === 'application/x-protobuf'));
      assert.ok(b.requests.every((r) => r.headers['content-type'] === 'application/json'));
      assert.ok(
        a.requests.every(
          (r) =>
            r.headers.authorization === 'Bearer secret-a' &&
            r.headers['x-tenant'] === 'acme' &&
            !r.headers['x-api-key'],
        ),
      );
      assert.ok(
        b.requests.every(
          (r) => r.headers['x-tenant'] === 'globex' && r.headers['x-api-key'] === 'key-b' && !r.headers.authorization,
        ),
      );
      assertScenario(a.spans, ia, t0, 'aspora-platform');
      assertScenario(b.spans, ib, t0, 'aspora-gateway');

      // The local table has every span, and the query helpers return them in start order.
      await Promise.all([protoTracer.flushLocal(), jsonTracer.flushLocal()]);
      const flow = await spansOfWorkflow(db, ia.workflow);
      assert.deepEqual(
        flow.map((s) => s.name),
        SCENARIO_NAMES(ia.domain),
      );
      assert.ok(
        flow.every((s) => s.traceId === a.spans[0]!.traceId && s.workflowId === ia.workflow && s.domain === ia.domain),
      );
      const exported = new Map(a.spans.map((s) => [s.spanId, s]));
      for (const row of flow)
        assert.equal(
          row.parentSpanId ?? '',
          exported.get(row.spanId)?.parentSpanId,
          `${row.name}: same parent locally`,
        );

      const own = await spansOfExecution(db, ia.parent);
      assert.deepEqual(
        own.map((s) => s.name),
        SCENARIO_NAMES(ia.domain).slice(0, 6),
      );
      const [root, model, fallback] = own;
      assert.deepEqual(
        {
          kind: root!.kind,
          status: root!.status,
          startedAt: root!.startedAt,
          endedAt: root!.endedAt,
          durationMs: root!.durationMs,
          skill: root!.skill,
          executionId: root!.executionId,
        },
        {
          kind: 'internal',
          status: 'ok',
          startedAt: new Date(t0).toISOString(),
          endedAt: new Date(t0 + 400).toISOString(),
          durationMs: 400,
          skill: `${ia.domain}/planner`,
          executionId: ia.parent,
        },
      );
      assert.equal(model!.kind, 'client');
      assert.equal(model!.attributes['gen_ai.usage.input_tokens'], 120);
      assert.equal(model!.attributes['aspora.cost_usd'], 0.00125);
      assert.deepEqual([fallback!.status, fallback!.error], ['error', 'RATE_LIMITED']);

      const child = await spansOfExecution(db, ia.child);
      assert.deepEqual(
        child.map((s) => [s.name, s.status]),
        [
          [`skill ${ia.domain}/summarize`, 'error'],
          ['embeddings text-embedding-3-small', 'ok'],
        ],
      );
      assert.equal(child[0]!.error, 'TIMEOUT: handler exceeded 30s');
      assert.equal((await spansOfTrace(db, flow[0]!.traceId)).length, 8);

      const domain = await spansOfDomain(db, ib.domain, new Date(t0).toISOString(), new Date(t0 + 300).toISOString());
      assert.deepEqual(
        domain.map((s) => s.name),
        SCENARIO_NAMES(ib.domain),
        'spans that started in [from, to)',
      );
      assert.equal(
        (await spansOfDomain(db, ib.domain, new Date(t0 + 1).toISOString(), new Date(t0 + 300).toISOString())).length,
        7,
      );
      assert.deepEqual(await spansOfExecution(db, 'not-a-uuid'), []);
    } finally {
      await stopTracers();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('traces model calls outside executions, and uses the execution id as session.id without a workflow', async () => {
    const r = await new OtlpReceiver().start();
    try {
      const t = tracer({ OTEL_EXPORTER_OTLP_ENDPOINT: r.origin, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      const t0 = Date.now();
      const domain = `d${randomUUID().slice(0, 8)}`;
      t.recordModelCall(
        {
          provider: 'openai',
          requestedModel: 'gpt-4o',
          model: 'gpt-4o-2024-08-06',
          promptTokens: 9,
          completionTokens: 3,
          cost: 0.0002,
          ok: true,
          isFallback: false,
          startTime: t0,
          endTime: t0 + 50,
        },
        { skill: `${domain}/chat`, userId: 'u-1', sessionId: 'conv-42' },
      );
      t.recordModelCall(
        {
          provider: 'openai',
          requestedModel: 'gpt-4o',
          model: 'gpt-4o',
          promptTokens: 0,
          completionTokens: 0,
          cost: 0,
          ok: false,
          errorCode: 'UPSTREAM',
          isFallback: false,
          startTime: t0,
          endTime: t0 + 5,
        },
        {},
      );
      const id = randomUUID();
      const e = t.startExecution({
        executionId: id,
        ref: `${domain}/solo`,
        domain,
        version: '1.0.0',
        trigger: null,
        userId: null,
        workflowId: null,
        startTime: t0,
      });
      e.end({ success: null, endTime: t0 + 20, modelCost: 0, promptTokens: 0, completionTokens: 0 });
      await waitFor(() => r.spans.length >= 3, 10_000, '3 spans');

      const call = r.spans.find((s) => s.name === 'chat gpt-4o-2024-08-06')!;
      assert.equal(call.parentSpanId, '');
      assert.equal(call.kind, 3);
      assert.deepEqual(
        [
          call.attributes['aspora.skill'],
          call.attributes['aspora.domain'],
          call.attributes['user.id'],
          call.attributes['session.id'],
        ],
        [`${domain}/chat`, domain, 'u-1', 'conv-42'],
      );
      assert.equal(call.attributes['gen_ai.response.model'], 'gpt-4o-2024-08-06');
      const anon = r.spans.find((s) => s.name === 'chat gpt-4o')!;
      assert.equal(anon.attributes['aspora.skill'], undefined);
      assert.equal(anon.attributes['error.type'], 'UPSTREAM');
      const solo = r.spans.find((s) => s.name === `skill ${domain}/solo`)!;
      assert.equal(solo.attributes['session.id'], id);
      assert.equal(solo.attributes['user.id'], undefined);
      assert.equal(solo.attributes['aspora.trigger'], undefined);
      assert.equal(solo.status.code, 0, 'unknown outcome: status unset');
      assert.notEqual(solo.traceId, call.traceId);

      await t.flushLocal();
      const rows = await spansOfDomain(db, domain, new Date(t0 - 1).toISOString(), new Date(t0 + 1000).toISOString());
      // Calls outside executions go to the collector (and model_calls), not to the timelines' table.
      assert.deepEqual(rows.map((s) => [s.name, s.executionId, s.status]).sort(), [
        [`skill ${domain}/solo`, id, 'unset'],
      ]);
    } finally {
      await stopTracers();
      await r.close();
    }
  });

  it('with the collector down: a burst of 1,000 executions returns promptly, their spans are dropped and counted, and kept locally', async (tc) => {
    const port = await closedPort();
    const metrics = new PlatformMetrics({ defaults: false });
    const { log, warnings } = capturingLog();
    const t = new PlatformTracer({
      db,
      log,
      metrics,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_TIMEOUT: '200',
        OTEL_BSP_SCHEDULE_DELAY: '10',
      },
      shutdownTimeoutMs: 2000,
    });
    tracers.push(t);
    const domain = `d${randomUUID().slice(0, 8)}`;
    const t0 = Date.now();
    const began = performance.now();
    for (let i = 0; i < 1000; i++) oneExecution(t, domain, t0 + i);
    const burstMs = performance.now() - began;
    tc.diagnostic(`1,000 executions (6,000 spans) with the collector down: ${burstMs.toFixed(1)} ms`);
    assert.ok(burstMs < 1000, `burst took ${burstMs.toFixed(1)} ms`);

    await waitFor(() => t.stats().exportDropped === 6000, 15_000, 'all 6,000 spans counted as dropped');
    assert.equal((await metrics.spansDropped.get()).values[0]?.value, 6000);
    // Dropped for both reasons (buffer full, failed exports), each logged once (at most once a minute).
    assert.equal(warnings('trace export buffer full (collector slow or down): spans dropped'), 1);
    assert.equal(warnings('trace export failed: spans dropped'), 1);

    await t.flushLocal();
    const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM spans WHERE domain = $1', [domain]);
    assert.equal(row?.n, 6000, 'the local table has every span');
    assert.equal(t.stats().localDropped, 0);

    const stopping = performance.now();
    await t.shutdown();
    assert.ok(performance.now() - stopping < 2500, 'shutdown is bounded');
  });

  it('counts and drops spans when the spans table cannot keep up, or a write fails', async () => {
    const metrics = new PlatformMetrics({ defaults: false });
    const { log, warnings } = capturingLog();
    let release: () => void = () => {};
    const stalled = new Promise<void>((r) => (release = r));
    const t = new PlatformTracer({
      db: fakeDb(() => stalled.then(() => [])),
      log,
      metrics,
      env: {},
      local: { maxQueue: 10, flushMs: 1 },
    });
    for (let i = 0; i < 5; i++) oneExecution(t, 'slow', Date.now());
    assert.deepEqual(t.stats(), { exportDropped: 0, localDropped: 20 });
    assert.equal((await metrics.spansDropped.get()).values[0]?.value, 20);
    assert.equal(warnings('spans table writer cannot keep up: spans dropped'), 1);
    release();
    await t.shutdown();

    const failing = new PlatformTracer({ db: fakeDb(() => Promise.reject(new Error('disk full'))), log, env: {} });
    oneExecution(failing, 'failing', Date.now());
    await failing.flushLocal();
    assert.equal(failing.stats().localDropped, 6);
    assert.equal(warnings('spans could not be written to the spans table'), 1);
    await failing.shutdown();
  });

  it('stores spans whose texts hold NUL characters (jsonb has none)', async () => {
    const t = tracer({});
    const id = randomUUID();
    const e = t.startExecution({
      executionId: id,
      ref: 'nul/skill',
      domain: 'nul',
      version: '1.0.0',
      trigger: null,
      userId: 'a\u0000b',
      workflowId: null,
      startTime: Date.now(),
    });
    e.end({
      success: false,
      errorCode: 'BAD',
      errorMessage: 'bad\u0000byte',
      endTime: Date.now(),
      modelCost: 0,
      promptTokens: 0,
      completionTokens: 0,
    });
    await t.flushLocal();
    const [row] = await spansOfExecution(db, id);
    assert.deepEqual([row?.error, row?.attributes['user.id']], ['BAD: badbyte', 'ab']);
    assert.equal(t.stats().localDropped, 0);
  });

  it('exports nothing without an endpoint, or when disabled, and still keeps the local table', async () => {
    const r = await new OtlpReceiver().start();
    try {
      const cases = [
        {},
        { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: r.origin },
        { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: r.origin },
      ];
      for (const env of cases) {
        const t = new PlatformTracer({ db, log: capturingLog().log, env });
        assert.equal(t.exportTarget, null, JSON.stringify(env));
        const ids = newIds();
        scenario(t, ids, Date.now());
        await t.flushLocal();
        assert.equal((await spansOfWorkflow(db, ids.workflow)).length, 8);
        await t.shutdown();
      }
      // An injected exporter is switched off by OTEL_SDK_DISABLED too.
      const exporter = { export: () => assert.fail('exported'), shutdown: async () => {} };
      const off = new PlatformTracer({ db, log: capturingLog().log, env: { OTEL_SDK_DISABLED: 'true' }, exporter });
      assert.equal(off.exportTarget, null);
      await off.shutdown();
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(r.requests.length, 0);
    } finally {
      await stopTracers();
      await r.close();
    }
  });
});

describe('tracing config', () => {
  it('derives the traces URL as the OTLP spec says', () => {
    assert.equal(tracesUrl(undefined, 'http://collector:4318'), 'http://collector:4318/v1/traces');
    assert.equal(tracesUrl(undefined, 'http://collector:4318/'), 'http://collector:4318/v1/traces');
    assert.equal(
      tracesUrl(undefined, 'https://cloud.langfuse.com/api/public/otel'),
      'https://cloud.langfuse.com/api/public/otel/v1/traces',
    );
    assert.equal(tracesUrl('http://collector:4318/custom', 'http://other:4318'), 'http://collector:4318/custom');
    assert.equal(tracesUrl(undefined, undefined), undefined);
    const warnings: string[] = [];
    assert.equal(tracesUrl('collector:4318', undefined, warnings), undefined);
    assert.equal(warnings.length, 1);
  });

  it('reads protocol, headers, timeout, compression and batching from the given env', () => {
    const c = readTracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20cGs6c2s=, x-a = 1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=2',
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=from-attrs',
    });
    assert.deepEqual(c.otlp, {
      protocol: 'http/protobuf',
      url: 'http://c:4318/v1/traces',
      headers: { Authorization: 'Basic cGs6c2s=', 'x-a': '2' },
      timeoutMillis: 3000,
      compression: 'gzip',
    });
    assert.deepEqual(c.batch, {
      maxQueueSize: 100,
      maxExportBatchSize: 100,
      scheduledDelayMillis: 5000,
      exportTimeoutMillis: 30_000,
    });
    assert.equal(c.serviceName, 'from-attrs');
    assert.deepEqual(c.resource, { 'deployment.environment': 'prod' });
    assert.deepEqual(c.warnings, []);

    const grpc = readTracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_BSP_SCHEDULE_DELAY: 'soon',
    });
    assert.equal(grpc.otlp?.protocol, 'http/protobuf');
    assert.equal(grpc.warnings.length, 2);
    assert.equal(readTracingConfig({}).otlp, null);
    assert.equal(readTracingConfig({}, 'aspora-gateway').serviceName, 'aspora-gateway');
    assert.equal(readTracingConfig({ OTEL_SERVICE_NAME: 'ops-name' }, 'aspora-gateway').serviceName, 'ops-name');
  });
});

describe('cost on the caller', () => {
  it('one execution (start + 2 model + 3 tool + end) is traced on the caller without waiting for the exporter; its cost is reported', async (t) => {
    // The real OTLP exporter and the real spans table; the receiver only counts bytes, since decoding
    // in this process would charge its garbage collection to the measured caller.
    const r = await new OtlpReceiver({ decode: false }).start();
    try {
      const tr = tracer({ OTEL_EXPORTER_OTLP_ENDPOINT: r.origin });
      const domain = `d${randomUUID().slice(0, 8)}`;
      const round = async (n: number) => {
        let busy = 0;
        for (let i = 0; i < n; i += 100) {
          const began = performance.now();
          for (let j = 0; j < 100; j++) oneExecution(tr, domain, Date.now());
          busy += performance.now() - began;
          await tick(); // lets the exporter and the table writer run, as between real executions
        }
        return busy / n;
      };
      await round(2000); // warm-up: JIT
      const rounds: number[] = [];
      for (let i = 0; i < 5; i++) rounds.push(await round(1000));
      rounds.sort((x, y) => x - y);
      const [best, median] = [rounds[0]!, rounds[2]!];
      t.diagnostic(
        `per execution: median ${(median * 1000).toFixed(1)} µs, best ${(best * 1000).toFixed(1)} µs (5 rounds of 1,000)`,
      );
      // A figure, not a limit: on a shared machine an absolute bound in microseconds fails on load,
      // not on a regression. bench:observe measures what tracing adds to an execution (≤ 0.2 ms).
      assert.ok(Number.isFinite(best) && best > 0);
      await tr.flushLocal();
      await waitFor(() => r.bytes > 0, 10_000, 'the receiver to get spans');
    } finally {
      await stopTracers();
      await r.close();
    }
  });
});

/** A database whose every query is `query` (a stalled or failing one). */
function fakeDb(query: () => Promise<unknown[]>): Db {
  const d: Db = {
    dialect: 'pglite',
    query: query as Db['query'],
    exec: async () => {},
    transaction: (fn) => fn(d),
    close: async () => {},
  };
  return d;
}

/** start + 2 model calls + 3 tool calls + end: 6 spans. */
function oneExecution(t: PlatformTracer, domain: string, t0: number) {
  const e = t.startExecution({
    executionId: randomUUID(),
    ref: `${domain}/bench`,
    domain,
    version: '1.0.0',
    trigger: 'api',
    userId: 'u',
    workflowId: null,
    startTime: t0,
  });
  e.modelCall({
    provider: 'openai',
    requestedModel: 'fast',
    model: 'gpt-4o-mini',
    promptTokens: 100,
    completionTokens: 20,
    cost: 0.0001,
    ok: true,
    isFallback: false,
    startTime: t0 + 1,
    endTime: t0 + 2,
  });
  e.modelCall({
    provider: 'openai',
    requestedModel: 'fast',
    model: 'gpt-4o-mini',
    promptTokens: 100,
    completionTokens: 20,
    cost: 0.0001,
    ok: true,
    isFallback: false,
    startTime: t0 + 3,
    endTime: t0 + 4,
  });
  e.toolCall({ op: 'tools.read', name: 'Read', ok: true, startTime: t0 + 5, endTime: t0 + 6 });
  e.toolCall({ op: 'tools.grep', name: 'Grep', ok: true, startTime: t0 + 6, endTime: t0 + 7 });
  e.toolCall({ op: 'apis.call', name: 'crm.get', ok: false, code: 'DENIED', startTime: t0 + 7, endTime: t0 + 8 });
  e.end({ success: true, endTime: t0 + 9, modelCost: 0.0002, promptTokens: 200, completionTokens: 40 });
}
