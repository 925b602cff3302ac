/**
 * The examples' shared folders, registered the way `aspora up` registers them before it deploys the
 * example skills, reach those skills under /shared with no ASPORA_SHARED_DIR, through their rules.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployFolders, findSkillFolders } from '../src/publish/folders.ts';
import { registerSharedFolders } from '../src/shared/index.ts';
import { tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const skip = skipUnless('bubblewrap') ?? false;
const examples = fileURLToPath(new URL('../../../examples/skills', import.meta.url));
let p: Awaited<ReturnType<typeof tempPlatform>>;

before(async () => {
  p = await tempPlatform({ env: {} });
});
after(() => p.cleanup());

test('aspora up’s registration: one version per domain with a shared folder, the same again on a second start', async () => {
  assert.equal(p.config.sharedRoot, undefined, 'no host folder in this test');
  const first = await registerSharedFolders(p, examples, 'aspora-up');
  assert.deepEqual(
    first.map((r) => [r.domain, r.version, r.created, r.error]),
    [['ecm', '1', true, undefined]],
  );
  const again = await registerSharedFolders(p, examples, 'aspora-up');
  assert.deepEqual(
    again.map((r) => [r.domain, r.version, r.created]),
    [['ecm', '1', false]],
  );
});

test('an example manager skill gets the registered queries and config under /shared, never the runbooks it blocks', {
  skip,
}, async () => {
  const folders = (await findSkillFolders(examples)).filter((f) => f.endsWith(join('manager', 'ecm-daily-flow')));
  const [res] = await deployFolders(p.publisher, folders, ['production'], 'test');
  assert.equal(res?.error, undefined);
  const { prepared } = await p.runtime.prepared('ecm/ecm-daily-flow', { environment: 'production' });
  const mounted = prepared.shared.map((f) => f.sandbox);
  assert.ok(mounted.includes('/shared/queries/ecm-daily-dashboard.sql'), mounted.join(' '));
  assert.ok(mounted.includes('/shared/guardrails.md'));
  assert.ok(!mounted.some((m) => m.startsWith('/shared/runbooks/')), 'a blocked runbook is mounted');
  // The files come from the unpacked bundle, not from the examples folder.
  assert.ok(
    prepared.shared.every((f) => f.host.startsWith(join(p.dataDir))),
    prepared.shared[0]?.host,
  );
});
