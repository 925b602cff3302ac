/**
 * The audit log on PGlite and PostgreSQL: one unbroken chain, append-only tables, and verify()
 * naming the entry that was edited, removed or inserted by someone who got past the triggers.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it as test } from 'node:test';
import { AsporaError } from '@aspora/sdk';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/types.ts';
import type { Logger } from '../observe/logger.ts';
import { createLogger } from '../observe/logger.ts';
import { entryHash, LIMITS } from './entry.ts';
import { AuditLog } from './log.ts';
import { dbBackends } from '../../test/db-backends.ts';

const silent = createLogger('silent');

const backends = dbBackends;

/** What only someone who can disable the table's triggers (its owner, a superuser) can do. */
async function tamper(db: Db, ...sql: string[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    for (const s of sql) await tx.query(s);
    await tx.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
  });
}

const entry = (i: number) => ({
  actor: i % 2 ? 'sarah@example.com' : 'service:ecm-ops/slack',
  action: i % 3 ? 'skill.deploy' : 'access.denied',
  target: `fraud/skill-${i}@production`,
  outcome: i % 3 ? ('ok' as const) : ('denied' as const),
  details: { version: `1.0.${i}`, i },
});

for (const b of backends) {
  describe(`audit log (${b.name})`, { skip: b.skip }, () => {
    let db: Db;
    let drop: () => Promise<void>;
    let another: (() => Promise<Db>) | undefined;
    let audit: AuditLog;
    before(async () => {
      ({ db, drop, another } = await b.open());
      await migrate(db);
    });
    after(async () => {
      await db.close();
      await drop();
    });
    // Each test starts from an empty chain.
    beforeEach(async () => {
      await tamper(db, 'DELETE FROM audit_log');
      audit = new AuditLog(db, silent);
    });
    const fill = async (n: number) => {
      for (let i = 1; i <= n; i++) await audit.record(entry(i));
    };

    test('entries form one chain from seq 1, each linked to the one before; verify holds and gives the head', async () => {
      const first = await audit.record(entry(1));
      assert.equal(first.seq, 1);
      // Recorded together: written in one batch, still one entry each, in order.
      const more = await Promise.all([2, 3, 4, 5, 6].map((i) => audit.record(entry(i))));
      assert.deepEqual(
        more.map((e) => e.seq),
        [2, 3, 4, 5, 6],
      );
      const rows = await db.query<{ seq: string | number; prev_hash: string; hash: string }>(
        'SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq',
      );
      assert.equal(rows.length, 6);
      for (let i = 1; i < rows.length; i++) assert.equal(rows[i]!.prev_hash, rows[i - 1]!.hash);
      assert.equal(rows[0]!.prev_hash, '0'.repeat(64));
      assert.deepEqual(await audit.verify(), {
        ok: true,
        entries: 6,
        broken: null,
        head: { seq: 6, hash: more.at(-1)!.hash },
      });
    });

    test('an empty log verifies, with no head', async () => {
      assert.deepEqual(await audit.verify(), { ok: true, entries: 0, broken: null, head: null });
    });

    test('the table refuses UPDATE, DELETE and TRUNCATE', async () => {
      await fill(2);
      for (const sql of [
        `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1`,
        'DELETE FROM audit_log WHERE seq = 2',
        'TRUNCATE audit_log',
      ])
        await assert.rejects(db.query(sql), (e: Error & { code?: string }) => {
          assert.equal(e.code, '42501', sql);
          assert.match(e.message, /append-only/);
          return true;
        });
      assert.equal((await audit.verify()).entries, 2);
    });

    test('an edited entry is found by its seq', async () => {
      await fill(5);
      await tamper(db, `UPDATE audit_log SET details = '{"version":"9.9.9","i":3}' WHERE seq = 3`);
      const r = await audit.verify();
      assert.equal(r.ok, false);
      assert.equal(r.broken?.seq, 3);
      assert.match(r.broken!.reason, /entry 3 does not match its hash/);
      assert.equal(r.entries, 2);
      assert.equal(r.head?.seq, 2, 'the head is the last entry that holds');
    });

    test('an edited entry whose hash was recomputed breaks the link of the next one', async () => {
      await fill(5);
      const [row] = await db.query<Record<string, unknown>>(
        'SELECT seq, at, actor, action, target, outcome, details, prev_hash FROM audit_log WHERE seq = 3',
      );
      const forged = entryHash(row!.prev_hash as string, {
        seq: 3,
        at: new Date(row!.at as Date).toISOString(),
        actor: 'nobody@example.com',
        action: row!.action as string,
        target: row!.target as string,
        outcome: row!.outcome as 'denied',
        details: row!.details as Record<string, unknown>,
      });
      await tamper(db, `UPDATE audit_log SET actor = 'nobody@example.com', hash = '${forged}' WHERE seq = 3`);
      const r = await audit.verify();
      assert.equal(r.broken?.seq, 4);
      assert.match(r.broken!.reason, /entry 4 does not link to entry 3/);
    });

    test('a removed entry is found by its seq, first or in the middle', async () => {
      await fill(5);
      await tamper(db, 'DELETE FROM audit_log WHERE seq = 3');
      let r = await audit.verify();
      assert.deepEqual(r.broken, { seq: 3, reason: 'entry 3 is missing: removed (the next entry is 4)' });
      await tamper(db, 'DELETE FROM audit_log WHERE seq IN (1, 2)');
      r = await audit.verify();
      assert.deepEqual(r.broken, { seq: 1, reason: 'entries 1–3 are missing: removed (the next entry is 4)' });
    });

    test('a removed entry with the later ones renumbered is found where the link breaks', async () => {
      await fill(5);
      await tamper(
        db,
        'DELETE FROM audit_log WHERE seq = 3',
        'UPDATE audit_log SET seq = -(seq - 1) WHERE seq > 3',
        'UPDATE audit_log SET seq = -seq WHERE seq < 0',
      );
      const r = await audit.verify();
      assert.equal(r.broken?.seq, 3);
      assert.match(r.broken!.reason, /does not link to entry 2/);
    });

    test('an inserted entry is found by its seq, even with a correct hash and the later ones renumbered', async () => {
      await fill(5);
      const [two] = await db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = 2');
      const at = new Date().toISOString();
      const fields = {
        seq: 3,
        at,
        actor: 'intruder@example.com',
        action: 'token.create',
        target: 'intruder',
        outcome: 'ok' as const,
        details: {},
      };
      await tamper(
        db,
        'UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 3',
        'UPDATE audit_log SET seq = -seq WHERE seq < 0',
        `INSERT INTO audit_log (seq, at, actor, action, target, outcome, details, prev_hash, hash)
         VALUES (3, '${at}', 'intruder@example.com', 'token.create', 'intruder', 'ok', '{}', '${two!.hash}', '${entryHash(two!.hash, fields)}')`,
      );
      const r = await audit.verify();
      assert.deepEqual(r.broken, { seq: 3, reason: 'entry 3 was inserted: entry 4 links past it to entry 2' });
    });

    test('an entry inserted after the head, or before seq 1, is found by its seq', async () => {
      await fill(3);
      await tamper(
        db,
        `INSERT INTO audit_log (seq, at, actor, action, target, outcome, details, prev_hash, hash)
         SELECT 4, now(), 'intruder', 'x', NULL, 'ok', '{}', hash, repeat('a', 64) FROM audit_log WHERE seq = 3`,
      );
      assert.equal((await audit.verify()).broken?.seq, 4);
      await tamper(
        db,
        'DELETE FROM audit_log WHERE seq = 4',
        `INSERT INTO audit_log (seq, at, actor, action, target, outcome, details, prev_hash, hash)
         VALUES (0, now(), 'intruder', 'x', NULL, 'ok', '{}', repeat('0', 64), repeat('b', 64))`,
      );
      const r = await audit.verify();
      assert.equal(r.broken?.seq, 0);
      assert.match(r.broken!.reason, /before the start/);
    });

    test('verify walks in pages: a break on a page boundary is found, a whole chain holds', async () => {
      await fill(7);
      assert.deepEqual(await audit.verify(2), await audit.verify(1000), 'same answer whatever the page size');
      assert.equal((await audit.verify(2)).entries, 7);
      await tamper(db, 'DELETE FROM audit_log WHERE seq = 5');
      assert.equal((await audit.verify(2)).broken?.seq, 5);
      assert.equal((await audit.verify(4)).broken?.seq, 5);
    });

    test('query: newest first, filtered by since, actor, action (or a prefix), outcome and limit', async () => {
      await fill(6);
      const all = await audit.query();
      assert.deepEqual(
        all.map((e) => e.seq),
        [6, 5, 4, 3, 2, 1],
      );
      assert.deepEqual(all[0], {
        seq: 6,
        at: all[0]!.at,
        actor: 'service:ecm-ops/slack',
        action: 'access.denied',
        target: 'fraud/skill-6@production',
        outcome: 'denied',
        details: { version: '1.0.6', i: 6 },
        hash: all[0]!.hash,
      });
      const seqs = async (q: Parameters<AuditLog['query']>[0]) => (await audit.query(q)).map((e) => e.seq);
      assert.deepEqual(await seqs({ actor: 'sarah@example.com' }), [5, 3, 1]);
      assert.deepEqual(await seqs({ action: 'access.denied' }), [6, 3]);
      assert.deepEqual(await seqs({ action: 'skill.*' }), [5, 4, 2, 1]);
      assert.deepEqual(await seqs({ action: 'skill%' }), [], '% is not a wildcard');
      assert.deepEqual(await seqs({ outcome: 'denied', actor: 'sarah@example.com' }), [3]);
      assert.deepEqual(await seqs({ limit: 2 }), [6, 5]);
      assert.deepEqual(await seqs({ since: '1h' }), [6, 5, 4, 3, 2, 1]);
      assert.deepEqual(await seqs({ since: new Date(Date.now() + 60_000).toISOString() }), []);
      assert.deepEqual(await seqs({ since: '2000-01-01' }), [6, 5, 4, 3, 2, 1]);
      await assert.rejects(
        audit.query({ since: 'last tuesday' }),
        (e: unknown) => e instanceof AsporaError && e.code === 'BAD_REQUEST',
      );
    });

    test('details are stored bounded and cleaned, and the chain still verifies after they are read back', async () => {
      const e = await audit.record({
        actor: 'sarah@example.com',
        action: 'secret.set',
        target: 'ecm-ops/ECM_GATEWAY_KEY',
        outcome: 'ok',
        details: {
          value: 'sk-live-123',
          notes: 'x'.repeat(20_000),
          more: Array.from({ length: 30 }, (_, i) => `${i}-${'y'.repeat(900)}`),
          odd: { 'z\u0000': 'a\ud800', ü: 1.5, big: 2 ** 70, tiny: 5e-324, neg: -0 },
        },
      });
      const [row] = await db.query<{ details: Record<string, unknown>; n: number }>(
        'SELECT details, octet_length(details::text) AS n FROM audit_log WHERE seq = $1',
        [e.seq],
      );
      assert.equal(row!.details.value, '[redacted]');
      assert.ok(!JSON.stringify(row!.details).includes('sk-live'));
      assert.ok(Buffer.byteLength(JSON.stringify(row!.details)) <= LIMITS.detailsBytes);
      assert.deepEqual(await audit.verify(), { ok: true, entries: 1, broken: null, head: { seq: 1, hash: e.hash } });
    });

    test('a failed write is logged at error level and rejects; the next one goes on', async () => {
      const errors: unknown[][] = [];
      const log = { error: (...a: unknown[]) => errors.push(a) } as unknown as Logger;
      const broken: Db = { ...db, transaction: async () => Promise.reject(new Error('disk full')) };
      const failing = new AuditLog(broken, log);
      await assert.rejects(
        failing.record(entry(1)),
        (e: unknown) => e instanceof AsporaError && e.code === 'UNAVAILABLE',
      );
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]![1]), /could not be written/);
      // A caller that does not wait for it does not crash the process: the failure is logged instead.
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown) => unhandled.push(e);
      process.on('unhandledRejection', onUnhandled);
      void failing.record(entry(2));
      await failing.flush();
      await new Promise((r) => setImmediate(r));
      process.off('unhandledRejection', onUnhandled);
      assert.deepEqual(unhandled, []);
      assert.equal(errors.length, 2);
      assert.match(JSON.stringify((errors[0]![0] as { entries: string[] }).entries), /sarah@example.com skill.deploy/);
      // An entry that could never be written is refused before it can fail a batch of others.
      await assert.rejects(
        audit.record({ ...entry(2), outcome: 'maybe' as never }),
        (e: unknown) => e instanceof AsporaError && /outcome/.test(e.message),
      );
      assert.equal((await audit.record(entry(3))).seq, 1);
    });

    test('a write queue that is full refuses more entries instead of holding them', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow: Db = { ...db, transaction: async (fn) => (await gate, db.transaction(fn)) };
      const errors: unknown[] = [];
      const small = new AuditLog(slow, { error: (...a: unknown[]) => errors.push(a) } as unknown as Logger, {
        maxQueue: 3,
        batch: 2,
      });
      const first = small.record(entry(1)); // taken off the queue, waiting on the gate
      const queued = [2, 3, 4].map((i) => small.record(entry(i)));
      await assert.rejects(small.record(entry(5)), /3 entries are already waiting/);
      assert.equal(errors.length, 1);
      release();
      assert.deepEqual(
        (await Promise.all([first, ...queued])).map((e) => e.seq),
        [1, 2, 3, 4],
      );
      await small.flush();
      assert.equal((await audit.verify()).entries, 4);
    });

    if (b.name === 'postgres')
      test('two processes appending at once give one unbroken chain', async () => {
        const other = await another!();
        try {
          const a = new AuditLog(db, silent, { batch: 3 });
          const c = new AuditLog(other, silent, { batch: 3 });
          const written = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : c).record(entry(i + 1))));
          assert.deepEqual(
            written.map((e) => e.seq).sort((x, y) => x - y),
            Array.from({ length: 60 }, (_, i) => i + 1),
          );
          const v = await a.verify(16);
          assert.deepEqual({ ok: v.ok, entries: v.entries, broken: v.broken }, { ok: true, entries: 60, broken: null });
        } finally {
          await other.close();
        }
      });
  });
}
