/**
 * The wire to one OpenAI-compatible provider: keep-alive connections (undici Pool), the
 * provider's key and headers, and provider answers turned into typed errors that say whether
 * another attempt may succeed. Bodies are OpenAI's own JSON, passed through as they are.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { AsporaError, type ErrorCode } from '@aspora/sdk';
import type { Expiring } from './deadline.ts';

export interface ProviderSettings {
  name: string;
  /** …/v1 */
  baseURL: string;
  apiKey?: string | undefined;
  headers: Record<string, string>;
  timeoutMs: number;
}

export class ProviderError extends AsporaError {
  constructor(
    code: ErrorCode,
    message: string,
    /** Another attempt (or model) may succeed: 429, 5xx, time-outs, network, garbage. */
    readonly retryable: boolean,
    /** From Retry-After, when the provider sent one. */
    readonly retryAfterMs?: number,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details ? { details } : {});
  }
}

const MAX_BODY = 32 * 1024 * 1024;

export class ProviderTransport {
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #headers: Record<string, string>;
  readonly #streamHeaders: Record<string, string>;

  constructor(readonly settings: ProviderSettings) {
    const u = new URL(settings.baseURL.replace(/\/$/, ''));
    this.#prefix = u.pathname === '/' ? '' : u.pathname;
    this.#pool = new Pool(u.origin, {
      connections: 256,
      keepAliveTimeout: 30_000,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
    });
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...settings.headers,
      ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
    };
    this.#streamHeaders = { ...this.#headers, accept: 'text/event-stream' };
  }

  get name(): string {
    return this.settings.name;
  }

  /**
   * A JSON request (chat completion or embeddings, not streamed): the parsed answer. Through
   * undici's dispatch API, with the body gathered in a handler: Pool.request's readable body
   * stream, its async iterator and the AbortSignal it listens to were ~10 % of the gateway's
   * CPU per call, for a body that is read whole anyway.
   */
  json(path: string, body: string, deadline: Expiring): Promise<Record<string, unknown>> {
    return this.#call(
      path,
      this.#headers,
      body,
      deadline,
      (resolve, reject) => new JsonCall(this.settings, deadline, resolve, reject),
    );
  }

  /**
   * A streamed chat completion: the raw SSE bytes once the provider accepted the request (its
   * status line and headers), through the same dispatch API as json(): a 4xx/5xx rejects with
   * the provider's error; a failure later, or the deadline, makes the iterator throw; return()
   * on the iterator stops the provider's stream.
   */
  stream(path: string, body: string, deadline: Expiring): Promise<AsyncIterable<Buffer>> {
    return this.#call(
      path,
      this.#streamHeaders,
      body,
      deadline,
      (resolve, reject) => new StreamCall(this.settings, deadline, resolve, reject),
    );
  }

  #call<T>(
    path: string,
    headers: Record<string, string>,
    body: string,
    deadline: Expiring,
    handler: (resolve: (v: T) => void, reject: (e: Error) => void) => ProviderCall & Dispatcher.DispatchHandler,
  ): Promise<T> {
    if (deadline.expired) return Promise.reject(pastDeadline(this.name));
    return new Promise<T>((resolve, reject) => {
      const call = handler(resolve, reject);
      try {
        this.#pool.dispatch({ path: `${this.#prefix}${path}`, method: 'POST', headers, body }, call);
      } catch (e) {
        call.onResponseError(undefined, e as Error);
      }
    });
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** Retry-After: seconds, or an HTTP date. */
export function retryAfterMs(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  const n = Number(s);
  if (Number.isFinite(n)) return Math.max(0, n * 1000);
  const t = Date.parse(s);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : undefined;
}

const pastDeadline = (name: string) => new ProviderError('TIMEOUT', `${name} did not answer before the deadline`, true);

/**
 * What both kinds of provider call share as undici dispatch handlers: the deadline (which fails
 * the call and stops its request once undici has started it) and the mapping of network errors.
 * A class, not closures: its methods are made once, not per call.
 */
abstract class ProviderCall {
  protected controller: Dispatcher.DispatchController | undefined;
  protected readonly cancelDeadline: () => void;

  constructor(
    protected readonly p: ProviderSettings,
    protected readonly deadline: Expiring,
  ) {
    // The transport checks `deadline.expired` first: a passed one would call fail() at once,
    // before the subclass has its fields.
    this.cancelDeadline = deadline.onExpire(() => {
      const e = pastDeadline(p.name);
      this.controller?.abort(e);
      this.fail(e);
    });
  }

  /** Why the call is over before undici started it (then the request is stopped at once). */
  protected abstract get stopped(): Error | undefined;
  protected abstract fail(e: Error): void;

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
    const why = this.stopped;
    if (why) c.abort(why);
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, e: Error): void {
    this.fail(e instanceof ProviderError ? e : networkError(this.p, e, this.deadline.expired));
  }
}

/** One non-streamed call: gathers the body and settles once — with the answer, the provider's error, or a timeout. */
class JsonCall extends ProviderCall implements Dispatcher.DispatchHandler {
  #settled: Error | boolean = false;
  #status = 0;
  #retryAfter: string | string[] | undefined;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(
    p: ProviderSettings,
    deadline: Expiring,
    private readonly resolve: (v: Record<string, unknown>) => void,
    private readonly reject: (e: Error) => void,
  ) {
    super(p, deadline);
  }

  protected get stopped(): Error | undefined {
    return this.#settled instanceof Error ? this.#settled : undefined;
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#status = statusCode;
    this.#retryAfter = headers['retry-after'];
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > MAX_BODY)
      return c.abort(new ProviderError('UPSTREAM_ERROR', `${this.p.name} answered more than ${MAX_BODY} bytes`, false));
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.cancelDeadline();
    const text =
      this.#chunks.length === 1
        ? this.#chunks[0]!.toString('utf8')
        : Buffer.concat(this.#chunks, this.#size).toString('utf8');
    if (this.#status >= 400) return this.reject(statusError(this.p.name, this.#status, text, this.#retryAfter));
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      /* reported below */
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) return this.resolve(v as Record<string, unknown>);
    this.reject(
      new ProviderError(
        'UPSTREAM_ERROR',
        `${this.p.name} answered with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`,
        true,
      ),
    );
  }

  protected fail(e: Error): void {
    if (this.#settled) return;
    this.#settled = e;
    this.cancelDeadline();
    this.reject(e);
  }
}

