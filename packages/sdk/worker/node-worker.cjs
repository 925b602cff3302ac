// The TypeScript/JavaScript worker (docs/runtime-protocol.md). Runs inside the sandbox with no
// dependencies: argv[2] is the handler module, already bundled to plain JS by the host — CommonJS
// (`.cjs`), which starts without Node's ES module loader, or an ES module (`.mjs`).
// Protocol on fd 3; stdout/stderr stay ordinary output that the host records as logs.
'use strict';
const net = require('node:net');
const { format } = require('node:util');

const channel = new net.Socket({ fd: 3, readable: true, writable: true });

// The host's limits (docs/runtime-protocol.md, "Limits"): a longer line, or more calls at once, would
// stop the worker; here they become an error of the one call, a cut log line, or a queued call.
const MAX_LINE = 10 * 1024 * 1024;
const MAX_IN_FLIGHT = 64;
const LOG_CUT = 64 * 1024;

/** @typedef {{ t: string, [field: string]: any }} Message A protocol message: its type in `t`, the rest by type. */
/** @typedef {(ctx: ReturnType<typeof makeContext>) => unknown} Handler */
/** @typedef {{ resolve: (value: any) => void, reject: (e: unknown) => void }} Pending */
/** @typedef {Pending & { exec: string, op: string, args: unknown }} QueuedCall */
/** @typedef {{ name: string, description: string, parameters?: unknown }} ToolDef */

/** @param {Message} m */
function send(m) {
  const line = JSON.stringify(m);
  if (line.length * 3 > MAX_LINE && Buffer.byteLength(line) > MAX_LINE) {
    throw new AsporaError(
      'PAYLOAD_TOO_LARGE',
      `the ${m.t} message is ${Buffer.byteLength(line)} bytes, over the protocol's ${MAX_LINE} byte line limit`,
    );
  }
  channel.write(`${line}\n`);
}

const cut = (/** @type {string} */ s) => `${s.slice(0, LOG_CUT)}… [truncated, ${Buffer.byteLength(s)} bytes]`;

// A log line never throws into the handler: one too large for the channel goes cut, without its fields.
/** @param {Message} m */
function sendLog(m) {
  try {
    send(m);
  } catch {
    send({ t: 'log', exec: m.exec, level: m.level, msg: cut(String(m.msg)) });
  }
}

class AsporaError extends Error {
  /** @param {string} code @param {string} message @param {unknown} [details] */
  constructor(code, message, details) {
    super(message);
    this.name = 'AsporaError';
    this.code = code;
    if (details) this.details = details;
  }
}

// console.* during an execution travels on the channel, so its lines are recorded in order and
// never arrive after the result; raw writes to stdout/stderr are still captured by the host.
/** @type {Array<['log' | 'info' | 'debug' | 'warn' | 'error', string]>} */
const CONSOLE_LEVELS = [
  ['log', 'info'],
  ['info', 'info'],
  ['debug', 'debug'],
  ['warn', 'warn'],
  ['error', 'error'],
];
for (const [method, level] of CONSOLE_LEVELS) {
  const original = console[method].bind(console);
  console[method] = (...args) =>
    current
      ? sendLog({ t: 'log', exec: current, level, msg: format(...args), fields: { source: 'console' } })
      : original(...args);
}

let nextId = 0;
/** @type {Map<number, Pending>} */
const pending = new Map();
/** Calls waiting for one of the MAX_IN_FLIGHT slots. @type {QueuedCall[]} */
const queued = [];
/** The execution running now. @type {string | undefined} */
let current;

/** @param {string} exec @param {string} op @param {unknown} args @returns {Promise<any>} */
function call(exec, op, args) {
  if (exec !== current)
    return Promise.reject(new AsporaError('BAD_REQUEST', 'the execution ended before this call was made'));
  if (pending.size >= MAX_IN_FLIGHT)
    return new Promise((resolve, reject) => queued.push({ exec, op, args, resolve, reject }));
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    send({ t: 'call', id, exec, op, args }); // throws (rejects) before anything is pending
    pending.set(id, { resolve, reject });
  });
}

function nextQueued() {
  while (queued.length && pending.size < MAX_IN_FLIGHT) {
    const q = /** @type {QueuedCall} */ (queued.shift());
    call(q.exec, q.op, q.args).then(q.resolve, q.reject);
  }
}

