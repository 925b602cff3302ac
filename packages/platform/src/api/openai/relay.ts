/**
 * A streamed answer written straight to Node's ServerResponse when the platform serves over
 * node:http: each SSE chunk goes to the socket as it comes, with the response's own backpressure.
 * Through a web ReadableStream, which @hono/node-server then reads back chunk by chunk, every
 * chunk took two more promise hops and a reader loop (~0.8 ms more to the first token at p50).
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';

export function outgoingOf(c: Context): ServerResponse | undefined {
  return (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
}

/**
 * Writes `chunks` to `out` and ends it. A client that goes away stops the source (`cancel`: its
 * upstream request is released at once); a source that fails after the first chunk breaks the connection, as the
 * client must see a stream that did not finish.
 */
export async function relay(chunks: AsyncIterable<Uint8Array>, out: ServerResponse, cancel: () => void): Promise<void> {
  const it = chunks[Symbol.asyncIterator]();
  let gone = false;
  const onClose = () => {
    if (out.writableFinished) return;
    gone = true;
    // cancel() ends a read that is waiting on the provider; return() then runs the source's cleanup.
    cancel();
    void it.return?.(undefined)?.catch(() => undefined);
  };
  out.once('close', onClose);
  try {
    for (;;) {
      const r = await it.next();
      if (r.done || gone) break;
      if (!out.write(r.value)) await new Promise<void>((resolve) => (out.once('drain', resolve), out.once('close', resolve)));
    }
    if (!gone) out.end();
  } catch (e) {
    out.destroy(e as Error);
  } finally {
    out.off('close', onClose);
  }
}
