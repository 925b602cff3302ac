/**
 * The model gateway: every model call — a handler's context.model.chat or an OpenAI client on
 * /v1/chat/completions — takes this path: rate limits and budget state, the model chain
 * (routing/chooser.ts), the response cache, the per-execution and monthly budgets, then each model
 * in turn with retries (jittered, honouring Retry-After) and a circuit breaker, within one
 * deadline. Every provider call is priced, attributed to a skill and an execution, counted in the
 * figures and handed to `onCall` for the records. Streams fall back only before their first token.
 */
import { AsporaError } from '@aspora/sdk';
import type { CostOptimization, GatewayConfig } from '../config/platform-file.ts';
import { DAY_MS, HOUR_MS, type RateLimiter } from '../rate-limits/rate-limiter.ts';
import type { BudgetControl, BudgetSubject, Reservation } from './budget/control.ts';
import { cacheKey, type ResponseCache } from './cache.ts';
import type { ModelCatalog, ResolvedModel } from './catalog.ts';
import { estimateTokens } from './models.ts';
import { Deadline } from './deadline.ts';
import { backoffMs, CircuitBreakers, sleep } from './resilience.ts';
import { ModelChooser, type TaskFacts } from './routing/chooser.ts';
import type { GatewayStats } from './stats.ts';
import { ProviderError } from './transport.ts';
import type { ChatAnswer, ModelCallRecord, TaskType } from './types.ts';
import { validateChatRequest } from './validate.ts';
import {
  checkWireResponse,
  fromWire,
  parseWireChat,
  promptText,
  toWire,
  type WireChat,
  type WireResponse,
  type WireUsage,
} from './wire.ts';
import { SseMeter } from './sse.ts';

export interface SkillModelPrefs {
  primary?: string | undefined;
  fallback?: string | undefined;
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  /** Cache answers even at temperature > 0. */
  cacheResponses?: boolean | undefined;
  maxPerExecution?: number | undefined;
  monthlyLimit?: number | undefined;
}

/** Who calls: what a call is attributed to, limited by and billed to. */
export interface Caller {
  /** domain/name; absent for a platform client that names no skill. */
  ref?: string | undefined;
  domain?: string | undefined;
  ownerTeam?: string | null | undefined;
  executionId?: string | undefined;
  prefs: SkillModelPrefs;
  /** What this execution has spent on models so far (USD). */
  executionCost?: () => number;
  /** A release's shadow run: its spend goes to the shadow's own budget (BudgetSubject.shadow). */
  shadow?: boolean | undefined;
  task?: { type?: TaskType | undefined; complexity?: TaskFacts['complexity']; requiresReasoning?: boolean | undefined };
}

export interface GatewayDeps {
  catalog: ModelCatalog;
  gateway: GatewayConfig;
  cost: CostOptimization;
  limiter: RateLimiter;
  budgets: BudgetControl;
  cache: ResponseCache;
  stats: GatewayStats;
}

export interface Completed {
  response: WireResponse;
  served: ResolvedModel;
  usage: ChatAnswer['usage'];
  cached: boolean;
  fallback: boolean;
}

type OnCall = (c: ModelCallRecord) => void;

/** The prompt's text (every message's content) and its estimated tokens, worked out once per call. */
interface Prompt {
  text: string;
  tokens: number;
}

/** An answered provider call, until it is priced and recorded (#meter). */
interface Metered {
  caller: Caller;
  model: ResolvedModel;
  subject: BudgetSubject;
  reservation: Reservation | undefined;
  fallback: boolean;
  t0: number;
  promptTokensEst: number;
  onCall: OnCall;
}

const DEFAULT_MAX_TOKENS = 4096;
const SAME_MODEL_RETRY = new Set(['RATE_LIMITED', 'UPSTREAM_ERROR', 'TIMEOUT']);

export class ModelGateway {
  readonly #chooser: ModelChooser;
  readonly #breakers: CircuitBreakers;

  constructor(private readonly d: GatewayDeps) {
    this.#chooser = new ModelChooser(d.cost, (t) => d.catalog.taskModel(t), d.catalog.defaultModel);
    this.#breakers = new CircuitBreakers(d.gateway.circuit_breaker.failures, d.gateway.circuit_breaker.cooldown);
  }

