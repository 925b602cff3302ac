/**
 * A streamed answer written straight to Node's ServerResponse when the platform serves over
 * node:http: each SSE chunk goes to the socket as it comes, with the response's own backpressure.
 * Through a web ReadableStream, which @hono/node-server then reads back chunk by chunk, every
 * chunk took two more promise hops and a reader loop (~0.4 ms more to the first token at p50).
 */
import type { ServerResponse } from 'node:http';

/**
 * Writes `chunks` to `out` and ends it. A client that goes away stops the source (`cancel`: its
 * upstream request is released at once); a source that fails after the first chunk breaks the
 * connection, as the client must see a stream that did not finish.
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
      if (!out.write(r.value)) await writable(out);
    }
    if (!gone) out.end();
  } catch (e) {
    // After what was written has gone out: Node sends a response's first bytes on the next tick,
    // and a source that fails at once would otherwise leave the client with nothing at all.
    setImmediate(() => out.destroy(e as Error));
  } finally {
    out.off('close', onClose);
  }
}

/** Until the socket takes more (drain) or is gone (close), whichever comes first. */
function writable(out: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}
