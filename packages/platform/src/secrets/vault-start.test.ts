/**
 * The vault as a platform start opens it: without ASPORA_MASTER_KEY a 0600 key file is generated in
 * the data folder and reused; started with a new key and the old one in ASPORA_MASTER_KEY_PREVIOUS,
 * the data keys are re-wrapped, after which the new key alone opens every team secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfigFromEnv } from '../config/platform-config.ts';
import { EMPTY_PLATFORM_FILE } from '../config/platform-file.ts';
import { createLogger } from '../observe/logger.ts';
import { openPlatformCore } from '../platform.ts';
import { masterKey } from './envelope.ts';
import { MASTER_KEY_FILE } from './master-key.ts';

const VALUE = 'rotated-secret-value-5e2a';

async function withCore<T>(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  fn: (c: Awaited<ReturnType<typeof openPlatformCore>>) => Promise<T>,
) {
  const core = await openPlatformCore(platformConfigFromEnv(env, { dataDir }), createLogger('silent'), {
    platformFile: EMPTY_PLATFORM_FILE,
  });
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

test('a generated key file is reused; rotation to ASPORA_MASTER_KEY re-wraps the data keys at start', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aspora-vault-'));
  try {
    await withCore(dataDir, {}, async (c) => {
      await c.teamSecrets.set('team-a', 'ROTATED', VALUE, 'a@example.com');
    });
    const file = join(dataDir, MASTER_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const old = masterKey(readFileSync(file));
    assert.equal(
      await withCore(dataDir, {}, async (c) => (await c.teamSecrets.values('team-a')).get('ROTATED')),
      VALUE,
      'the next start reads the same key file',
    );

    const next = randomBytes(32);
    const env = { ASPORA_MASTER_KEY: next.toString('base64') };
    await withCore(dataDir, { ...env, ASPORA_MASTER_KEY_PREVIOUS: old.key.toString('hex') }, async (c) => {
      const keys = await c.db.query<{ master_id: string }>('SELECT master_id FROM vault_data_keys');
      assert.deepEqual(
        keys.map((k) => k.master_id),
        [masterKey(next).id],
        're-wrapped by the new key at start',
      );
    });
    assert.equal(
      await withCore(dataDir, env, async (c) => (await c.teamSecrets.values('team-a')).get('ROTATED')),
      VALUE,
      'the new key alone opens it',
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a malformed ASPORA_MASTER_KEY stops the start, without its value in the error', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aspora-vault-'));
  try {
    const bad = 'not-a-key-but-secret-text';
    await assert.rejects(
      withCore(dataDir, { ASPORA_MASTER_KEY: bad }, async () => {}),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.ok(!e.message.includes(bad));
        return true;
      },
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