// Custom tools the handler module exports: `export const tools = { name: { description, parameters, run(args, ctx) } }`
// (a plain function is a tool too: it gets the arguments object). Offered to the model when the
// handler asks with `tools: true` (all) or a list of names; the loop below runs them here, in the sandbox.
const MAX_TOOL_ROUNDS = 8;
/** @type {Map<string, { def: ToolDef, run: (args: any, ctx: any) => unknown }>} */
let exported = new Map();

/** @param {any} mod the handler's module */
function loadTools(mod) {
  /** @type {typeof exported} */
  const out = new Map();
  for (const [name, t] of Object.entries(mod.tools ?? {})) {
    const run = typeof t === 'function' ? t : t && (t.run ?? t.execute ?? t.handler);
    if (typeof run !== 'function') continue;
    /** @type {ToolDef} */
    const def = { name, description: (typeof t === 'object' && t.description) || name };
    def.parameters = (typeof t === 'object' && t.parameters) || { type: 'object', properties: {} };
    out.set(name, { def, run: run.bind(t) });
  }
  return out;
}

const toolText = (/** @type {unknown} */ v) => (typeof v === 'string' ? v : JSON.stringify(v ?? null));

/** @param {string} exec @param {any} ctx @param {any} args model.chat's arguments, with `tools` */
async function chatWithTools(exec, ctx, args) {
  /** @type {string[]} */
  const wanted = args.tools === true ? [...exported.keys()] : args.tools;
  const offered = wanted.map((n) => {
    const t = exported.get(n);
    if (!t) throw new AsporaError('BAD_REQUEST', `model.chat: the handler exports no tool named ${n}`);
    return t;
  });
  const messages = [...(args.messages ?? [])];
  const tools = offered.map((t) => t.def);
  const usage = { promptTokens: 0, completionTokens: 0, cost: 0 };
  for (let round = 0; round < MAX_TOOL_ROUNDS; round++) {
    const answer = await call(exec, 'model.chat', { ...args, messages, tools });
    // The handler sees what the whole loop used, not just its last call.
    for (const k of /** @type {Array<keyof typeof usage>} */ (Object.keys(usage))) usage[k] += answer?.usage?.[k] ?? 0;
    if (!answer?.toolCalls?.length) return { ...answer, usage: { ...answer?.usage, ...usage } };
    messages.push({ role: 'assistant', content: answer.content ?? '', toolCalls: answer.toolCalls });
    for (const tc of answer.toolCalls) {
      const t = exported.get(tc.name);
      let content;
      try {
        content = t
          ? toolText(await t.run(tc.arguments ?? {}, ctx))
          : JSON.stringify({ error: `no tool named ${tc.name}` });
      } catch (e) {
        content = JSON.stringify({ error: e instanceof Error ? e.message : String(e) });
      }
      messages.push({ role: 'tool', toolCallId: tc.id, content });
    }
  }
  throw new AsporaError('BAD_REQUEST', `model.chat: the model still asked for tools after ${MAX_TOOL_ROUNDS} rounds`);
}

