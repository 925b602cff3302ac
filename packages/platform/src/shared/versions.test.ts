/**
 * Shared-resource versions and the link a skill version gets, on PGlite and PostgreSQL: numbers
 * per domain, idempotent re-registration, immutable labels, concurrent registrations numbered
 * without gaps or duplicates, and a skill version fixed to the version current (or pinned) when it
 * was registered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerVersion } from '../registry/register.ts';
import { BACKENDS, digestOf, skillInput, type Harness } from '../registry/test-support.ts';
import { sharedBundleOf } from './link.ts';
import { insertSharedVersion, listSharedVersions } from './versions.ts';

const add = (db: Harness['db'], domain: string, seed: string, version?: string) =>
  insertSharedVersion(db, { domain, version, digest: digestOf(seed), size: 10, fileCount: 1, actor: 'test' });

for (const b of BACKENDS) {
  describe(`shared-resource versions (${b.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await b.open();
    });
    after(() => h.cleanup());

    test('numbers per domain; the same content as the current version is that version', async () => {
      assert.deepEqual((await add(h.db, 'ecm', 'a')).version.version, '1');
      assert.deepEqual((await add(h.db, 'fraud', 'a')).version.version, '1', 'each domain counts its own');
      const again = await add(h.db, 'ecm', 'a');
      assert.deepEqual([again.version.version, again.created], ['1', false]);
      assert.equal((await add(h.db, 'ecm', 'b')).version.version, '2');
      // Back to earlier content: a new version (the current one differs), not the old number.
      assert.equal((await add(h.db, 'ecm', 'a')).version.version, '3');
    });

    test('a semver label is immutable; the same label and content is idempotent', async () => {
      const v = await add(h.db, 'wealth', 'x', '1.0.0');
      assert.deepEqual([v.version.version, v.version.seq, v.created], ['1.0.0', 1, true]);
      assert.equal((await add(h.db, 'wealth', 'x', '1.0.0')).created, false);
      await assert.rejects(add(h.db, 'wealth', 'y', '1.0.0'), { code: 'VERSION_CONFLICT' });
      assert.equal((await add(h.db, 'wealth', 'y')).version.version, '2', 'numbers continue after labels');
      assert.deepEqual(
        (await listSharedVersions(h.db, 'wealth')).map((x) => x.version),
        ['2', '1.0.0'],
      );
    });

    test('concurrent registrations of one domain get distinct consecutive numbers', async () => {
      const other = await h.openAnother();
      const all = await Promise.all(
        Array.from({ length: 8 }, (_, i) => add(i % 2 ? other : h.db, 'race', `content-${i}`)),
      );
      assert.deepEqual(
        all.map((r) => r.version.seq).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
    });

    test('a skill version keeps the version current at its registration; a pin names one; a missing pin is refused', async () => {
      await add(h.db, 'pins', 'one');
      const first = await registerVersion(h.db, skillInput('pins', 'reader', { version: '1.0.0' }), null);
      await add(h.db, 'pins', 'two');
      assert.equal((await sharedBundleOf(h.db, first.version.id))?.digest, digestOf('one'));
      const second = await registerVersion(h.db, skillInput('pins', 'reader', { version: '1.1.0' }), null);
      assert.equal((await sharedBundleOf(h.db, second.version.id))?.version, '2');

      const pinned = skillInput('pins', 'pinned');
      pinned.config = { permissions: { shared_resources_version: 1 } };
      const p = await registerVersion(h.db, pinned, null);
      assert.equal((await sharedBundleOf(h.db, p.version.id))?.digest, digestOf('one'));

      const missing = skillInput('pins', 'missing');
      missing.config = { permissions: { shared_resources_version: '9.9.9' } };
      await assert.rejects(registerVersion(h.db, missing, null), { code: 'VERSION_NOT_FOUND' });
      await assert.rejects(registerVersion(h.db, missing, null), /pins shared resources pins@9\.9\.9/);

      // A domain with none registered: no link, so the runtime uses the host folder if there is one.
      const bare = await registerVersion(h.db, skillInput('bare', 'skill'), null);
      assert.equal(await sharedBundleOf(h.db, bare.version.id), undefined);
    });
  });
}