  get configured(): boolean {
    return this.d.catalog.configured;
  }

  /** Model calls are answered by the local stand-in (no provider configured, or --offline-models). */
  get standIn(): boolean {
    return this.d.catalog.standIn;
  }

  get budgets(): BudgetControl {
    return this.d.budgets;
  }

  get stats(): GatewayStats {
    return this.d.stats;
  }

  get catalog(): ModelCatalog {
    return this.d.catalog;
  }

  openCircuits(): string[] {
    return this.#breakers.open();
  }

  /** context.model.chat: the camelCase request of a handler, the camelCase answer. */
  async chat(raw: unknown, caller: Caller, onCall: OnCall = () => undefined): Promise<ChatAnswer> {
    const req = validateChatRequest(raw);
    const body = toWire(req, req.model ?? 'auto');
    const c: Caller = {
      ...caller,
      task: { type: req.taskType, complexity: req.complexity, requiresReasoning: req.requiresReasoning },
    };
    const done = await this.complete(body, c, onCall);
    return fromWire(done.response, done.usage, done.served.id);
  }

  /** A chat completion, not streamed (wire format in and out). `model: "auto"` lets the gateway choose. */
  async complete(input: WireChat, caller: Caller, onCall: OnCall = () => undefined): Promise<Completed> {
    const { body, chain, subject, prompt, deadline } = await this.#begin(input, caller);
    try {
      return await this.#complete(body, caller, chain, subject, deadline, prompt, onCall);
    } finally {
      deadline.clear();
    }
  }

