import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readJson, sendJson } from '../http.ts';
import { countTokens, embedText } from '../vectors.ts';

/** POST /v1/embeddings — the real OpenAI response shape, float or base64 encoding. */
export async function embeddingsRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = (await readJson(req)) as {
    input?: unknown;
    model?: unknown;
    encoding_format?: unknown;
    dimensions?: unknown;
  };
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((x) => typeof x === 'string')) {
    throw new HttpError(400, "'input' must be a string or a non-empty array of strings");
  }
  if (typeof body.model !== 'string' || body.model === '') throw new HttpError(400, "'model' is required");
  const dims =
    typeof body.dimensions === 'number' && body.dimensions > 0
      ? Math.min(4096, Math.floor(body.dimensions))
      : undefined;
  const base64 = body.encoding_format === 'base64';
  let tokens = 0;
  const data = (inputs as string[]).map((text, index) => {
    tokens += countTokens(text);
    const vector = embedText(text, dims);
    return {
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
    };
  });
  sendJson(res, 200, {
    object: 'list',
    data,
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
