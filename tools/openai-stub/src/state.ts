import type { IncomingHttpHeaders } from 'node:http';
import { Behaviours } from './behaviours.ts';
import type { ChatRequestBody, ChatRequestRecord } from './types.ts';

export const DEFAULT_MODELS: readonly string[] = [
  'anthropic/claude-sonnet-4-5',
  'anthropic/claude-haiku-4-5',
  'openai/gpt-4o',
  'openai/gpt-4o-mini',
];

/** OpenRouter's prices (USD per token, decimal strings) of DEFAULT_MODELS, for GET /v1/models. */
export const DEFAULT_PRICES: Readonly<Record<string, { prompt: string; completion: string }>> = {
  'anthropic/claude-sonnet-4-5': { prompt: '0.000003', completion: '0.000015' },
  'anthropic/claude-haiku-4-5': { prompt: '0.000001', completion: '0.000005' },
  'openai/gpt-4o': { prompt: '0.0000025', completion: '0.00001' },
  'openai/gpt-4o-mini': { prompt: '0.00000015', completion: '0.0000006' },
};

export type ModelsFault = 500 | 'garbage' | 'wrong-shape' | 'huge';

/** Everything the routes share: configuration, fault injection, what was received. */
export class StubState {
  readonly models: readonly string[];
  readonly modelSet: ReadonlySet<string>;
  /** Only the configured models are accepted (404 model_not_found otherwise). */
  readonly strictModels: boolean;
  readonly behaviours = new Behaviours();
  readonly chatRequests: ChatRequestRecord[] = [];
  readonly perModel = new Map<string, number>();
  /** Streams whose client closed the connection before their last event. */
  abandonedStreams = 0;
  /** Prices GET /v1/models shows, by id. */
  prices: Record<string, { prompt: string; completion: string }>;
  /** How GET /v1/models fails, until cleared. */
  modelsFault: ModelsFault | undefined;
  modelsRequests = 0;
  private seq = 0;

  constructor(
    models: readonly string[] | undefined,
    private readonly recordLimit: number,
    prices?: Record<string, { prompt: string; completion: string }>,
  ) {
    this.prices = { ...(prices ?? DEFAULT_PRICES) };
    this.models = [...(models ?? DEFAULT_MODELS)];
    this.modelSet = new Set(this.models);
    this.strictModels = models !== undefined;
  }

  /** Records one chat request and counts it under its model. */
  record(body: ChatRequestBody, headers: IncomingHttpHeaders): ChatRequestRecord {
    const model = typeof body.model === 'string' ? body.model : '';
    const rec: ChatRequestRecord = { model, body, headers };
    this.perModel.set(model, (this.perModel.get(model) ?? 0) + 1);
    if (this.recordLimit > 0) {
      if (this.chatRequests.length >= this.recordLimit) this.chatRequests.shift();
      this.chatRequests.push(rec);
    }
    return rec;
  }

  /** A short unique suffix for ids (chatcmpl-…, call_…, req_…). */
  nextId(): string {
    return (++this.seq).toString(36).padStart(6, '0');
  }

  reset(): void {
    this.behaviours.clear();
    this.chatRequests.length = 0;
    this.perModel.clear();
    this.abandonedStreams = 0;
    this.modelsFault = undefined;
    this.modelsRequests = 0;
  }
}
