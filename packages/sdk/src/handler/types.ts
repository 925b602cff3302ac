/**
 * The handler contract. A handler receives a SkillContext whose every effect
 * (tools, APIs, secrets, model, state, child executions) is carried out by the host, which checks
 * the skill's permissions first. The runtime that implements it lives in @aspora/platform/runtime.
 */
export interface SkillInput {
  userMessage: string;
  domain?: string;
  metadata: Record<string, unknown>;
}

export interface SkillResult {
  success: boolean;
  message: string;
  data?: Record<string, unknown>;
  /** 0..1: how sure the skill is of its answer. */
  confidence?: number;
}

export interface ToolLibrary {
  read(args: { path: string }): Promise<string>;
  write(args: { path: string; content: string }): Promise<void>;
  grep(args: { pattern: string; path?: string }): Promise<Array<{ path: string; line: number; text: string }>>;
  bash(args: { command: string; timeoutMs?: number }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  webFetch(args: {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  }): Promise<{ status: number; body: string }>;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  /** On an assistant message that asked for tools. */
  toolCalls?: ToolCall[];
  /** On a tool message: the call it answers. */
  toolCallId?: string;
}

/** A tool offered to the model: a name, what it does, and a JSON Schema of its arguments. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface ChatAnswer {
  content: string;
  model: string;
  usage: { promptTokens: number; completionTokens: number; cost: number; estimated?: boolean };
  /** The model asked for these tools (only when tools were offered as definitions). */
  toolCalls?: ToolCall[];
  finishReason?: string;
}

export interface ModelClient {
  chat(args: {
    messages: ChatMessage[];
    model?: string;
    temperature?: number;
    maxTokens?: number;
    taskType?: 'classification' | 'routing' | 'skill_execution' | 'complex_reasoning';
    /**
     * `true` (every tool the handler exports) or their names: the SDK runs the tool loop and
     * returns the model's final answer. Definitions: passed through; the answer may carry toolCalls.
     */
    tools?: true | string[] | ToolDefinition[];
  }): Promise<ChatAnswer>;
}

/** A custom tool a handler module exports (`export const tools = { name: { … } }`). */
export interface SkillTool<A extends Record<string, unknown> = Record<string, any>> {
  description: string;
  /** JSON Schema of the arguments object. */
  parameters?: Record<string, unknown>;
  run(args: A, context: SkillContext): unknown | Promise<unknown>;
}

export type SkillTools = Record<string, SkillTool | ((args: Record<string, any>, context: SkillContext) => unknown)>;

export interface SkillLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** `context.apis.<api>.<method>(args)`: APIs declared in aspora.platform.yaml and allowed by permissions.apis. */
export type ApiClients = Record<string, Record<string, (args?: Record<string, unknown>) => Promise<unknown>>>;

/**
 * The end user an execution runs for: whom the platform authenticated, or the user a channel's
 * service token (with act-as) named. Never read from the input, which anyone can write.
 */
export interface SkillUser {
  id: string;
  /** Names the user (records, traces, row rules such as "Assigned Agent = {user.email}"). */
  email: string;
  name: string | null;
  /** The user's team for this run (the skill's owner team when the user is in it) and role there. */
  team: string | null;
  role: string | null;
}

/** A cell of a state table: what a spreadsheet's cell holds. */
export type StateCell = string | number | boolean | null;
export type StateRow = Record<string, StateCell>;
/** Column → value (equality) or values (IN); `_id` is the row's id. null matches a missing cell. */
export type StateWhere = Record<string, StateCell | StateCell[]>;

/**
 * A table of shared state (seed 003's Assignments, Resolutions, Agents tabs). The host applies the
 * skill's row rules to every call: a select returns only rows the read rule allows; a write
 * outside the write rule is denied with the rule's name (and audited).
 */
export interface StateTable<R extends StateRow = StateRow> {
  select(
    where?: StateWhere,
    opts?: { limit?: number; orderBy?: string; desc?: boolean },
  ): Promise<Array<R & { _id: number }>>;
  insert(rows: R | R[]): Promise<Array<R & { _id: number }>>;
  /** Sets the columns of `set` on the rows `where` names; resolves to how many changed. */
  update(where: StateWhere, set: Partial<R>): Promise<number>;
  delete(where: StateWhere): Promise<number>;
}

export interface SkillContext {
  input: SkillInput;
  executionId: string;
  skill: { domain: string; name: string; role?: string; version: string };
  /** The end user, or null when there is none (a service, a schedule, a run without act-as). */
  user: SkillUser | null;
  tools: ToolLibrary;
  apis: ApiClients;
  secrets: Record<string, string>;
  model: ModelClient;
  state: {
    get<T = unknown>(key: string): Promise<T | undefined>;
    set(key: string, value: unknown): Promise<void>;
    /** A row table of the skill's owner team; every call is held to the skill's permissions.sheets_access rules. */
    table<R extends StateRow = StateRow>(name: string): StateTable<R>;
  };
  metrics: { set(name: string, value: number): void };
  log: SkillLogger;
  invoke(skill: string, input: Partial<SkillInput>): Promise<SkillResult>;
}

export type SkillHandler = (context: SkillContext) => Promise<SkillResult>;
/** The name the platform's design documents use for the same type. */
export type AsporaSkillHandler = SkillHandler;
