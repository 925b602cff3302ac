import { AsporaError } from './errors.ts';

/** Resource caps for a bundle; checked by the packer (fail early on the client) and by unpack (the server gate). */
export interface BundleLimits {
  /** Size of the .tar.gz as uploaded. */
  maxCompressedBytes: number;
  /** Size of the inflated tar stream (file data plus tar headers/padding) — what the server actually processes. */
  maxUncompressedBytes: number;
  /** Number of regular files. */
  maxFiles: number;
  /** Size of any single file. */
  maxFileBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_BUNDLE_LIMITS: Readonly<BundleLimits> = Object.freeze({
  maxCompressedBytes: 20 * MiB,
  maxUncompressedBytes: 100 * MiB,
  maxFiles: 5000,
  maxFileBytes: 25 * MiB,
});

export function resolveLimits(partial?: Partial<BundleLimits>): BundleLimits {
  const out = { ...DEFAULT_BUNDLE_LIMITS };
  for (const key of Object.keys(out) as (keyof BundleLimits)[]) {
    const v = partial?.[key];
    if (v !== undefined) {
      if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`bundle limit ${key} must be a non-negative integer`);
      out[key] = v;
    }
  }
  return out;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / MiB).toFixed(1)} MiB`;
}

/**
 * BUNDLE_TOO_LARGE naming the limit and the size seen. `atLeast` marks sizes measured when we stopped
 * early (a gzip bomb is never inflated to its full size, so we only know a lower bound).
 */
export function tooLarge(
  limit: keyof BundleLimits,
  actual: number,
  max: number,
  opts: { subject?: string; atLeast?: boolean } = {},
): AsporaError {
  const isCount = limit === 'maxFiles';
  const fmt = (n: number) => (isCount ? `${n} file${n === 1 ? '' : 's'}` : formatBytes(n));
  const subject = opts.subject ?? 'bundle';
  const size = `${opts.atLeast ? 'at least ' : ''}${fmt(actual)}`;
  return new AsporaError('BUNDLE_TOO_LARGE', `${subject} exceeds ${limit}: ${size} (limit ${fmt(max)})`, {
    hint: isCount
      ? 'remove files the skill does not need, or list them in .asporaignore'
      : 'shrink or remove large files (list build outputs and data in .asporaignore), or fetch large assets at run time',
    details: { limit, max, actual, ...(opts.atLeast ? { atLeast: true } : {}), ...(opts.subject ? { subject } : {}) },
  });
}
