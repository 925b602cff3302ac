/**
 * Traces of a real execution on a whole platform core: the skill's span with its tool and model
 * spans (gen_ai.* attributes, cost, user and session) reach an OTLP/HTTP collector on loopback as
 * Langfuse or Opik would receive them, a child execution continues its parent's trace, and the
 * local spans table gives `aspora trace` the same tree.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOpenAIStub, type OpenAIStub } from '../../../../../tools/openai-stub/src/server.ts';
import { runtimeFixture } from '../../runtime/test-support.ts';
import { domainTimeline } from '../timeline.ts';
import { OtlpReceiver, waitFor } from './test-support.ts';

let stub: OpenAIStub;
let collector: OtlpReceiver;
let f: Awaited<ReturnType<typeof runtimeFixture>>;

before(async () => {
  stub = await startOpenAIStub();
  collector = await new OtlpReceiver().start();
  f = await runtimeFixture({
    env: {
      ASPORA_MODEL_BASE_URL: stub.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.origin,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-langfuse-public-key=pk-test',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    },
  });
  await f.deploy({
    domain: 'ecm',
    // A manager skill: the default role rules (seed 003) let a manager invoke managers, not field skills.
    role: 'manager',
    name: 'lookup',
    handler: `export const handler = async (ctx) => { await ctx.tools.read({ path: 'DECISIONS.md' }); const a = await ctx.model.chat({ messages: [{ role: 'user', content: 'summarise' }], model: 'gpt-4o-mini' }); return { success: true, message: a.content }; };`,
  });
  await f.deploy({
    domain: 'ecm',
    role: 'manager',
    name: 'triage',
    handler: `export const handler = async (ctx) => { const r = await ctx.invoke('ecm/lookup', { userMessage: 'order AE1' }); return { success: true, message: 'triaged: ' + r.message }; };`,
  });
});
after(async () => {
  await f.close();
  await collector.close();
  await stub.close();
});

test('an execution, its child, and their calls arrive at the collector as one trace', async () => {
  const r = await f.runtime.run({
    ref: 'ecm/triage',
    input: { userMessage: 'triage' },
    // Slack's service token acting for Ravi: both are on the spans, the child's too.
    user: { id: 'u-ravi', email: 'ravi@aspora.com', name: 'Ravi', team: 'ecm-ops', role: 'manager' },
    caller: 'service:ecm-ops/slack',
    workflowId: 'wf-2026-12-01',
  });
  assert.equal(r.success, true, JSON.stringify(r.error));
  await waitFor(
    () => collector.spans.some((s) => s.name === 'skill ecm/triage'),
    10_000,
    'the root span at the collector',
  );
  const spans = collector.spans;
  assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace');
  const parent = spans.find((s) => s.name === 'skill ecm/triage')!;
  const child = spans.find((s) => s.name === 'skill ecm/lookup')!;
  const chat = spans.find((s) => s.name.startsWith('chat '))!;
  const read = spans.find((s) => s.name === 'execute_tool read')!;
  assert.equal(child.parentSpanId, parent.spanId);
  assert.equal(chat.parentSpanId, child.spanId);
  assert.equal(read.parentSpanId, child.spanId);
  assert.equal(parent.attributes['user.id'], 'ravi@aspora.com');
  assert.equal(parent.attributes['aspora.caller'], 'service:ecm-ops/slack');
  assert.equal(chat.attributes['user.id'], 'ravi@aspora.com');
  assert.equal(chat.attributes['aspora.caller'], 'service:ecm-ops/slack');
  assert.equal(parent.attributes['session.id'], 'wf-2026-12-01');
  assert.equal(parent.attributes['gen_ai.operation.name'], 'invoke_agent');
  assert.equal(chat.attributes['gen_ai.operation.name'], 'chat');
  assert.equal(chat.attributes['gen_ai.request.model'], 'gpt-4o-mini');
  assert.equal(chat.attributes['gen_ai.response.model'], 'openai/gpt-4o-mini');
  assert.ok(Number(chat.attributes['gen_ai.usage.input_tokens']) > 0);
  assert.ok(Number(chat.attributes['aspora.cost_usd']) > 0);
  assert.equal(collector.requests[0]!.headers['x-langfuse-public-key'], 'pk-test');
});

test('the local spans table gives the same tree to aspora trace', async () => {
  await f.tracer.flushLocal();
  const t = await domainTimeline(f.db, 'ecm', new Date().toISOString().slice(0, 10));
  const wf = t.workflows.find((w) => w.workflowId === 'wf-2026-12-01')!;
  assert.equal(wf.executions.length, 1);
  const [triage] = wf.executions;
  assert.equal(triage!.skill, 'ecm/triage');
  assert.deepEqual(
    triage!.children.map((c) => c.skill),
    ['ecm/lookup'],
  );
  assert.deepEqual(triage!.children[0]!.calls.map((c) => c.kind).sort(), ['model', 'tool']);
  assert.deepEqual(
    triage!.calls.map((c) => c.name),
    ['execute_tool ecm/lookup'],
    'the invoke call itself',
  );
});
