import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Plan } from '../behaviours.ts';
import { HttpError, pause, readJson, sendError, sendJson } from '../http.ts';
import type { StubState } from '../state.ts';
import type { ChatMessage, ChatRequestBody, ChatRequestRecord, StubReply } from '../types.ts';
import { countTokens } from '../vectors.ts';

/**
 * POST /v1/chat/completions — OpenAI's wire protocol, non-streamed and streamed (SSE).
 *
 * Replies are deterministic:
 *  - last message `role: "tool"` → `tool said: <its content>` (one line per trailing tool message);
 *  - `tools` offered and the last user message contains `use <tool> <JSON object>` → that tool call
 *    (several directives → parallel tool calls, unless parallel_tool_calls is false);
 *  - otherwise `stub reply to: <last user message>`.
 * A `reply` behaviour replaces all of this.
 */
export async function chatRoute(req: IncomingMessage, res: ServerResponse, state: StubState): Promise<void> {
  const raw = await readJson(req);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new HttpError(400, 'request body must be a JSON object');
  const body = raw as ChatRequestBody;
  const rec = state.record(body, req.headers);
  const headers: OutgoingHttpHeaders = { 'x-request-id': `req_${state.nextId()}` };
  validate(body, state);
  const plan = state.behaviours.plan(body.model);
  if (plan && plan.delayMs > 0 && !(await pause(res, plan.delayMs))) return;
  if (plan?.error) return sendError(res, plan.error, headers);

  const answer = compose(rec, plan, state);
  const limit = body.max_completion_tokens ?? body.max_tokens;
  let finish: 'stop' | 'length' | 'tool_calls' = answer.toolCalls.length > 0 ? 'tool_calls' : 'stop';
  if (limit !== undefined && answer.content) {
    const cut = truncate(answer.content, limit);
    if (cut !== answer.content) {
      answer.content = cut;
      if (finish === 'stop') finish = 'length';
    }
  }
  let usage: Usage | undefined;
  if (plan?.usage !== false) {
    let prompt = 0;
    for (const m of body.messages) prompt += countTokens(textOf(m.content));
    let completion = answer.content ? countTokens(answer.content) : 0;
    for (const c of answer.toolCalls) completion += countTokens(c.function.name) + countTokens(c.function.arguments);
    usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    if (plan?.cost !== undefined) usage.cost = plan.cost;
  }
  const head = { id: `chatcmpl-${state.nextId()}`, created: Math.floor(Date.now() / 1000), model: body.model };
  if (body.stream === true) {
    await stream(
      res,
      headers,
      head,
      answer,
      finish,
      body.stream_options?.include_usage === true ? usage : undefined,
      plan,
      state,
    );
    return;
  }
  const message: Record<string, unknown> = { role: 'assistant', content: answer.content, refusal: null };
  if (answer.toolCalls.length > 0) message.tool_calls = answer.toolCalls;
  const completion: Record<string, unknown> = {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
  };
  if (usage) completion.usage = usage;
  if (plan?.malformed) {
    const data = JSON.stringify(completion);
    const broken = data.slice(0, data.length >> 1);
    res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(broken) });
    res.end(broken);
    return;
  }
  sendJson(res, 200, completion, headers);
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost?: number;
}

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

interface Answer {
  content: string | null;
  toolCalls: ToolCall[];
}

// ---------------------------------------------------------------------------------------------
// validation (OpenAI's messages, params and codes)

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function bad(message: string, param: string | null, code: string | null): HttpError {
  return new HttpError(400, message, { param, code });
}

