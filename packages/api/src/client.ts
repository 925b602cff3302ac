/**
 * A typed client for the Aspora API, built on the contract: one function per route of `routes`,
 * its input (path params, query, body) and output inferred from the route's schemas. Every
 * failure is an ApiError with the server's code, hint and status; an unreachable server is
 * UNAVAILABLE. Uses the global fetch (undici); no platform code.
 */
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import type { z } from 'zod';
import { ApiError, type ErrorBody, type ErrorCode } from './errors.ts';
import { FinalCrAsLineEnd } from './sse-line-ends.ts';
import { routes, type RouteName, type Routes, type RouteSpec } from './routes.ts';
import { LogLineSchema, type LogLine } from './schemas.ts';

export interface ClientOptions {
  /** Base URL of the platform, e.g. http://127.0.0.1:4000. */
  url: string;
  /** Sent as `Authorization: Bearer`. */
  token?: string | undefined;
  /** Who acts, for the deployment history (`x-aspora-actor`). */
  actor?: string | undefined;
  /** Parse every JSON answer with its response schema and fail on a mismatch (tests of the contract). */
  checkResponses?: boolean | undefined;
  fetch?: typeof fetch | undefined;
}

type Req<R> = R extends { request: infer Q } ? Q : {};
type Schema<M, K extends string> = M extends Record<K, { schema: infer S extends z.ZodType }> ? S : never;
type ParamsIn<R> = Req<R> extends { params: infer P extends z.ZodType } ? { params: z.input<P> } : {};
type QueryIn<R> = Req<R> extends { query: infer Q extends z.ZodType } ? { query?: z.input<Q> } : {};
type BodyIn<R> =
  Req<R> extends { body: { content: infer C; required: infer Required } }
    ? C extends Record<'application/json', unknown>
      ? Required extends true
        ? { body: z.input<Schema<C, 'application/json'>> }
        : { body?: z.input<Schema<C, 'application/json'>> }
      : { body: Uint8Array }
    : {};
/** What a route function takes: `{ params, query, body }` as its schemas accept them. */
export type RouteInput<R> = ParamsIn<R> & QueryIn<R> & BodyIn<R>;

type Success<R> = R extends { responses: infer S }
  ? S extends Record<200, infer A>
    ? A
    : S extends Record<201, infer B>
      ? B
      : S extends Record<202, infer C>
        ? C
        : never
  : never;
/** What a route function resolves to: the JSON its success schema describes, bytes, or text. */
export type RouteOutput<R> =
  Success<R> extends { content: infer C }
    ? C extends Record<'application/json', unknown>
      ? z.output<Schema<C, 'application/json'>>
      : C extends Record<'application/gzip', unknown>
        ? Uint8Array
        : string
    : undefined;

/** Per call: a signal that abandons it (a deadline: `AbortSignal.timeout(ms)`). */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}
type RouteFn<R> =
  {} extends RouteInput<R>
    ? (input?: RouteInput<R>, options?: CallOptions) => Promise<RouteOutput<R>>
    : (input: RouteInput<R>, options?: CallOptions) => Promise<RouteOutput<R>>;

export type AsporaClient = { readonly [K in RouteName]: RouteFn<Routes[K]> } & {
  /** The base URL, without a trailing slash. */
  readonly base: string;
  /** `logs` with follow=true: the past lines, then live ones as they are written, until `signal` aborts. */
  followLogs(input: RouteInput<Routes['logs']>, signal?: AbortSignal): AsyncIterable<LogLine>;
};

/** Longest event the client holds while it waits for its end: far above any log line the platform sends. */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;

const UNREACHABLE_HINT = 'start a platform with `aspora up` (or `npm start`), or set ASPORA_URL to a running one';

