/**
 * A real S3 wire-protocol server for tests (@20minutes/s3rver: the maintained fork of s3rver, on disk
 * in a temp folder, on a free port) and a proxy in front of it that can fail requests on demand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';

export interface TestS3 {
  endpoint: string;
  port: number;
  /** The server's files (objects are under `<dir>/<bucket>/…`). */
  dir: string;
  /** AWS_* for a store on this server (s3rver's fixed test keys). */
  env(endpoint?: string): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startS3(buckets: string[] = ['aspora-test']): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped = false;
  return {
    endpoint,
    port,
    dir,
    env: (ep = endpoint) => ({
      AWS_ENDPOINT_URL_S3: ep,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What the proxy does with a request: forward it, answer 500 InternalError, cut the connection halfway
 * through the request body, or forward it and cut the answer after its headers and first KiB.
 */
export type ProxyAction = 'pass' | 'error' | 'cut' | 'truncate';

export interface FaultyProxy {
  endpoint: string;
  /** Decides per request; `n` counts requests from 1 since the last `reset()`. */
  policy: (req: IncomingMessage, n: number) => ProxyAction;
  /** Requests seen since the last reset, as `METHOD path`. */
  seen: string[];
  reset(policy?: FaultyProxy['policy']): void;
  close(): Promise<void>;
}

export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const to = new URL(target);
  const state: FaultyProxy = {
    endpoint: '',
    policy: () => 'pass',
    seen: [],
    reset(policy = () => 'pass') {
      state.policy = policy;
      state.seen = [];
    },
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    state.seen.push(`${req.method} ${req.url}`);
    const action = state.policy(req, state.seen.length);
    if (action === 'error') {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected by the test proxy</Message></Error>',
      );
      return;
    }
    if (action === 'cut') {
      // Take part of the upload, then drop the connection without an answer.
      let got = 0;
      const cut = () => req.socket.destroy();
      req.on('data', (c: Buffer) => {
        got += c.length;
        if (got > 1024) cut();
      });
      req.on('end', cut);
      return;
    }
    const up = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        if (action !== 'truncate') return void r.pipe(res);
        let sent = 0;
        r.on('data', (c: Buffer) => {
          if (sent >= 1024) return;
          res.write(c.subarray(0, 1024 - sent));
          sent += Math.min(c.length, 1024 - sent);
          if (sent >= 1024) setImmediate(() => req.socket.destroy());
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** A port where nothing listens (bound, then released). */
export async function deadEndpoint(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
