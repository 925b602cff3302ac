import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openPglite } from './pglite.ts';
import { pgCode } from './sqlstate.ts';
import type { Db } from './types.ts';

describe('PGlite on its own thread', () => {
  let db: Db;
  before(async () => {
    db = await openPglite(undefined, 'thread_test');
    await db.exec('CREATE TABLE t (k text PRIMARY KEY, v int NOT NULL, at timestamptz, doc jsonb, raw bytea)');
  });
  after(() => db.close());

  it('returns rows with their types: numbers, timestamps, json, bytes, nulls', async () => {
    const at = new Date('2026-02-16T10:00:00.000Z');
    await db.query('INSERT INTO t (k, v, at, doc, raw) VALUES ($1, $2, $3, $4, $5)', [
      'a',
      7,
      at,
      JSON.stringify({ x: [1, 'y'] }),
      new Uint8Array([1, 2, 3]),
    ]);
    const [row] = await db.query<{ k: string; v: number; at: Date; doc: unknown; raw: Uint8Array; none: null }>(
      'SELECT *, NULL AS none FROM t WHERE k = $1',
      ['a'],
    );
    assert.equal(row!.v, 7);
    assert.ok(row!.at instanceof Date && row!.at.getTime() === at.getTime());
    assert.deepEqual(row!.doc, { x: [1, 'y'] });
    assert.deepEqual([...row!.raw], [1, 2, 3]);
    assert.equal(row!.none, null);
  });

  it('gives SQL errors their SQLSTATE and fields, and a stack from the caller', async () => {
    const err = await db.query("INSERT INTO t (k, v) VALUES ('a', 1)").then(
      () => undefined,
      (e: unknown) => e as Error & { constraint?: string; table?: string },
    );
    assert.ok(err instanceof Error);
    assert.equal(pgCode(err), '23505');
    assert.equal(err.constraint, 't_pkey');
    assert.equal(err.table, 't');
    assert.match(err.message, /duplicate key/);
    // The connection goes on serving after an error.
    assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t'))[0]!.n, 1);
  });

  it('a statement outside a transaction waits for it, so it never sees or joins its writes', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await t.query("INSERT INTO t (k, v) VALUES ('tx', 1)");
      await held;
      await t.query("UPDATE t SET v = 2 WHERE k = 'tx'");
      // Nested calls reuse the open transaction.
      await t.transaction((n) => n.query("UPDATE t SET v = v + 1 WHERE k = 'tx'"));
      return 'done';
    });
    const outside = db.query<{ v: number }>("SELECT v FROM t WHERE k = 'tx'");
    let outsideDone = false;
    void outside.then(() => (outsideDone = true));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(outsideDone, false, 'the outside statement ran inside the open transaction');
    release();
    assert.equal(await tx, 'done');
    assert.deepEqual(await outside, [{ v: 3 }]);
  });

  it('rolls back when the callback throws, and passes its error on', async () => {
    const boom = new Error('handler failed');
    await assert.rejects(
      db.transaction(async (t) => {
        await t.query("INSERT INTO t (k, v) VALUES ('gone', 1)");
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.deepEqual(await db.query("SELECT k FROM t WHERE k = 'gone'"), []);
  });

  it('a commit that fails (deferred constraint) rejects, and nothing of it stays', async () => {
    await db.exec('CREATE TABLE d (id int PRIMARY KEY, parent int REFERENCES d (id) DEFERRABLE INITIALLY DEFERRED)');
    const err = await db
      .transaction((t) => t.query('INSERT INTO d VALUES (1, 99)'))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.equal(pgCode(err), '23503');
    assert.deepEqual(await db.query('SELECT * FROM d'), []);
  });

  it('keeps many concurrent transactions and statements apart', async () => {
    await db.exec('CREATE TABLE c (n int NOT NULL)');
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2
          ? db.transaction(async (t) => {
              const [{ s }] = (await t.query<{ s: number }>('SELECT coalesce(sum(n), 0)::int AS s FROM c')) as [
                { s: number },
              ];
              await t.query('INSERT INTO c VALUES ($1)', [s + 1]);
            })
          : db.query('INSERT INTO c VALUES (0)'),
      ),
    );
    const rows = await db.query<{ n: number }>('SELECT n FROM c WHERE n > 0 ORDER BY n');
    // Serialized: each transaction saw the previous one's row, so its sum grew.
    assert.equal(rows.length, 25);
    assert.equal(new Set(rows.map((r) => r.n)).size, 25);
  });
});

describe('PGlite thread lifecycle', () => {
  it('persists to its data directory across close and reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aspora-pglite-'));
    try {
      const a = await openPglite(dir, undefined);
      await a.exec("CREATE TABLE keep (v text); INSERT INTO keep VALUES ('kept')");
      await a.close();
      const b = await openPglite(dir, undefined);
      assert.deepEqual(await b.query('SELECT v FROM keep'), [{ v: 'kept' }]);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an idle open database does not keep the process alive', () => {
    const mod = fileURLToPath(new URL('./pglite.ts', import.meta.url));
    const script = `const { openPglite } = await import(${JSON.stringify(mod)}); const db = await openPglite(undefined, undefined); console.log(JSON.stringify(await db.query('SELECT 1 AS one')));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '[{"one":1}]');
  });

  it('after close, calls fail with a clear UNAVAILABLE error', async () => {
    const db = await openPglite(undefined, undefined);
    await db.close();
    const err = await db.query('SELECT 1').then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    assert.equal(err?.code, 'UNAVAILABLE');
    assert.match(err!.message, /embedded database thread exited/);
  });
});
