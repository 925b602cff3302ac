/**
 * model_calls rows for calls that do not belong to an execution (an OpenAI client on the
 * gateway's HTTP routes), attributed to the skill they name. Written in batches off the request
 * path: a gateway answer never waits for its bookkeeping.
 */
import type { ModelCallRecord } from '../gateway/types.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from './logger.ts';

/**
 * Columns as arrays (unnest) and the skill by a join: ~35 % less database time per row than a
 * jsonb document with a subselect per row, which at 1,000 calls a second was the largest thing
 * competing with the gateway for the CPU.
 */
const INSERT = `INSERT INTO model_calls (skill_id, provider, requested_model, model, prompt_tokens, completion_tokens, cost, estimated, is_fallback, latency_ms, ok, error_code, cached)
  SELECT s.id, x.provider, x.requested_model, x.model, x.prompt_tokens, x.completion_tokens, x.cost, x.estimated, x.is_fallback, x.latency_ms, x.ok, x.error_code, x.cached
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::numeric[], $9::boolean[], $10::boolean[], $11::int[], $12::boolean[], $13::text[], $14::boolean[])
       AS x(domain, name, provider, requested_model, model, prompt_tokens, completion_tokens, cost, estimated, is_fallback, latency_ms, ok, error_code, cached)
  LEFT JOIN skills s ON s.domain = x.domain AND s.name = x.name`;

/** The rows waiting to be written, one array per statement parameter (in INSERT's order). */
type Columns = [
  domain: string[],
  name: string[],
  provider: string[],
  requested: string[],
  model: string[],
  prompt: number[],
  completion: number[],
  cost: number[],
  estimated: boolean[],
  fallback: boolean[],
  latency: number[],
  ok: boolean[],
  error: Array<string | null>,
  cached: boolean[],
];
const columns = (): Columns => [[], [], [], [], [], [], [], [], [], [], [], [], [], []];

const FLUSH_MS = 200;
const MAX_QUEUE = 50_000;
/** ~1.3 ms of fixed cost per statement on PGlite, ~17 µs per row: 100 rows hold its one connection ~3 ms. */
const CHUNK = 100;

export class ModelCallLog {
  #queue: Columns = columns();
  #queued = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #dropped = 0;
  /** Also told of every call (traces). */
  readonly listeners: Array<(ref: string | undefined, c: ModelCallRecord) => void> = [];

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** The onCall of one request. */
  recorder(ref: string | undefined): (c: ModelCallRecord) => void {
    return (c) => this.add(ref, c);
  }

  add(ref: string | undefined, c: ModelCallRecord): void {
    for (const l of this.listeners) l(ref, c);
    if (this.#queued >= MAX_QUEUE) {
      this.#dropped++;
      return;
    }
    const q = this.#queue;
    const slash = ref ? ref.indexOf('/') : -1;
    q[0].push(slash < 0 ? '' : ref!.slice(0, slash));
    q[1].push(slash < 0 ? '' : ref!.slice(slash + 1));
    q[2].push(c.provider);
    q[3].push(c.requestedModel);
    q[4].push(c.model);
    q[5].push(c.promptTokens);
    q[6].push(c.completionTokens);
    q[7].push(c.cost);
    q[8].push(c.estimated);
    q[9].push(c.isFallback);
    q[10].push(Math.round(c.latencyMs));
    q[11].push(c.ok);
    q[12].push(c.errorCode ?? null);
    q[13].push(c.cached ?? false);
    this.#queued++;
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /**
   * In statements of at most CHUNK rows, one after the other: PGlite is one connection, and one
   * statement of a busy second's rows would hold up the execution records queued behind it.
   */
  async #write(rows: Columns, n: number): Promise<void> {
    for (let i = 0; i < n; i += CHUNK) {
      const part = rows.map((col) => col.slice(i, i + CHUNK));
      await this.db
        .query(INSERT, part)
        .catch((e: unknown) =>
          this.log.error({ err: e, rows: Math.min(CHUNK, n - i) }, 'model call records could not be written'),
        );
    }
  }

  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    const [rows, n] = [this.#queue, this.#queued];
    if (!n) return;
    [this.#queue, this.#queued] = [columns(), 0];
    this.#writing = this.#write(rows, n);
    await this.#writing;
    if (this.#dropped) {
      this.log.warn({ dropped: this.#dropped }, 'model call records dropped: the database is not keeping up');
      this.#dropped = 0;
    }
  }
}

/** A call's model_calls columns (the rest: its execution or skill), as jsonb_to_recordset reads them. */
export function modelCallColumns(c: ModelCallRecord) {
  return {
    provider: c.provider,
    requested_model: c.requestedModel,
    model: c.model,
    prompt_tokens: c.promptTokens,
    completion_tokens: c.completionTokens,
    cost: c.cost,
    estimated: c.estimated,
    is_fallback: c.isFallback,
    latency_ms: Math.round(c.latencyMs),
    ok: c.ok,
    error_code: c.errorCode ?? null,
    cached: c.cached ?? false,
  };
}
