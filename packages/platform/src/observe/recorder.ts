/**
 * Writes execution records with group commit. A finished execution is one row. With a journal
 * (the platform always has one), the row is appended to it before the result is returned (so a
 * kill -9 of the platform loses no finished run) and the database write follows off the caller's
 * path; without one, the caller waits for the commit. Rows that finish while a write is in flight
 * go together in the next one, so the database sees one statement per batch rather than three per
 * execution. A row is written early, as "started", only when something needs it to exist: a
 * child execution that references it, or a run that lasts long enough to be worth seeing while
 * it runs. See decisions 006 and 010.
 */
import { unlinkSync } from 'node:fs';
import type { Db } from '../db/index.ts';
import { pgCode } from '../db/sqlstate.ts';
import type { Logger } from './logger.ts';
import type { ExecutionRecord } from './executions.ts';
import type { ModelCallRecord } from '../gateway/types.ts';
import { modelCallColumns } from './model-calls.ts';
import type { RecordJournal, Segment } from './record-journal.ts';

export interface RecordRow {
  record: ExecutionRecord;
  skillId: string;
  versionId: string;
  modelCalls: ModelCallRecord[];
}

const MAX_BATCH = 500;
/** While other executions are running, wait this long for their rows: one commit for many. */
const GATHER_MS = 1;
const RETRIES = [50, 200, 1000];
/** Rows journaled but not yet committed before callers wait for their own row's write again. */
const MAX_PENDING = 20_000;
/** The same, in bytes of rows held in memory (each row's logs and result are bounded, not small). */
const MAX_PENDING_BYTES = 256 * 1024 * 1024;

const COLUMNS = `id uuid, skill_id uuid, version_id uuid, environment text, trigger_type text, user_id text, caller text, source_event_id text, channel text, workflow_id text,
  parent_execution_id uuid, started_at timestamptz, completed_at timestamptz, duration_ms int, success boolean, error_code text,
  error_message text, error_details jsonb, input jsonb, result jsonb, logs jsonb, host_calls int, denied_calls int, model_calls int,
  prompt_tokens int, completion_tokens int, cost numeric, build_ms int, release_id bigint, variant text`;
const NAMES = COLUMNS.split(',').map((c) => c.trim().split(/\s+/)[0]!);

const UPSERT = `INSERT INTO executions (${NAMES.join(', ')})
  SELECT ${NAMES.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS x(${COLUMNS})
  ON CONFLICT (id) DO UPDATE SET ${NAMES.filter((n) => n !== 'id' && n !== 'started_at')
    .map((n) => `${n} = EXCLUDED.${n}`)
    .join(', ')}`;

/**
 * With model calls: still one statement (one implicit transaction), the calls' foreign keys
 * checked at its end, when the execution rows exist. Rollups follow from the rows (rollups/job.ts).
 */
const UPSERT_WITH_CALLS = `WITH e AS (${UPSERT} RETURNING 1), c AS (
    INSERT INTO model_calls (execution_id, skill_id, provider, requested_model, model, prompt_tokens, completion_tokens, cost, estimated, is_fallback, latency_ms, ok, error_code, cached)
    SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(execution_id uuid, skill_id uuid, provider text, requested_model text, model text, prompt_tokens int,
      completion_tokens int, cost numeric, estimated boolean, is_fallback boolean, latency_ms int, ok boolean, error_code text, cached boolean)
    RETURNING 1
  ) SELECT (SELECT count(*) FROM e) AS executions`;

/**
 * An execution row and its model calls, serialized once: the same JSON makes the journal line
 * and, joined with its batch, the statement's parameters.
 */
interface Entry {
  id: string;
  /** The row's columns (JSON). */
  e: string;
  /** Each model call's columns (JSON). */
  c: string[];
}
/** A journal line, parsed (recover()). */
interface JournalLine {
  e: { id: string };
  c: unknown[];
}

interface Pending {
  entry: Entry;
  /** The journal segment holding the entry (committed there once written). */
  segment?: Segment;
  done: (err?: Error) => void;
}

/** Where finished (and long-running) executions go. */
export interface ExecutionSink {
  ensureStarted(row: RecordRow): Promise<void>;
  finish(row: RecordRow): Promise<void>;
  drain(): Promise<void>;
  /** A finished execution whose row is on its way to the database. */
  pending?(id: string): ExecutionRecord | undefined;
  /** Resolves once that execution's row (without an id: every row on its way now) is in the database. */
  settled?(id?: string): Promise<void>;
  /** Writes what processes that died left in the journal; resolves to the number of rows written. */
  recover?(): Promise<number>;
  close?(): Promise<void>;
}