export function createClient(opts: ClientOptions): AsporaClient {
  const base = opts.url.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;

  async function send(
    spec: RouteSpec,
    input: { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown },
    accept: string,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.actor) headers['x-aspora-actor'] = opts.actor;
    let body: string | Uint8Array | undefined;
    const media = spec.request?.body ? Object.keys(spec.request.body.content)[0]! : undefined;
    if (media && input.body !== undefined) {
      headers['content-type'] = media;
      body = media === 'application/json' ? JSON.stringify(input.body) : (input.body as Uint8Array);
    } else if (media === 'application/json' && spec.request?.body?.required === false) {
      headers['content-type'] = media;
      body = '{}';
    }
    const url = `${base}${pathOf(spec.path, input.params ?? {})}${queryOf(input.query)}`;
    try {
      return await doFetch(url, {
        method: spec.method.toUpperCase(),
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new ApiError('UNAVAILABLE', `cannot reach the Aspora API at ${base} (${causeOf(e)})`, {
        hint: UNREACHABLE_HINT,
      });
    }
  }

  async function call(
    name: RouteName,
    input: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<unknown> {
    const spec: RouteSpec = routes[name];
    const ok = spec.responses[200] ?? spec.responses[201];
    const media = Object.keys(ok?.content ?? {})[0] ?? 'application/json';
    const res = await send(
      spec,
      input,
      media === 'application/json' ? 'application/json' : `${media}, application/json`,
      options.signal,
    );
    if (!res.ok) throw await errorOf(res, base);
    if (media === 'application/gzip') return new Uint8Array(await res.arrayBuffer());
    const text = await res.text();
    if (media !== 'application/json') return text;
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError('UNAVAILABLE', `the API at ${base} answered ${res.status} with a body that is not JSON`, {
        hint: 'is ASPORA_URL pointing at an Aspora platform?',
      });
    }
    const schema = (spec.responses[res.status] ?? ok)?.content?.['application/json']?.schema;
    if (opts.checkResponses && schema) {
      const r = schema.safeParse(data);
      if (!r.success)
        throw new ApiError(
          'PROTOCOL_ERROR',
          `${spec.method.toUpperCase()} ${spec.path} answered outside its contract: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
        );
    }
    return data;
  }

  async function* followLogs(input: RouteInput<Routes['logs']>, signal?: AbortSignal): AsyncIterable<LogLine> {
    const res = await send(
      routes.logs,
      { ...input, query: { ...input.query, follow: 'true' } },
      'text/event-stream',
      signal,
    );
    if (!res.ok) throw await errorOf(res, base);
    if (!res.body) return;
    // A bound on an event that never ends: far above any log line the platform sends.
    const events = (res.body as ReadableStream<Uint8Array>)
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(finalCrAsLineEnd())
      .pipeThrough(new EventSourceParserStream({ onError: 'terminate', maxBufferSize: MAX_EVENT_CHARS }));
    try {
      for await (const e of events as unknown as AsyncIterable<EventSourceMessage>) {
        if (!e.data) continue;
        const line = JSON.parse(e.data) as LogLine;
        yield opts.checkResponses ? LogLineSchema.parse(line) : line;
      }
    } catch (e) {
      // Aborting is how the caller stops following: not an error.
      if (!signal?.aborted) throw e;
    }
  }

  const client: Record<string, unknown> = { base, followLogs };
  for (const name of Object.keys(routes) as RouteName[])
    client[name] = (input?: Record<string, unknown>, options?: CallOptions) => call(name, input, options);
  return client as AsporaClient;
}

/** CR line ends as the parser needs them (FinalCrAsLineEnd), as a stream stage. */
function finalCrAsLineEnd(): TransformStream<string, string> {
  const ends = new FinalCrAsLineEnd();
  return new TransformStream({
    transform(s, out) {
      const t = ends.next(s);
      if (t) out.enqueue(t);
    },
  });
}

/** `/v1/skills/{domain}/{name}` with each `{x}` replaced by its encoded value. */
function pathOf(template: string, params: Record<string, unknown>): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined || v === null || v === '')
      throw new ApiError('BAD_REQUEST', `path parameter ${k} is missing for ${template}`);
    return encodeURIComponent(String(v));
  });
}

function queryOf(q: Record<string, unknown> | undefined): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** The server's error body (or OpenAI's envelope on the OpenAI routes) as an ApiError. */
async function errorOf(res: Response, base: string): Promise<ApiError> {
  const text = await res.text();
  let e: (ErrorBody['error'] & { type?: string }) | undefined;
  try {
    e = (JSON.parse(text) as ErrorBody).error;
  } catch {
    /* not JSON: below */
  }
  if (!e || typeof e.message !== 'string')
    return new ApiError('UNAVAILABLE', `the API at ${base} answered ${res.status} without an error body`, {
      status: res.status,
      hint: 'is ASPORA_URL pointing at an Aspora platform?',
    });
  // A code this client does not know yet is kept as the server sent it: it is what the user can look up.
  const code = (typeof e.code === 'string' && e.code ? e.code.toUpperCase() : 'INTERNAL') as ErrorCode;
  return new ApiError(code, e.message, { status: res.status, hint: e.hint, issues: e.issues, details: e.details });
}

function causeOf(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } })?.cause;
  return c?.code ?? c?.message ?? (e as Error)?.message ?? String(e);
}

export { ApiError } from './errors.ts';
export type { RouteSpec } from './routes.ts';