/** The options a handler passed that the host call takes, and nothing else. */
function pick(/** @type {any} */ o, /** @type {string[]} */ keys) {
  /** @type {Record<string, unknown>} */
  const out = {};
  if (o && typeof o === 'object') for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** @param {string} exec @param {any} c the execute message's context */
function makeContext(exec, c) {
  const host =
    (/** @type {string} */ op) =>
    (args = {}) =>
      call(exec, op, args);
  const log =
    (/** @type {string} */ level) =>
    (/** @type {unknown} */ msg, /** @type {Record<string, unknown> | undefined} */ fields) =>
      sendLog({ t: 'log', exec, level, msg: String(msg), ...(fields ? { fields } : {}) });
  const apis = new Proxy(
    {},
    {
      get: (_, api) =>
        typeof api !== 'string'
          ? undefined
          : new Proxy(
              {},
              {
                get: (_, method) =>
                  typeof method !== 'string' || method === 'then'
                    ? undefined
                    : (args = {}) => call(exec, 'apis.call', { api, method, args }),
              },
            ),
    },
  );
  const ctx = {
    input: { metadata: {}, ...c.input },
    executionId: c.executionId ?? exec,
    skill: c.skill,
    // The end user the platform authenticated (null: none); read-only, like the secrets.
    user: c.user ? Object.freeze({ ...c.user }) : null,
    secrets: Object.freeze({ ...(c.secrets ?? {}) }),
    tools: {
      read: host('tools.read'),
      write: host('tools.write'),
      grep: host('tools.grep'),
      bash: host('tools.bash'),
      webFetch: host('tools.webFetch'),
    },
    apis,
    model: {
      chat: (/** @type {any} */ args = {}) =>
        args.tools === true ||
        (Array.isArray(args.tools) && args.tools.every((/** @type {unknown} */ t) => typeof t === 'string'))
          ? chatWithTools(exec, ctx, args)
          : call(exec, 'model.chat', args),
    },
    state: {
      get: (/** @type {string} */ key) => call(exec, 'state.get', { key }),
      set: (/** @type {string} */ key, /** @type {unknown} */ value) => call(exec, 'state.set', { key, value }),
      // Row tables of the owner team: the host applies the skill's sheets_access rules to every call.
      table: (/** @type {string} */ table) => ({
        select: (/** @type {unknown} */ where, /** @type {any} */ opts = {}) =>
          call(exec, 'state.select', { table, where, ...pick(opts, ['limit', 'orderBy', 'desc']) }),
        insert: (/** @type {unknown} */ rows) =>
          call(exec, 'state.insert', { table, rows: Array.isArray(rows) ? rows : [rows] }),
        update: (/** @type {unknown} */ where, /** @type {unknown} */ set) =>
          call(exec, 'state.update', { table, where, set }),
        delete: (/** @type {unknown} */ where) => call(exec, 'state.delete', { table, where }),
      }),
    },
    metrics: {
      set: (/** @type {string} */ name, /** @type {number} */ value) => send({ t: 'metric', exec, name, value }),
    },
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    invoke: (/** @type {string} */ skill, input = {}) => call(exec, 'invoke', { skill, input }),
  };
  return ctx;
}

/** @param {any} e what the handler threw */
function errorOf(e) {
  if (e && typeof e === 'object' && typeof e.code === 'string' && e.name === 'AsporaError') {
    return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : `thrown: ${JSON.stringify(e)}`;
  return { code: 'HANDLER_ERROR', message, ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) };
}

/** @param {Handler} handler @param {Message} m */
async function run(handler, m) {
  current = m.exec;
  try {
    const result = await handler(makeContext(m.exec, m.context ?? {}));
    send({ t: 'result', exec: m.exec, result: result ?? null });
  } catch (e) {
    const error = errorOf(e);
    try {
      send({ t: 'error', exec: m.exec, error });
    } catch {
      send({ t: 'error', exec: m.exec, error: { code: error.code, message: cut(String(error.message)) } });
    }
  } finally {
    current = undefined;
    const ended = () => new AsporaError('BAD_REQUEST', 'the execution ended before this call returned');
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(ended());
    }
    for (const q of queued.splice(0)) q.reject(ended());
  }
}

/** @param {Handler} handler */
function serve(handler) {
  let buf = '';
  channel.on('data', (d) => {
    buf += d.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const m = JSON.parse(line);
      if (m.t === 'execute') void run(handler, m);
      else if (m.t === 'return') {
        const p = pending.get(m.id);
        if (!p) continue;
        pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else
          p.reject(
            new AsporaError(m.error?.code ?? 'INTERNAL', m.error?.message ?? 'host call failed', m.error?.details),
          );
        nextQueued();
      } else if (m.t === 'shutdown') process.exit(0);
    }
  });
  channel.on('end', () => process.exit(0));
  send({
    t: 'ready',
    protocol: 1,
    language: 'typescript',
    pid: process.pid,
    ...(exported.size ? { tools: [...exported.values()].map((t) => t.def) } : {}),
  });
}

(async () => {
  const file = process.argv[2];
  let handler;
  try {
    if (!file) throw new Error('no handler module: the worker is started as node-worker.cjs <handler.cjs|.mjs>');
    const mod = file.endsWith('.mjs') ? await import(file) : require(file);
    handler = mod.handler ?? mod.default;
    if (typeof handler !== 'function') throw new Error(`${file} exports no function named "handler"`);
    exported = loadTools(mod);
  } catch (e) {
    send({ t: 'fatal', error: { code: 'HANDLER_LOAD_FAILED', message: e instanceof Error ? e.message : String(e) } });
    channel.end(() => process.exit(1));
    return;
  }
  serve(handler);
})();
