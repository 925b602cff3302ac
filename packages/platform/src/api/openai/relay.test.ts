/**
 * relay(): a stream written to a real node:http response — everything arrives through the
 * socket's backpressure with a client that reads slowly; a client that leaves cancels the source;
 * a source that fails after its first chunk breaks the connection.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { relay } from './relay.ts';

async function serve(handler: (res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    handler(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

test('a slow reader gets every byte, through backpressure, without piling up listeners', async () => {
  const chunk = Buffer.alloc(256 * 1024, 97);
  let warned = false;
  const onWarning = (w: Error) => (warned ||= w.name === 'MaxListenersExceededWarning');
  process.on('warning', onWarning);
  const { server, port } = await serve((res) => {
    void relay(
      (async function* () {
        for (let i = 0; i < 64; i++) yield chunk;
      })(),
      res,
      () => assert.fail('not cancelled'),
    );
  });
  try {
    const received = await new Promise<number>((resolve, reject) => {
      request({ port, host: '127.0.0.1', method: 'POST', agent: false }, (res) => {
        let n = 0;
        res.on('data', (d: Buffer) => {
          n += d.length;
          // Read slowly: the server's writes fill the socket and wait for drain.
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on('end', () => resolve(n));
        res.on('error', reject);
      }).end();
    });
    assert.equal(received, 64 * chunk.length);
    await new Promise((r) => setImmediate(r));
    assert.equal(warned, false);
  } finally {
    process.off('warning', onWarning);
    server.closeAllConnections();
    server.close();
  }
});

test('a client that leaves cancels the source; a source that fails breaks the connection', async () => {
  let cancelled = false;
  const { server, port } = await serve((res) => {
    void relay(
      (async function* () {
        yield Buffer.from('data: first\n\n');
        await new Promise((r) => setTimeout(r, 300));
        yield Buffer.from('data: never\n\n');
      })(),
      res,
      () => (cancelled = true),
    );
  });
  try {
    await new Promise<void>((resolve) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', agent: false }, (res) =>
        res.once('data', () => (req.destroy(), resolve())),
      );
      req.on('error', () => undefined);
      req.end();
    });
    for (let i = 0; i < 40 && !cancelled; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(cancelled, true, 'cancel() was called when the client left');
  } finally {
    server.closeAllConnections();
    server.close();
  }

  const broken = await serve((res) => {
    void relay(
      (async function* () {
        yield Buffer.from('data: first\n\n');
        throw new Error('provider stream broke');
      })(),
      res,
      () => undefined,
    );
  });
  try {
    const outcome = await new Promise<string>((resolve) => {
      request({ port: broken.port, host: '127.0.0.1', method: 'POST', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(`ended: ${body}`));
        res.on('error', () => resolve(`broken after: ${body}`));
        res.on('aborted', () => resolve(`broken after: ${body}`));
      })
        .on('error', (e) => resolve(`no response: ${e.message}`))
        .end();
    });
    assert.match(outcome, /^broken after: data: first/);
  } finally {
    broken.server.closeAllConnections();
    broken.server.close();
  }
});
