/**
 * Loaded with `node --import` before Portkey's gateway: Portkey 1.15.2 answers every stream with
 * "TypeError: immutable" on @hono/node-server 1.14.2 and later (its Response keeps the upstream
 * fetch's immutable headers, which Portkey then appends to; Portkey-AI/gateway#1389), and the
 * workspace hoists 1.19 for the platform. This points Portkey's own imports of @hono/node-server
 * (and its subpaths) at the 1.14.1 copy installed under the npm alias @hono/node-server-portkey,
 * as an npm override would; nothing else is resolved differently.
 */
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(spec, ctx, next) {
      if (ctx.parentURL?.includes('/node_modules/@portkey-ai/gateway/') && (spec === '@hono/node-server' || spec.startsWith('@hono/node-server/')))
        return next(spec.replace('@hono/node-server', '@hono/node-server-portkey'), ctx);
      return next(spec, ctx);
    }`)}`,
);
