/**
 * Who may read GET /metrics: it names every skill, error code, cost and budget state. Behind the
 * API token when one is set; or on a listener of its own (ASPORA_METRICS_LISTEN), and then only there.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { AsporaError } from '@aspora/sdk';
import { platformConfigFromEnv } from '../src/config/platform-config.ts';
import { tempPlatform } from './helpers.ts';

const TOKEN = 'scrape-token-for-tests-0123';
const platforms: Array<{ cleanup(): Promise<void> }> = [];
after(async () => {
  for (const p of platforms) await p.cleanup();
});

test('with ASPORA_API_TOKEN set, GET /metrics answers 401 without it and the figures with it', async () => {
  const p = await tempPlatform({ apiToken: TOKEN });
  platforms.push(p);
  const none = await fetch(`${p.url}/metrics`);
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
  const wrong = await p.fetch(`/metrics`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const ok = await p.fetch(`/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /^# HELP aspora_/m);
});

test('ASPORA_METRICS_LISTEN serves /metrics on its own listener without the token, and the API no longer serves it', async () => {
  const p = await tempPlatform({ apiToken: TOKEN, env: { ASPORA_METRICS_LISTEN: '127.0.0.1:0' } });
  platforms.push(p);
  assert.match(p.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  assert.notEqual(new URL(p.metricsUrl!).port, new URL(p.url).port);
  const scrape = await fetch(p.metricsUrl!);
  assert.equal(scrape.status, 200);
  assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(await scrape.text(), /^# HELP aspora_/m);
  const other = await fetch(new URL('/v1/skills', p.metricsUrl).toString(), {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(other.status, 404, 'the metrics listener serves nothing else');
  await other.body?.cancel();
  const onApi = await p.fetch(`/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(onApi.status, 404, 'not on the API listener any more');
  await onApi.body?.cancel();
});

test('ASPORA_METRICS_LISTEN is host:port; anything else is CONFIG_INVALID at start', () => {
  assert.deepEqual(platformConfigFromEnv({ ASPORA_METRICS_LISTEN: '[::1]:9464' }).metricsListen, {
    host: '::1',
    port: 9464,
  });
  assert.deepEqual(platformConfigFromEnv({ ASPORA_METRICS_LISTEN: '0.0.0.0:9464' }).metricsListen, {
    host: '0.0.0.0',
    port: 9464,
  });
  assert.equal(platformConfigFromEnv({}).metricsListen, undefined);
  for (const bad of ['9464', 'localhost', 'host:99999', 'http://127.0.0.1:9464']) {
    assert.throws(
      () => platformConfigFromEnv({ ASPORA_METRICS_LISTEN: bad }),
      (e: unknown) => e instanceof AsporaError && e.code === 'CONFIG_INVALID' && /host:port/.test(e.message),
      bad,
    );
  }
});
