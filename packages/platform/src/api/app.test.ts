/** /openapi.json against the routes the app really serves: every one is documented, with its method. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routes } from '@aspora/api';
import { createApp } from './app.ts';
import type { ApiDeps } from './deps.ts';
import { createLogger } from '../observe/logger.ts';

// Registering routes reads no dependency but these; requests are not made here.
const deps = (over: Partial<ApiDeps> = {}) =>
  ({
    registry: { db: {} },
    limits: { maxBundleBytes: 1024, maxJsonBytes: 1024 },
    log: createLogger('silent'),
    readiness: {},
    version: 'test',
    ...over,
  }) as unknown as ApiDeps;

/** The app's own routes (middleware is registered as ALL) as `METHOD /path/{param}`. */
function served(app: ReturnType<typeof createApp>): string[] {
  return [
    ...new Set(
      app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    ),
  ].sort();
}

async function documented(app: ReturnType<typeof createApp>): Promise<string[]> {
  const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

test('every route the server serves is in /openapi.json, and nothing else is', async () => {
  const app = createApp(deps());
  const s = served(app);
  // The list is not trivially small: the README's routes are among them.
  for (const r of [
    'POST /v1/chat/completions',
    'POST /v1/embeddings',
    'GET /v1/models',
    'GET /metrics',
    'GET /v1/skills/{domain}/{name}/logs',
    'GET /v1/traces',
    'GET /v1/executions/{id}/trace',
    'POST /v1/bundles',
  ]) {
    assert.ok(s.includes(r), `${r} is served`);
  }
  assert.deepEqual(await documented(app), s);
});

test('with /metrics on a listener of its own, the API neither serves nor documents it', async () => {
  const app = createApp(deps({ metricsElsewhere: true }));
  assert.ok(!served(app).includes('GET /metrics'));
  assert.deepEqual(await documented(app), served(app));
});

test('every route of the contract is served (the client has no function the server lacks)', () => {
  const s = served(createApp(deps()));
  for (const [name, r] of Object.entries(routes))
    assert.ok(s.includes(`${r.method.toUpperCase()} ${r.path}`), `${name}: ${r.method} ${r.path}`);
});

test('the document names its schemas once, as components', async () => {
  const doc = (await (await createApp(deps()).request('/openapi.json')).json()) as {
    components: { schemas: Record<string, unknown> };
    paths: Record<
      string,
      { get?: { responses: Record<string, { content: Record<string, { schema: { $ref?: string } }> }> } }
    >;
  };
  for (const name of ['Error', 'SkillSummary', 'SkillDetail', 'Execution', 'LogLine', 'Timeline', 'ModelList'])
    assert.ok(doc.components.schemas[name], name);
  assert.equal(
    doc.paths['/v1/skills/{domain}/{name}']!.get!.responses['200']!.content['application/json']!.schema.$ref,
    '#/components/schemas/SkillDetail',
  );
});
