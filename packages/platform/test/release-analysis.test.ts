/**
 * Automatic rollback and promotion on a real platform (sandboxed handlers, the controller started
 * by the platform every 100 ms, the owner team's Slack webhook a local HTTP server):
 * - a canary whose handler fails one input in five is rolled back by the analysis before its
 *   window closes, under concurrent load: stable keeps serving, every request is answered and
 *   recorded, the team is told and the audit log has the entry;
 * - a healthy canary is promoted through every step without anyone;
 * - a person's rollback in the middle of concurrent load loses no execution and leaves none half
 *   on each version (each record names one version, and that version's handler wrote its result).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Execution, Release } from '@aspora/api';
import { packFiles } from '../src/store/index.ts';
import { skillFolder, tempPlatform } from './helpers.ts';

let p: Awaited<ReturnType<typeof tempPlatform>>;
let hooks: Server;
const slack: Array<{ text: string; body: unknown }> = [];

/** A skill version whose handler answers with its own version, and fails when `fails(n)` for input n. */
async function publish(name: string, version: string, versioning: string, failEvery = 0) {
  const config = `skill:
  name: ${name}
  domain: fraud
  version: ${version}
  description: "Scores a payment for fraud. Use when a payment needs a fraud score."
runtime:
  language: typescript
  entry_point: code/handler.ts
triggers:
  - type: message
    patterns: ["score payment"]
permissions:
  tools: [Read]
owner_team: fraud-team
monitoring:
  alert_channels: [slack]
versioning:
${versioning}
`;
  const handler = `export const handler = async (ctx) => {
  const n = Number(ctx.input.metadata?.n ?? 0);
  ${failEvery ? `if (n % ${failEvery} === 0) throw new Error('this version fails input ' + n);` : ''}
  return { success: true, message: 'scored', data: { version: '${version}', n } };
};
`;
  const files = skillFolder({ name, version, extra: { 'aspora.config.yaml': config, 'code/handler.ts': handler } });
  const res = await p.fetch('/v1/bundles', {
    method: 'POST',
    body: Buffer.from((await packFiles(files)).bytes),
    headers: { 'content-type': 'application/gzip' },
  });
  assert.equal(res.status, 201, await res.text());
}

async function call(method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const r = await p.fetch(path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const json = (await r.json()) as Record<string, any>;
  assert.ok(r.ok, JSON.stringify(json));
  return json;
}

/** Live version 1.0.0 and a release of 1.1.0 started through the API. */
async function startRelease(name: string, versioning: string, canary: number, failEvery = 0): Promise<Release> {
  await publish(name, '1.0.0', versioning);
  await publish(name, '1.1.0', versioning, failEvery);
  const ref = `fraud/${name}`;
  await call('POST', `/v1/skills/${ref}/deployments`, { environment: 'production', version: '1.0.0' });
  // Warm both versions (pinned runs are no release's): a cold start is not the canary's latency.
  for (const version of ['1.0.0', '1.1.0'])
    for (let i = 1; i <= 2; i++)
      await p.runtime.run({ ref, version, input: { userMessage: 'warm', metadata: { n: i } } });
  const d = await call('POST', `/v1/skills/${ref}/deployments`, {
    environment: 'production',
    version: '1.1.0',
    canary,
  });
  assert.equal(d.version, '1.0.0', 'the pointer stays on stable');
  return d.release as Release;
}

async function releaseOf(id: number): Promise<Release> {
  return p.releases.store.get(id);
}

/**
 * Runs the skill for users n = from, from+1, … with `concurrency` in flight until `stop()` holds
 * (checked between runs) or `max` runs; every request's answer is kept.
 */
async function load(
  ref: string,
  o: { from: number; max: number; concurrency?: number; stop?: (answered: number) => Promise<boolean> },
): Promise<Array<{ n: number; r: Execution }>> {
  const out: Array<{ n: number; r: Execution }> = [];
  let next = o.from;
  let stopped = false;
  let checking: Promise<void> | undefined;
  const worker = async () => {
    while (!stopped && next < o.from + o.max) {
      const n = next++;
      const r = await p.runtime.run({
        ref,
        input: { userMessage: 'score payment', metadata: { n } },
        caller: `user${n}@example.com`,
      });
      out.push({ n, r });
      if (o.stop && !checking && out.length % 10 === 0)
        checking = o.stop(out.length).then((s) => {
          if (s) stopped = true;
          checking = undefined;
        });
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 6 }, worker));
  await checking;
  return out;
}

