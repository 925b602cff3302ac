/** The CLI's HTTP client for the platform API: ASPORA_URL + ASPORA_TOKEN, typed errors back. */
import { AsporaError, type ErrorBody } from '@aspora/sdk';
import { userInfo } from 'node:os';
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';

export interface ClientOptions {
  url: string;
  token?: string | undefined;
}

export class ApiClient {
  constructor(private readonly opts: ClientOptions) {}

  get base(): string {
    return this.opts.url.replace(/\/$/, '');
  }

  async request<T>(method: string, path: string, body?: { json?: unknown; bytes?: Uint8Array; contentType?: string }): Promise<{ status: number; data: T }> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-aspora-actor': actor() };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    let payload: string | Uint8Array | undefined;
    if (body?.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body?.bytes) {
      headers['content-type'] = body.contentType ?? 'application/octet-stream';
      payload = body.bytes;
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    } catch (e) {
      throw new AsporaError('UNAVAILABLE', `cannot reach the Aspora API at ${this.base} (${causeOf(e)})`, {
        hint: 'start a platform with `aspora up` (or `npm start`), or set ASPORA_URL to a running one',
      });
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new AsporaError('UNAVAILABLE', `the API at ${this.base} answered ${res.status} with a non-JSON body`, { hint: 'is ASPORA_URL pointing at an Aspora platform?' });
    }
    if (!res.ok) {
      const err = (data as ErrorBody | undefined)?.error;
      throw new AsporaError((err?.code as never) ?? 'INTERNAL', err?.message ?? `HTTP ${res.status}`, {
        status: res.status,
        ...(err?.hint ? { hint: err.hint } : {}),
        ...(err?.issues ? { issues: err.issues } : {}),
        ...(err?.details ? { details: err.details } : {}),
      });
    }
    return { status: res.status, data: data as T };
  }

  /** A text body (YAML, plain text): errors as usual. */
  async text(path: string): Promise<string> {
    const res = await this.#fetch(path);
    const body = await res.text();
    if (!res.ok) throw this.#error(res.status, body);
    return body;
  }

  /** A streamed body (SSE), as its events: any standard framing (LF, CRLF, CR), comments dropped. */
  async events(path: string): Promise<AsyncIterable<EventSourceMessage>> {
    const res = await this.#fetch(path, { accept: 'text/event-stream' });
    if (!res.ok) throw this.#error(res.status, await res.text());
    if (!res.body) return (async function* () {})();
    // A bound on an event that never ends: far above any log line the platform sends.
    const events = res.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(finalCrAsLineEnd())
      .pipeThrough(new EventSourceParserStream({ onError: 'terminate', maxBufferSize: 4 * 1024 * 1024 }));
    return events as unknown as AsyncIterable<EventSourceMessage>;
  }

  async #fetch(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { 'x-aspora-actor': actor(), ...headers };
    if (this.opts.token) h.authorization = `Bearer ${this.opts.token}`;
    try {
      return await fetch(`${this.base}${path}`, { headers: h });
    } catch (e) {
      throw new AsporaError('UNAVAILABLE', `cannot reach the Aspora API at ${this.base} (${causeOf(e)})`, { hint: 'start a platform with `aspora up` (or `npm start`), or set ASPORA_URL to a running one' });
    }
  }

  #error(status: number, text: string): AsporaError {
    let err: ErrorBody['error'] | undefined;
    try {
      err = (JSON.parse(text) as ErrorBody).error;
    } catch {
      /* not JSON */
    }
    return new AsporaError((err?.code as never) ?? 'INTERNAL', err?.message ?? `HTTP ${status}`, { status, ...(err?.hint ? { hint: err.hint } : {}) });
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path).then((r) => r.data);
  }

  post<T>(path: string, json: unknown): Promise<T> {
    return this.request<T>('POST', path, { json }).then((r) => r.data);
  }
}

/**
 * The parser holds a CR that ends a read until the next byte says whether it is half of a CRLF,
 * so with CR-only framing each event would wait for the next. A final CR is one line end either
 * way: it is completed to CRLF at once, and an LF opening the next read is dropped (as the gateway does).
 */
function finalCrAsLineEnd(): TransformStream<string, string> {
  let crPending = false;
  return new TransformStream({
    transform(s, out) {
      if (!s) return;
      if (crPending && s.charCodeAt(0) === 10) s = s.slice(1);
      crPending = s.charCodeAt(s.length - 1) === 13;
      if (s) out.enqueue(crPending ? `${s}\n` : s);
    },
  });
}

function actor(): string {
  try {
    return process.env.ASPORA_ACTOR ?? userInfo().username;
  } catch {
    return 'unknown';
  }
}

function causeOf(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } })?.cause;
  return c?.code ?? c?.message ?? (e as Error)?.message ?? String(e);
}

export function qs(params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
