/** Outgoing HTTP for the host: a deadline, a size cap on the body, and typed errors. */
import { AsporaError } from '@aspora/sdk';

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: string;
}

export async function httpRequest(url: string, init: RequestInit & { timeoutMs: number; maxBytes: number; what: string }): Promise<HttpResponse> {
  const { timeoutMs, maxBytes, what, ...rest } = init;
  let res: Response;
  try {
    res = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError') throw new AsporaError('TIMEOUT', `${what}: no answer within ${timeoutMs} ms`);
    throw new AsporaError('UPSTREAM_ERROR', `${what}: ${err.cause?.code ?? err.message}`, { hint: 'the service may be down; try again later' });
  }
  return { status: res.status, headers: res.headers, body: await readCapped(res, maxBytes, what) };
}

async function readCapped(res: Response, maxBytes: number, what: string): Promise<string> {
  if (!res.body) return '';
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body.cancel();
    throw new AsporaError('PAYLOAD_TOO_LARGE', `${what}: the response is ${declared} bytes, more than the ${maxBytes} allowed`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new AsporaError('PAYLOAD_TOO_LARGE', `${what}: the response is larger than the ${maxBytes} bytes allowed`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
