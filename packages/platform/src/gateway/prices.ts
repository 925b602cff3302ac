/**
 * OpenRouter's model list (GET …/models): the ids it serves and their prices, fetched at start and
 * every 6 hours in the background, never in a call's way. Its `pricing.prompt` and
 * `pricing.completion` are USD per token, as decimal strings. A failing or garbled answer keeps
 * what was there (the last list, else none: the built-in table prices) and logs a warning.
 */
import { request } from 'undici';
import { z } from 'zod';
import type { Logger } from '../observe/logger.ts';

export const PRICE_REFRESH_MS = 6 * 60 * 60 * 1000;
/** OpenRouter's list is ~1 MB for ~350 models; a larger answer is not that list. */
export const MAX_MODELS_BYTES = 16 * 1024 * 1024;
const TIMEOUT_MS = 15_000;

/** A price per token as OpenRouter writes it; "-1" (a router whose price depends on the model chosen) is no price. */
const perToken = z
  .string()
  .regex(/^-?\d+(\.\d+)?(e-?\d+)?$/i)
  .transform(Number);

const ModelList = z.object({
  data: z
    .array(
      z.object({
        id: z.string().min(1).max(256),
        pricing: z.object({ prompt: perToken, completion: perToken }).optional(),
      }),
    )
    .min(1)
    .max(100_000),
});

export interface FetchedPrice {
  /** USD per million tokens. */
  prompt: number;
  completion: number;
}

export class OpenRouterPrices {
  #prices = new Map<string, FetchedPrice>();
  #ids = new Set<string>();
  #fetchedAt: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<boolean> | undefined;
  #log: Pick<Logger, 'warn' | 'info'> | undefined;

  constructor(
    /** The provider's …/v1 (its list is at …/v1/models). */
    private readonly baseURL: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** When the list in use was fetched (ISO), or undefined while there is none. */
  get fetchedAt(): string | undefined {
    return this.#fetchedAt;
  }

  /** The ids of the fetched list (empty while there is none). */
  get ids(): ReadonlySet<string> {
    return this.#ids;
  }

  price(id: string): FetchedPrice | undefined {
    return this.#prices.get(id);
  }

  /** Fetches now (not awaited by the caller) and every `everyMs`; the timer does not keep the process alive. */
  start(log: Pick<Logger, 'warn' | 'info'>, everyMs = PRICE_REFRESH_MS): void {
    if (this.#timer) return;
    this.#log = log;
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One fetch; true when the list was replaced. Never throws: a failure is logged (to `log`, when given). */
  refresh(log?: Pick<Logger, 'warn' | 'info'>): Promise<boolean> {
    if (log) this.#log = log;
    this.#inFlight ??= this.#fetch().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #fetch(): Promise<boolean> {
    const url = `${this.baseURL.replace(/\/$/, '')}/models`;
    try {
      const res = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json', ...this.headers },
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        maxRedirections: 0,
      } as Parameters<typeof request>[1]);
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`it answered ${res.statusCode}`);
      }
      const declared = Number(res.headers['content-length']);
      if (declared > MAX_MODELS_BYTES) {
        await res.body.dump();
        throw new Error(`its answer is ${declared} bytes, more than ${MAX_MODELS_BYTES}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of res.body) {
        size += (c as Buffer).length;
        if (size > MAX_MODELS_BYTES) {
          res.body.destroy();
          throw new Error(`its answer is more than ${MAX_MODELS_BYTES} bytes`);
        }
        chunks.push(c as Buffer);
      }
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
      } catch {
        throw new Error('its answer is not JSON');
      }
      const parsed = ModelList.safeParse(json);
      if (!parsed.success)
        throw new Error(
          `its answer is not a model list: ${parsed.error.issues[0]?.message ?? 'invalid'} at ${parsed.error.issues[0]?.path.join('.') ?? ''}`,
        );
      const prices = new Map<string, FetchedPrice>();
      for (const m of parsed.data.data) {
        const p = m.pricing;
        if (p && p.prompt >= 0 && p.completion >= 0)
          prices.set(m.id, { prompt: perMillion(p.prompt), completion: perMillion(p.completion) });
      }
      this.#prices = prices;
      this.#ids = new Set(parsed.data.data.map((m) => m.id));
      this.#fetchedAt = new Date().toISOString();
      this.#log?.info({ models: this.#ids.size, priced: prices.size }, `model prices refreshed from ${url}`);
      return true;
    } catch (e) {
      const kept = this.#fetchedAt ? `the list fetched at ${this.#fetchedAt}` : 'the built-in price table';
      this.#log?.warn(
        { err: (e as Error).message },
        `model prices could not be refreshed from ${url}: ${(e as Error).message}; ${kept} stays in use`,
      );
      return false;
    }
  }
}

/** USD per token → per million tokens, without float noise (0.0000001 × 1e6 is 0.09999999999999999). */
const perMillion = (perToken: number) => Number((perToken * 1_000_000).toPrecision(12));
