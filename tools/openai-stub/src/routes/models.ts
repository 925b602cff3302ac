import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, sendJson } from '../http.ts';
import type { StubState } from '../state.ts';

/** A fixed timestamp keeps the listing deterministic. */
const CREATED = 1_735_689_600; // 2025-01-01T00:00:00Z

/**
 * GET /v1/models — OpenAI's list shape over the configured model ids, with the fields OpenRouter's
 * GET /api/v1/models adds (name, context_length, architecture, top_provider, and `pricing` in USD
 * per token as decimal strings, for the ids given a price). `state.modelsFault` breaks it on purpose.
 */
export async function modelsRoute(req: IncomingMessage, res: ServerResponse, state: StubState): Promise<void> {
  req.resume();
  state.modelsRequests++;
  const fault = state.modelsFault;
  if (fault === 500) throw new HttpError(500, 'injected failure (models list)');
  if (fault === 'garbage') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"data": [{"id": "x", "pricing": {"prompt": "free"');
    return;
  }
  if (fault === 'wrong-shape') return sendJson(res, 200, { models: state.models });
  const data = state.models.map((id) => {
    const price = state.prices[id];
    return {
      id,
      canonical_slug: id,
      object: 'model',
      created: CREATED,
      owned_by: id.includes('/') ? id.slice(0, id.indexOf('/')) : 'openai-stub',
      name: id,
      description: `${id} (openai-stub)`,
      context_length: 128000,
      architecture: {
        modality: 'text->text',
        input_modalities: ['text'],
        output_modalities: ['text'],
        tokenizer: 'Other',
        instruct_type: null,
      },
      ...(price
        ? {
            pricing: {
              prompt: price.prompt,
              completion: price.completion,
              request: '0',
              image: '0',
              web_search: '0',
              internal_reasoning: '0',
            },
          }
        : {}),
      top_provider: { context_length: 128000, max_completion_tokens: 16384, is_moderated: false },
      per_request_limits: null,
      supported_parameters: ['max_tokens', 'temperature', 'tools', 'tool_choice', 'stream'],
    };
  });
  if (fault === 'huge') {
    // A valid list padded past any sane size, streamed in pieces.
    res.writeHead(200, { 'content-type': 'application/json' });
    const pad = `"${'x'.repeat(1024 * 1024)}",`;
    res.write('{"padding": [');
    for (let i = 0; i < 40 && !res.destroyed; i++) if (!res.write(pad)) await new Promise((r) => res.once('drain', r));
    res.end(`"end"], "data": ${JSON.stringify(data)}}`);
    return;
  }
  sendJson(res, 200, { object: 'list', data });
}
