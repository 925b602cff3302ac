/**
 * Node's own request and response behind a Hono context, for the hot paths that are cheaper on
 * them than on the WHATWG objects @hono/node-server would build (undefined under app.request in
 * tests and on other runtimes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';

export function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

export function outgoingOf(c: Context): ServerResponse | undefined {
  return (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
}

/**
 * A request header by its lower-case name, from the IncomingMessage when there is one:
 * c.req.header() makes @hono/node-server build a whole Headers object (~3 % of the CPU of a
 * gateway call, for the two or three headers a call reads). Repeated headers read as
 * Headers.get reads them.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = incomingOf(c);
  if (!incoming) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
