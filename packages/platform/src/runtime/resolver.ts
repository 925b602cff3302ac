/**
 * Which version runs: the registry's answer for (ref, environment | version), cached briefly so
 * that hot skills do not cost five queries per execution. A pinned version never changes and is
 * kept until evicted; an environment pointer is re-read after `ttlMs`, and at once when this
 * process deploys or rolls back the skill.
 */
import type { LoadedSkill, SkillRegistry } from '../registry/index.ts';

const MAX_ENTRIES = 2_000;

export class SkillResolver {
  readonly #cache = new Map<string, { at: number; pinned: boolean; value: Promise<LoadedSkill> }>();

  constructor(
    private readonly registry: SkillRegistry,
    private readonly ttlMs = 1_000,
  ) {
    registry.onEnvironmentChange((ref) => this.invalidate(ref));
  }

  load(ref: string, target: { environment?: string; version?: string }): Promise<LoadedSkill> {
    const key = `${ref}|${target.version ? `@${target.version}` : (target.environment ?? '')}`;
    const hit = this.#cache.get(key);
    const now = Date.now();
    if (hit && (hit.pinned || now - hit.at < this.ttlMs)) return hit.value;
    const value = this.registry.loadSkill(
      ref,
      target.version ? { version: target.version } : target.environment ? { environment: target.environment } : {},
    );
    if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, { at: now, pinned: !!target.version, value });
    value.catch(() => this.#cache.delete(key));
    return value;
  }

  invalidate(ref: string): void {
    for (const [key, e] of this.#cache) {
      if (e.pinned) continue;
      const name = key.slice(0, key.indexOf('|'));
      // Keys hold the ref as asked for (domain/name or domain/role/name): compare domain and name.
      const parts = name.split('/');
      if (`${parts[0]}/${parts[parts.length - 1]}` === ref) this.#cache.delete(key);
    }
  }
}
