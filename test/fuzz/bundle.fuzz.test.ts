/** Fuzzing the bundle unpacker and packer (test/fuzz/targets/bundle.ts). */
import { test } from 'node:test';
import { assertTarget } from './harness/run.ts';

test('bundles, valid then mutated, crafted header by header, bombs in small: unpackBundle refuses with a typed error or yields only safe files', {
  timeout: 300_000,
}, async () => {
  await assertTarget('bundle');
});
