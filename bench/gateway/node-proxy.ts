/**
 * Child process: the least a Node.js proxy can be — node:http in, an undici Pool out, the body
 * passed through untouched, no parsing, auth, limits or records. Its added latency is this
 * machine's floor for any gateway written in Node (Aspora's included), measured in the same run.
 *   node --import tsx node-proxy.ts <stub url>
 * Sends its URL to the parent over IPC.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const stub = new URL(process.argv[2]!);
const prefix = stub.pathname.replace(/\/$/, '').replace(/\/v1$/, '');
const pool = new Pool(stub.origin, { connections: 256, keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    pool
      .request({
        path: `${prefix}${req.url}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: String(req.headers.accept ?? '*/*') },
        body: Buffer.concat(chunks),
      })
      .then(async (up) => {
        res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json') });
        // Streams are relayed chunk by chunk, as a gateway must.
        for await (const chunk of up.body) res.write(chunk);
        res.end();
      })
      .catch((e: Error) => {
        res.writeHead(502, { 'content-type': 'text/plain' }).end(e.message);
      });
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send!({ url: `http://127.0.0.1:${port}` });
});
process.on(
  'disconnect',
  () => void Promise.all([new Promise((r) => server.close(r)), pool.close()]).finally(() => process.exit(0)),
);
