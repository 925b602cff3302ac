import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../db/index.ts';
import { SkillRegistry } from '../registry/skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from '../registry/test-support.ts';
import { getExecution, type ExecutionRecord } from './executions.ts';
import { createLogger } from './logger.ts';
import { RecordJournal } from './record-journal.ts';
import { ExecutionRecorder, type RecordRow } from './recorder.ts';

const log = createLogger('silent');
const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, '_');
/** A pid no process has now: one that just exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
/** Runs `fn` with a fresh directory, removed afterwards (when its promise settles, for an async `fn`). */
function inTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-journal-'));
  const clean = () => rmSync(dir, { recursive: true, force: true });
  let r: T;
  try {
    r = fn(dir);
  } catch (e) {
    clean();
    throw e;
  }
  if (r instanceof Promise) return r.finally(clean) as T;
  clean();
  return r;
}
const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.jsonl'));

/** Makes this process's segments look like those of a process that died (names carry its pid and start time). */
function orphan(dir: string, pid = deadPid(), started = '12345'): void {
  for (const f of segments(dir))
    renameSync(
      join(dir, f),
      join(dir, f.replace(new RegExp(`^${HOST}-${process.pid}\\.\\d+-`), `${HOST}-${pid}.${started}-`)),
    );
}

describe('record journal', () => {
  it('deletes a segment once everything in it is committed, keeps it otherwise', () => {
    inTempDir((dir) => {
      const j = new RecordJournal(dir);
      const a = j.append({ n: 1 });
      const b = j.append({ n: 2 });
      assert.equal(a, b);
      j.commit(a, 2);
      // The current segment stays open for more rows; close deletes it when it is all committed.
      assert.equal(segments(dir).length, 1);
      j.close();
      assert.deepEqual(segments(dir), []);
      const k = new RecordJournal(dir);
      k.append({ n: 3 });
      k.close();
      assert.equal(segments(dir).length, 1, 'an uncommitted row must survive close');
    });
  });

  it("lists only dead processes' segments, and skips a torn last line", () => {
    inTempDir((dir) => {
      const j = new RecordJournal(dir);
      j.append({ n: 1 });
      j.append({ n: 2 });
      j.close();
      orphan(dir);
      appendFileSync(join(dir, segments(dir)[0]!), '{"n": 3, "tor');
      const mine = new RecordJournal(dir);
      mine.append({ n: 'live' }); // this process's own segment is not an orphan
      const found = mine.orphans();
      assert.equal(found.length, 1);
      assert.deepEqual(found[0]!.entries, [{ n: 1 }, { n: 2 }]);
      mine.close();
    });
  });

  it('a segment of an earlier process with the same pid (a restarted container) is an orphan', () => {
    inTempDir((dir) => {
      const j = new RecordJournal(dir);
      j.append({ n: 1 });
      j.close();
      // Same pid as this process, another start time: the pid 1 of a container's previous run.
      orphan(dir, process.pid, '1');
      assert.deepEqual(
        new RecordJournal(dir).orphans().map((o) => o.entries),
        [[{ n: 1 }]],
      );
    });
  });
});

