/**
 * Webhook → execution start: a signed PagerDuty V3 webhook POSTed to a real platform (HTTP,
 * signature check, alert matching, the execution queued) until its handler's first line runs in
 * the sandbox (the handler stamps the time). One skill with a PagerDuty alert trigger; deliveries
 * a little apart (not a burst), each a new incident. On PGlite and on PostgreSQL.
 *   npm run bench:triggers -- --no-queue --webhooks [--deliveries 100]
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PG_URL } from '../../packages/platform/src/registry/test-support.ts';
import { packFiles } from '../../packages/platform/src/store/index.ts';
import { PAGERDUTY } from '../../packages/platform/src/webhooks/fixtures.ts';
import { tempPlatformForBench } from './platform.ts';
import { dropSchemas } from '../../packages/platform/src/jobs/test-support.ts';

const SECRET = `pd-bench-${randomBytes(8).toString('hex')}`;
const CONFIG = `skill:
  name: page
  domain: ops
  version: 1.0.0
  description: "Answers PagerDuty incidents. Do NOT use for anything else."
runtime:
  language: typescript
  entry_point: code/handler.ts
triggers:
  - type: alert
    sources: [pagerduty]
permissions:
  tools: [Read]
owner_team: ops-team
`;
const HANDLER = 'export const handler = async () => ({ success: true, message: "ok", data: { at: Date.now() } });\n';

export interface WebhookRow {
  backend: string;
  deliveries: number;
  /** POST sent → handler's first line, ms. */
  start: number[];
  /** POST sent → 202 answered (the execution queued), ms. */
  answered: number[];
}

async function measure(backend: string, env: NodeJS.ProcessEnv, deliveries: number): Promise<WebhookRow> {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-bench-hooks-'));
  writeFileSync(join(dir, 'platform.yaml'), `secrets:\n  PAGERDUTY_WEBHOOK_SECRET: { value: ${SECRET} }\n`);
  const p = await tempPlatformForBench({ ...env, ASPORA_PLATFORM_CONFIG: join(dir, 'platform.yaml') });
  const token = `bench-admin-${'x'.repeat(24)}`;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${p.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...Object.fromEntries(new Headers(init.headers)) },
    }).then(async (r) => {
      if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      return r.json() as Promise<any>;
    });
  const jsonInit = (body: unknown): RequestInit => ({
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  try {
    await api('/v1/teams', jsonInit({ name: 'ops-team' }));
    const files = new Map(
      Object.entries({
        'aspora.config.yaml': CONFIG,
        'SKILL.md': '---\nname: page\ndescription: "Answers PagerDuty incidents."\n---\n# page\n',
        'DECISIONS.md': '# Decisions\n',
        'GUARDRAILS.md': '# Guardrails\n',
        'tests/unit/a.test.ts': '',
        'code/handler.ts': HANDLER,
      }).map(([k, v]) => [k, Buffer.from(v)]),
    );
    await api('/v1/bundles', {
      method: 'POST',
      body: (await packFiles(files)).bytes,
      headers: { 'content-type': 'application/gzip' },
    });
    await api('/v1/skills/ops/page/deployments', jsonInit({ environment: 'production', version: '1.0.0' }));
    const sent = new Map<string, number>();
    const answered: number[] = [];
    const deliver = async (i: number) => {
      const body = JSON.stringify({
        event: { ...PAGERDUTY.event, id: `bench-${i}-${randomBytes(4).toString('hex')}` },
      });
      const signature = `v1=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      const t0 = Date.now();
      const r = await fetch(`${p.url}/v1/webhooks/pagerduty`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature },
      });
      answered.push(Date.now() - t0);
      const a = (await r.json()) as { executions: { execution: string }[] };
      if (r.status !== 202 || a.executions.length !== 1) throw new Error(`delivery ${i}: ${r.status}`);
      sent.set(a.executions[0]!.execution, t0);
    };
    // Warm-up: the first run prepares the version and starts a sandbox worker.
    for (let i = 0; i < 3; i++) await deliver(-1 - i);
    await new Promise((r) => setTimeout(r, 2000));
    sent.clear();
    answered.length = 0;
    for (let i = 0; i < deliveries; i++) {
      await deliver(i);
      await new Promise((r) => setTimeout(r, 150));
    }
    const start: number[] = [];
    for (const [id, t0] of sent) {
      for (let tries = 0; ; tries++) {
        const e = await api(`/v1/executions/${id}`);
        if (e.status === 'done') {
          start.push(e.result.data.at - t0);
          break;
        }
        if (e.status === 'error' || e.status === 'dead' || tries > 600)
          throw new Error(`execution ${id}: ${e.status} ${JSON.stringify(e.error)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return { backend, deliveries, start, answered };
  } finally {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function webhookLatency(deliveries: number): Promise<WebhookRow[]> {
  process.stderr.write(`… webhooks on PGlite: ${deliveries} deliveries\n`);
  const out = [await measure('PGlite (embedded)', {}, deliveries)];
  const schema = `aspora_bench_${randomBytes(4).toString('hex')}`;
  process.stderr.write(`… webhooks on PostgreSQL: ${deliveries} deliveries\n`);
  try {
    out.push(await measure('PostgreSQL', { DATABASE_URL: PG_URL, ASPORA_DB_SCHEMA: schema }, deliveries));
  } finally {
    await dropSchemas(schema);
  }
  return out;
}
