/**
 * The filesystem as a handler sees it, and where each visible path lives on the host:
 *   /skill/…    its own bundle (relative paths resolve here), read-only
 *   /shared/…   its domain's shared folder, only what the resource rules allow, read-only
 *   /scratch/…  a private writable folder, emptied after every execution
 * Everything else does not exist for the handler. Paths are normalised (`..`, `.`, `//`) before
 * any rule sees them, and host paths are checked again after symlinks are resolved.
 */
import { realpath } from 'node:fs/promises';
import { posix, sep } from 'node:path';

export type Area = 'skill' | 'shared' | 'scratch';

export interface SkillView {
  /** Host folder of the unpacked bundle. */
  bundleDir: string;
  /** Host folder of the domain's shared resources (`<shared root>/<domain>/shared`), if any. */
  sharedDir?: string;
  /** Host folder backing /scratch. */
  scratchDir: string;
  /** Bytes the host-side Write tool may still write in this execution. */
  writeBudget?: { bytes: number };
  /** Writes of this execution still under way: the reset after it waits for them (a handler may return without awaiting one). */
  writes?: Set<Promise<unknown>>;
}

export interface VisiblePath {
  /** Normalised in-sandbox path, e.g. /shared/queries/stuck.sql */
  path: string;
  area: Area;
  /** Path below the area root, e.g. queries/stuck.sql ('' for the root itself). */
  rel: string;
}

const ROOTS: Record<Area, string> = { skill: '/skill', shared: '/shared', scratch: '/scratch' };

/** Normalises a handler-supplied path; relative paths are relative to /skill. Null when outside every area. */
export function toVisible(input: string): VisiblePath | null {
  if (typeof input !== 'string' || input.length === 0 || input.includes('\0')) return null;
  const abs = posix.normalize(input.startsWith('/') ? input : posix.join('/skill', input));
  for (const area of Object.keys(ROOTS) as Area[]) {
    const root = ROOTS[area];
    if (abs === root || abs === `${root}/`) return { path: root, area, rel: '' };
    if (abs.startsWith(`${root}/`))
      return { path: abs.replace(/\/$/, ''), area, rel: abs.slice(root.length + 1).replace(/\/$/, '') };
  }
  return null;
}

export function hostDir(view: SkillView, area: Area): string | undefined {
  return area === 'skill' ? view.bundleDir : area === 'shared' ? view.sharedDir : view.scratchDir;
}

/**
 * The host path behind a visible path, with symlinks resolved and proven to stay inside the
 * area's host folder. Returns null when it escapes or the area has no backing folder.
 * `mustExist: false` resolves the parent instead (for files about to be written).
 */
export async function toHost(view: SkillView, v: VisiblePath, mustExist = true): Promise<string | null> {
  const base = hostDir(view, v.area);
  if (!base) return null;
  const realBase = await realpath(base);
  const joined = v.rel ? `${realBase}${sep}${v.rel.split('/').join(sep)}` : realBase;
  let real: string;
  try {
    real = mustExist
      ? await realpath(joined)
      : `${await realpath(posix.dirname(joined))}${sep}${posix.basename(joined)}`;
  } catch {
    return mustExist ? joined : null; // absent: the caller reports NOT_FOUND after the rules pass
  }
  return real === realBase || real.startsWith(`${realBase}${sep}`) ? real : null;
}
