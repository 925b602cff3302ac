/**
 * OpenAI's chat-completion wire format, and the conversions between it and the camelCase request
 * a handler's context.model.chat sends. The gateway works on the wire format throughout, so what
 * an OpenAI client sends over HTTP and what a handler asks for take the same path.
 */
import { z } from 'zod';
import { AsporaError } from '@aspora/sdk';
import type { ChatAnswer, ChatRequest, ToolCall } from './types.ts';

/** The request fields the gateway reads; everything else an OpenAI client sends passes through. */
export const WireChatSchema = z
  .object({
    model: z.string().min(1, 'model is required'),
    messages: z
      .array(z.object({ role: z.enum(['system', 'user', 'assistant', 'tool', 'developer', 'function']) }).passthrough())
      .min(1, 'messages must have at least one message'),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    tools: z.array(z.unknown()).optional(),
  })
  .passthrough();

export type WireChat = z.output<typeof WireChatSchema> & Record<string, unknown>;

export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  cost?: number;
}

export interface WireResponse {
  id?: string;
  model?: string;
  choices: Array<{
    index?: number;
    message?: {
      role?: string;
      content?: string | null;
      tool_calls?: Array<{ id: string; type?: string; function: { name: string; arguments: string } }>;
    };
    finish_reason?: string | null;
  }>;
  usage?: WireUsage;
  [k: string]: unknown;
}

export function parseWireChat(body: unknown): WireChat {
  const r = WireChatSchema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new AsporaError('BAD_REQUEST', `${i.path.join('.') || 'body'}: ${i.message}`, {
      details: { param: i.path.join('.') || null },
    });
  }
  return r.data as WireChat;
}

/** A provider's answer must at least have a first choice with a message. */
export function checkWireResponse(v: Record<string, unknown>): WireResponse | undefined {
  const choices = v.choices;
  if (
    !Array.isArray(choices) ||
    !choices[0] ||
    typeof choices[0] !== 'object' ||
    !(choices[0] as { message?: unknown }).message
  )
    return undefined;
  return v as unknown as WireResponse;
}

/** context.model.chat's request (already validated) as an OpenAI body. */
export function toWire(req: ChatRequest, model: string): WireChat {
  return {
    model,
    messages: req.messages.map((m) =>
      m.role === 'tool'
        ? { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content ?? '' }
        : m.role === 'assistant' && m.toolCalls?.length
          ? {
              role: 'assistant',
              content: m.content ?? '',
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
              })),
            }
          : { role: m.role, content: m.content ?? '' },
    ),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
    ...(req.tools?.length
      ? {
          tools: req.tools.map((t) => ({
            type: 'function',
            function: {
              name: t.name,
              ...(t.description ? { description: t.description } : {}),
              parameters: t.parameters ?? { type: 'object', properties: {} },
            },
          })),
        }
      : {}),
  };
}

/** An OpenAI answer as context.model.chat returns it. */
export function fromWire(r: WireResponse, usage: ChatAnswer['usage'], servedModel: string): ChatAnswer {
  const choice = r.choices[0]!;
  const toolCalls: ToolCall[] = (choice.message?.tool_calls ?? []).map((c) => ({
    id: c.id,
    name: c.function.name,
    arguments: parseArgs(c.function.arguments),
  }));
  return {
    content: choice.message?.content ?? '',
    model: r.model || servedModel,
    usage,
    ...(toolCalls.length ? { toolCalls } : {}),
    ...(choice.finish_reason ? { finishReason: choice.finish_reason } : {}),
  };
}

function parseArgs(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text || '{}') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { _raw: text };
  }
}

/** The text of a request's messages, for token estimates. */
export function promptText(body: WireChat): string {
  return body.messages
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')))
    .join('\n');
}
