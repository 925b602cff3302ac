/**
 * The runtime's question "which version runs this execution?" for an environment with a release
 * in flight. The open release of each (ref, environment) is cached for at most `ttlMs` (1 s): two
 * processes agree within a second, the database being the truth; this process's own changes
 * (the registry's announce and environment changes) drop the entry at once. A cached answer
 * costs one map lookup and one hash: no query per execution.
 */
import type { EnvironmentName } from '../registry/types.ts';
import { bucketOf, inCanary, splitKey } from './split.ts';
import type { OpenRelease, ReleaseChoice, ReleaseRouting } from './types.ts';

const MAX_ENTRIES = 2_000;

export interface OpenReleaseSource {
  open(ref: string, environment: EnvironmentName): Promise<OpenRelease | null>;
}

export class ReleaseRouter implements ReleaseRouting {
  readonly #cache = new Map<string, { at: number; value: Promise<OpenRelease | null> }>();

  constructor(
    private readonly source: OpenReleaseSource,
    private readonly ttlMs = 1_000,
    /** registry.onEnvironmentChange: a change this process makes is seen at once. */
    onChange?: (listener: (ref: string) => void) => void,
  ) {
    onChange?.((ref) => this.invalidate(ref));
  }

  async choose(ref: string, environment: EnvironmentName, key: string | null): Promise<ReleaseChoice | null> {
    const r = await this.open(ref, environment);
    if (!r) return null;
    // Shadow (and a proposed shadow): every execution is stable's; the candidate runs beside it.
    if (r.mode === 'shadow') {
      return {
        releaseId: r.id,
        version: r.stableVersion,
        variant: 'stable',
        ...(r.shadow ? { shadow: { version: r.canaryVersion, settings: r.shadow } } : {}),
      };
    }
    const canary = inCanary(bucketOf(r.id, key), r.percentage);
    return canary
      ? { releaseId: r.id, version: r.canaryVersion, variant: 'canary' }
      : { releaseId: r.id, version: r.stableVersion, variant: 'stable' };
  }

  /** The open release as cached (≤ ttlMs old). */
  open(ref: string, environment: EnvironmentName): Promise<OpenRelease | null> {
    const k = `${ref}|${environment}`;
    const now = Date.now();
    const hit = this.#cache.get(k);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = this.source.open(ref, environment);
    if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(k, { at: now, value });
    value.catch(() => this.#cache.delete(k));
    return value;
  }

  invalidate(ref: string): void {
    for (const k of this.#cache.keys()) if (k.slice(0, k.indexOf('|')) === ref) this.#cache.delete(k);
  }
}

/**
 * The runtime's hook: the release choice for a run of an environment (null for a pinned version,
 * a shadow run, or nothing in flight). The key keeps a person on one side during a step.
 */
export function chooseForRun(
  routing: ReleaseRouting,
  ref: string,
  req: {
    version?: string | undefined;
    environment?: EnvironmentName | undefined;
    shadowOf?: unknown;
    user?: { email: string } | undefined;
    caller?: string | undefined;
    input?: Record<string, unknown>;
  },
): Promise<ReleaseChoice | null> | null {
  if (req.version || req.shadowOf) return null;
  return routing.choose(ref, req.environment ?? 'production', splitKey(req));
}
