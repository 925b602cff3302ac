/** Outgoing HTTP for the host: a deadline, a size cap on the body, and typed errors. */
import { AsporaError } from '@aspora/sdk';
import { fetch, type Dispatcher, type Headers, type Response } from 'undici';

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: string;
}

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  redirect?: 'follow' | 'manual';
  /** Where connections are made (WebFetch: one that checks every address); undici's global one otherwise. */
  dispatcher?: Dispatcher;
  timeoutMs: number;
  maxBytes: number;
  what: string;
}

export async function httpRequest(url: string, init: HttpRequestInit): Promise<HttpResponse> {
  const { timeoutMs, maxBytes, what, ...rest } = init;
  let res: Response;
  try {
    res = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError') throw new AsporaError('TIMEOUT', `${what}: no answer within ${timeoutMs} ms`);
    // A typed refusal from the dispatcher (an address WebFetch may not reach) keeps its type.
    if (err.cause instanceof AsporaError) throw err.cause;
    throw new AsporaError('UPSTREAM_ERROR', `${what}: ${err.cause?.code ?? err.message}`, {
      hint: 'the service may be down; try again later',
    });
  }
  return { status: res.status, headers: res.headers, body: await readCapped(res, maxBytes, what) };
}

async function readCapped(res: Response, maxBytes: number, what: string): Promise<string> {
  if (!res.body) return '';
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body.cancel();
    throw new AsporaError(
      'PAYLOAD_TOO_LARGE',
      `${what}: the response is ${declared} bytes, more than the ${maxBytes} allowed`,
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes)
      throw new AsporaError('PAYLOAD_TOO_LARGE', `${what}: the response is larger than the ${maxBytes} bytes allowed`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
