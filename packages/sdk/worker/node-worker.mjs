// The TypeScript/JavaScript worker (docs/runtime-protocol.md). Runs inside the sandbox with no
// dependencies: argv[2] is the handler module (already bundled to plain JS by the host).
// Protocol on fd 3; stdout/stderr stay ordinary output that the host records as logs.
import net from 'node:net';

const channel = new net.Socket({ fd: 3, readable: true, writable: true });
const send = (m) => channel.write(`${JSON.stringify(m)}\n`);

class AsporaError extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = 'AsporaError';
    this.code = code;
    if (details) this.details = details;
  }
}

// console.* during an execution travels on the channel, so its lines are recorded in order and
// never arrive after the result; raw writes to stdout/stderr are still captured by the host.
import { format } from 'node:util';
for (const [method, level] of [['log', 'info'], ['info', 'info'], ['debug', 'debug'], ['warn', 'warn'], ['error', 'error']]) {
  const original = console[method].bind(console);
  console[method] = (...args) => (current ? send({ t: 'log', exec: current, level, msg: format(...args), fields: { source: 'console' } }) : original(...args));
}

let nextId = 0;
const pending = new Map();
let current;

function call(exec, op, args) {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ t: 'call', id, exec, op, args });
  });
}

function makeContext(exec, c) {
  const host = (op) => (args = {}) => call(exec, op, args);
  const log = (level) => (msg, fields) => send({ t: 'log', exec, level, msg: String(msg), ...(fields ? { fields } : {}) });
  const apis = new Proxy({}, {
    get: (_, api) => (typeof api !== 'string' ? undefined : new Proxy({}, {
      get: (_, method) => (typeof method !== 'string' || method === 'then' ? undefined : (args = {}) => call(exec, 'apis.call', { api, method, args })),
    })),
  });
  return {
    input: { metadata: {}, ...c.input },
    executionId: c.executionId ?? exec,
    skill: c.skill,
    secrets: Object.freeze({ ...(c.secrets ?? {}) }),
    tools: { read: host('tools.read'), write: host('tools.write'), grep: host('tools.grep'), bash: host('tools.bash'), webFetch: host('tools.webFetch') },
    apis,
    model: { chat: host('model.chat') },
    state: { get: (key) => call(exec, 'state.get', { key }), set: (key, value) => call(exec, 'state.set', { key, value }) },
    metrics: { set: (name, value) => send({ t: 'metric', exec, name, value }) },
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    invoke: (skill, input = {}) => call(exec, 'invoke', { skill, input }),
  };
}

function errorOf(e) {
  if (e && typeof e === 'object' && typeof e.code === 'string' && e.name === 'AsporaError') {
    return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : `thrown: ${JSON.stringify(e)}`;
  return { code: 'HANDLER_ERROR', message, ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) };
}

async function run(handler, m) {
  current = m.exec;
  try {
    const result = await handler(makeContext(m.exec, m.context ?? {}));
    send({ t: 'result', exec: m.exec, result: result ?? null });
  } catch (e) {
    send({ t: 'error', exec: m.exec, error: errorOf(e) });
  } finally {
    current = undefined;
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(new AsporaError('BAD_REQUEST', 'the execution ended before this call returned'));
    }
  }
}

let handler;
try {
  const mod = await import(process.argv[2]);
  handler = mod.handler ?? mod.default;
  if (typeof handler !== 'function') throw new Error(`${process.argv[2]} exports no function named "handler"`);
} catch (e) {
  send({ t: 'fatal', error: { code: 'HANDLER_LOAD_FAILED', message: e instanceof Error ? e.message : String(e) } });
  channel.end(() => process.exit(1));
}

if (handler) {
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
        else p.reject(new AsporaError(m.error?.code ?? 'INTERNAL', m.error?.message ?? 'host call failed', m.error?.details));
      } else if (m.t === 'shutdown') process.exit(0);
    }
  });
  channel.on('end', () => process.exit(0));
  send({ t: 'ready', protocol: 1, language: 'typescript', pid: process.pid });
}