/** Each answer: one version, its handler's own result, the side the release put it on. */
function assertWhole(runs: Array<{ n: number; r: Execution }>, failEvery = 0) {
  for (const { n, r } of runs) {
    assert.ok(r.version === '1.0.0' || r.version === '1.1.0', r.version);
    if (r.variant) assert.equal(r.variant, r.version === '1.1.0' ? 'canary' : 'stable', `execution ${r.id}`);
    if (r.success) assert.equal((r.result as { data: { version: string } }).data.version, r.version);
    else {
      assert.equal(r.version, '1.1.0', 'stable never fails');
      assert.ok(failEvery && n % failEvery === 0, `input ${n} failed`);
      assert.match(r.error?.message ?? '', new RegExp(`fails input ${n}$`));
    }
  }
}

/** Every answered run has its row, with the same version and side. */
async function assertRecorded(runs: Array<{ n: number; r: Execution }>) {
  await p.runtime.recorder.settled?.();
  const ids = runs.map((x) => x.r.id);
  const rows = await p.db.query<{ id: string; version: string; release_id: string | null; variant: string | null }>(
    `SELECT e.id::text, v.version, e.release_id, e.variant FROM executions e JOIN skill_versions v ON v.id = e.version_id
     WHERE e.id = ANY($1::uuid[]) AND e.completed_at IS NOT NULL`,
    [ids],
  );
  assert.equal(rows.length, runs.length, 'every answered execution is recorded, finished');
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const { r } of runs) {
    const row = byId.get(r.id)!;
    assert.deepEqual(
      [row.version, row.release_id === null ? null : Number(row.release_id), row.variant],
      [r.version, r.releaseId ?? null, r.variant ?? null],
    );
  }
}