export class ExecutionRecorder implements ExecutionSink {
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  /** Ends the gathering wait early once no execution is left running. */
  #wake: (() => void) | undefined;
  readonly #started = new Map<string, Promise<void>>();
  readonly #inFlight = new Map<string, { record: ExecutionRecord; written: Promise<void> }>();
  #inFlightBytes = 0;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    /** How many executions are running now (their rows will follow). */
    private readonly running: () => number = () => 0,
    private readonly journal?: RecordJournal,
    private readonly maxPending = MAX_PENDING,
  ) {}

  pending(id: string): ExecutionRecord | undefined {
    return this.#inFlight.get(id)?.record;
  }

  async settled(id?: string): Promise<void> {
    if (id !== undefined) await this.#inFlight.get(id)?.written;
    else await Promise.all([...this.#inFlight.values()].map((x) => x.written));
  }

  /** Makes sure a row for a running execution exists (idempotent). */
  ensureStarted(row: RecordRow): Promise<void> {
    let p = this.#started.get(row.record.id);
    if (!p) {
      p = this.#enqueue(this.#entryOf(row));
      this.#started.set(row.record.id, p);
    }
    return p;
  }

  /** Resolves once the finished row is durable: in the journal, or else in the database. */
  async finish(row: RecordRow): Promise<void> {
    // A started row must land before the final one (same id, later values).
    const started = this.#started.get(row.record.id);
    if (started) await started.catch(() => undefined);
    this.#started.delete(row.record.id);
    const entry = this.#entryOf(row);
    if (this.journal) {
      let segment: Segment | undefined;
      try {
        segment = this.journal.appendLine(`{"e":${entry.e},"c":[${entry.c.join(',')}]}`);
      } catch (e) {
        this.log.warn(
          { err: e, dir: this.journal.dir },
          'execution journal not writable: the result waits for the database',
        );
      }
      if (segment) {
        const id = row.record.id;
        const bytes = entry.e.length;
        this.#inFlightBytes += bytes;
        // Failures are logged by the write; the row stays in the journal for the next start.
        const written = this.#enqueue(entry, segment)
          .catch(() => undefined)
          .finally(() => {
            this.#inFlight.delete(id);
            this.#inFlightBytes -= bytes;
          });
        this.#inFlight.set(id, { record: row.record, written });
        // Backpressure: far behind the database, callers wait for their own row again (memory stays bounded).
        if (this.#inFlight.size > this.maxPending || this.#inFlightBytes > MAX_PENDING_BYTES) await written;
        return;
      }
    }
    return this.#enqueue(entry);
  }

  /**
   * The row serialised. One that cannot be (a value JSON cannot carry) is still recorded —
   * without its input, result, logs and error details, and its error says so — never lost.
   */
  #entryOf(row: RecordRow): Entry {
    try {
      return toEntry(row);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.log.error(
        { execution: row.record.id, reason: why },
        'execution record could not be serialised: recorded without its input, result, logs and error details',
      );
      truncateRecord(row.record, why);
      return toEntry(row);
    }
  }

  /** Waits for everything queued so far. */
  async drain(): Promise<void> {
    while (this.#flushing || this.#queue.length) await (this.#flushing ?? this.#kick());
  }

  /** Drains, then closes the journal (its segment is deleted if everything in it was written). */
  async close(): Promise<void> {
    await this.drain();
    this.journal?.close();
  }

  async recover(): Promise<number> {
    if (!this.journal) return 0;
    let written = 0;
    for (const { path, entries } of this.journal.orphans()) {
      const all = (entries as JournalLine[]).map(
        (x): Entry => ({ id: x.e.id, e: JSON.stringify(x.e), c: x.c.map((c) => JSON.stringify(c)) }),
      );
      // A finished row and its calls were one statement: either both are in, or neither.
      const done = new Set(
        (
          await this.db.query<{ id: string }>(
            'SELECT id::text FROM executions WHERE id = ANY($1::uuid[]) AND completed_at IS NOT NULL',
            [all.map((x) => x.id)],
          )
        ).map((r) => r.id),
      );
      const todo = all.filter((x) => !done.has(x.id));
      for (let i = 0; i < todo.length; i += MAX_BATCH) written += await this.#replay(todo.slice(i, i + MAX_BATCH));
      unlinkSync(path);
      this.log.info(
        { file: path, rows: todo.length, alreadyWritten: all.length - todo.length },
        'execution records recovered from the journal of a process that stopped',
      );
    }
    return written;
  }

  /** A batch, or row by row when it fails on integrity (a skill deleted since): such rows are reported and dropped. */
  async #replay(batch: Entry[]): Promise<number> {
    try {
      await this.#statement(batch);
      return batch.length;
    } catch (e) {
      if (!pgCode(e)?.startsWith('23')) throw e;
    }
    let n = 0;
    for (const x of batch) {
      try {
        await this.#statement([x]);
        n++;
      } catch (e) {
        if (!pgCode(e)?.startsWith('23')) throw e;
        this.log.error(
          { err: e, execution: x.id },
          'a journaled execution record cannot be written (its skill or version is gone): dropped',
        );
      }
    }
    return n;
  }

  #enqueue(entry: Entry, segment?: Segment): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ entry, ...(segment ? { segment } : {}), done: (e) => (e ? reject(e) : resolve()) });
      if (this.#wake && this.running() === 0) this.#wake();
      void this.#kick();
    });
  }

  #kick(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    this.#flushing = (async () => {
      try {
        while (this.#queue.length) {
          // A lone execution is written at once; under load the wait costs 1 ms and saves a commit per row.
          if (this.running() > 0 && this.#queue.length < MAX_BATCH) {
            await new Promise<void>((r) => {
              this.#wake = r;
              setTimeout(r, GATHER_MS);
            });
            this.#wake = undefined;
          }
          const batch = this.#queue.splice(0, MAX_BATCH);
          const err = await this.#write(batch.map((p) => p.entry));
          if (!err) for (const p of batch) if (p.segment) this.journal!.commit(p.segment, 1);
          for (const p of batch) p.done(err);
        }
      } finally {
        this.#flushing = undefined;
      }
    })();
    return this.#flushing;
  }

  async #write(entries: Entry[]): Promise<Error | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#statement(entries);
        return undefined;
      } catch (e) {
        if (attempt >= RETRIES.length) {
          const kept = this.journal ? `; kept in the journal (${this.journal.dir}) and written at the next start` : '';
          this.log.error({ err: e, rows: entries.length }, `execution records could not be written${kept}`);
          return e as Error;
        }
        await new Promise((r) => setTimeout(r, RETRIES[attempt]));
      }
    }
  }

  async #statement(entries: Entry[]): Promise<void> {
    // The same execution may appear twice in a batch (started, then finished): keep the last.
    const execs = `[${[...new Map(entries.map((x) => [x.id, x.e])).values()].join(',')}]`;
    const calls = entries.flatMap((x) => x.c);
    if (calls.length) await this.db.query(UPSERT_WITH_CALLS, [execs, `[${calls.join(',')}]`]);
    else await this.db.query(UPSERT, [execs]);
  }
}

