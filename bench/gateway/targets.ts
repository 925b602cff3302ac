/**
 * The processes under test, each in its own process so that none shares an event loop with
 * another or with the load generator: the stub, a bare Node.js proxy (the floor), Aspora's
 * platform (gateway in front of the stub) and Portkey's open-source gateway (same). A Target says where to send a chat completion, with
 * which headers, and which pid does the gateway's work.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Target {
  name: 'direct' | 'node-proxy' | 'aspora' | 'aspora-pg' | 'portkey';
  /** http://host:port */
  origin: string;
  /** Path of the chat completions endpoint. */
  path: string;
  headers: Record<string, string>;
  /** The process doing this target's work in front of the stub (the stub itself for direct). */
  pid: number;
}

export interface Running {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const TOKEN = 'bench-token-for-the-gateway-0123';

/** Stops a child; and, whatever happens to this process, it does not outlive it. */
function stopper(child: ChildProcess): () => Promise<void> {
  // Forked children clean up and exit when their IPC channel closes; Portkey has to be killed.
  process.once('exit', () => (child.connected ? child.disconnect() : child.kill('SIGKILL')));
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => (clearTimeout(kill), resolve()));
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
    });
}

/** Forks a TypeScript entry point (through tsx, in the same node process) and waits for {url}. */
function forkTs(file: string, args: string[], timeoutMs: number): Promise<Running> {
  const child = fork(join(here, file), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const stop = stopper(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => (child.kill('SIGKILL'), reject(new Error(`${file} did not start in ${timeoutMs} ms`))),
      timeoutMs,
    );
    child.once(
      'exit',
      (code) => (clearTimeout(timer), reject(new Error(`${file} exited with ${code} before it was ready`))),
    );
    child.once('message', (m: { url: string }) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ pid: child.pid!, url: m.url, stop });
    });
  });
}

export const startStub = () => forkTs('stub-server.ts', [], 15_000);
export const startNodeProxy = (stubUrl: string) => forkTs('node-proxy.ts', [stubUrl], 15_000);
export const startAspora = (stubUrl: string, database: 'pglite' | 'postgres' = 'pglite') =>
  forkTs('aspora-server.ts', [stubUrl, TOKEN, database], 60_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/**
 * Portkey's published node server (build/start-server.js, what `npx @portkey-ai/gateway` runs),
 * headless (no console UI or log stream). portkey-hono.mjs gives it the @hono/node-server it
 * works with (see there). Ready when a chat completion through it reaches the stub.
 */
export async function startPortkey(stubUrl: string): Promise<Running> {
  const main = join(
    dirname(createRequire(import.meta.url).resolve('@portkey-ai/gateway/package.json')),
    'build/start-server.js',
  );
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', join(here, 'portkey-hono.mjs'), main, `--port=${port}`, '--headless'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stop = stopper(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const t = portkeyTarget(url, stubUrl, child.pid!);
  for (const until = Date.now() + 20_000; ; ) {
    const ok = await fetch(`${url}${t.path}`, {
      method: 'POST',
      headers: t.headers,
      body: JSON.stringify(chatBody(false)),
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(
        `portkey ${child.exitCode !== null ? `exited with ${child.exitCode}` : 'did not answer within 20 s'}: ${stderr}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { pid: child.pid!, url, stop };
}

const json = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

export const directTarget = (stub: Running): Target => ({
  name: 'direct',
  origin: new URL(stub.url).origin,
  path: '/v1/chat/completions',
  headers: json,
  pid: stub.pid,
});
export const nodeProxyTarget = (p: Running): Target => ({
  name: 'node-proxy',
  origin: p.url,
  path: '/v1/chat/completions',
  headers: json,
  pid: p.pid,
});
export const asporaTarget = (p: Running, name: 'aspora' | 'aspora-pg' = 'aspora'): Target => ({
  name,
  origin: p.url,
  path: '/v1/chat/completions',
  headers: json,
  pid: p.pid,
});
/** Portkey routes by headers: the OpenAI provider at a custom host (the stub); the key is passed on. */
export const portkeyTarget = (url: string, stubUrl: string, pid: number): Target => ({
  name: 'portkey',
  origin: url,
  path: '/v1/chat/completions',
  headers: { ...json, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': stubUrl },
  pid,
});

/** The same small request for every target; the stub answers "stub reply to: <content>". */
export function chatBody(stream: boolean) {
  return {
    model: 'openai/gpt-4o-mini',
    messages: [{ role: 'user', content: 'say hello to the benchmark' }],
    max_tokens: 16,
    ...(stream ? { stream: true } : {}),
  };
}