  async #complete(
    body: WireChat,
    caller: Caller,
    chain: ResolvedModel[],
    subject: BudgetSubject,
    deadline: Deadline,
    prompt: Prompt,
    onCall: OnCall,
  ): Promise<Completed> {
    const key = this.#cacheKey(body, caller, chain[0]!);
    if (key) {
      const hit = await this.d.cache.get(key);
      if (hit) {
        const served = this.d.catalog.resolve(hit.model);
        onCall(
          record(
            hit.provider,
            chain[0]!.name,
            hit.model,
            { prompt_tokens: hit.promptTokens, completion_tokens: hit.completionTokens },
            0,
            false,
            0,
            true,
          ),
        );
        this.#sample(caller, served, true, hit.promptTokens, hit.completionTokens, 0, 0, false, 'hit');
        return {
          response: hit.response,
          served,
          usage: { promptTokens: hit.promptTokens, completionTokens: hit.completionTokens, cost: 0 },
          cached: true,
          fallback: false,
        };
      }
    }
    const result = await this.#walk(body, caller, chain, subject, deadline, prompt, onCall, async (model, payload) => {
      const json = await this.d.catalog.transport(model.provider).json('/chat/completions', payload, deadline);
      const response = checkWireResponse(json);
      if (!response)
        throw new ProviderError('UPSTREAM_ERROR', `${model.provider} answered without a choice for ${model.id}`, true);
      return { response, usage: response.usage };
    });
    if (key) {
      await this.d.cache.set(
        key,
        {
          response: result.response,
          provider: result.served.provider,
          model: result.served.name,
          promptTokens: result.usage.promptTokens,
          completionTokens: result.usage.completionTokens,
        },
        this.d.cost.caching.ttl,
      );
      this.#sample(caller, result.served, true, 0, 0, 0, 0, false, 'miss');
    }
    return result;
  }

  /**
   * A streamed chat completion: SSE bytes for the client. A model that fails before its first
   * token gives way to the next in the chain; after it, the error reaches the client.
   */
  async stream(
    input: WireChat,
    caller: Caller,
    onCall: OnCall = () => undefined,
  ): Promise<{ served: ResolvedModel; chunks: AsyncIterable<Uint8Array>; cancel(): void }> {
    const { body, chain, subject, prompt, deadline } = await this.#begin(input, caller);
    const clientWantsUsage = input.stream_options?.include_usage === true;
    // The gateway always asks for usage (it meters every call) and hides it from a client that did not.
    const wire = { ...body, stream: true, stream_options: { ...(input.stream_options ?? {}), include_usage: true } };
    let chunks: AsyncIterable<Uint8Array> | undefined;
    let meter: SseMeter | undefined;
    const { served } = await this.#walk(
      wire,
      caller,
      chain,
      subject,
      deadline,
      prompt,
      onCall,
      async (model, payload) => {
        const source = await this.d.catalog.transport(model.provider).stream('/chat/completions', payload, deadline);
        meter = new SseMeter(source, { keepUsage: clientWantsUsage });
        await meter.firstToken(); // throws (and the chain moves on) when the stream dies before it
        chunks = meter.chunks();
        return { response: { choices: [{ message: {} }] }, usage: undefined, settleLater: meter.done };
      },
    ).catch((e: unknown) => {
      deadline.clear();
      throw e;
    });
    const inner = chunks!;
    const streamMeter = meter!;
    // The deadline holds until the stream ends (or the client goes away).
    return {
      served,
      cancel: () => streamMeter.cancel(),
      chunks: (async function* () {
        try {
          yield* inner;
        } finally {
          deadline.clear();
        }
      })(),
    };
  }

  /** Embeddings (POST /v1/embeddings): the named model on its provider, limited, priced and recorded. */
  async embeddings(raw: unknown, caller: Caller, onCall: OnCall = () => undefined): Promise<Record<string, unknown>> {
    const body = raw as { model?: unknown; input?: unknown };
    if (!body || typeof body !== 'object' || typeof body.model !== 'string' || !body.model)
      throw new AsporaError('BAD_REQUEST', 'model is required', { details: { param: 'model' } });
    if (typeof body.input !== 'string' && !(Array.isArray(body.input) && body.input.length > 0))
      throw new AsporaError('BAD_REQUEST', 'input must be a string or a non-empty array', {
        details: { param: 'input' },
      });
    await this.#limits(caller);
    const model = this.d.catalog.resolve(body.model);
    const t0 = performance.now();
    try {
      const deadline = new Deadline(this.d.gateway.deadline);
      const out = await this.d.catalog
        .transport(model.provider)
        .json('/embeddings', JSON.stringify({ ...body, model: model.id }), deadline)
        .finally(() => deadline.clear());
      const usage = (out.usage ?? {}) as WireUsage;
      const tokens = usage.prompt_tokens ?? estimateTokens(JSON.stringify(body.input));
      const spent = typeof usage.cost === 'number' ? usage.cost : cost(model, tokens, 0);
      onCall(
        record(
          model.provider,
          model.name,
          model.id,
          { prompt_tokens: tokens, completion_tokens: 0 },
          spent,
          false,
          performance.now() - t0,
          false,
          undefined,
          usage.prompt_tokens === undefined,
        ),
      );
      this.#sample(caller, model, true, tokens, 0, spent, performance.now() - t0, false, 'none');
      return out;
    } catch (e) {
      const err = e instanceof AsporaError ? e : new AsporaError('INTERNAL', (e as Error).message);
      onCall(record(model.provider, model.name, model.id, {}, 0, false, performance.now() - t0, false, err.code));
      this.#sample(caller, model, false, 0, 0, 0, performance.now() - t0, false, 'none');
      throw err;
    }
  }

  /** Rate limits, budget admission, defaults and the model chain of one call. */
  async #begin(input: WireChat, caller: Caller) {
    // Before anything is counted, reserved or sent: an unknown name is the caller's typo, not a model to bill.
    if (input.model && input.model !== 'auto') this.d.catalog.check(input.model);
    await this.#limits(caller);
    const subject: BudgetSubject = {
      ref: caller.ref ?? 'platform',
      ownerTeam: caller.ownerTeam,
      monthlyLimit: caller.ref ? caller.prefs.monthlyLimit : undefined,
      shadow: caller.shadow,
    };
    await this.d.budgets.admit(subject);
    const body: WireChat = {
      ...input,
      temperature: input.temperature ?? caller.prefs.temperature ?? 0.7,
      max_tokens: input.max_tokens ?? input.max_completion_tokens ?? caller.prefs.maxTokens ?? DEFAULT_MAX_TOKENS,
    };
    const text = promptText(body);
    const prompt: Prompt = { text, tokens: estimateTokens(text) };
    const task: TaskFacts = {
      type: caller.task?.type,
      input_tokens: prompt.tokens,
      complexity: caller.task?.complexity,
      requires_reasoning: caller.task?.requiresReasoning,
    };
    const requested = input.model && input.model !== 'auto' ? input.model : undefined;
    const choice = this.#chooser.choose(requested, caller.prefs, task);
    const chain = choice.models.map((m) => this.d.catalog.resolve(m));
    return { body, chain, subject, prompt, deadline: new Deadline(this.d.gateway.deadline) };
  }

  async #limits(caller: Caller): Promise<void> {
    const rl = this.d.cost.rate_limits;
    const checks: Array<[string, number, number, string]> = [
      [
        'platform',
        rl.per_platform_per_month,
        30 * DAY_MS,
        `${rl.per_platform_per_month} model calls per platform per month`,
      ],
    ];
    if (caller.ref)
      checks.unshift([
        `skill:${caller.ref}`,
        rl.per_skill_per_hour,
        HOUR_MS,
        `${rl.per_skill_per_hour} model calls per skill per hour`,
      ]);
    if (caller.domain)
      checks.splice(1, 0, [
        `domain:${caller.domain}`,
        rl.per_domain_per_day,
        DAY_MS,
        `${rl.per_domain_per_day} model calls per domain per day`,
      ]);
    for (const [key, limit, window, rule] of checks) {
      const d = await this.d.limiter.hit(`model:${key}`, limit, window);
      if (!d.allowed) {
        const s = Math.ceil(d.retryAfterMs / 1000);
        throw new AsporaError(
          'RATE_LIMITED',
          `${caller.ref ? `skill ${caller.ref}: ` : ''}the gateway allows ${rule}; try again in ${s} s`,
          { details: { rule, retryAfterSeconds: s } },
        );
      }
    }
  }

  #cacheKey(body: WireChat, caller: Caller, first: ResolvedModel): string | undefined {
    const c = this.d.cost.caching;
    if (!c.enabled || body.stream || !caller.ref) return undefined;
    if ((body.temperature ?? 0) > 0 && !caller.prefs.cacheResponses) return undefined;
    return cacheKey(body, { skill: caller.ref, model: first.name, keys: c.cache_keys });
  }

  /** Each model of the chain in turn, with retries, breaker, budgets, records; the first answer wins. */
  async #walk(
    body: WireChat,
    caller: Caller,
    chain: ResolvedModel[],
    subject: BudgetSubject,
    deadline: Deadline,
    prompt: Prompt,
    onCall: OnCall,
    send: (
      m: ResolvedModel,
      payload: string,
    ) => Promise<{
      response: WireResponse;
      usage: WireUsage | undefined;
      settleLater?: Promise<{ usage: WireUsage | undefined; text: string }>;
    }>,
  ): Promise<Completed> {
    const { text, tokens: promptTokensEst } = prompt;
    // Reservations must not undershoot: no tokenizer makes more tokens than half the bytes.
    const promptTokensMax = Math.ceil(Buffer.byteLength(text) / 2) + 8 * body.messages.length;
    const maxTokens = (body.max_tokens as number) ?? DEFAULT_MAX_TOKENS;
    let last: AsporaError | undefined;
    let tried = 0;
    for (const model of chain) {
      const breaker = `${model.provider}/${model.id}`;
      if (!this.#breakers.allow(breaker)) {
        last = new ProviderError('UNAVAILABLE', `${breaker} is failing: its circuit is open`, true);
        continue;
      }
      const worst = cost(model, promptTokensMax, maxTokens);
      const max = caller.prefs.maxPerExecution;
      if (caller.ref && max !== undefined && caller.executionCost && caller.executionCost() + worst > max) {
        last = new AsporaError(
          'BUDGET_EXCEEDED',
          `skill ${caller.ref}: a call to ${model.name} could cost up to $${worst.toFixed(4)}, and the execution has $${Math.max(0, max - caller.executionCost()).toFixed(4)} of its $${max} budget left (cost_budget.max_per_execution)`,
          {
            hint: 'lower max_tokens, pick a cheaper model, or raise cost_budget.max_per_execution',
            details: {
              skill: caller.ref,
              model: model.name,
              worstCase: worst,
              spent: caller.executionCost(),
              limit: max,
            },
          },
        );
        continue;
      }
      const reservation = await this.d.budgets.reserve(subject, worst);
      const payload = JSON.stringify({ ...body, model: model.id });
      for (let attempt = 1; ; attempt++) {
        const t0 = performance.now();
        try {
          const out = await send(model, payload);
          this.#breakers.success(breaker);
          const fallback = tried > 0;
          const call: Metered = { caller, model, subject, reservation, fallback, t0, promptTokensEst, onCall };
          if (out.settleLater) {
            // Streams are metered when they end; the answer is already on its way to the client.
            void out.settleLater.then(
              (r) => this.#meter(call, r.usage, r.text),
              () => this.#meter(call, undefined, ''),
            );
            return {
              response: out.response,
              served: model,
              usage: { promptTokens: 0, completionTokens: 0, cost: 0 },
              cached: false,
              fallback,
            };
          }
          const text = out.response.choices[0]?.message?.content ?? '';
          return {
            response: out.response,
            served: model,
            usage: await this.#meter(call, out.usage, text),
            cached: false,
            fallback,
          };
        } catch (e) {
          const err = e instanceof AsporaError ? e : new ProviderError('INTERNAL', (e as Error).message, false);
          this.#breakers.failure(breaker);
          onCall(
            record(model.provider, model.name, model.id, {}, 0, tried > 0, performance.now() - t0, false, err.code),
          );
          this.#sample(caller, model, false, 0, 0, 0, performance.now() - t0, tried > 0, 'none');
          last = err;
          const retryable = err instanceof ProviderError && err.retryable;
          const wait = backoffMs(attempt, err instanceof ProviderError ? err.retryAfterMs : undefined);
          if (
            retryable &&
            SAME_MODEL_RETRY.has(err.code) &&
            attempt <= this.d.gateway.retries &&
            !deadline.expired &&
            Date.now() + wait < deadline.at
          ) {
            await sleep(wait, deadline.signal);
            continue;
          }
          await this.d.budgets.settle(subject, reservation, 0);
          if (!retryable || deadline.expired) throw err;
          break;
        }
      }
      tried++;
    }
    throw last ?? new AsporaError('UNAVAILABLE', 'no model could take the call');
  }

  /** Prices an answered call (its usage, or estimates when the provider sent none), settles its budget reservation and records it. */
  async #meter(m: Metered, usage: WireUsage | undefined, text: string): Promise<ChatAnswer['usage']> {
    const estimated = !usage || typeof usage.prompt_tokens !== 'number';
    const p = estimated ? m.promptTokensEst : usage!.prompt_tokens!;
    const c = estimated ? estimateTokens(text) : (usage!.completion_tokens ?? 0);
    const spent = typeof usage?.cost === 'number' ? usage.cost : cost(m.model, p, c);
    await this.d.budgets.settle(m.subject, m.reservation, spent);
    const ms = performance.now() - m.t0;
    m.onCall(
      record(
        m.model.provider,
        m.model.name,
        m.model.id,
        { prompt_tokens: p, completion_tokens: c },
        spent,
        m.fallback,
        ms,
        false,
        undefined,
        estimated,
      ),
    );
    this.#sample(m.caller, m.model, true, p, c, spent, ms, m.fallback, 'none');
    return { promptTokens: p, completionTokens: c, cost: spent, ...(estimated ? { estimated } : {}) };
  }

  #sample(
    caller: Caller,
    m: ResolvedModel,
    ok: boolean,
    p: number,
    c: number,
    spent: number,
    ms: number,
    fallback: boolean,
    cache: 'hit' | 'miss' | 'none',
  ): void {
    this.d.stats.record({
      skill: caller.ref ?? 'platform',
      model: m.name,
      provider: m.provider,
      ok,
      promptTokens: p,
      completionTokens: c,
      cost: spent,
      latencyMs: ms,
      fallback,
      cache,
    });
  }
}

function cost(m: ResolvedModel, prompt: number, completion: number): number {
  return (prompt * m.price.prompt + completion * m.price.completion) / 1_000_000;
}

function record(
  provider: string,
  requested: string,
  model: string,
  usage: WireUsage,
  spent: number,
  isFallback: boolean,
  latencyMs: number,
  cached: boolean,
  errorCode?: string,
  estimated = false,
): ModelCallRecord {
  return {
    provider,
    requestedModel: requested,
    model,
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
    cost: spent,
    estimated,
    isFallback,
    latencyMs,
    ok: !errorCode,
    cached,
    ...(errorCode ? { errorCode } : {}),
  };
}

export { parseWireChat };