function validate(body: ChatRequestBody, state: StubState): void {
  const model: unknown = body.model;
  if (model === undefined || model === null || model === '')
    throw bad("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof model !== 'string') throw bad("Invalid type for 'model': expected a string.", 'model', 'invalid_type');
  const messages: unknown = body.messages;
  if (messages === undefined || messages === null)
    throw bad("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages))
    throw bad("Invalid type for 'messages': expected an array of objects.", 'messages', 'invalid_type');
  if (messages.length === 0) {
    throw bad(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as ChatMessage | null;
    if (m === null || typeof m !== 'object' || Array.isArray(m))
      throw bad(`Invalid type for 'messages[${i}]': expected an object.`, `messages[${i}]`, 'invalid_type');
    if (m.role === undefined)
      throw bad(
        `Missing required parameter: 'messages[${i}].role'.`,
        `messages[${i}].role`,
        'missing_required_parameter',
      );
    if (!ROLES.has(m.role)) {
      throw bad(
        `Invalid value: '${String(m.role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'function' and 'developer'.`,
        `messages[${i}].role`,
        'invalid_value',
      );
    }
    const c = m.content;
    if (c !== undefined && c !== null && typeof c !== 'string' && !Array.isArray(c)) {
      throw bad(
        `Invalid type for 'messages[${i}].content': expected one of a string or array of objects.`,
        `messages[${i}].content`,
        'invalid_type',
      );
    }
    if ((c === undefined || c === null) && m.role !== 'assistant') {
      throw bad(
        `Missing required parameter: 'messages[${i}].content'.`,
        `messages[${i}].content`,
        'missing_required_parameter',
      );
    }
    if (m.role === 'tool' && typeof m.tool_call_id !== 'string') {
      throw bad(
        `Missing required parameter: 'messages[${i}].tool_call_id'.`,
        `messages[${i}].tool_call_id`,
        'missing_required_parameter',
      );
    }
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools))
      throw bad("Invalid type for 'tools': expected an array of objects.", 'tools', 'invalid_type');
    if (body.tools.length === 0)
      throw bad(
        "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        'tools',
        'empty_array',
      );
    body.tools.forEach((t, i) => {
      if (t?.type !== 'function')
        throw bad(
          `Invalid value: '${String(t?.type)}'. Supported values are: 'function'.`,
          `tools[${i}].type`,
          'invalid_value',
        );
      const name = t.function?.name;
      if (typeof name !== 'string')
        throw bad(
          `Missing required parameter: 'tools[${i}].function.name'.`,
          `tools[${i}].function.name`,
          'missing_required_parameter',
        );
      if (!TOOL_NAME.test(name)) {
        throw bad(
          `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
          `tools[${i}].function.name`,
          'invalid_value',
        );
      }
    });
  }
  for (const p of ['max_tokens', 'max_completion_tokens'] as const) {
    const v: unknown = body[p];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw bad(`Invalid type for '${p}': expected an integer.`, p, 'invalid_type');
    if (v < 1)
      throw bad(
        `Invalid '${p}': integer below minimum value. Expected a value >= 1, but got ${v} instead.`,
        p,
        'integer_below_min_value',
      );
  }
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    throw bad("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', null);
  }
  if (state.strictModels && !state.modelSet.has(model)) {
    throw new HttpError(404, `The model \`${model}\` does not exist or you do not have access to it.`, {
      code: 'model_not_found',
    });
  }
}

// ---------------------------------------------------------------------------------------------
// the reply

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) if (typeof part?.text === 'string') text += (text ? ' ' : '') + part.text;
  return text;
}

function compose(rec: ChatRequestRecord, plan: Plan | undefined, state: StubState): Answer {
  const scripted = typeof plan?.reply === 'function' ? plan.reply(rec) : plan?.reply;
  if (typeof scripted === 'string') return { content: scripted, toolCalls: [] };
  if (scripted) return fromScript(scripted, state);

  const body = rec.body;
  const messages = body.messages;
  const last = messages[messages.length - 1]!;
  if (last.role === 'tool') {
    let first = messages.length - 1;
    while (first > 0 && messages[first - 1]!.role === 'tool') first--;
    const lines: string[] = [];
    for (let i = first; i < messages.length; i++) lines.push(`tool said: ${textOf(messages[i]!.content)}`);
    return { content: lines.join('\n'), toolCalls: [] };
  }
  let lastUser = '';
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') {
      lastUser = textOf(messages[i]!.content);
      break;
    }
  }
  const choice = body.tool_choice;
  if (body.tools && choice !== 'none') {
    const offered = new Set(body.tools.map((t) => t.function.name));
    const forced = typeof choice === 'object' && choice !== null ? choice.function?.name : undefined;
    let calls = last.role === 'user' ? directives(lastUser, offered) : [];
    if (forced !== undefined) calls = calls.filter((c) => c.name === forced);
    if (body.parallel_tool_calls === false) calls = calls.slice(0, 1);
    if (calls.length === 0 && forced !== undefined && offered.has(forced)) calls = [{ name: forced, arguments: '{}' }];
    if (calls.length === 0 && choice === 'required') calls = [{ name: body.tools[0]!.function.name, arguments: '{}' }];
    if (calls.length > 0) return { content: null, toolCalls: calls.map((c) => toolCall(c.name, c.arguments, state)) };
  }
  return { content: `stub reply to: ${lastUser}`, toolCalls: [] };
}

