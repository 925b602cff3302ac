/** Durations ("30s", "2m", "500ms", "1h", "2d") and sizes ("512MB", "2GB", "256Mi") as written in aspora.config.yaml. */
export const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
export const SIZE_RE = /^(\d+(?:\.\d+)?)(KB|MB|GB|Ki|Mi|Gi)$/;

const durationFactor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const sizeFactorMb = { KB: 1 / 1000, MB: 1, GB: 1000, Ki: 1 / 1024, Mi: 1, Gi: 1024 } as const;

export function parseDurationMs(text: string): number {
  const m = DURATION_RE.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Math.round(Number(m[1]) * durationFactor[m[2] as keyof typeof durationFactor]);
}

/** Megabytes (decimal MB and binary Mi are both treated as the unit the runtime caps in). */
export function parseSizeMb(text: string): number {
  const m = SIZE_RE.exec(text);
  if (!m) throw new Error(`not a size: ${text}`);
  return Math.max(1, Math.round(Number(m[1]) * sizeFactorMb[m[2] as keyof typeof sizeFactorMb]));
}
