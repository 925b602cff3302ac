import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it as test } from 'node:test';
import pg from 'pg';
import type { Redis } from 'ioredis';
import { openDb } from '../../db/index.ts';
import type { Db } from '../../db/types.ts';
import { migrate } from '../../db/migrate.ts';
import { PG_URL } from '../../registry/test-support.ts';
import { connectRedis } from '../../redis/connect.ts';
import { REDIS_URL } from '../../rate-limits/test-support.ts';
import { postgres, redis, skipUnless } from '../../../test/tools.ts';
import { RedisBudgetStore } from './redis-store.ts';
import { SqlBudgetStore } from './sql-store.ts';
import type { BudgetStore } from './store.ts';

const P = '2026-12';

interface Harness {
  /** Stores over separate connections (PGlite: one), so concurrent calls really race. */
  stores: BudgetStore[];
  /** Redis backend: a client and the throwaway key prefix. */
  redis?: { client: Redis; prefix: string };
  cleanup(): Promise<void>;
}

interface Backend {
  name: string;
  /** Why the backend is skipped (its server is unreachable), or false. */
  skip: string | false;
  open(): Promise<Harness>;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

const [pgSkip = false, redisSkip = false] = (await Promise.all([postgres(), redis()])).map(
  (need) => skipUnless(need) ?? false,
);

const BACKENDS: Backend[] = [
  {
    name: 'SqlBudgetStore on PGlite',
    skip: false,
    async open() {
      const db = await openDb();
      await migrate(db);
      return { stores: [new SqlBudgetStore(db)], cleanup: () => db.close() };
    },
  },
  {
    name: 'SqlBudgetStore on PostgreSQL',
    skip: pgSkip,
    async open() {
      const schema = `aspora_t_${randomBytes(6).toString('hex')}`;
      const dbs: Db[] = [];
      for (let i = 0; i < 3; i++) dbs.push(await openDb({ url: PG_URL, schema, poolSize: 12 }));
      await migrate(dbs[0]!);
      return {
        stores: dbs.map((db) => new SqlBudgetStore(db)),
        async cleanup() {
          await Promise.all(dbs.map((db) => db.close()));
          const c = new pg.Client({ connectionString: PG_URL });
          await c.connect();
          await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
        },
      };
    },
  },
  {
    name: 'RedisBudgetStore',
    skip: redisSkip,
    async open() {
      const prefix = `aspora:test:${randomBytes(6).toString('hex')}:budget:`;
      const clients = await Promise.all([1, 2, 3].map(() => connectRedis(REDIS_URL)));
      return {
        stores: clients.map((r) => new RedisBudgetStore(r, { prefix })),
        redis: { client: clients[0]!, prefix },
        async cleanup() {
          await deleteKeys(clients[0]!, prefix);
          for (const r of clients) r.disconnect();
        },
      };
    },
  },
];

for (const backend of BACKENDS) {
  describe(`budget store contract (${backend.name})`, () => {
    // Skipped per test (not per suite) so the run's summary counts what did not run.
    const it = (name: string, fn: () => Promise<void>) => test(name, { skip: backend.skip }, fn);
    let h: Harness;
    const store = (i = 0) => h.stores[i % h.stores.length]!;
    before(async () => {
      if (!backend.skip) h = await backend.open();
    });
    after(() => h?.cleanup());

    it('reserves within the limit, up to exactly the limit', async () => {
      assert.deepEqual(await store().reserve('within', P, 0.3, 1), { ok: true, spent: 0, reserved: 0.3 });
      assert.deepEqual(await store().reserve('within', P, 0.7, 1), { ok: true, spent: 0, reserved: 1 });
      assert.deepEqual(await store().get('within', P), { spent: 0, reserved: 1 });
    });

    it('refuses past the limit and reserves nothing', async () => {
      await store().add('past', P, 0.5);
      await store().reserve('past', P, 0.3, 1);
      assert.deepEqual(await store().reserve('past', P, 0.21, 1), { ok: false, spent: 0.5, reserved: 0.3 });
      assert.deepEqual(await store().get('past', P), { spent: 0.5, reserved: 0.3 });
      // A first call that alone exceeds the limit: refused, and no counter appears.
      assert.deepEqual(await store().reserve('past-fresh', P, 2, 1), { ok: false, spent: 0, reserved: 0 });
      assert.deepEqual(await store().get('past-fresh', P), { spent: 0, reserved: 0 });
    });

    it('settles a reservation to a lower actual cost and frees the difference', async () => {
      await store().reserve('lower', P, 0.5, 1);
      assert.deepEqual(await store().settle('lower', P, 0.5, 0.2), { spent: 0.2, reserved: 0 });
      assert.equal((await store().reserve('lower', P, 0.8, 1)).ok, true);
    });

    it('settles a reservation to a higher actual cost', async () => {
      await store().reserve('higher', P, 0.1, 1);
      assert.deepEqual(await store().settle('higher', P, 0.1, 0.25), { spent: 0.25, reserved: 0 });
    });

    it('settles a failed call to 0, and never drives reserved below 0', async () => {
      await store().reserve('failed', P, 0.2, 1);
      assert.deepEqual(await store().settle('failed', P, 0.2, 0), { spent: 0, reserved: 0 });
      await store().reserve('over-release', P, 0.2, 1);
      assert.deepEqual(await store().settle('over-release', P, 5, 0.1), { spent: 0.1, reserved: 0 });
      // Settling with no counter at all (nothing reserved) still records the spend.
      assert.deepEqual(await store().settle('no-row', P, 0.3, 0.1), { spent: 0.1, reserved: 0 });
    });

    it('adds unreserved spend exactly (no float drift)', async () => {
      assert.deepEqual(await store().add('add', P, 0.4), { spent: 0.4, reserved: 0 });
      for (let i = 0; i < 6; i++) await store(i).add('add', P, 0.1);
      assert.deepEqual(await store().get('add', P), { spent: 1, reserved: 0 });
    });

    it('keeps periods and keys apart', async () => {
      await store().add('team-a', '2026-11', 0.9);
      assert.equal((await store().reserve('team-a', '2026-12', 0.9, 1)).ok, true);
      assert.equal((await store().reserve('team-b', '2026-11', 0.9, 1)).ok, true);
      assert.deepEqual(await store().get('team-a', '2026-11'), { spent: 0.9, reserved: 0 });
      assert.deepEqual(await store().get('team-a', '2026-12'), { spent: 0, reserved: 0.9 });
      assert.deepEqual(await store().get('team-b', '2026-11'), { spent: 0, reserved: 0.9 });
      assert.deepEqual(await store().get('team-b', '2026-12'), { spent: 0, reserved: 0 });
    });

    it('rejects negative and non-finite amounts', async () => {
      for (const call of [
        () => store().reserve('bad', P, -0.01, 1),
        () => store().reserve('bad', P, 0.01, Number.POSITIVE_INFINITY),
        () => store().settle('bad', P, 0, Number.NaN),
        () => store().add('bad', P, -1),
      ]) {
        await assert.rejects(call, { code: 'BAD_REQUEST' });
      }
    });

    // The key property: at most the limit, however many calls race for the last cents.
    const L = 20;
    const concurrentCalls = (key: string, actual: number) =>
      Promise.all(
        Array.from({ length: 64 }, async (_, i) => {
          const r = await store(i).reserve(key, P, 0.01, L);
          if (r.ok) await store(i + 1).settle(key, P, 0.01, actual);
          return r.ok;
        }),
      );

    it('64 concurrent reservations for the last 0.05 → exactly 5 succeed', async () => {
      await store().add('race-reserve', P, L - 0.05);
      const ok = await Promise.all(Array.from({ length: 64 }, (_, i) => store(i).reserve('race-reserve', P, 0.01, L)));
      assert.equal(ok.filter((r) => r.ok).length, 5);
      assert.deepEqual(await store().get('race-reserve', P), { spent: L - 0.05, reserved: 0.05 });
    });

    it('64 concurrent reserve-then-settle calls for the last 0.05 → exactly 5, spent ends at the limit', async () => {
      await store().add('race-settle', P, L - 0.05);
      const ok = await concurrentCalls('race-settle', 0.01);
      assert.equal(ok.filter(Boolean).length, 5);
      const { spent, reserved } = await store().get('race-settle', P);
      assert.ok(spent <= L + 0.01, `spent ${spent} > limit + one call`);
      assert.equal(spent, L);
      assert.equal(reserved, 0);
    });

    it('calls that cost more than reserved overspend by at most their own overrun', async () => {
      // One after another: the last admitted call is the only one that can end past the limit.
      await store().add('overrun-seq', P, L - 0.05);
      let admitted = 0;
      for (let i = 0; i < 20; i++) {
        const r = await store(i).reserve('overrun-seq', P, 0.01, L);
        if (!r.ok) continue;
        admitted++;
        await store(i).settle('overrun-seq', P, 0.01, 0.03);
      }
      const seq = await store().get('overrun-seq', P);
      assert.equal(admitted, 2); // 19.95 → 19.98 → 20.01, then every reservation is refused
      assert.ok(seq.spent > L && seq.spent <= L + 0.03 - 0.01 + 1e-9, `spent ${seq.spent}`);

      // Racing: each admitted call fitted under the limit when reserved, so the overspend is
      // bounded by one overrun per call in flight, and nothing is admitted once spent ≥ limit.
      await store().add('overrun-race', P, L - 0.05);
      const ok = (await concurrentCalls('overrun-race', 0.03)).filter(Boolean).length;
      assert.ok(ok >= 2 && ok <= 5, `${ok} admitted`);
      const race = await store().get('overrun-race', P);
      assert.ok(Math.abs(race.spent - (L - 0.05 + ok * 0.03)) < 1e-9, `spent ${race.spent} for ${ok} calls`);
      assert.ok(race.spent <= L + ok * (0.03 - 0.01) + 1e-9);
      assert.equal(race.reserved, 0);
      assert.equal((await store().reserve('overrun-race', P, 0.01, L)).ok, false);
    });

    if (backend.name === 'RedisBudgetStore') {
      it('keeps each key+period in one hash that expires ~40 days after its last change', async () => {
        await store().reserve('ttl', P, 0.1, 1);
        const { client, prefix } = h.redis!;
        const key = `${prefix}${P}:ttl`;
        assert.deepEqual(await client.hgetall(key), { reserved: '100000' }); // integer micro-dollars
        const ttl = await client.ttl(key);
        assert.ok(ttl > 39 * 86_400 && ttl <= 40 * 86_400, `ttl ${ttl}`);
      });
    }
  });
}
