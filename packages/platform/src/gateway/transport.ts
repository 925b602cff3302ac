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

  constructor(readonly settings: ProviderSettings) {
    const u = new URL(settings.baseURL.replace(/\/$/, ''));
    this.#prefix = u.pathname === '/' ? '' : u.pathname;
    this.#pool = new Pool(u.origin, { connections: 256, keepAliveTimeout: 30_000, headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs });
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...settings.headers,
      ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
    };
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
    if (deadline.expired) return Promise.reject(pastDeadline(this.name));
    return new Promise((resolve, reject) => {
      const call = new JsonCall(this.settings, deadline, resolve, reject);
      try {
        this.#pool.dispatch({ path: `${this.#prefix}${path}`, method: 'POST', headers: this.#headers, body }, call);
      } catch (e) {
        call.onResponseError(undefined, e as Error);
      }
    });
  }

  /** A streamed chat completion: the raw SSE bytes once the provider accepted the request. */
  async stream(path: string, body: string, signal: AbortSignal): Promise<AsyncIterable<Buffer>> {
    const res = await this.#send(path, body, signal, 'text/event-stream');
    if (res.statusCode >= 400) throw statusError(this.name, res.statusCode, await this.#read(res.body, signal), res.headers['retry-after']);
    return res.body as AsyncIterable<Buffer>;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #send(path: string, body: string, signal: AbortSignal, accept: string) {
    try {
      return await this.#pool.request({ path: `${this.#prefix}${path}`, method: 'POST', headers: { ...this.#headers, accept }, body, signal });
    } catch (e) {
      throw networkError(this.settings, e, signal.aborted);
    }
  }

  async #read(body: AsyncIterable<Buffer>, signal: AbortSignal): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of body) {
        size += c.length;
        if (size > MAX_BODY) throw new ProviderError('UPSTREAM_ERROR', `${this.name} answered more than ${MAX_BODY} bytes`, false);
        chunks.push(c);
      }
    } catch (e) {
      if (e instanceof ProviderError) throw e;
      throw networkError(this.settings, e, signal.aborted);
    }
    return Buffer.concat(chunks).toString('utf8');
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
 * One non-streamed call as an undici dispatch handler: gathers the body and settles once — with
 * the answer, the provider's error, or a timeout at the deadline (which also stops the request
 * once undici has started it). A class, not closures: its methods are made once, not per call.
 */
class JsonCall implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #settled = false;
  #status = 0;
  #retryAfter: string | string[] | undefined;
  #chunks: Buffer[] = [];
  #size = 0;
  readonly #cancel: () => void;

  constructor(
    private readonly p: ProviderSettings,
    private readonly deadline: Expiring,
    private readonly resolve: (v: Record<string, unknown>) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.#cancel = deadline.onExpire(() => {
      const e = pastDeadline(p.name);
      this.#controller?.abort(e);
      this.#fail(e);
    });
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.#controller = c;
    if (this.#settled) c.abort(pastDeadline(this.p.name));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#status = statusCode;
    this.#retryAfter = headers['retry-after'];
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > MAX_BODY) return c.abort(new ProviderError('UPSTREAM_ERROR', `${this.p.name} answered more than ${MAX_BODY} bytes`, false));
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#cancel();
    const text = this.#chunks.length === 1 ? this.#chunks[0]!.toString('utf8') : Buffer.concat(this.#chunks, this.#size).toString('utf8');
    if (this.#status >= 400) return this.reject(statusError(this.p.name, this.#status, text, this.#retryAfter));
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      /* reported below */
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) return this.resolve(v as Record<string, unknown>);
    this.reject(new ProviderError('UPSTREAM_ERROR', `${this.p.name} answered with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`, true));
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, e: Error): void {
    this.#fail(e instanceof ProviderError ? e : networkError(this.p, e, this.deadline.expired));
  }

  #fail(e: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#cancel();
    this.reject(e);
  }
}

function networkError(p: ProviderSettings, e: unknown, expired: boolean): ProviderError {
  const err = e as Error & { code?: string };
  if (expired || err.name === 'AbortError') return pastDeadline(p.name);
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') return new ProviderError('TIMEOUT', `${p.name} did not answer within ${p.timeoutMs} ms`, true);
  return new ProviderError('UPSTREAM_ERROR', `${p.name} is unreachable: ${err.code ?? err.message}`, true);
}

function statusError(name: string, status: number, text: string, retryAfter: string | string[] | undefined): ProviderError {
  let message = text.slice(0, 300);
  try {
    const e = (JSON.parse(text) as { error?: { message?: string } | string }).error;
    message = typeof e === 'string' ? e : (e?.message ?? message);
  } catch {
    /* not JSON: keep the text */
  }
  const details = { provider: name, status };
  const who = `${name} answered ${status}`;
  if (status === 429) return new ProviderError('RATE_LIMITED', `${who} (rate limited): ${message}`, true, retryAfterMs(retryAfter), details);
  if (status >= 500) return new ProviderError('UPSTREAM_ERROR', `${who}: ${message}`, true, retryAfterMs(retryAfter), details);
  // An unknown model is the caller's mistake: answering with another model would hide it.
  if (status === 404) return new ProviderError('NOT_FOUND', `${who}: ${message}`, false, undefined, details);
  if (status === 401 || status === 403) return new ProviderError('UNAVAILABLE', `${who}: the platform's credentials for it were refused: ${message}`, true, undefined, details);
  if (status === 408) return new ProviderError('TIMEOUT', `${who}: ${message}`, true, undefined, details);
  return new ProviderError('BAD_REQUEST', `${who}: ${message}`, false, undefined, details);
}