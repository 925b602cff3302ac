import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAsporaError } from '@aspora/sdk';
import { platformConfigFromEnv } from './platform-config.ts';

test('ASPORA_SEARCH_VECTORS: the sentence encoder by default, word vectors or off on request, anything else refused with a hint', () => {
  assert.equal(platformConfigFromEnv({}).searchVectors, 'sentences');
  assert.equal(platformConfigFromEnv({ ASPORA_SEARCH_VECTORS: 'local' }).searchVectors, 'sentences', 'the old name');
  assert.equal(platformConfigFromEnv({ ASPORA_SEARCH_VECTORS: 'words' }).searchVectors, 'words');
  assert.equal(platformConfigFromEnv({ ASPORA_SEARCH_VECTORS: 'off' }).searchVectors, 'off');
  assert.throws(
    () => platformConfigFromEnv({ ASPORA_SEARCH_VECTORS: 'glove' }),
    (e: unknown) =>
      isAsporaError(e) &&
      e.code === 'CONFIG_INVALID' &&
      /sentences, words, off/.test(e.message) &&
      /ASPORA_SEARCH_VECTORS/.test(e.hint ?? ''),
  );
});
