/**
 * A local OpenAI-compatible server for tests and offline development (node:http only).
 * One module per route under routes/; add a route by adding a line to ROUTES.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, sendError } from './http.ts';
import { embeddingsRoute } from './routes/embeddings.ts';

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const ROUTES: Record<string, Route> = {
  'POST /v1/embeddings': embeddingsRoute,
};

export interface OpenAIStub {
  /** Base URL including /v1 — pass it as the OpenAI client's baseURL. */
  url: string;
  /** http://host:port without a path. */
  origin: string;
  /** Requests received on /v1/* routes (including failed ones). */
  readonly requests: number;
  /** The next `n` requests on /v1/* routes answer 500 (fault injection). */
  failNext(n?: number): void;
  close(): Promise<void>;
}

export async function startOpenAIStub(opts: { port?: number; host?: string } = {}): Promise<OpenAIStub> {
  let requests = 0;
  let failures = 0;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = ROUTES[`${req.method} ${path}`];
    if (path?.startsWith('/v1/')) requests++;
    const handle = async () => {
      if (!route) throw new HttpError(404, `no route for ${req.method} ${path}`);
      if (failures > 0) {
        failures--;
        req.resume();
        throw new HttpError(500, 'injected failure (failNext)');
      }
      await route(req, res);
    };
    handle().catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      sendError(res, err instanceof HttpError ? err : new HttpError(500, (err as Error).message));
    });
  });
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
    failNext(n = 1) {
      failures = n;
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
