// @ts-check
// The embedded database's own thread (see pglite.ts). Plain JavaScript, so that it loads the same
// way under tsx, from the CLI's bundle and in plain node: it needs nothing but PGlite.
//
// Messages in:  { id, op: 'query', sql, params, tx? } · { id, op: 'exec', sql, tx?, rows? }
//               { id, op: 'begin' } · { id, op: 'end', tx, commit } · { id, op: 'close' }
// Messages out: { id, ok: true, rows? , tx? } · { id, ok: false, error: { message, ...fields } }
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { dataDir, schemaSql, ...assets } =
  /** @type {{ dataDir?: string, schemaSql?: string, pgliteWasmModule: WebAssembly.Module, initdbWasmModule: WebAssembly.Module, fsBundle: Blob }} */ (
    workerData
  );

/** @type {Map<number, { t: import('@electric-sql/pglite').Transaction, finish: (commit: boolean) => void }>} */
const open = new Map();
/** The message id of each transaction's 'end', answered once PGlite has committed or rolled back. */
/** @type {Map<number, number>} */
const waiting = new Map();
/** Rejects a transaction's callback so that PGlite rolls it back; recognised, not reported. */
const ROLLBACK = Symbol('rollback');
let nextTx = 1;

/** @param {unknown} e */
function serialize(e) {
  /** @type {Record<string, unknown>} */
  const out = { message: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error' };
  // pg-protocol's DatabaseError: code (SQLSTATE), detail, hint, constraint, table, column …
  if (e && typeof e === 'object')
    for (const [k, v] of Object.entries(e))
      if (v !== undefined && typeof v !== 'object' && typeof v !== 'function') out[k] = v;
  return out;
}

/** @param {number} id @param {unknown} e */
const fail = (id, e) => port.postMessage({ id, ok: false, error: serialize(e) });

let pg;
try {
  pg = await PGlite.create({ ...assets, ...(dataDir === undefined ? {} : { dataDir }) });
  // One connection, so a session-level search_path is enough.
  if (schemaSql) await pg.exec(schemaSql);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: serialize(e) });
  process.exit(1);
}
const db = pg;

/** @param {number | undefined} tx */
function handle(tx) {
  if (tx === undefined) return db;
  const o = open.get(tx);
  if (!o) throw new Error(`transaction ${tx} is not open (it was committed or rolled back already)`);
  return o.t;
}

port.on('message', async (/** @type {any} */ m) => {
  const { id } = m;
  try {
    switch (m.op) {
      case 'query':
        port.postMessage({ id, ok: true, rows: (await handle(m.tx).query(m.sql, m.params ?? [])).rows });
        return;
      case 'exec': {
        const results = await handle(m.tx).exec(m.sql);
        // Rows only when asked: a script whose RETURNING sits between BEGIN and COMMIT (the job engine's).
        port.postMessage({ id, ok: true, ...(m.rows ? { rows: results.flatMap((r) => r.rows ?? []) } : {}) });
        return;
      }
      case 'begin': {
        const tx = nextTx++;
        let answered = false;
        // The transaction stays open, holding PGlite's mutex, until an 'end' for it arrives.
        db.transaction(
          (t) =>
            new Promise((resolve, reject) => {
              open.set(tx, { t, finish: (commit) => (commit ? resolve(undefined) : reject(ROLLBACK)) });
              answered = true;
              port.postMessage({ id, ok: true, tx });
            }),
        ).then(
          () => ended(tx),
          (e) => (answered ? ended(tx, e === ROLLBACK ? undefined : e) : fail(id, e)),
        );
        return;
      }
      case 'end': {
        const o = open.get(m.tx);
        if (!o) throw new Error(`transaction ${m.tx} is not open`);
        waiting.set(m.tx, id);
        o.finish(m.commit);
        return;
      }
      case 'close':
        await db.close();
        port.postMessage({ id, ok: true });
        return;
      default:
        throw new Error(`unknown operation ${m.op}`);
    }
  } catch (e) {
    fail(id, e);
  }
});

/** @param {number} tx @param {unknown} [err] */
function ended(tx, err) {
  open.delete(tx);
  const id = waiting.get(tx);
  waiting.delete(tx);
  if (id === undefined) return;
  if (err === undefined) port.postMessage({ id, ok: true });
  else fail(id, err);
}
