/** Skill versions through the `semver` package: the canonical spelling only, semver's order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions, latestOf, parseSemver } from './semver.ts';

test('valid versions parse into the columns the registry orders by', () => {
  assert.deepEqual(parseSemver('1.2.3'), { major: 1, minor: 2, patch: 3, prerelease: '' });
  assert.deepEqual(parseSemver('0.0.0-rc.1.x-y'), { major: 0, minor: 0, patch: 0, prerelease: 'rc.1.x-y' });
  assert.deepEqual(parseSemver('1.0.0-alpha+build.7'), { major: 1, minor: 0, patch: 0, prerelease: 'alpha' });
  assert.deepEqual(parseSemver('2147483647.0.0'), { major: 2_147_483_647, minor: 0, patch: 0, prerelease: '' });
});

test('anything else is refused with a hint, including spellings semver itself would take', () => {
  for (const bad of [
    '1.2',
    '01.2.3',
    '1.2.3-01',
    'v1.2.3',
    '=1.2.3',
    ' 1.2.3',
    '1.2.3 ',
    '1.2.3-',
    '1.2.3+',
    'latest',
    '',
    '2147483648.0.0',
    `1.2.3-${'a'.repeat(300)}`,
  ]) {
    assert.throws(
      () => parseSemver(bad),
      (e: Error & { code?: string; hint?: string }) =>
        e.code === 'BAD_REQUEST' &&
        /not a semantic version/.test(e.message) &&
        /MAJOR\.MINOR\.PATCH/.test(e.hint ?? ''),
      JSON.stringify(bad),
    );
  }
});

test("semver's order: releases after their pre-releases, numeric identifiers as numbers, build metadata ignored", () => {
  const sorted = ['1.0.0', '1.0.0-rc.10', '1.0.0-alpha', '1.0.0-rc.9', '0.9.9', '1.0.0-alpha.1', '1.0.0-beta'].sort(
    compareVersions,
  );
  assert.deepEqual(sorted, [
    '0.9.9',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-beta',
    '1.0.0-rc.9',
    '1.0.0-rc.10',
    '1.0.0',
  ]);
  assert.equal(compareVersions('1.0.0+a', '1.0.0+b'), 0);
  assert.equal(
    latestOf([{ version: '3.0.0-rc.9' }, { version: '3.0.0-rc.10' }, { version: '3.0.0-beta' }])?.version,
    '3.0.0-rc.10',
  );
  assert.equal(latestOf([]), undefined);
});
