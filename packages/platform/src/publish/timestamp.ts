/**
 * versioning.strategy: timestamp — the registry names a version by its publish time (UTC) instead
 * of skill.version, so `aspora deploy <folder>` needs no version bump. The name is a semantic
 * version, so it sorts with the registry's major/minor/patch columns and semver's order alike:
 *
 *   YYYYMMDD.HHMMSS.N    e.g. 20261205.194211.0 (5 Dec 2026, 19:42:11 UTC)
 *
 * Semver allows no leading zeros, so before 10:00 UTC the time part is shorter (20261205.91500.0
 * is 09:15:00): still the right order, as numbers compare. N counts publishes of different content
 * within one second (almost always 0). Any timestamp version sorts after every ordinary semver
 * (its major is 2026…), so a skill that switches strategy keeps its newest version on top.
 * Publishing content that is already registered answers that version (an idempotent re-deploy).
 */
import { AsporaError } from '@aspora/sdk';
import type { SkillRegistry } from '../registry/index.ts';

export function timestampVersion(at: Date, n = 0): string {
  const p = (x: number) => String(x).padStart(2, '0');
  const date = `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}`;
  const time = at.getUTCHours() * 10_000 + at.getUTCMinutes() * 100 + at.getUTCSeconds();
  return `${date}.${time}.${n}`;
}

/** The version this content gets: the registered one with the same digest, else a new timestamp. */
export async function timestampVersionFor(
  registry: Pick<SkillRegistry, 'getSkill'>,
  ref: string,
  digest: string,
  now: Date = new Date(),
): Promise<string> {
  const versions = await registry
    .getSkill(ref)
    .then((d) => d.versions)
    .catch((e: unknown) => {
      if (e instanceof AsporaError && e.code === 'SKILL_NOT_FOUND') return [];
      throw e;
    });
  const same = versions.find((v) => v.digest === digest);
  if (same) return same.version;
  const taken = new Set(versions.map((v) => v.version));
  let n = 0;
  while (taken.has(timestampVersion(now, n))) n++;
  return timestampVersion(now, n);
}
