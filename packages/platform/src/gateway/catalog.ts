/**
 * Providers and models as the platform configures them. A model name a skill or client sends is
 * an alias of `models:` (the built-in table by default), `<provider>/<id>` of a configured provider
 * other than the default, or else an id the default provider serves as it is (OpenRouter's
 * `anthropic/claude-sonnet-4-5`). OpenRouter is the default provider (OPENROUTER_API_KEY);
 * ASPORA_MODEL_BASE_URL and ASPORA_MODEL_API_KEY override the default provider's URL and key.
 */
import { STAND_IN_PROVIDER } from '@aspora/api';
import { AsporaError, closest } from '@aspora/sdk';
import type { SecretVault } from '../secrets/secrets.ts';
import type { PlatformFile } from '../config/platform-file.ts';
import { DEFAULT_MODEL_MAP, DEFAULT_PRICES, FALLBACK_PRICE, DEFAULT_TASK_MODELS } from './models.ts';
import { OpenRouterPrices } from './prices.ts';
import { ProviderTransport, type ProviderSettings } from './transport.ts';
import type { Logger } from '../observe/logger.ts';
import type { TaskType } from './types.ts';

export const OPENROUTER_URL = 'https://openrouter.ai/api/v1';

export { STAND_IN_PROVIDER };

export interface ModelStandIn {
  /** The stand-in's OpenAI-compatible base URL (…/v1). */
  url: string;
  /** true (`aspora up --offline-models`): the only provider, whatever else is configured. false: only when no provider is. */
  only: boolean;
}

export interface ResolvedModel {
  /** What was asked for. */
  name: string;
  provider: string;
  /** The provider's id. */
  id: string;
  /** USD per million tokens. */
  price: { prompt: number; completion: number };
  /** No price configured or known: priced conservatively. */
  unpriced: boolean;
  /**
   * Where the price comes from: `models:` in aspora.platform.yaml, OpenRouter's model list (with
   * when it was fetched), the built-in table, or none (the conservative fallback).
   */
  priceSource:
    | { source: 'config' | 'built-in' | 'fallback' | 'local-stand-in' }
    | { source: 'openrouter'; fetchedAt: string };
}

const CONFIG = { source: 'config' } as const;
const BUILT_IN = { source: 'built-in' } as const;
const FALLBACK = { source: 'fallback' } as const;
const STAND_IN_PRICE = { source: STAND_IN_PROVIDER } as const;

export class ModelCatalog {
  readonly #providers = new Map<string, ProviderTransport>();
  readonly #models: Record<
    string,
    { provider?: string | undefined; id: string; price?: { prompt: number; completion: number } | undefined }
  >;
  readonly defaultProvider: string | undefined;
  readonly defaultModel: string;
  readonly #byTask: Record<TaskType, string>;
  /** OpenRouter's list, when the default provider is OpenRouter's API (or one declared under providers.openrouter). */
  readonly #listed: OpenRouterPrices | undefined;
  /** The default provider's name when it is OpenRouter, whose list #listed holds. */
  readonly #listedProvider: string | undefined;

  /** Model calls are answered by the local stand-in: canned replies, no cost. */
  readonly standIn: boolean;

