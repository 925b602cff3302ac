import type OpenAI from 'openai';
import { AsporaError } from '@aspora/sdk';

export interface Embedder {
  embed(texts: string[]): Promise<number[][]>;
  /** Stored beside each vector: vectors of different models are never compared. */
  readonly model: string;
  /** In-process and cheap (no network): versions without a stored vector are embedded on demand. */
  readonly local?: boolean;
  /** The cosine's weight in hybrid fusion, 0..1 (lexical gets the rest); 0.5 when unset. */
  readonly fusionWeight?: number;
  /** Frees what it holds (a thread, a model); called when the platform closes. */
  close?(): Promise<void>;
}

export interface OpenAIEmbedderOptions {
  baseURL: string;
  apiKey: string;
  model: string;
  timeoutMs?: number;
  /** Client-level retries on 5xx/429/connection errors (openai default: 2). */
  maxRetries?: number;
}

/** Any OpenAI-compatible POST {baseURL}/embeddings (OpenAI, OpenRouter, vLLM, Ollama, the test stub). */
export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  readonly #opts: OpenAIEmbedderOptions;
  #client: Promise<OpenAI> | undefined;

  constructor(opts: OpenAIEmbedderOptions) {
    this.model = opts.model;
    this.#opts = opts;
  }

  /** The openai package loads on first use (it is a large import for a process that may never embed). */
  #openai(): Promise<OpenAI> {
    this.#client ??= import('openai').then(
      ({ default: OpenAI }) =>
        new OpenAI({
          baseURL: this.#opts.baseURL,
          apiKey: this.#opts.apiKey,
          timeout: this.#opts.timeoutMs ?? 10_000,
          maxRetries: this.#opts.maxRetries ?? 2,
        }),
    );
    return this.#client;
  }

  async embed(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    try {
      // 'float' explicitly: the client defaults to base64, which many compatible servers lack.
      const res = await (await this.#openai()).embeddings.create({
        model: this.model,
        input: texts,
        encoding_format: 'float',
      });
      const out: number[][] = new Array(texts.length);
      for (const d of res.data) out[d.index] = d.embedding;
      if (out.length !== texts.length || out.some((v) => !Array.isArray(v) || v.length === 0)) {
        throw new Error(`expected ${texts.length} embeddings, got ${res.data.length}`);
      }
      return out;
    } catch (err) {
      throw new AsporaError(
        'EMBEDDINGS_FAILED',
        `embeddings request to ${this.#opts.baseURL} failed: ${(err as Error).message}`,
        {
          hint: 'check the embeddings endpoint, model name and API key (search falls back to lexical meanwhile)',
          cause: err,
        },
      );
    }
  }
}

/** The text a version is embedded by: its positive description only, never the "Do NOT use" part. */
export function embeddingText(s: {
  name: string;
  description: string;
  patterns: string[];
  examples: string[];
}): string {
  return [s.name.replace(/[-_]/g, ' '), s.description, ...s.patterns, ...s.examples].filter(Boolean).join('\n');
}