/** Drops what could not be serialised from a record (in place: the caller returns the same record). */
function truncateRecord(r: ExecutionRecord, why: string): void {
  const had = r.error ? `; its error was ${r.error.code}: ${r.error.message.slice(0, 2000)}` : '';
  r.input = null;
  r.result = null;
  r.logs = [];
  r.error = {
    code: r.error?.code ?? 'RECORD_TRUNCATED',
    message: `the execution record could not be serialised (${why.slice(0, 200)}): its input, result, logs and error details are not on record${had}`,
  };
}

/** The row as it is now (a started row's calls come with its finished row). */
function toEntry(r: RecordRow): Entry {
  return {
    id: r.record.id,
    e: pgJson(toColumns(r)),
    c: r.record.completedAt ? r.modelCalls.map((c) => pgJson(callColumns(r, c))) : [],
  };
}

/**
 * JSON PostgreSQL can hold: it refuses the \u0000 escape in jsonb and text, and one such row failed
 * its whole batch (an input, a log line or a result with a NUL hid the execution and its neighbours).
 * A NUL is kept as the six characters "\u0000"; an escaped backslash before "u0000" is left alone.
 */
function pgJson(v: unknown): string {
  return JSON.stringify(v).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\\\u0000');
}

function toColumns({ record: r, skillId, versionId }: RecordRow) {
  return {
    id: r.id,
    skill_id: skillId,
    version_id: versionId,
    environment: r.environment,
    trigger_type: r.trigger,
    user_id: r.userId,
    caller: r.caller ?? null,
    source_event_id: r.sourceEventId ?? null,
    channel: r.channel ?? null,
    workflow_id: r.workflowId,
    parent_execution_id: r.parentExecutionId,
    started_at: r.startedAt,
    completed_at: r.completedAt,
    duration_ms: r.durationMs === null ? null : Math.round(r.durationMs),
    success: r.success,
    error_code: r.error?.code ?? null,
    error_message: r.error?.message ?? null,
    error_details: r.error?.details ?? null,
    input: r.input ?? null,
    result: r.result ?? null,
    logs: r.logs,
    host_calls: r.hostCalls,
    denied_calls: r.deniedCalls,
    model_calls: r.model.calls,
    prompt_tokens: r.model.promptTokens,
    completion_tokens: r.model.completionTokens,
    cost: r.model.cost,
    build_ms: r.buildMs ?? null,
    release_id: r.releaseId ?? null,
    variant: r.variant ?? null,
  };
}

function callColumns(r: RecordRow, c: ModelCallRecord) {
  return { execution_id: r.record.id, skill_id: r.skillId, ...modelCallColumns(c) };
}
