import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AsporaError } from '@aspora/sdk';
import type { Db } from './types.ts';
import { quoteIdent } from './ident.ts';

/**
 * PGlite on a thread of its own (pglite-thread.mjs). PGlite is PostgreSQL compiled to WASM, and a
 * statement runs synchronously wherever PGlite lives: on the platform's thread, a batch of
 * records or a search held every request for the milliseconds it took (the gateway's p99 at
 * 1,000 req/s was 10–20 ms, almost all of it that). On its own thread the event loop only
 * posts messages, and the WASM uses the second core.
 *
 * It is still one connection: statements outside a transaction queue behind an open one in
 * PGlite's own mutex, so nobody's statement runs inside someone else's transaction. Inside a
 * transaction the handle passed to `fn` must be used (nested `transaction()` reuses it).
 */
export async function openPglite(dataDir: string | undefined, schema: string | undefined): Promise<Db> {
  const worker = new Worker(new URL('./pglite-thread.mjs', import.meta.url), {
    workerData: {
      dataDir,
      ...(await compiled()),
      schemaSql: schema
        ? `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}; SET search_path TO ${quoteIdent(schema)}`
        : undefined,
    },
    // Not the parent's --import tsx: the thread is plain JavaScript and starts faster without it.
    execArgv: [],
    stdout: false,
    stderr: false,
  });
  const conn = new Connection(worker, dataDir);
  await conn.ready;
  return pgliteDb(conn, undefined);
}

/**
 * PGlite's WASM, compiled once per process and shared with every database thread (a compiled
 * module crosses threads without being compiled again): each open then costs what it did in
 * process, not another ~0.6 s of compiling.
 */
// The WebAssembly namespace comes with lib "dom", which this project does not load, and @types/node
// 20 does not declare it: declare the one type used here (it merges with any other declaration).
declare global {
  namespace WebAssembly {
    interface Module {}
  }
}
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } })
  .WebAssembly;
let assets:
  | Promise<{ pgliteWasmModule: WebAssembly.Module; initdbWasmModule: WebAssembly.Module; fsBundle: Blob }>
  | undefined;
function compiled() {
  assets ??= (async () => {
    const dist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    const [pglite, initdb, data] = await Promise.all(
      ['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((f) => readFile(join(dist, f))),
    );
    const [pgliteWasmModule, initdbWasmModule] = await Promise.all([wasm.compile(pglite!), wasm.compile(initdb!)]);
    return { pgliteWasmModule, initdbWasmModule, fsBundle: new Blob([data!]) };
  })();
  return assets;
}

interface Reply {
  id: number;
  ok: boolean;
  rows?: unknown[];
  tx?: number;
  error?: Record<string, unknown> & { message: string };
}

type Request =
  | { op: 'query'; sql: string; params?: unknown[]; tx?: number }
  | { op: 'exec'; sql: string; tx?: number; rows?: boolean }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'close' };

class Connection {
  readonly ready: Promise<void>;
  readonly #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #next = 1;
  #dead: Error | undefined;

  constructor(
    private readonly worker: Worker,
    dataDir: string | undefined,
  ) {
    // The thread keeps the process alive only while something waits on it, as PGlite in-process did.
    worker.unref();
    this.ready = new Promise((resolve, reject) => {
      worker.once('message', (m: { ready: boolean; error?: Reply['error'] }) => {
        if (m.ready) return resolve();
        reject(
          new AsporaError(
            'UNAVAILABLE',
            `the embedded database${dataDir ? ` at ${dataDir}` : ''} could not be opened: ${m.error?.message}`,
            {
              hint: 'check that the data directory is readable and not damaged, or point ASPORA_DATA_DIR elsewhere (or DATABASE_URL at PostgreSQL)',
            },
          ),
        );
      });
      worker.once('error', reject);
    });
    worker.on('message', (m: Reply) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) worker.unref();
      if (m.ok) p.resolve(m);
      else p.reject(databaseError(m.error!));
    });
    const die = (why: string) => (e?: unknown) => {
      this.#dead ??= new AsporaError(
        'UNAVAILABLE',
        `the embedded database thread ${why}${e instanceof Error ? `: ${e.message}` : ''}`,
        {
          hint: 'restart the platform; the data directory holds every committed write',
        },
      );
      for (const p of this.#pending.values()) p.reject(this.#dead);
      this.#pending.clear();
    };
    worker.on('error', die('failed'));
    worker.on('exit', die('exited'));
  }

  call(req: Request): Promise<Reply> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise<Reply>((resolve, reject) => {
      if (this.#pending.size === 0) this.worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...req });
    });
  }

  async close(): Promise<void> {
    if (!this.#dead) await this.call({ op: 'close' });
    await this.worker.terminate();
  }
}

/** PGlite's errors as the pg driver's: message and SQLSTATE `code`, detail, constraint … */
function databaseError(fields: NonNullable<Reply['error']>): Error {
  const { message, name, ...rest } = fields;
  const e = new Error(message);
  e.name = typeof name === 'string' ? name : 'error';
  return Object.assign(e, rest);
}

function pgliteDb(conn: Connection, tx: number | undefined): Db {
  const db: Db = {
    dialect: 'pglite',
    async query<R>(sql: string, params?: unknown[]) {
      return (await conn.call({ op: 'query', sql, params: params ?? [], ...(tx === undefined ? {} : { tx }) }))
        .rows as R[];
    },
    async exec(sql: string) {
      await conn.call({ op: 'exec', sql, ...(tx === undefined ? {} : { tx }) });
    },
    async script<R>(sql: string) {
      return (await conn.call({ op: 'exec', sql, rows: true, ...(tx === undefined ? {} : { tx }) })).rows as R[];
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (tx !== undefined) return fn(db);
      const { tx: id } = await conn.call({ op: 'begin' });
      let out: T;
      try {
        out = await fn(pgliteDb(conn, id));
      } catch (e) {
        await conn.call({ op: 'end', tx: id!, commit: false }).catch(() => undefined);
        throw e;
      }
      await conn.call({ op: 'end', tx: id!, commit: true });
      return out;
    },
    async close() {
      if (tx !== undefined) throw new Error('close() called on a transaction handle');
      await conn.close();
    },
  };
  return db;
}
