/**
 * Model names: the aliases skills write (the built-in table) mapped to provider ids, the default
 * choice per task type, and prices per million tokens. Platform configuration overrides them.
 */
import type { TaskType } from './types.ts';

export const DEFAULT_MODEL_MAP: Record<string, string> = {
  'claude-haiku-4-5': 'anthropic/claude-haiku-4-5',
  'claude-sonnet-4-5': 'anthropic/claude-sonnet-4-5',
  'claude-opus-4-6': 'anthropic/claude-opus-4-6',
  'gpt-4o': 'openai/gpt-4o',
  'gpt-4o-mini': 'openai/gpt-4o-mini',
  'gemini-2.0-flash': 'google/gemini-2.0-flash-001',
};

/** classification and routing → cheap, skill_execution → balanced, complex_reasoning → strong. */
export const DEFAULT_TASK_MODELS: Record<TaskType, string> = {
  classification: 'claude-haiku-4-5',
  routing: 'claude-haiku-4-5',
  skill_execution: 'claude-sonnet-4-5',
  complex_reasoning: 'claude-opus-4-6',
};

export const DEFAULT_MODEL = 'claude-sonnet-4-5';

/** USD per million tokens (prompt, completion), by provider id. */
export const DEFAULT_PRICES: Record<string, { prompt: number; completion: number }> = {
  'anthropic/claude-haiku-4-5': { prompt: 1, completion: 5 },
  'anthropic/claude-sonnet-4-5': { prompt: 3, completion: 15 },
  'anthropic/claude-opus-4-6': { prompt: 15, completion: 75 },
  'openai/gpt-4o': { prompt: 2.5, completion: 10 },
  'openai/gpt-4o-mini': { prompt: 0.15, completion: 0.6 },
  'google/gemini-2.0-flash-001': { prompt: 0.1, completion: 0.4 },
};

/** Unknown models are priced conservatively rather than as free. */
export const FALLBACK_PRICE = { prompt: 3, completion: 15 };

export function resolveModel(name: string, map: Record<string, string> = DEFAULT_MODEL_MAP): string {
  return map[name] ?? name;
}

export function priceOf(
  model: string,
  prices: Record<string, { prompt: number; completion: number }> = DEFAULT_PRICES,
) {
  return prices[model] ?? FALLBACK_PRICE;
}

export function costOf(
  model: string,
  promptTokens: number,
  completionTokens: number,
  prices?: Record<string, { prompt: number; completion: number }>,
): number {
  const p = priceOf(model, prices);
  return (promptTokens * p.prompt + completionTokens * p.completion) / 1_000_000;
}

/** Rough token count for providers that report none: ~4 characters a token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