describe('automatic rollback and promotion', () => {
  before(async () => {
    hooks = createServer((req, res) => {
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => {
        const body = JSON.parse(b) as { text: string };
        if (req.url === '/slack-team') slack.push({ text: body.text, body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    p = await tempPlatform({
      platformYaml: `teams:\n  fraud-team:\n    slack_webhook_url: ${url}/slack-team\nreleases:\n  interval: 100ms\n`,
    });
  });
  after(async () => {
    await p?.cleanup();
    await new Promise((r) => hooks?.close(r));
  });

  test('a canary failing one input in five is rolled back within its window; stable keeps serving', async () => {
    const ref = 'fraud/score-failing';
    const versioning = '  rollback_on_error: true\n  analysis:\n    window: 10m\n    min_samples: 100';
    const rel = await startRelease('score-failing', versioning, 10, 5);
    const ended = async () => (await releaseOf(rel.id)).status !== 'active';
    const runs = await load(ref, { from: 1, max: 6000, stop: ended });
    const r = await releaseOf(rel.id);
    assert.equal(r.status, 'rolled_back', `after ${runs.length} executions`);
    const fail = r.decisions.find((d) => d.outcome === 'fail')!;
    assert.equal(fail.actor, 'analysis');
    assert.match(fail.reason, /^success .* points below \(max 2, p=.* < 0\.001\), before the window closed$/);
    const n = fail.numbers as { ageMs: number; windowMs: number; canary: { executions: number } };
    assert.ok(n.ageMs < n.windowMs, 'within the window');
    assert.ok(n.canary.executions < 100, 'before minSamples');
    assert.equal(r.decisions.at(-1)!.outcome, 'rollback');
    // Stable kept serving: every request was answered, stable's never failed, the canary's only on its bad inputs.
    assertWhole(runs, 5);
    assert.ok(runs.some((x) => x.r.variant === 'canary' && !x.r.success));
    // After the rollback (this process's router forgot at once; others within their 1 s cache): stable only.
    const afterwards = await load(ref, { from: 100_000, max: 60 });
    assert.ok(afterwards.every((x) => x.r.version === '1.0.0' && x.r.success && !x.r.releaseId));
    await assertRecorded([...runs, ...afterwards]);
    // The owner team's Slack webhook, and the audit log.
    const deadline = Date.now() + 10_000;
    while (!slack.some((m) => m.text.includes(ref)) && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 50));
    const told = slack.find((m) => m.text.includes(ref));
    assert.ok(told, 'the owner team is told on Slack');
    assert.match(told.text, /canary 1\.1\.0 rolled back: all traffic on stable/);
    assert.match(JSON.stringify(told.body), /points below/);
    await p.audit.flush();
    const audit = await p.audit.query({ action: 'release.rollback' });
    const entry = audit.find((e) => e.target === `${ref}@production`);
    assert.ok(entry, 'audited');
    assert.equal(entry.actor, 'analysis');
    const listed = await call('GET', `/v1/skills/${ref}/releases`);
    assert.ok((listed.releases as Release[])[0]!.decisions.some((d) => d.outcome === 'fail'));
  });

  test('a healthy canary is promoted through every step without anyone', async () => {
    const ref = 'fraud/score-healthy';
    const versioning =
      '  rollback_on_error: true\n  steps: [10, 25, 50, 100]\n  analysis:\n    window: 1s\n    min_samples: 10\n    max_p95_increase_percent: 10000';
    const rel = await startRelease('score-healthy', versioning, 10);
    const done = async () => (await releaseOf(rel.id)).status !== 'active';
    const runs = await load(ref, { from: 1, max: 20_000, concurrency: 4, stop: done });
    const r = await releaseOf(rel.id);
    assert.equal(r.status, 'promoted', `after ${runs.length} executions: ${r.decisions.at(-1)?.reason}`);
    const passes = r.decisions.filter((d) => d.outcome === 'pass');
    assert.deepEqual(
      passes.map((d) => d.percentage),
      [10, 25, 50, 100],
    );
    assert.ok(passes.every((d) => d.actor === 'analysis' && /^every rule holds/.test(d.reason)));
    assert.equal(r.decisions.at(-1)!.outcome, 'promote');
    assertWhole(runs);
    await assertRecorded(runs);
    const next = await p.runtime.run({ ref, input: { userMessage: 'score payment', metadata: { n: 1 } } });
    assert.deepEqual([next.version, next.releaseId ?? null], ['1.1.0', null]);
    await p.audit.flush();
    assert.ok(
      (await p.audit.query({ action: 'release.promote' })).some(
        (e) => e.target === `${ref}@production` && e.actor === 'analysis',
      ),
    );
  });

  test('a rollback during load loses no execution and leaves none half on each version', async () => {
    const ref = 'fraud/score-load';
    const rel = await startRelease('score-load', '  rollback_on_error: true\n  analysis:\n    window: 10m', 50);
    let rolledBack: Promise<unknown> | undefined;
    let answeredAtRollback: number | undefined;
    let lastAnswered = 0;
    const runs = await load(ref, {
      from: 1,
      max: 4_000,
      concurrency: 8,
      // Once 100 were answered, a person rolls back while the other runs are in flight; the load
      // goes on for 100 more after the rollback's answer (however long a loaded machine takes).
      stop: async (answered) => {
        lastAnswered = answered;
        if (answered >= 100 && !rolledBack)
          rolledBack = call('POST', `/v1/skills/${ref}/rollback`, { environment: 'production' }).finally(() => {
            answeredAtRollback = lastAnswered;
          });
        return answeredAtRollback !== undefined && answered >= answeredAtRollback + 100;
      },
    });
    const answer = (await rolledBack) as { version: string; release: Release };
    assert.deepEqual([answer.version, answer.release.id, answer.release.status], ['1.0.0', rel.id, 'rolled_back']);
    assert.ok(runs.every((x) => (x.r.releaseId ?? rel.id) === rel.id));
    const started = Math.max(...runs.map((x) => x.n));
    assert.equal(runs.length, started, 'every request started was answered');
    assert.ok(runs.every((x) => x.r.success));
    assertWhole(runs);
    await assertRecorded(runs);
    const sides = new Set(runs.map((x) => x.r.variant ?? 'none'));
    assert.ok(sides.has('canary') && sides.has('stable') && sides.has('none'), [...sides].join());
  });
});