function fromScript(s: StubReply, state: StubState): Answer {
  const toolCalls = (s.toolCalls ?? []).map((c) =>
    toolCall(c.name, typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}), state),
  );
  return { content: s.content ?? (toolCalls.length > 0 ? null : ''), toolCalls };
}

function toolCall(name: string, args: string, state: StubState): ToolCall {
  return { id: `call_${state.nextId()}`, type: 'function', function: { name, arguments: args } };
}

const DIRECTIVE = /\buse\s+([a-zA-Z0-9_-]{1,64})\s*(?=\{)/g;

/** Every `use <tool> {json}` in the text whose tool is offered and whose JSON parses to an object. */
function directives(text: string, offered: ReadonlySet<string>): { name: string; arguments: string }[] {
  const found: { name: string; arguments: string }[] = [];
  if (!text.includes('use')) return found;
  for (const m of text.matchAll(DIRECTIVE)) {
    const name = m[1]!;
    if (!offered.has(name)) continue;
    const start = m.index + m[0].length;
    const end = objectEnd(text, start);
    if (end < 0) continue;
    try {
      const value: unknown = JSON.parse(text.slice(start, end));
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        found.push({ name, arguments: JSON.stringify(value) });
    } catch {
      // not JSON: not a directive
    }
  }
  return found;
}

/** Index just past the `}` closing the object that opens at `start`, or -1. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
  }
  return -1;
}

/** The text up to the end of its `limit`-th whitespace-separated token. */
function truncate(text: string, limit: number): string {
  const re = /\S+/g;
  let n = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (++n === limit) return re.test(text) ? text.slice(0, m.index + m[0].length) : text;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// streaming

const SSE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};
const ARGUMENT_FRAGMENT = 8;

async function stream(
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
  head: { id: string; created: number; model: string },
  answer: Answer,
  finish: string,
  usage: Usage | undefined,
  plan: Plan | undefined,
  state: StubState,
): Promise<void> {
  // With include_usage, OpenAI sends `usage: null` on every chunk but the last.
  const tail = usage ? ',"usage":null}' : '}';
  const prefix = `data: {"id":${JSON.stringify(head.id)},"object":"chat.completion.chunk","created":${head.created},"model":${JSON.stringify(head.model)},"choices":`;
  const event = (delta: unknown, finishReason: string | null = null) =>
    `${prefix}[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finishReason ? `"${finishReason}"` : 'null'}}]${tail}\n\n`;

  const events: string[] = [event({ role: 'assistant', content: answer.content === null ? null : '' })];
  if (answer.content)
    for (const piece of answer.content.match(/\s*\S+|\s+$/g) ?? []) events.push(event({ content: piece }));
  answer.toolCalls.forEach((c, index) => {
    events.push(
      event({
        tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }],
      }),
    );
    const args = c.function.arguments;
    for (let i = 0; i < args.length; i += ARGUMENT_FRAGMENT) {
      events.push(event({ tool_calls: [{ index, function: { arguments: args.slice(i, i + ARGUMENT_FRAGMENT) } }] }));
    }
  });
  events.push(event({}, finish));
  if (usage) events.push(`${prefix}[],"usage":${JSON.stringify(usage)}}\n\n`);
  events.push('data: [DONE]\n\n');
  // JSON escapes its own newlines: every literal \n here is framing.
  const eol = plan?.framing === 'crlf' ? '\r\n' : plan?.framing === 'cr' ? '\r' : undefined;
  if (eol) for (let i = 0; i < events.length; i++) events[i] = events[i]!.replaceAll('\n', eol);

  res.writeHead(200, { ...headers, ...SSE_HEADERS });
  if (plan?.malformed) {
    // A couple of good chunks, half a chunk, then the connection drops.
    const good = events.slice(0, Math.min(2, events.length - 1)).join('');
    res.write(`${good}${prefix}[{"index":0,"delta":{"content":"trunc`, () => res.destroy());
    return;
  }
  const gap = plan?.chunkDelayMs ?? 0;
  if (gap <= 0) {
    res.end(events.join(''));
    return;
  }
  for (let i = 0; i < events.length; i++) {
    if (i > 0 && !(await pause(res, gap))) {
      state.abandonedStreams++;
      return;
    }
    res.write(events[i]);
  }
  res.end();
}
