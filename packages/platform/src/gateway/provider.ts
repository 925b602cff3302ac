/**
 * One OpenAI-compatible provider (OpenRouter by default; any base URL: vLLM, Ollama, a company
 * proxy), called through the official `openai` client. Provider errors become typed errors that
 * say whether another model may be tried.
 */
import { AsporaError } from '@aspora/sdk';
import type OpenAI from 'openai';
import type { ChatAnswer, ChatMessage, ChatRequest, ToolCall } from './types.ts';

export interface ProviderConfig {
  name: string;
  baseURL: string;
  apiKey: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** The provider's answer before pricing: usage as reported (undefined when it sent none). */
export type ProviderAnswer = Omit<ChatAnswer, 'usage'> & { usage?: { promptTokens: number; completionTokens: number; cost?: number } };

export class ProviderError extends AsporaError {
  /** Another model or provider may succeed where this one failed (5xx, 429, time-out, network). */
  readonly retryable: boolean;
  constructor(code: ConstructorParameters<typeof AsporaError>[0], message: string, retryable: boolean, details?: Record<string, unknown>) {
    super(code, message, details ? { details } : {});
    this.retryable = retryable;
  }
}

export class OpenAICompatibleProvider {
  #client: Promise<OpenAI> | undefined;

  constructor(readonly config: ProviderConfig) {}

  async chat(model: string, req: ChatRequest & { temperature: number; maxTokens: number }): Promise<ProviderAnswer> {
    const client = await this.#openai();
    let res: OpenAI.Chat.Completions.ChatCompletion;
    try {
      res = await client.chat.completions.create({
        model,
        messages: req.messages.map(toOpenAIMessage),
        temperature: req.temperature,
        max_tokens: req.maxTokens,
        ...(req.tools?.length ? { tools: req.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters ?? { type: 'object', properties: {} } } })) } : {}),
      });
    } catch (e) {
      throw this.#error(e, model);
    }
    const choice = res.choices?.[0];
    if (!choice?.message) throw new ProviderError('UPSTREAM_ERROR', `${this.config.name} answered without a choice for ${model}`, true);
    const toolCalls = (choice.message.tool_calls ?? []).flatMap((c): ToolCall[] => (c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: parseArgs(c.function.arguments) }] : []));
    const u = res.usage as (OpenAI.CompletionUsage & { cost?: number }) | undefined;
    return {
      content: choice.message.content ?? '',
      model: res.model || model,
      ...(toolCalls.length ? { toolCalls } : {}),
      ...(choice.finish_reason ? { finishReason: choice.finish_reason } : {}),
      ...(u && typeof u.prompt_tokens === 'number' ? { usage: { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens ?? 0, ...(typeof u.cost === 'number' ? { cost: u.cost } : {}) } } : {}),
    };
  }

  #openai(): Promise<OpenAI> {
    // Imported on first use: most platform processes start without making a model call.
    this.#client ??= import('openai').then(
      ({ default: OpenAIClient }) =>
        new OpenAIClient({ baseURL: this.config.baseURL, apiKey: this.config.apiKey, defaultHeaders: this.config.headers ?? {}, timeout: this.config.timeoutMs ?? 60_000, maxRetries: 0 }),
    );
    return this.#client;
  }

  #error(e: unknown, model: string): ProviderError {
    const err = e as { status?: number; message?: string; name?: string };
    const who = `${this.config.name} (${model})`;
    if (err.name === 'APIConnectionTimeoutError') return new ProviderError('TIMEOUT', `${who} did not answer in time`, true);
    if (err.name === 'APIConnectionError') return new ProviderError('UPSTREAM_ERROR', `${who} is unreachable: ${err.message}`, true);
    const status = err.status ?? 0;
    const detail = { provider: this.config.name, model, status };
    if (status === 429) return new ProviderError('RATE_LIMITED', `${who} is rate limiting: ${err.message}`, true, detail);
    if (status >= 500 || status === 0) return new ProviderError('UPSTREAM_ERROR', `${who} failed: ${err.message}`, true, detail);
    if (status === 404) return new ProviderError('NOT_FOUND', `${who}: unknown model: ${err.message}`, true, detail);
    if (status === 401 || status === 403) return new ProviderError('UNAVAILABLE', `${who} refused the platform's credentials: ${err.message}`, true, detail);
    return new ProviderError('BAD_REQUEST', `${who} rejected the request: ${err.message}`, false, detail);
  }
}

function toOpenAIMessage(m: ChatMessage): OpenAI.Chat.Completions.ChatCompletionMessageParam {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content ?? '' };
  if (m.role === 'assistant') {
    return {
      role: 'assistant',
      content: m.content ?? '',
      ...(m.toolCalls?.length ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) } })) } : {}),
    };
  }
  return { role: m.role, content: m.content ?? '' };
}

function parseArgs(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text || '{}') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { _raw: text };
  }
}
