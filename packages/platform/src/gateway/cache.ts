/**
 * The response cache: a model answer kept for `ttl` under a key made of the skill and a hash of
 * the normalised request (the `cache_keys` of the platform configuration), so the same question of the same skill is not
 * paid for twice. Only answers at temperature 0 are cached unless the skill opts in
 * (model.cache_responses); streamed calls are not cached. In process by default; Redis when
 * REDIS_URL is set, so every platform process shares it.
 */
import { createHash } from 'node:crypto';
import type { WireChat, WireResponse } from './wire.ts';

export interface CachedAnswer {
  response: WireResponse;
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
}

export interface ResponseCache {
  get(key: string): Promise<CachedAnswer | undefined>;
  set(key: string, value: CachedAnswer, ttlSeconds: number): Promise<void>;
}

export class MemoryResponseCache implements ResponseCache {
  readonly #entries = new Map<string, { value: CachedAnswer; until: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<CachedAnswer | undefined> {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    // Most recently used last: eviction takes from the front.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  async set(key: string, value: CachedAnswer, ttlSeconds: number): Promise<void> {
    this.#entries.delete(key);
    this.#entries.set(key, { value, until: this.now() + ttlSeconds * 1000 });
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

/** Fields that change an answer; ordering of keys does not. */
const ANSWER_FIELDS = [
  'messages',
  'temperature',
  'max_tokens',
  'max_completion_tokens',
  'tools',
  'tool_choice',
  'response_format',
  'top_p',
  'stop',
  'seed',
  'n',
];

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** `cache_keys` picks what the key is made of: skill_id, user_input_hash (the request), model. */
export function cacheKey(body: WireChat, parts: { skill: string; model: string; keys: readonly string[] }): string {
  const h = createHash('sha256');
  if (parts.keys.includes('skill_id')) h.update(`skill\0${parts.skill}\0`);
  if (parts.keys.includes('model')) h.update(`model\0${parts.model}\0`);
  if (parts.keys.includes('user_input_hash'))
    h.update(
      JSON.stringify(
        canonical(Object.fromEntries(ANSWER_FIELDS.filter((f) => body[f] !== undefined).map((f) => [f, body[f]]))),
      ),
    );
  return h.digest('hex');
}
