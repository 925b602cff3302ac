/**
 * model_calls rows for calls that do not belong to an execution (an OpenAI client on the
 * gateway's HTTP routes), attributed to the skill they name. Written in batches off the request
 * path: a gateway answer never waits for its bookkeeping.
 */
import type { ModelCallRecord } from '../gateway/types.ts';
import type { Db } from '../registry/index.ts';
import type { Logger } from './logger.ts';

const INSERT = `INSERT INTO model_calls (skill_id, provider, requested_model, model, prompt_tokens, completion_tokens, cost, estimated, is_fallback, latency_ms, ok, error_code, cached)
  SELECT (SELECT id FROM skills s WHERE s.domain = split_part(x.ref, '/', 1) AND s.name = split_part(x.ref, '/', 2)), x.provider, x.requested_model, x.model,
         x.prompt_tokens, x.completion_tokens, x.cost, x.estimated, x.is_fallback, x.latency_ms, x.ok, x.error_code, x.cached
  FROM jsonb_to_recordset($1::jsonb) AS x(ref text, provider text, requested_model text, model text, prompt_tokens int, completion_tokens int, cost numeric,
       estimated boolean, is_fallback boolean, latency_ms int, ok boolean, error_code text, cached boolean)`;

const FLUSH_MS = 200;
const MAX_QUEUE = 50_000;
/** ~1.3 ms of fixed cost per statement on PGlite, ~17 µs per row: 100 rows hold its one connection ~3 ms. */
const CHUNK = 100;

export class ModelCallLog {
  #queue: Array<Record<string, unknown>> = [];
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
    if (this.#queue.length >= MAX_QUEUE) {
      this.#dropped++;
      return;
    }
    this.#queue.push({ ref: ref ?? '', ...modelCallColumns(c) });
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /**
   * In statements of at most CHUNK rows, one after the other: PGlite is one connection, and one
   * statement of a busy second's rows would hold up the execution records queued behind it.
   */
  async #write(rows: Array<Record<string, unknown>>): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      await this.db.query(INSERT, [JSON.stringify(part)]).catch((e: unknown) => this.log.error({ err: e, rows: part.length }, 'model call records could not be written'));
    }
  }

  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    const rows = this.#queue.splice(0);
    if (!rows.length) return;
    this.#writing = this.#write(rows);
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
