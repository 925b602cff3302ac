/**
 * Test helpers for skill handlers: a SkillContext that runs without a platform. Fakes answer from
 * what the test gives (files, API functions, a model reply) and record every call, so a test can
 * assert on what the handler did. `aspora test` runs these tests inside the platform's sandbox,
 * where a read of the skill's own files (not given in `files`) reaches the bundle (ASPORA_SKILL_DIR).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type SheetsAccess, testStateTables } from './state-tables.ts';
import type {
  ChatAnswer,
  ChatMessage,
  ModelClient,
  SkillContext,
  SkillInput,
  SkillResult,
  SkillTools,
  SkillUser,
  StateRow,
  ToolCall,
  ToolDefinition,
} from '../handler/types.ts';

/** The platform's Read answers at most this much; so does the test context. */
const MAX_READ_BYTES = 8 * 1024 * 1024;
/** model.chat calls in one chat with tools, as the worker allows. */
const MAX_TOOL_ROUNDS = 8;

/** A reply of the model fake: text, or tool calls the handler's tools answer (a chat with `tools`). */
export type ModelReply = string | { content?: string; model?: string; toolCalls?: ToolCall[] };

export interface TestContextOptions {
  input?: Partial<SkillInput>;
  /** Files the handler may read, by the path it reads them with (relative paths are the bundle's). */
  files?: Record<string, string>;
  /**
   * The skill's own folder, which a read of a relative path not in `files` falls back to. Default:
   * ASPORA_SKILL_DIR, which `aspora test` sets (the bundle, /skill in the sandbox); false: none.
   */
  skillDir?: string | false;
  apis?: Record<string, Record<string, (args?: any) => unknown>>;
  /** The model's reply: a fixed answer, or a function of the request (each round of a chat with tools). */
  model?:
    | { content: string; model?: string; toolCalls?: ToolCall[] }
    | ((req: { messages: ChatMessage[]; tools?: ToolDefinition[] }) => ModelReply | Promise<ModelReply>);
  /** The handler module's exported tools (`import { tools } from '../../code/handler.ts'`): what `tools: true` offers. */
  tools?: SkillTools;
  secrets?: Record<string, string>;
  state?: Record<string, unknown>;
  /** Rows of the state tables (context.state.table), by table name (`assignments` or `assignments_tab`). */
  tables?: Record<string, StateRow[]>;
  /**
   * The row rules applied to them (permissions.sheets_access). Default: the skill's own, read from
   * aspora.config.yaml in skillDir when there is one; otherwise none (every row, every write).
   */
  sheetsAccess?: SheetsAccess;
  skill?: Partial<SkillContext['skill']>;
  /** The end user (`context.user`): an email, or the fields to set (id defaults to the email). Default: none (null). */
  user?: string | (Partial<SkillUser> & { email: string }) | null;
  invoke?: (skill: string, input: Partial<SkillInput>) => Promise<SkillResult>;
}

export interface TestCall {
  op: string;
  args: unknown;
}

export type TestContext = SkillContext & {
  calls: TestCall[];
  logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
  metrics: SkillContext['metrics'] & { values: Record<string, number> };
  written: Record<string, string>;
  /** A state table's rows now, for assertions. */
  stateRows(table: string): Array<StateRow & { _id: number }>;
};

export class TestCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AsporaError';
  }
}

