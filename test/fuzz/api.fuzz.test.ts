/** Fuzzing the HTTP API of a live platform (test/fuzz/targets/api.ts). */
import { test } from 'node:test';
import { assertTarget } from './harness/run.ts';

test('requests built from /openapi.json, then bent: never a 5xx, a 4xx is the typed error body, and the platform still serves and runs its skill afterwards', {
  timeout: 300_000,
}, async () => {
  await assertTarget('api');
});
