import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Small helpers shared by the route modules. */

export function readJson(req: IncomingMessage, maxBytes = 10 * 1024 * 1024): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data').resume();
        reject(new HttpError(413, 'request body too large'));
      } else chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (size > maxBytes) return;
      try {
        resolve(JSON.parse((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'request body is not valid JSON'));
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: OutgoingHttpHeaders): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

export interface HttpErrorDetails {
  /** OpenAI's error `type`; defaults to server_error (5xx) / invalid_request_error (4xx). */
  type?: string;
  param?: string | null;
  code?: string | null;
  /** Extra response headers (e.g. Retry-After). */
  headers?: OutgoingHttpHeaders;
}

export class HttpError extends Error {
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: OutgoingHttpHeaders | undefined;
  constructor(
    readonly status: number,
    message: string,
    details: HttpErrorDetails = {},
  ) {
    super(message);
    this.type = details.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.param = details.param ?? null;
    this.code = details.code ?? null;
    this.headers = details.headers;
  }
}

/** OpenAI's error envelope. */
export function sendError(res: ServerResponse, err: HttpError, headers?: OutgoingHttpHeaders): void {
  const body = { error: { message: err.message, type: err.type, param: err.param, code: err.code } };
  sendJson(res, err.status, body, headers && err.headers ? { ...headers, ...err.headers } : (err.headers ?? headers));
}

/**
 * Waits `ms` milliseconds unless the client goes away first.
 * Resolves true when the response can still be written, false when the connection closed.
 */
export function pause(res: ServerResponse, ms: number): Promise<boolean> {
  if (!(ms > 0)) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const done = (alive: boolean) => {
      clearTimeout(timer);
      res.off('close', onClose);
      resolve(alive && !res.destroyed);
    };
    const onClose = () => done(false);
    const timer = setTimeout(done, ms, true);
    res.once('close', onClose);
  });
}
