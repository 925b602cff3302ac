/**
 * A request header by its lower-case name. Under the Node server it reads the IncomingMessage:
 * c.req.header() makes @hono/node-server build a whole WHATWG Headers object from it (~3 % of the
 * CPU of a gateway call, for the two or three headers a call reads). Elsewhere (app.request in
 * tests, other runtimes) it asks c.req. Repeated headers read as Headers.get reads them.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

export function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = incomingOf(c);
  if (!incoming) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
