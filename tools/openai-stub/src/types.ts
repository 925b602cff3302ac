import type { IncomingHttpHeaders } from 'node:http';

/** Wire types of POST /v1/chat/completions, as loose as the stub needs them. */

export type ContentPart = { type: string; text?: string; [key: string]: unknown };

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content?: string | ContentPart[] | null;
  name?: string;
  tool_call_id?: string;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  [key: string]: unknown;
}

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

export interface ChatRequestBody {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

/** One chat request as the stub received it. */
export interface ChatRequestRecord {
  /** `body.model` ('' when it was missing or not a string). */
  model: string;
  /** The parsed JSON body (not validated: invalid requests are recorded too). */
  body: ChatRequestBody;
  /** Node's lower-cased request headers: `authorization`, `http-referer`, `x-title`, … */
  headers: IncomingHttpHeaders;
}

/** A scripted answer: plain content and/or tool calls (`arguments` may be an object or a JSON string). */
export interface StubReply {
  content?: string | null;
  toolCalls?: { name: string; arguments?: unknown }[];
}

export type ReplyFn = (req: ChatRequestRecord) => string | StubReply;
