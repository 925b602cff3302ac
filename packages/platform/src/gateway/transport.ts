/**
 * The wire to one OpenAI-compatible provider: keep-alive connections (undici Pool), the
 * provider's key and headers, and provider answers turned into typed errors that say whether
 * another attempt may succeed. Bodies are OpenAI's own JSON, passed through as they are.
 */
import { Pool } from 'undici';
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
    const timeout = () => new ProviderError('TIMEOUT', `${this.name} did not answer before the deadline`, true);
    if (deadline.expired) return Promise.reject(timeout());
    return new Promise((resolve, reject) => {
      let controller: { abort(reason: Error): void } | undefined;
      let settled = false;
      let status = 0;
      let retryAfter: string | string[] | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        cancel();
        fn();
      };
      // Answers the caller at the deadline, and stops the request once undici has started it.
      const cancel = deadline.onExpire(() => {
        const e = timeout();
        controller?.abort(e);
        settle(() => reject(e));
      });
      const finish = () => {
        const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
        if (status >= 400) throw this.#statusError(status, text, retryAfter);
        try {
          const v = JSON.parse(text) as unknown;
          if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
        } catch {
          /* reported below */
        }
        throw new ProviderError('UPSTREAM_ERROR', `${this.name} answered with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`, true);
      };
      const tooLarge = () => new ProviderError('UPSTREAM_ERROR', `${this.name} answered more than ${MAX_BODY} bytes`, false);
      try {
        this.#pool.dispatch(
          { path: `${this.#prefix}${path}`, method: 'POST', headers: this.#headers, body },
          {
            onRequestStart: (c) => {
              controller = c;
              if (settled) c.abort(timeout());
            },
            onResponseStart: (_c, statusCode, headers) => {
              status = statusCode;
              retryAfter = headers['retry-after'];
            },
            onResponseData: (c, chunk) => {
              size += chunk.length;
              if (size > MAX_BODY) return c.abort(tooLarge());
              chunks.push(chunk);
            },
            onResponseEnd: () =>
              settle(() => {
                try {
                  resolve(finish());
                } catch (e) {
                  reject(e);
                }
              }),
            onResponseError: (_c, e) => settle(() => reject(e instanceof ProviderError ? e : this.#networkError(e, deadline.expired))),
          },
        );
      } catch (e) {
        settle(() => reject(this.#networkError(e, deadline.expired)));
      }
    });
  }

  /** A streamed chat completion: the raw SSE bytes once the provider accepted the request. */
  async stream(path: string, body: string, signal: AbortSignal): Promise<AsyncIterable<Buffer>> {
    const res = await this.#send(path, body, signal, 'text/event-stream');
    if (res.statusCode >= 400) throw this.#statusError(res.statusCode, await this.#read(res.body, signal), res.headers['retry-after']);
    return res.body as AsyncIterable<Buffer>;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #send(path: string, body: string, signal: AbortSignal, accept: string) {
    try {
      return await this.#pool.request({ path: `${this.#prefix}${path}`, method: 'POST', headers: { ...this.#headers, accept }, body, signal });
    } catch (e) {
      throw this.#networkError(e, signal.aborted);
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
      throw this.#networkError(e, signal.aborted);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  #networkError(e: unknown, pastDeadline: boolean): ProviderError {
    const err = e as Error & { code?: string };
    if (pastDeadline || err.name === 'AbortError') return new ProviderError('TIMEOUT', `${this.name} did not answer before the deadline`, true);
    if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') return new ProviderError('TIMEOUT', `${this.name} did not answer within ${this.settings.timeoutMs} ms`, true);
    return new ProviderError('UPSTREAM_ERROR', `${this.name} is unreachable: ${err.code ?? err.message}`, true);
  }

  #statusError(status: number, text: string, retryAfter: string | string[] | undefined): ProviderError {
    let message = text.slice(0, 300);
    try {
      const e = (JSON.parse(text) as { error?: { message?: string } | string }).error;
      message = typeof e === 'string' ? e : (e?.message ?? message);
    } catch {
      /* not JSON: keep the text */
    }
    const details = { provider: this.name, status };
    const who = `${this.name} answered ${status}`;
    if (status === 429) return new ProviderError('RATE_LIMITED', `${who} (rate limited): ${message}`, true, retryAfterMs(retryAfter), details);
    if (status >= 500) return new ProviderError('UPSTREAM_ERROR', `${who}: ${message}`, true, retryAfterMs(retryAfter), details);
    // An unknown model is the caller's mistake: answering with another model would hide it.
    if (status === 404) return new ProviderError('NOT_FOUND', `${who}: ${message}`, false, undefined, details);
    if (status === 401 || status === 403) return new ProviderError('UNAVAILABLE', `${who}: the platform's credentials for it were refused: ${message}`, true, undefined, details);
    if (status === 408) return new ProviderError('TIMEOUT', `${who}: ${message}`, true, undefined, details);
    return new ProviderError('BAD_REQUEST', `${who}: ${message}`, false, undefined, details);
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
