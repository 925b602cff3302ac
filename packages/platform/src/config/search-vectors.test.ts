import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAsporaError } from '@aspora/sdk';
import { platformConfigFromEnv } from './platform-config.ts';

test('ASPORA_SEARCH_VECTORS: local word vectors by default, off on request, anything else refused with a hint', () => {
  assert.equal(platformConfigFromEnv({}).searchVectors, 'local');
  assert.equal(platformConfigFromEnv({ ASPORA_SEARCH_VECTORS: 'off' }).searchVectors, 'off');
  assert.throws(
    () => platformConfigFromEnv({ ASPORA_SEARCH_VECTORS: 'glove' }),
    (e: unknown) =>
      isAsporaError(e) &&
      e.code === 'CONFIG_INVALID' &&
      /local, off/.test(e.message) &&
      /ASPORA_SEARCH_VECTORS/.test(e.hint ?? ''),
  );
});
