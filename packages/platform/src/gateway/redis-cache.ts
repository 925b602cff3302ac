/** The response cache in Redis (REDIS_URL): every platform process sees the same answers. */
import type { Redis } from 'ioredis';
import type { CachedAnswer, ResponseCache } from './cache.ts';

export class RedisResponseCache implements ResponseCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'aspora:cache:',
  ) {}

  async get(key: string): Promise<CachedAnswer | undefined> {
    const v = await this.redis.get(this.prefix + key);
    return v ? (JSON.parse(v) as CachedAnswer) : undefined;
  }

  async set(key: string, value: CachedAnswer, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'EX', ttlSeconds);
  }
}
