/**
 * The model gateway: every model call of every skill goes through here. It picks the model
 * (the call's, else the skill's primary, else the task type's default), maps aliases to provider
 * ids, falls back along primary → skill fallback → platform default when a provider fails, and
 * prices each call (the provider's reported cost, else the price table; token counts estimated and
 * flagged when the provider sent none).
 */
import { AsporaError } from '@aspora/sdk';
import { costOf, DEFAULT_MODEL, DEFAULT_MODEL_MAP, DEFAULT_PRICES, DEFAULT_TASK_MODELS, estimateTokens, resolveModel } from './models.ts';
import { OpenAICompatibleProvider, ProviderError, type ProviderConfig } from './provider.ts';
import { validateChatRequest } from './validate.ts';
import type { Attribution, ChatAnswer, ChatRequest, ModelCallRecord } from './types.ts';

export interface GatewayOptions {
  provider?: ProviderConfig;
  modelMap?: Record<string, string>;
  prices?: Record<string, { prompt: number; completion: number }>;
  defaultModel?: string;
  defaultMaxTokens?: number;
}

const OPENROUTER_URL = 'https://openrouter.ai/api/v1';

/** OpenRouter by default (OPENROUTER_API_KEY); ASPORA_MODEL_BASE_URL / ASPORA_MODEL_API_KEY override. */
export function providerFromEnv(env: NodeJS.ProcessEnv = process.env): ProviderConfig | undefined {
  const baseURL = env.ASPORA_MODEL_BASE_URL || (env.OPENROUTER_API_KEY ? OPENROUTER_URL : undefined);
  if (!baseURL) return undefined;
  const openrouter = baseURL.startsWith(OPENROUTER_URL);
  return {
    name: openrouter ? 'openrouter' : new URL(baseURL).host,
    baseURL,
    apiKey: env.ASPORA_MODEL_API_KEY || env.OPENROUTER_API_KEY || 'unused',
    // OpenRouter attributes traffic to an app by these two headers (seed 000).
    headers: { 'HTTP-Referer': env.ASPORA_PUBLIC_URL || 'https://aspora.dev', 'X-Title': 'Aspora Skills Platform' },
  };
}

export class ModelGateway {
  readonly #provider: OpenAICompatibleProvider | undefined;

  constructor(private readonly opts: GatewayOptions = {}) {
    this.#provider = opts.provider ? new OpenAICompatibleProvider(opts.provider) : undefined;
  }

  get configured(): boolean {
    return this.#provider !== undefined;
  }

  /** `onCall` sees every provider call, failed ones included, as it ends (the execution records them). */
  async chat(raw: unknown, who: Attribution, onCall: (c: ModelCallRecord) => void = () => undefined): Promise<ChatAnswer> {
    const provider = this.#provider;
    if (!provider) {
      throw new AsporaError('UNAVAILABLE', 'no model provider is configured on this platform', { hint: 'set OPENROUTER_API_KEY, or ASPORA_MODEL_BASE_URL (any OpenAI-compatible …/v1) and ASPORA_MODEL_API_KEY' });
    }
    const req = validateChatRequest(raw);
    const platformDefault = this.opts.defaultModel ?? DEFAULT_MODEL;
    const first = req.model ?? who.prefs.primary ?? (req.taskType ? DEFAULT_TASK_MODELS[req.taskType] : platformDefault);
    const chain = [...new Set([first, who.prefs.fallback, platformDefault].filter((m): m is string => !!m))];
    const params = {
      ...req,
      temperature: req.temperature ?? who.prefs.temperature ?? 0.7,
      maxTokens: req.maxTokens ?? who.prefs.maxTokens ?? this.opts.defaultMaxTokens ?? 4096,
    };
    let last: ProviderError | undefined;
    for (const [i, requested] of chain.entries()) {
      const model = resolveModel(requested, this.opts.modelMap ?? DEFAULT_MODEL_MAP);
      const t0 = performance.now();
      try {
        const a = await provider.chat(model, params);
        const estimated = !a.usage;
        const promptTokens = a.usage?.promptTokens ?? estimateTokens(req.messages.map((m) => m.content ?? '').join('\n'));
        const completionTokens = a.usage?.completionTokens ?? estimateTokens(a.content);
        const cost = a.usage?.cost ?? costOf(a.model, promptTokens, completionTokens, this.opts.prices ?? DEFAULT_PRICES);
        onCall({ provider: provider.config.name, requestedModel: requested, model: a.model, promptTokens, completionTokens, cost, estimated, isFallback: i > 0, latencyMs: performance.now() - t0, ok: true });
        return { ...a, usage: { promptTokens, completionTokens, cost, ...(estimated ? { estimated } : {}) } };
      } catch (e) {
        const err = e instanceof ProviderError ? e : new ProviderError('INTERNAL', (e as Error).message, false);
        onCall({ provider: provider.config.name, requestedModel: requested, model, promptTokens: 0, completionTokens: 0, cost: 0, estimated: false, isFallback: i > 0, latencyMs: performance.now() - t0, ok: false, errorCode: err.code });
        last = err;
        if (!err.retryable) break;
      }
    }
    throw last!;
  }
}
