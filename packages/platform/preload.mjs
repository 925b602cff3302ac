// The platform server's plain-JS dependencies, loaded before tsx registers (see @aspora/sdk/preload).
// Drivers stay lazy (pg, openai): only what every `aspora up` needs is here.
await import('@aspora/sdk/preload');
await Promise.all(
  ['@electric-sql/pglite', 'hono', '@hono/zod-openapi', '@hono/node-server', 'pino', 'tar-stream'].map(
    (m) => import(m),
  ),
);
