import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it as test } from 'node:test';
import type { Redis } from 'ioredis';
import { MemoryRateLimiter, type RateLimiter } from './rate-limiter.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';
import { connectRedis } from '../redis/connect.ts';
import { REDIS_URL } from './test-support.ts';
import { redis, skipUnless } from '../../test/tools.ts';

interface Harness {
  /** A limiter on `now` (several over separate connections for Redis, so hits really race). */
  make(now?: () => number): RateLimiter[];
  redis?: { client: Redis; prefix: string };
  cleanup(): Promise<void>;
}

interface Backend {
  name: string;
  skip: string | false;
  open(): Promise<Harness>;
}

const BACKENDS: Backend[] = [
  {
    name: 'MemoryRateLimiter',
    skip: false,
    async open() {
      return { make: (now) => [new MemoryRateLimiter(now)], cleanup: async () => {} };
    },
  },
  {
    name: 'RedisRateLimiter',
    skip: skipUnless(await redis()) ?? false,
    async open() {
      const prefix = `aspora:test:${randomBytes(6).toString('hex')}:rl:`;
      const clients = await Promise.all([1, 2, 3].map(() => connectRedis(REDIS_URL)));
      return {
        make: (now) => clients.map((r) => new RedisRateLimiter(r, { prefix, ...(now ? { now } : {}) })),
        redis: { client: clients[0]!, prefix },
        async cleanup() {
          const keys = await clients[0]!.keys(`${prefix}*`);
          if (keys.length) await clients[0]!.del(...keys);
          for (const r of clients) r.disconnect();
        },
      };
    },
  },
];

const W = 1000;
/** 250 ms into a window: it ends in 750 ms. */
const T0 = 1_800_000_000_000 + 250;

for (const backend of BACKENDS) {
  describe(`rate limiter contract (${backend.name})`, () => {
    // Skipped per test (not per suite) so the run's summary counts what did not run.
    const it = (name: string, fn: () => Promise<void>) => test(name, { skip: backend.skip }, fn);
    let h: Harness;
    before(async () => {
      if (!backend.skip) h = await backend.open();
    });
    after(() => h?.cleanup());

    /** One limiter (the first connection) on a settable clock. */
    const clocked = (t: number) => {
      const clock = { t };
      return { clock, rl: h.make(() => clock.t)[0]! };
    };

    it('allows `limit` hits, then refuses until the window ends; a refused hit does not count', async () => {
      const { rl } = clocked(T0);
      for (let i = 1; i <= 3; i++)
        assert.deepEqual(await rl.hit('n', 3, W), { allowed: true, count: i, limit: 3, retryAfterMs: 750 });
      for (let i = 0; i < 3; i++)
        assert.deepEqual(await rl.hit('n', 3, W), { allowed: false, count: 3, limit: 3, retryAfterMs: 750 });
    });

    it('keeps a window per key and per window size', async () => {
      const { rl } = clocked(T0);
      assert.equal((await rl.hit('k1', 1, W)).allowed, true);
      assert.equal((await rl.hit('k1', 1, W)).allowed, false);
      assert.deepEqual(await rl.hit('k2', 1, W), { allowed: true, count: 1, limit: 1, retryAfterMs: 750 });
      assert.deepEqual(await rl.hit('k1', 1, 60_000), {
        allowed: true,
        count: 1,
        limit: 1,
        retryAfterMs: 60_000 - 250,
      });
    });

    it('starts a new, clock-aligned window at the boundary', async () => {
      const { clock, rl } = clocked(T0);
      await rl.hit('b', 2, W);
      await rl.hit('b', 2, W);
      clock.t = T0 + 749; // last millisecond of the window
      assert.deepEqual(await rl.hit('b', 2, W), { allowed: false, count: 2, limit: 2, retryAfterMs: 1 });
      clock.t = T0 + 750; // the next window's first
      assert.deepEqual(await rl.hit('b', 2, W), { allowed: true, count: 1, limit: 2, retryAfterMs: W });
    });

    it('refuses everything with a limit of 0', async () => {
      const { rl } = clocked(T0);
      assert.deepEqual(await rl.hit('zero', 0, W), { allowed: false, count: 0, limit: 0, retryAfterMs: 750 });
    });

    it('200 concurrent hits against a limit of 50 allow exactly 50', async () => {
      const rls = h.make(() => T0);
      const out = await Promise.all(Array.from({ length: 200 }, (_, i) => rls[i % rls.length]!.hit('burst', 50, W)));
      const allowed = out.filter((d) => d.allowed);
      assert.equal(allowed.length, 50);
      assert.deepEqual(
        allowed.map((d) => d.count).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.ok(out.filter((d) => !d.allowed).every((d) => d.count === 50 && d.retryAfterMs === 750));
    });

    it('on the real clock, a full window opens again after retryAfterMs', async () => {
      const [rl] = h.make();
      // Hit until refused: two hits in one window (a hit may fall just before a boundary).
      let refused = await rl!.hit('real', 1, 200);
      while (refused.allowed) refused = await rl!.hit('real', 1, 200);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 200);
      await sleep(refused.retryAfterMs + 5);
      assert.equal((await rl!.hit('real', 1, 200)).allowed, true);
    });

    if (backend.name === 'RedisRateLimiter') {
      it('keeps one counter key per window, expiring shortly after the window ends', async () => {
        const { client, prefix } = h.redis!;
        const { rl } = clocked(T0);
        await rl.hit('ttl', 5, W);
        await rl.hit('ttl', 5, W);
        const key = `${prefix}${W}:${T0 - 250}:ttl`;
        assert.equal(await client.get(key), '2');
        const pttl = await client.pttl(key);
        assert.ok(pttl > 750 && pttl <= 750 + 5_000, `pttl ${pttl}`);
      });

      it('rejects a limit or window that is not a whole number', async () => {
        const { rl } = clocked(T0);
        await assert.rejects(rl.hit('bad', 1.5, W), { code: 'BAD_REQUEST' });
        await assert.rejects(rl.hit('bad', 1, 0), { code: 'BAD_REQUEST' });
      });
    }
  });
}

describe('connectRedis', () => {
  test('turns an unreachable server into UNAVAILABLE without leaking the password', async () => {
    await assert.rejects(
      connectRedis('redis://user:s3cret@127.0.0.1:1'),
      (err: Error & { code?: string; hint?: string }) => {
        assert.equal(err.code, 'UNAVAILABLE');
        assert.match(err.message, /^cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1: /);
        assert.doesNotMatch(err.message, /s3cret/);
        assert.equal(err.hint, 'start Redis or unset REDIS_URL');
        return true;
      },
    );
  });
});
