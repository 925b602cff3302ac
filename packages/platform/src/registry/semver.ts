import { AsporaError } from '@aspora/sdk';

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
}

// semver.org 2.0.0 core grammar (build metadata accepted and ignored for ordering).
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

export function parseSemver(version: string): SemVer {
  const m = SEMVER.exec(version);
  const nums = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  if (!m || nums.some((n) => !Number.isSafeInteger(n) || n > 2_147_483_647)) {
    throw new AsporaError('BAD_REQUEST', `"${version}" is not a semantic version`, {
      hint: 'use MAJOR.MINOR.PATCH, e.g. 1.2.0 (skill.version in aspora.config.yaml)',
    });
  }
  return { major: nums[0]!, minor: nums[1]!, patch: nums[2]!, prerelease: m[4] ?? '' };
}