export function createTestContext(opts: TestContextOptions = {}): TestContext {
  const calls: TestCall[] = [];
  const logs: TestContext['logs'] = [];
  const written: Record<string, string> = {};
  const values: Record<string, number> = {};
  const state = new Map(Object.entries(opts.state ?? {}));
  const files = { ...(opts.files ?? {}) };
  const record = (op: string, args: unknown) => void calls.push({ op, args });
  const norm = (p: string) => p.replace(/^\/skill\//, '').replace(/^\.\//, '');
  const skillDir = opts.skillDir === false ? undefined : (opts.skillDir ?? process.env.ASPORA_SKILL_DIR);
  /** A file of the skill's own bundle: relative, no `..` (shared files are given in `files`), no link. */
  const ownFile = (path: string): string | undefined => {
    const rel = norm(path);
    if (!skillDir || !rel || isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) return undefined;
    let fd: number | undefined;
    try {
      fd = openSync(join(skillDir, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const st = fstatSync(fd);
      if (!st.isFile()) return undefined;
      if (st.size > MAX_READ_BYTES)
        throw new TestCallError(
          'PAYLOAD_TOO_LARGE',
          `test context: ${path} is over ${MAX_READ_BYTES} bytes, the most Read answers`,
        );
      return readFileSync(fd, 'utf8');
    } catch (e) {
      if (e instanceof TestCallError) throw e;
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };

  const apis = new Proxy({} as SkillContext['apis'], {
    get: (_, api: string | symbol) => {
      if (typeof api !== 'string') return undefined;
      const methods = opts.apis?.[api];
      return new Proxy(
        {},
        {
          get: (_, method: string | symbol) => {
            if (typeof method !== 'string' || method === 'then') return undefined;
            return async (args?: Record<string, unknown>) => {
              record('apis.call', { api, method, args });
              const fn = methods?.[method];
              if (!fn) throw new TestCallError('PERMISSION_DENIED', `test context: no fake for apis.${api}.${method}`);
              return fn(args);
            };
          },
        },
      );
    },
  });

  /** One model.chat, answered by the fake. */
  const ask = async (req: Parameters<ModelClient['chat']>[0]): Promise<ChatAnswer> => {
    record('model.chat', req);
    const m = opts.model;
    const reply: ModelReply =
      typeof m === 'function' ? await m(req as { messages: ChatMessage[]; tools?: ToolDefinition[] }) : (m ?? '');
    const r = typeof reply === 'string' ? { content: reply } : reply;
    return {
      content: r.content ?? '',
      model: r.model || 'test-model',
      usage: { promptTokens: 0, completionTokens: 0, cost: 0 },
      ...(r.toolCalls?.length ? { toolCalls: r.toolCalls } : {}),
    };
  };
  const exported = new Map(
    Object.entries(opts.tools ?? {}).map(([name, t]) => {
      const def: ToolDefinition =
        typeof t === 'function'
          ? { name, description: name, parameters: { type: 'object', properties: {} } }
          : { name, description: t.description, parameters: t.parameters ?? { type: 'object', properties: {} } };
      return [name, { def, run: typeof t === 'function' ? t : t.run.bind(t) }] as const;
    }),
  );
  /** The worker's tool loop (packages/sdk/worker/node-worker.cjs), run here on the fakes. */
  const chatWithTools = async (
    req: Parameters<ModelClient['chat']>[0] & { tools: true | string[] },
  ): Promise<ChatAnswer> => {
    const names = req.tools === true ? [...exported.keys()] : req.tools;
    const tools = names.map((n) => {
      const t = exported.get(n);
      if (!t)
        throw new TestCallError(
          'BAD_REQUEST',
          `model.chat: the handler exports no tool named ${n}${opts.tools ? '' : " (give the module's tools in the test context: tools)"}`,
        );
      return t.def;
    });
    const messages = [...req.messages];
    for (let round = 0; round < MAX_TOOL_ROUNDS; round++) {
      const answer = await ask({ ...req, messages: [...messages], tools });
      if (!answer.toolCalls?.length) return answer;
      messages.push({ role: 'assistant', content: answer.content, toolCalls: answer.toolCalls });
      for (const tc of answer.toolCalls) {
        const t = exported.get(tc.name);
        let content: string;
        try {
          const v = t ? await t.run(tc.arguments ?? {}, ctx) : { error: `no tool named ${tc.name}` };
          content = typeof v === 'string' ? v : JSON.stringify(v ?? null);
        } catch (e) {
          content = JSON.stringify({ error: e instanceof Error ? e.message : String(e) });
        }
        messages.push({ role: 'tool', toolCallId: tc.id, content });
      }
    }
    throw new TestCallError(
      'BAD_REQUEST',
      `model.chat: the model still asked for tools after ${MAX_TOOL_ROUNDS} rounds`,
    );
  };

  const user = testUser(opts.user);
  const stateTables = testStateTables(
    opts.tables ?? {},
    opts.sheetsAccess ?? configSheetsAccess(ownFile('aspora.config.yaml')),
    user,
    record,
  );

  const ctx: TestContext = {
    input: { userMessage: '', metadata: {}, ...opts.input } as SkillInput,
    executionId: 'test-execution',
    skill: { domain: 'test', name: 'skill', version: '0.0.0', ...opts.skill },
    user,
    secrets: { ...(opts.secrets ?? {}) },
    tools: {
      async read({ path }) {
        record('tools.read', { path });
        const key = norm(path);
        const hit = files[key] ?? files[path] ?? written[path] ?? ownFile(path);
        if (hit === undefined)
          throw new TestCallError(
            'NOT_FOUND',
            `test context: no file ${path} (give it in files${skillDir ? '' : ", or run the tests with aspora test, which lets reads reach the skill's own files"})`,
          );
        return hit;
      },
      async write({ path, content }) {
        record('tools.write', { path });
        written[path] = content;
      },
      async grep({ pattern, path }) {
        record('tools.grep', { pattern, path });
        const re = new RegExp(pattern);
        const out: Array<{ path: string; line: number; text: string }> = [];
        for (const [p, text] of Object.entries(files)) {
          if (path && !p.startsWith(norm(path))) continue;
          for (const [i, l] of text.split('\n').entries()) if (re.test(l)) out.push({ path: p, line: i + 1, text: l });
        }
        return out;
      },
      async bash({ command }) {
        record('tools.bash', { command });
        return { stdout: '', stderr: '', exitCode: 0 };
      },
      async webFetch(args) {
        record('tools.webFetch', args);
        throw new TestCallError('PERMISSION_DENIED', 'test context: no network');
      },
    },
    apis,
    model: {
      async chat(req) {
        const named = req.tools === true || (Array.isArray(req.tools) && req.tools.every((t) => typeof t === 'string'));
        return named ? chatWithTools(req as Parameters<ModelClient['chat']>[0] & { tools: true | string[] }) : ask(req);
      },
    },
    state: {
      async get(key) {
        record('state.get', { key });
        return state.get(key) as never;
      },
      async set(key, value) {
        record('state.set', { key, value });
        state.set(key, value);
      },
      table: stateTables.table,
    },
    metrics: { set: (name, value) => void (values[name] = value), values },
    log: {
      debug: (msg, fields) => void logs.push({ level: 'debug', msg, ...(fields ? { fields } : {}) }),
      info: (msg, fields) => void logs.push({ level: 'info', msg, ...(fields ? { fields } : {}) }),
      warn: (msg, fields) => void logs.push({ level: 'warn', msg, ...(fields ? { fields } : {}) }),
      error: (msg, fields) => void logs.push({ level: 'error', msg, ...(fields ? { fields } : {}) }),
    },
    async invoke(skill, input) {
      record('invoke', { skill, input });
      if (!opts.invoke) throw new TestCallError('PERMISSION_DENIED', `test context: no fake for invoke(${skill})`);
      return opts.invoke(skill, input);
    },
    calls,
    logs,
    written,
    stateRows: stateTables.rows,
  };
  return ctx;
}

/** context.user from the test's option: the platform's shape, with every field present. */
function testUser(u: TestContextOptions['user']): SkillUser | null {
  if (!u) return null;
  const o = typeof u === 'string' ? { email: u } : u;
  return { id: o.id ?? o.email, email: o.email, name: o.name ?? null, team: o.team ?? null, role: o.role ?? null };
}

/** permissions.sheets_access of the skill's aspora.config.yaml, when the test can read it. */
function configSheetsAccess(yamlText: string | undefined): SheetsAccess | undefined {
  if (!yamlText) return undefined;
  try {
    const c = parseYaml(yamlText) as { permissions?: { sheets_access?: SheetsAccess } } | null;
    // A skill that declares no tables reaches none, as on the platform.
    return c?.permissions?.sheets_access ?? {};
  } catch {
    return undefined;
  }
}
