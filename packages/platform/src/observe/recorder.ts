/**
 * Writes execution records with group commit. A finished execution is one row, written before its
 * result is returned to anyone (so a kill -9 of the platform loses no finished run); rows that
 * finish while a write is in flight go together in the next one, so the database sees one
 * statement per batch rather than three per execution. A row is written early, as "started",
 * only when something needs it to exist: a child execution that references it, or a run that
 * lasts long enough to be worth seeing while it runs.
 */
import type { Db } from '../registry/index.ts';
import type { Logger } from './logger.ts';
import type { ExecutionRecord } from './executions.ts';
import type { ModelCallRecord } from '../gateway/types.ts';
import { modelCallColumns } from './model-calls.ts';

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

const COLUMNS = `id uuid, skill_id uuid, version_id uuid, environment text, trigger_type text, user_id text, workflow_id text,
  parent_execution_id uuid, started_at timestamptz, completed_at timestamptz, duration_ms int, success boolean, error_code text,
  error_message text, error_details jsonb, input jsonb, result jsonb, logs jsonb, host_calls int, denied_calls int, model_calls int,
  prompt_tokens int, completion_tokens int, cost numeric`;
const NAMES = COLUMNS.split(',').map((c) => c.trim().split(/\s+/)[0]!);

const UPSERT = `INSERT INTO executions (${NAMES.join(', ')})
  SELECT ${NAMES.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS x(${COLUMNS})
  ON CONFLICT (id) DO UPDATE SET ${NAMES.filter((n) => n !== 'id' && n !== 'started_at').map((n) => `${n} = EXCLUDED.${n}`).join(', ')}`;

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

interface Pending {
  row: RecordRow;
  done: (err?: Error) => void;
}

/** Where finished (and long-running) executions go. */
export interface ExecutionSink {
  ensureStarted(row: RecordRow): Promise<void>;
  finish(row: RecordRow): Promise<void>;
  drain(): Promise<void>;
}

export class ExecutionRecorder implements ExecutionSink {
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  /** Ends the gathering wait early once no execution is left running. */
  #wake: (() => void) | undefined;
  readonly #started = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    /** How many executions are running now (their rows will follow). */
    private readonly running: () => number = () => 0,
  ) {}

  /** Makes sure a row for a running execution exists (idempotent). */
  ensureStarted(row: RecordRow): Promise<void> {
    let p = this.#started.get(row.record.id);
    if (!p) {
      p = this.#enqueue(row);
      this.#started.set(row.record.id, p);
    }
    return p;
  }

  /** Resolves once the finished row is durable. */
  async finish(row: RecordRow): Promise<void> {
    // A started row must land before the final one (same id, later values).
    const started = this.#started.get(row.record.id);
    if (started) await started.catch(() => undefined);
    this.#started.delete(row.record.id);
    return this.#enqueue(row);
  }

  /** Waits for everything queued so far. */
  async drain(): Promise<void> {
    while (this.#flushing || this.#queue.length) await (this.#flushing ?? this.#kick());
  }

  #enqueue(row: RecordRow): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ row, done: (e) => (e ? reject(e) : resolve()) });
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
          const err = await this.#write(batch.map((p) => p.row));
          for (const p of batch) p.done(err);
        }
      } finally {
        this.#flushing = undefined;
      }
    })();
    return this.#flushing;
  }

  async #write(rows: RecordRow[]): Promise<Error | undefined> {
    // The same execution may appear twice in a batch (started, then finished): keep the last.
    const byId = new Map(rows.map((r) => [r.record.id, r]));
    const execs = [...byId.values()].map(toColumns);
    const calls = rows.flatMap((r) => (r.record.completedAt ? r.modelCalls.map((c) => callColumns(r, c)) : []));
    for (let attempt = 0; ; attempt++) {
      try {
        if (calls.length) await this.db.query(UPSERT_WITH_CALLS, [JSON.stringify(execs), JSON.stringify(calls)]);
        else await this.db.query(UPSERT, [JSON.stringify(execs)]);
        return undefined;
      } catch (e) {
        if (attempt >= RETRIES.length) {
          this.log.error({ err: e, rows: rows.length }, 'execution records could not be written');
          return e as Error;
        }
        await new Promise((r) => setTimeout(r, RETRIES[attempt]));
      }
    }
  }
}

function toColumns({ record: r, skillId, versionId }: RecordRow) {
  return {
    id: r.id,
    skill_id: skillId,
    version_id: versionId,
    environment: r.environment,
    trigger_type: r.trigger,
    user_id: r.userId,
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
  };
}

function callColumns(r: RecordRow, c: ModelCallRecord) {
  return { execution_id: r.record.id, skill_id: r.skillId, ...modelCallColumns(c) };
}
