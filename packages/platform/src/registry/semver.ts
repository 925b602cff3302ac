import { AsporaError } from '@aspora/sdk';
import { compare, SemVer as Parsed } from 'semver';

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
}

/** The columns are PostgreSQL int. */
const MAX_PART = 2_147_483_647;

/**
 * A skill version, parsed by the `semver` package (semver.org 2.0.0; build metadata is kept in
 * the version string but not ordered by). Only the canonical spelling is accepted: `semver`
 * itself would also take `v1.2.0`, `=1.2.0` or surrounding spaces, which would register a second
 * name for the same version.
 */
export function parseSemver(version: string): SemVer {
  let v: Parsed | undefined;
  try {
    v = new Parsed(version);
  } catch {
    v = undefined;
  }
  const canonical = v && `${v.version}${v.build.length ? `+${v.build.join('.')}` : ''}`;
  if (!v || canonical !== version || [v.major, v.minor, v.patch].some((n) => n > MAX_PART)) {
    throw new AsporaError('BAD_REQUEST', `"${version}" is not a semantic version`, {
      hint: 'use MAJOR.MINOR.PATCH, e.g. 1.2.0 (skill.version in aspora.config.yaml)',
    });
  }
  return { major: v.major, minor: v.minor, patch: v.patch, prerelease: v.prerelease.join('.') };
}

/** semver's order of two registered (so valid) versions: negative when a comes first. */
export const compareVersions = (a: string, b: string): number => compare(a, b);

/** The highest of registered versions. */
export function latestOf<T extends { version: string }>(rows: readonly T[]): T | undefined {
  return rows.reduce<T | undefined>((best, r) => (!best || compare(r.version, best.version) > 0 ? r : best), undefined);
}