for (const backend of BACKENDS) {
  describe(`execution records through the journal (${backend.name})`, () => {
    let h: Harness;
    let skillId: string;
    let versionId: string;
    before(async () => {
      h = await backend.open();
      const { version } = await new SkillRegistry(h.db).registerVersion(skillInput('fraud', 'block-transaction'));
      versionId = version.id;
      skillId = (await h.db.query<{ id: string }>("SELECT id FROM skills WHERE name = 'block-transaction'"))[0]!.id;
    });
    after(() => h?.cleanup());

    const row = (n: number): RecordRow => {
      const now = new Date().toISOString();
      const record: ExecutionRecord = {
        id: randomUUID(),
        ref: 'fraud/block-transaction',
        version: '1.0.0',
        environment: 'production',
        trigger: 'api',
        userId: null,
        caller: null,
        workflowId: null,
        parentExecutionId: null,
        startedAt: now,
        completedAt: now,
        durationMs: 1,
        success: true,
        error: null,
        input: { n },
        result: { success: true, message: `n=${n}` },
        logs: [],
        hostCalls: 0,
        deniedCalls: 0,
        model: { calls: 1, promptTokens: 10, completionTokens: 5, cost: 0.001 },
      };
      const call = {
        provider: 'stub',
        requestedModel: 'cheap',
        model: 'stub/small',
        promptTokens: 10,
        completionTokens: 5,
        cost: 0.001,
        estimated: false,
        isFallback: false,
        latencyMs: 3,
        ok: true,
      };
      return { record, skillId, versionId, modelCalls: [call] };
    };
    /** A database that is down: every statement fails as a refused connection does. */
    const down: Db = {
      dialect: 'pglite',
      query: async () => Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })),
      exec: async () => undefined,
      transaction: async () => Promise.reject(new Error('down')),
      close: async () => undefined,
    };
    /** The real database, holding every statement until released. */
    const held = () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow: Db = { ...h.db, query: async (sql, params) => (await gate, h.db.query(sql, params)) };
      return { slow, release };
    };
    const calls = async (ids: string[]) =>
      (
        await h.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM model_calls WHERE execution_id = ANY($1::uuid[])',
          [ids],
        )
      )[0]!.n;

    it('answers before the database write, shows the row meanwhile, and leaves no journal behind', async () => {
      await inTempDir(async (dir) => {
        // The database holds every write until released: finish() must not wait for it.
        const { slow, release } = held();
        const rec = new ExecutionRecorder(slow, log, () => 0, new RecordJournal(dir));
        const r = row(1);
        await rec.finish(r);
        assert.equal(rec.pending(r.record.id), r.record);
        assert.equal(await getExecution(h.db, r.record.id), undefined);
        release();
        await rec.close();
        assert.equal(rec.pending(r.record.id), undefined);
        assert.equal((await getExecution(h.db, r.record.id))?.result && true, true);
        assert.equal(await calls([r.record.id]), 1);
        assert.deepEqual(segments(dir), []);
      });
    });

    it('rows a dead process journaled but never wrote are written at the next start, once, with their model calls', async () => {
      await inTempDir(async (dir) => {
        const first = new ExecutionRecorder(down, log, () => 0, new RecordJournal(dir));
        const rows = [row(1), row(2), row(3)];
        // One of them did reach the database before the crash: it must not be written twice.
        await new ExecutionRecorder(h.db, log).finish(rows[0]!);
        // Every finish() returns at once although the database is down.
        let t = performance.now();
        for (const r of rows) await first.finish(r);
        const finishing = performance.now() - t;
        t = performance.now();
        await first.close(); // the writes fail after their retries: the rows stay in the journal
        const closing = performance.now() - t;
        // Against close(), which waits out the retries (50 + 200 + 1000 ms), not a fixed bound: the machine may be shared.
        assert.ok(
          finishing < closing / 4,
          `3 finish() took ${Math.round(finishing)} ms, close() ${Math.round(closing)} ms`,
        );
        orphan(dir);

        const next = new ExecutionRecorder(h.db, log, () => 0, new RecordJournal(dir));
        assert.equal(await next.recover(), 2);
        const ids = rows.map((r) => r.record.id);
        for (const [i, id] of ids.entries())
          assert.deepEqual((await getExecution(h.db, id))?.result, { success: true, message: `n=${i + 1}` });
        assert.equal(await calls(ids), 3);
        assert.deepEqual(segments(dir), []);
        assert.equal(await next.recover(), 0);
        await next.close();
      });
    });

    it('far behind the database, callers wait for their own row again (still journaled first)', async () => {
      await inTempDir(async (dir) => {
        const { slow, release } = held();
        const rec = new ExecutionRecorder(slow, log, () => 0, new RecordJournal(dir), 2);
        await rec.finish(row(201));
        await rec.finish(row(202));
        let third = false;
        const p3 = rec.finish(row(203)).then(() => (third = true));
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(third, false, 'the third waits: two rows are already on their way');
        release();
        await p3;
        await rec.close();
        assert.deepEqual(segments(dir), []);
      });
    });

    it('two processes starting at once write each journaled row once', async () => {
      await inTempDir(async (dir) => {
        const first = new ExecutionRecorder(down, log, () => 0, new RecordJournal(dir));
        const rows = Array.from({ length: 20 }, (_, i) => row(100 + i));
        for (const r of rows) await first.finish(r);
        await first.close();
        orphan(dir);
        const [x, y] = await Promise.all(
          [0, 1].map(() => new ExecutionRecorder(h.db, log, () => 0, new RecordJournal(dir)).recover()),
        );
        assert.equal(x! + y!, 20);
        assert.equal(await calls(rows.map((r) => r.record.id)), 20, 'no model call written twice');
        assert.deepEqual(segments(dir), []);
      });
    });

    it('a journaled row whose skill was deleted since is dropped with an error, the others are written', async () => {
      await inTempDir(async (dir) => {
        const j = new RecordJournal(dir);
        const good = row(7);
        const gone = { ...row(8), skillId: randomUUID() };
        const first = new ExecutionRecorder(down, log, () => 0, j);
        await first.finish(good);
        await first.finish(gone);
        await first.close();
        orphan(dir);
        const next = new ExecutionRecorder(h.db, log, () => 0, new RecordJournal(dir));
        assert.equal(await next.recover(), 1);
        assert.ok(await getExecution(h.db, good.record.id));
        assert.equal(await getExecution(h.db, gone.record.id), undefined);
        await next.close();
      });
    });
  });
}