  constructor(file: PlatformFile, vault: SecretVault, env: NodeJS.ProcessEnv = process.env, standIn?: ModelStandIn) {
    const settings = new Map<string, ProviderSettings>();
    // OpenRouter attributes traffic to an app by these two headers (HTTP-Referer and X-Title).
    const attribution = {
      'HTTP-Referer': env.ASPORA_PUBLIC_URL || 'https://aspora.dev',
      'X-Title': 'Aspora Skills Platform',
    };
    settings.set('openrouter', {
      name: 'openrouter',
      baseURL: OPENROUTER_URL,
      apiKey: env.OPENROUTER_API_KEY,
      headers: attribution,
      timeoutMs: 60_000,
    });
    for (const [name, p] of Object.entries(file.providers)) {
      settings.set(name, {
        name,
        baseURL: p.base_url,
        apiKey: p.api_key_secret ? vault.get(p.api_key_secret) : undefined,
        headers: { ...(name === 'openrouter' ? attribution : {}), ...p.headers },
        timeoutMs: p.timeout,
      });
    }
    const dflt = file.gateway.default_provider ?? 'openrouter';
    if (env.ASPORA_MODEL_BASE_URL) {
      const base = settings.get(dflt)!;
      settings.set(dflt, {
        ...base,
        baseURL: env.ASPORA_MODEL_BASE_URL,
        apiKey: env.ASPORA_MODEL_API_KEY ?? base.apiKey,
      });
    }
    // OpenRouter without a key serves nothing; another provider (a local server) may need none.
    const usable = (s: ProviderSettings) => s.baseURL !== OPENROUTER_URL || !!s.apiKey;
    const configured = [...settings.values()].filter(usable);
    // The stand-in serves when asked to be the only provider, or when nothing would serve the
    // default provider's models: an explicitly configured provider wins over it.
    this.standIn = standIn !== undefined && (standIn.only || !configured.some((s) => s.name === dflt));
    if (this.standIn) {
      this.#providers.set(
        STAND_IN_PROVIDER,
        new ProviderTransport({
          name: STAND_IN_PROVIDER,
          baseURL: standIn!.url,
          apiKey: STAND_IN_PROVIDER,
          headers: {},
          timeoutMs: 60_000,
        }),
      );
      if (!standIn!.only) for (const st of configured) this.#providers.set(st.name, new ProviderTransport(st));
    } else {
      for (const st of configured) this.#providers.set(st.name, new ProviderTransport(st));
    }
    this.defaultProvider = this.standIn ? STAND_IN_PROVIDER : this.#providers.has(dflt) ? dflt : undefined;
    this.#models = {
      ...Object.fromEntries(Object.entries(DEFAULT_MODEL_MAP).map(([alias, id]) => [alias, { id }])),
      ...file.models,
    };
    this.defaultModel = file.gateway.default_model;
    this.#byTask = {
      ...DEFAULT_TASK_MODELS,
      ...(Object.fromEntries(Object.entries(file.gateway.by_task).filter(([, v]) => v)) as Partial<
        Record<TaskType, string>
      >),
    };
    // The list is OpenRouter's when the URL is, or when the admin named a provider openrouter;
    // ASPORA_MODEL_BASE_URL points the default at some other OpenAI-compatible server.
    const or = this.#providers.get('openrouter')?.settings;
    if (
      or &&
      this.defaultProvider === 'openrouter' &&
      (or.baseURL === OPENROUTER_URL || (Object.hasOwn(file.providers, 'openrouter') && !env.ASPORA_MODEL_BASE_URL))
    ) {
      this.#listed = new OpenRouterPrices(or.baseURL, or.apiKey ? { authorization: `Bearer ${or.apiKey}` } : {});
      this.#listedProvider = 'openrouter';
    }
  }

  /** Starts refreshing OpenRouter's prices and model ids (at once, then every 6 h; never awaited by a call). */
  startPriceRefresh(log: Pick<Logger, 'warn' | 'info'>, everyMs?: number): void {
    this.#listed?.start(log, everyMs);
  }

  /** OpenRouter's list, when this platform refreshes one (for tests and /v1/models). */
  get priceList(): OpenRouterPrices | undefined {
    return this.#listed;
  }

  get configured(): boolean {
    return this.#providers.size > 0 && this.defaultProvider !== undefined;
  }

  taskModel(t: TaskType): string {
    return this.#byTask[t];
  }

  transport(provider: string): ProviderTransport {
    const t = this.#providers.get(provider);
    if (!t)
      throw new AsporaError('UNAVAILABLE', `no model provider named ${provider} is configured`, {
        hint: 'declare it under providers in aspora.platform.yaml, or set OPENROUTER_API_KEY',
      });
    return t;
  }

  resolve(name: string): ResolvedModel {
    const entry = Object.hasOwn(this.#models, name) ? this.#models[name] : undefined;
    let provider =
      entry?.provider && entry.provider !== 'default' && (!this.standIn || this.#providers.has(entry.provider))
        ? entry.provider
        : this.defaultProvider;
    let id = entry?.id ?? name;
    if (!entry) {
      const slash = name.indexOf('/');
      const prefix = slash > 0 ? name.slice(0, slash) : '';
      if (prefix && prefix !== this.defaultProvider && this.#providers.has(prefix)) {
        provider = prefix;
        id = name.slice(slash + 1);
      }
    }
    if (!provider)
      throw new AsporaError('UNAVAILABLE', 'no model provider is configured on this platform', {
        hint: 'set OPENROUTER_API_KEY, or ASPORA_MODEL_BASE_URL (any OpenAI-compatible …/v1) and ASPORA_MODEL_API_KEY',
      });
    // The stand-in costs nothing; pricing its calls like the real model would bill phantom spend.
    if (provider === STAND_IN_PROVIDER)
      return { name, provider, id, price: { prompt: 0, completion: 0 }, unpriced: false, priceSource: STAND_IN_PRICE };
    if (entry?.price) return { name, provider, id, price: entry.price, unpriced: false, priceSource: CONFIG };
    const fetched = provider === this.#listedProvider ? this.#listed!.price(id) : undefined;
    if (fetched)
      return {
        name,
        provider,
        id,
        price: fetched,
        unpriced: false,
        priceSource: { source: 'openrouter', fetchedAt: this.#listed!.fetchedAt! },
      };
    const builtIn = DEFAULT_PRICES[id];
    return builtIn
      ? { name, provider, id, price: builtIn, unpriced: false, priceSource: BUILT_IN }
      : { name, provider, id, price: FALLBACK_PRICE, unpriced: true, priceSource: FALLBACK };
  }

  /**
   * Refuses a model name the platform does not know, with the nearest known one. Known: an alias
   * (`models:` and the built-in table), an id of the built-in table, an id of OpenRouter's list
   * once fetched (when OpenRouter is the default provider), and `<provider>/<id>` of a configured
   * provider other than the default (its own list is not known here: it answers for its ids).
   */
  check(name: string, param = 'model'): void {
    if (Object.hasOwn(this.#models, name) || Object.hasOwn(DEFAULT_PRICES, name)) return;
    const slash = name.indexOf('/');
    const prefix = slash > 0 ? name.slice(0, slash) : '';
    if (prefix && prefix !== this.defaultProvider && this.#providers.has(prefix)) return;
    const listed = this.#listed?.ids;
    if (listed?.has(name)) return;
    const candidates = [...Object.keys(this.#models), ...Object.keys(DEFAULT_PRICES), ...(listed ?? [])];
    const near = closest(name, candidates);
    throw new AsporaError(
      'BAD_REQUEST',
      `unknown model "${name.slice(0, 120)}"${near ? `; did you mean "${near}"?` : ''}`,
      {
        hint: listed?.size
          ? `GET /v1/models lists the aliases; any id of OpenRouter's list (fetched ${this.#listed!.fetchedAt}) works too; or declare it under models: in aspora.platform.yaml`
          : 'GET /v1/models lists the aliases; declare another model under models: in aspora.platform.yaml (or name it <provider>/<id> for a configured provider)',
        details: { param, code: 'model_not_found', ...(near ? { suggestion: near } : {}) },
      },
    );
  }

  /** Aliases and their targets, for GET /v1/models. */
  list(): ResolvedModel[] {
    if (!this.defaultProvider) return [];
    return Object.keys(this.#models).map((alias) => this.resolve(alias));
  }

  async close(): Promise<void> {
    this.#listed?.stop();
    await Promise.all([...this.#providers.values()].map((p) => p.close()));
  }
}