function networkError(p: ProviderSettings, e: unknown, expired: boolean): ProviderError {
  const err = e as Error & { code?: string };
  if (expired || err.name === 'AbortError') return pastDeadline(p.name);
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT')
    return new ProviderError('TIMEOUT', `${p.name} did not answer within ${p.timeoutMs} ms`, true);
  return new ProviderError('UPSTREAM_ERROR', `${p.name} is unreachable: ${err.code ?? err.message}`, true);
}

function statusError(
  name: string,
  status: number,
  text: string,
  retryAfter: string | string[] | undefined,
): ProviderError {
  let message = text.slice(0, 300);
  try {
    const e = (JSON.parse(text) as { error?: { message?: string } | string }).error;
    message = typeof e === 'string' ? e : (e?.message ?? message);
  } catch {
    /* not JSON: keep the text */
  }
  const details = { provider: name, status };
  const who = `${name} answered ${status}`;
  if (status === 429)
    return new ProviderError(
      'RATE_LIMITED',
      `${who} (rate limited): ${message}`,
      true,
      retryAfterMs(retryAfter),
      details,
    );
  if (status >= 500)
    return new ProviderError('UPSTREAM_ERROR', `${who}: ${message}`, true, retryAfterMs(retryAfter), details);
  // An unknown model is the caller's mistake: answering with another model would hide it.
  if (status === 404) return new ProviderError('NOT_FOUND', `${who}: ${message}`, false, undefined, details);
  if (status === 401 || status === 403)
    return new ProviderError(
      'UNAVAILABLE',
      `${who}: the platform's credentials for it were refused: ${message}`,
      true,
      undefined,
      details,
    );
  if (status === 408) return new ProviderError('TIMEOUT', `${who}: ${message}`, true, undefined, details);
  return new ProviderError('BAD_REQUEST', `${who}: ${message}`, false, undefined, details);
}
/** Chunks a stream may hold unread before the provider's socket is paused. */
const STREAM_HIGH_WATER = 16;

/**
 * One streamed call as an undici dispatch handler and, once the provider accepted it, as the
 * async iterator of its bytes: chunks queue as they arrive (the socket pauses past
 * STREAM_HIGH_WATER and resumes as the reader catches up), an error or the deadline reaches the
 * reader at its next read, and return() aborts the request.
 */
class StreamCall extends ProviderCall implements Dispatcher.DispatchHandler, AsyncIterableIterator<Buffer> {
  #started = false;
  #failed: Error | undefined;
  #ended = false;
  #status = 0;
  #retryAfter: string | string[] | undefined;
  #errorBody: Buffer[] = [];
  #queue: Buffer[] = [];
  #paused = false;
  #waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: Error) => void } | undefined;

  constructor(
    p: ProviderSettings,
    deadline: Expiring,
    private readonly resolve: (v: AsyncIterable<Buffer>) => void,
    private readonly reject: (e: Error) => void,
  ) {
    super(p, deadline);
  }

  protected get stopped(): Error | undefined {
    return this.#failed;
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#status = statusCode;
    this.#retryAfter = headers['retry-after'];
    if (statusCode < 400) {
      this.#started = true;
      this.resolve(this);
    }
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#started) {
      this.#errorBody.push(chunk);
      return;
    }
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = undefined;
      return w.resolve({ value: chunk, done: false });
    }
    this.#queue.push(chunk);
    if (this.#queue.length >= STREAM_HIGH_WATER && !this.#paused) {
      this.#paused = true;
      c.pause();
    }
  }

  onResponseEnd(): void {
    this.cancelDeadline();
    if (!this.#started) {
      if (this.#failed) return;
      this.#failed = statusError(
        this.p.name,
        this.#status,
        Buffer.concat(this.#errorBody).toString('utf8'),
        this.#retryAfter,
      );
      return this.reject(this.#failed);
    }
    this.#ended = true;
    this.#wake();
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.#queue.shift();
    if (chunk) {
      if (this.#paused && this.#queue.length < STREAM_HIGH_WATER / 2) {
        this.#paused = false;
        this.controller?.resume();
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<Buffer>> {
    if (!this.#ended && !this.#failed) {
      this.#failed = new ProviderError('UPSTREAM_ERROR', `the stream from ${this.p.name} was stopped`, false);
      this.controller?.abort(this.#failed);
    }
    this.cancelDeadline();
    this.#queue = [];
    this.#ended = true;
    this.#wake();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  protected fail(e: Error): void {
    if (this.#failed || this.#ended) return;
    this.#failed = e;
    this.cancelDeadline();
    if (!this.#started) return this.reject(e);
    this.#wake();
  }

  /** Answers a reader waiting for the next chunk: the end, or the failure. */
  #wake(): void {
    const w = this.#waiting;
    if (!w) return;
    this.#waiting = undefined;
    if (this.#ended) w.resolve({ value: undefined, done: true });
    else if (this.#failed) w.reject(this.#failed);
  }
}
