/** aspora.platform.yaml as read at start-up: what a broken or hostile file turns into. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsporaError } from '@aspora/sdk';
import { parsePlatformFile } from './platform-file.ts';

test('a YAML alias bomb in aspora.platform.yaml is a CONFIG_INVALID naming the file, the line and the reason', () => {
  const lines = ['secrets:', '  A: {value: x}', 'bomb:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) lines.push(`  ${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  assert.throws(() => parsePlatformFile(`${lines.join('\n')}\n`, 'aspora.platform.yaml', {}), (e: unknown) => {
    assert.ok(e instanceof AsporaError, String(e));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.equal(e.status < 500, true);
    const issue = e.issues![0]!;
    assert.equal(issue.file, 'aspora.platform.yaml');
    assert.equal(issue.line, 5, 'the first alias');
    assert.match(issue.message, /aliases expand too much/);
    return true;
  });
});
