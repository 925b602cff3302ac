import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compareVersions, parseSemver } from '../registry/semver.ts';
import { skillFolder, tempPlatform } from '../../test/helpers.ts';
import { packFiles } from '../store/index.ts';
import { timestampVersion } from './timestamp.ts';

describe('timestamp versions', () => {
  it('are canonical semantic versions that sort in time order, leading zeros or not', () => {
    const times = [
      '2026-01-05T00:00:05Z',
      '2026-01-05T09:15:00Z',
      '2026-01-05T10:00:00Z',
      '2026-09-30T23:59:59Z',
      '2026-12-05T19:42:11Z',
      '2027-01-01T00:00:00Z',
    ].map((t) => new Date(t));
    const names = times.map((t) => timestampVersion(t));
    assert.deepEqual(names, [
      '20260105.5.0',
      '20260105.91500.0',
      '20260105.100000.0',
      '20260930.235959.0',
      '20261205.194211.0',
      '20270101.0.0',
    ]);
    for (const n of names) parseSemver(n); // throws on a non-canonical version
    assert.deepEqual([...names].sort(compareVersions), names);
    // The registry's columns order the same way.
    const cols = names.map(parseSemver);
    const byCols = [...cols].sort((a, b) => a.major - b.major || a.minor - b.minor || a.patch - b.patch);
    assert.deepEqual(byCols, cols);
    // After any ordinary semver, and the same second's second publish after the first.
    assert.ok(compareVersions(names[0]!, '999.99.99') > 0);
    assert.ok(compareVersions(timestampVersion(times[4]!, 1), names[4]!) > 0);
  });

  describe('publishing', () => {
    let p: Awaited<ReturnType<typeof tempPlatform>>;
    before(async () => (p = await tempPlatform()));
    after(() => p?.cleanup());
    /** A folder whose skill.version stays 1.0.0 whatever its content. */
    const stamped = async (body: string) => {
      const files = skillFolder({ name: 'stamped', version: '1.0.0', extra: { 'notes.txt': body } });
      files.set(
        'aspora.config.yaml',
        Buffer.concat([files.get('aspora.config.yaml')!, Buffer.from('versioning:\n  strategy: timestamp\n')]),
      );
      return Buffer.from((await packFiles(files)).bytes);
    };

    it('names a version by its publish time without a bump of skill.version; the same content is the same version', async () => {
      const first = await p.publisher.publish(await stamped('one'));
      assert.match(first.version, /^20\d{6}\.\d{1,6}\.\d+$/);
      assert.deepEqual(
        first.warnings.filter((w) => w.message.includes('versioning')),
        [],
      );
      const again = await p.publisher.publish(await stamped('one'));
      assert.deepEqual([again.version, again.created], [first.version, false]);
      const second = await p.publisher.publish(await stamped('two'));
      assert.notEqual(second.version, first.version);
      assert.ok(compareVersions(second.version, first.version) > 0, `${second.version} after ${first.version}`);
      const detail = await p.registry.getSkill('fraud/stamped');
      assert.deepEqual(
        detail.versions.map((v) => v.version),
        [second.version, first.version],
      );
      assert.equal(detail.latestVersion, second.version);
      const v = await p.registry.getVersion('fraud/stamped', second.version);
      assert.equal((v.config as { skill: { version: string } }).skill.version, second.version);
      const d = await p.publisher.deploy('fraud/stamped', 'production', second.version);
      assert.equal(d.version, second.version);
    });
  });
});
