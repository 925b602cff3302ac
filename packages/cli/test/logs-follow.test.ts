/**
 * `aspora logs --follow` reads the platform's server-sent events with a standard parser: events
 * framed with CRLF or a lone CR are printed as they come, not when the stream ends, and comments
 * (keep-alives) are skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/aspora.js', import.meta.url));

const line = (msg: string) => ({
  at: '2026-01-01T00:00:00.000Z',
  level: 'info',
  executionId: '0123456789abcdef',
  msg,
  ref: 'fraud/x',
});

for (const [name, eol] of [
  ['CRLF', '\r\n'],
  ['CR', '\r'],
] as const) {
  test(`${name}-framed log events are printed as they arrive`, async () => {
    let res: ServerResponse | undefined;
    let paths: string[] = [];
    const server = createServer((req, r) => {
      paths.push(req.url ?? '');
      r.writeHead(200, { 'content-type': 'text/event-stream' });
      // A keep-alive comment, then the first line; the stream stays open until the test ends it.
      r.write(`: keep-alive${eol}${eol}data: ${JSON.stringify(line('first'))}${eol}${eol}`);
      res = r;
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const child = spawn(process.execPath, [BIN, 'logs', 'fraud/x', '--follow', '--json'], {
      env: { ...process.env, ASPORA_URL: url, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    try {
      // The first line is printed while the server still holds the stream open.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line within 20 s; stderr: ${err}`)), 20_000);
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) clearTimeout(timer), resolve();
        });
        child.on('exit', (code) => reject(new Error(`exited ${code} before printing: ${err}`)));
      });
      assert.equal(JSON.parse(out.trim()).msg, 'first');
      res!.end(`data: ${JSON.stringify(line('second'))}${eol}${eol}`);
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.equal(code, 0, err);
      assert.deepEqual(
        out
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).msg),
        ['first', 'second'],
      );
      assert.match(paths[0]!, /\/logs\?.*follow=true/);
    } finally {
      child.kill();
      server.closeAllConnections();
      server.close();
      paths = [];
    }
  });
}
