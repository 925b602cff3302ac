/** The warm pool's rules, with stand-in workers (the pool never looks inside one). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool, type PooledWorker } from './pool.ts';

class Fake implements PooledWorker {
  static started = 0;
  alive = true;
  stopped = false;
  lastUsed = Date.now();
  readonly n = ++Fake.started;
  constructor(
    readonly key: string,
    readonly memoryMb = 100,
  ) {}
  shutdown() {
    this.alive = false;
    this.stopped = true;
  }
  kill() {
    this.alive = false;
  }
}

const limits = { maxWorkers: 2, maxMemoryMb: 1000, maxIdlePerVersion: 2, idleTimeoutMs: 60_000, queueTimeoutMs: 500 };
const start =
  (key: string, mb = 100) =>
  async () =>
    new Fake(key, mb);

test('an idle worker serves the next execution of its own version only', async () => {
  const pool = new WorkerPool<Fake>(limits);
  const a = await pool.acquire('v1', 100, start('v1'));
  pool.release(a);
  assert.equal(await pool.acquire('v1', 100, start('v1')), a, 'warm');
  const b = await pool.acquire('v2', 100, start('v2'));
  assert.notEqual(b, a, 'another version never gets it');
  pool.close();
});

test('at the worker cap the least recently used idle worker of another version makes room', async () => {
  const pool = new WorkerPool<Fake>(limits);
  const a = await pool.acquire('v1', 100, start('v1'));
  const b = await pool.acquire('v2', 100, start('v2'));
  pool.release(a);
  pool.release(b);
  const c = await pool.acquire('v3', 100, start('v3'));
  assert.equal(a.stopped, true, 'oldest idle evicted');
  assert.equal(b.stopped, false);
  assert.equal(pool.size, 2);
  pool.release(c);
  pool.close();
});

test('when every worker is busy a request waits in line and gets the next free one', async () => {
  const pool = new WorkerPool<Fake>(limits);
  const a = await pool.acquire('v1', 100, start('v1'));
  const b = await pool.acquire('v2', 100, start('v2'));
  const waiting = pool.acquire('v1', 100, start('v1'));
  assert.equal(pool.waiting, 1);
  pool.release(a);
  assert.equal(await waiting, a, 'handed over directly, same version');
  // A waiter for another version: a released worker is stopped to make room for a new one.
  const other = pool.acquire('v3', 100, start('v3'));
  pool.release(b);
  const w = await other;
  assert.equal(w.key, 'v3');
  assert.equal(b.stopped, true);
  await assert.rejects(pool.acquire('v4', 100, start('v4')), /no worker became free within 500 ms/);
  pool.close();
});

test('declared memory is capped: a skill asking for more than the platform allows is refused at once', async () => {
  const pool = new WorkerPool<Fake>({ ...limits, maxWorkers: 10, maxMemoryMb: 300 });
  const a = await pool.acquire('v1', 200, start('v1', 200));
  await assert.rejects(pool.acquire('v9', 400, start('v9', 400)), /asks for 400 MB .* allows 300 MB/);
  const b = pool.acquire('v2', 200, start('v2', 200)); // 200 + 200 > 300: waits
  assert.equal(pool.waiting, 1);
  pool.release(a); // idle a is evicted for b
  assert.equal((await b).key, 'v2');
  assert.equal(pool.memoryMb, 200);
  pool.close();
});

test('a worker that died is dropped, and a failed start frees its slot', async () => {
  const pool = new WorkerPool<Fake>(limits);
  const a = await pool.acquire('v1', 100, start('v1'));
  a.alive = false;
  pool.release(a);
  assert.equal(pool.size, 0);
  await assert.rejects(
    pool.acquire('v1', 100, async () => {
      throw new Error('no start');
    }),
    /no start/,
  );
  assert.equal(pool.size, 0);
  pool.close();
});

test('idle workers beyond the per-version cap are kept while needed, then trimmed', async () => {
  const pool = new WorkerPool<Fake>({ ...limits, maxWorkers: 5, maxIdlePerVersion: 1, trimAfterMs: 1000 });
  const a = await pool.acquire('v1', 100, start('v1'));
  const b = await pool.acquire('v1', 100, start('v1'));
  pool.release(a);
  pool.release(b);
  pool.sweep();
  assert.equal(pool.idle, 2, 'steady load keeps both warm');
  pool.sweep(Date.now() + 1500);
  assert.equal(pool.idle, 1, 'after a quiet second the extra one goes');
  assert.equal(a.stopped, true, 'the least recently used one');
  assert.equal(b.stopped, false);
  pool.close();
});

test('idle workers are stopped after the idle timeout', async () => {
  const pool = new WorkerPool<Fake>({ ...limits, idleTimeoutMs: 10_000 });
  const a = await pool.acquire('v1', 100, start('v1'));
  pool.release(a);
  pool.sweep(Date.now() + 11_000);
  assert.equal(a.stopped, true);
  assert.equal(pool.size, 0);
  pool.close();
});
