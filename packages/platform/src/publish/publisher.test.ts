/** A skill whose model.primary or model.fallback the gateway would refuse at every call is refused at deploy, with the nearest name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsporaError } from '@aspora/sdk';
import { SecretVault } from '../secrets/secrets.ts';
import { EMPTY_PLATFORM_FILE } from '../config/platform-file.ts';
import { ModelCatalog } from '../gateway/catalog.ts';
import type { BundleStore } from '../store/index.ts';
import { packFiles } from '../store/index.ts';
import type { SkillRegistry } from '../registry/index.ts';
import { skillFolder } from '../../test/helpers.ts';
import { Publisher } from './publisher.ts';

async function bundleWithModels(model: string): Promise<Buffer> {
  const files = skillFolder();
  files.set('aspora.config.yaml', Buffer.concat([files.get('aspora.config.yaml')!, Buffer.from(`model:\n${model}`)]));
  return Buffer.from((await packFiles(files)).bytes);
}

test('unknown model names in model.primary / model.fallback: CONFIG_INVALID naming each, nothing stored or registered', async () => {
  let reached = 0;
  // Past validation the publisher asks the registry first: a registry that only counts shows how far it got.
  const registry = {
    getVersion: async () => (reached++, Promise.reject(new AsporaError('INTERNAL', 'stop here'))),
  } as unknown as SkillRegistry;
  const store = { put: async () => assert.fail('nothing is stored') } as unknown as BundleStore;
  const publisher = new Publisher(
    store,
    registry,
    {},
    new Set(),
    new ModelCatalog(EMPTY_PLATFORM_FILE, new SecretVault({}, {}), { OPENROUTER_API_KEY: 'k' }),
  );

  await assert.rejects(
    publisher.publish(await bundleWithModels('  primary: claude-sonet-4-5\n  fallback: gpt4o-mini\n')),
    (e: unknown) => {
      const err = e as AsporaError & { issues?: Array<{ path?: string; message: string }> };
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.deepEqual(
        err.issues?.map((i) => i.path),
        ['model.primary', 'model.fallback'],
      );
      assert.match(err.issues![0]!.message, /did you mean "claude-sonnet-4-5"/);
      assert.match(err.issues![1]!.message, /did you mean "gpt-4o-mini"/);
      return true;
    },
  );
  assert.equal(reached, 0);

  await assert.rejects(
    publisher.publish(await bundleWithModels('  primary: claude-sonnet-4-5\n  fallback: openai/gpt-4o-mini\n')),
    /stop here/,
  );
  assert.equal(reached, 1, 'known names pass on to registration');
});
