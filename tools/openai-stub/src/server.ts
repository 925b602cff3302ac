/**
 * A local OpenAI-compatible server for tests, benchmarks and offline development (node:http only).
 * One module per route under routes/; add a route by adding a line to ROUTES.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StubBehaviour } from './behaviours.ts';
import { HttpError, sendError } from './http.ts';
import { chatRoute } from './routes/chat.ts';
import { embeddingsRoute } from './routes/embeddings.ts';
import { modelsRoute } from './routes/models.ts';
import { StubState, type ModelsFault } from './state.ts';
import type { ChatRequestRecord } from './types.ts';

export type { StubBehaviour } from './behaviours.ts';
export { DEFAULT_MODELS, DEFAULT_PRICES, type ModelsFault } from './state.ts';
export type { ChatMessage, ChatRequestBody, ChatRequestRecord, ReplyFn, StubReply } from './types.ts';

type Route = (req: IncomingMessage, res: ServerResponse, state: StubState) => Promise<void>;

const ROUTES: Record<string, Route> = {
  'POST /v1/embeddings': embeddingsRoute,
  'POST /v1/chat/completions': chatRoute,
  'GET /v1/models': modelsRoute,
};

export interface OpenAIStubOptions {
  port?: number;
  host?: string;
  /**
   * Model ids served by GET /v1/models. When given, chat completions for any other model answer
   * 404 model_not_found; when omitted, DEFAULT_MODELS are listed and every model is accepted.
   */
  models?: string[];
  /** OpenRouter-style prices (USD per token, as strings) GET /v1/models shows; DEFAULT_PRICES by default. */
  prices?: Record<string, { prompt: string; completion: string }>;
  /** How many chat requests `chatRequests` keeps (the oldest are dropped); 0 records none. Default 10,000. */
  recordLimit?: number;
}

export interface OpenAIStub {
  /** Base URL including /v1 — pass it as the OpenAI client's baseURL. */
  url: string;
  /** http://host:port without a path. */
  origin: string;
  /** Requests received on /v1/* routes (including failed ones). */
  readonly requests: number;
  /** The model ids GET /v1/models lists. */
  readonly models: readonly string[];
  /** Chat requests received (including invalid and fault-injected ones), oldest first. */
  readonly chatRequests: readonly ChatRequestRecord[];
  /** Streams (with chunkDelayMs) whose client closed the connection before their last event. */
  readonly abandonedStreams: number;
  /** Chat requests received per model id (a snapshot). */
  readonly requestsByModel: Record<string, number>;
  /** The next `n` requests on /v1/* routes answer 500, before any routing (fault injection). */
  failNext(n?: number): void;
  /** GET /v1/models requests received. */
  readonly modelsRequests: number;
  /** Makes GET /v1/models fail (500, a cut body, another shape, a huge body) until reset() or failModels(undefined). */
  failModels(fault: ModelsFault | undefined): void;
  /** Fault injection for chat completions to `model` ('*': every model). Returns a function removing it. */
  behave(model: string, behaviour: StubBehaviour): () => void;
  /** Drops every behaviour and pending failNext, clears chatRequests and all counters. */
  reset(): void;
  close(): Promise<void>;
}

export async function startOpenAIStub(opts: OpenAIStubOptions = {}): Promise<OpenAIStub> {
  const state = new StubState(opts.models, opts.recordLimit ?? 10_000, opts.prices);
  let requests = 0;
  let failures = 0;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = ROUTES[`${req.method} ${path}`];
    if (path.startsWith('/v1/')) requests++;
    const handle = async () => {
      if (!route) throw new HttpError(404, `no route for ${req.method} ${path}`);
      if (failures > 0) {
        failures--;
        req.resume();
        throw new HttpError(500, 'injected failure (failNext)');
      }
      await route(req, res, state);
    };
    handle().catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return res.destroy();
      sendError(res, err instanceof HttpError ? err : new HttpError(500, (err as Error).message));
    });
  });
  // Benchmarks keep connections pooled: don't let idle sockets expire under them.
  server.keepAliveTimeout = 65_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host}:${port}`;
  return {
    url: `${origin}/v1`,
    origin,
    get requests() {
      return requests;
    },
    models: state.models,
    chatRequests: state.chatRequests,
    get abandonedStreams() {
      return state.abandonedStreams;
    },
    get requestsByModel() {
      return Object.fromEntries(state.perModel);
    },
    failNext(n = 1) {
      failures = n;
    },
    get modelsRequests() {
      return state.modelsRequests;
    },
    failModels(fault) {
      state.modelsFault = fault;
    },
    behave: (model, behaviour) => state.behaviours.add(model, behaviour),
    reset() {
      state.reset();
      failures = 0;
      requests = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

// `npx tsx tools/openai-stub/src/server.ts [port]` runs it standalone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const stub = await startOpenAIStub({ port: Number(process.argv[2] ?? 0) });
  console.log(`openai stub listening on ${stub.url}`);
}
