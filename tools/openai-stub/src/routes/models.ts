import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http.ts';
import type { StubState } from '../state.ts';

/** A fixed timestamp keeps the listing deterministic. */
const CREATED = 1_735_689_600; // 2025-01-01T00:00:00Z

/** GET /v1/models — OpenAI's list shape over the configured model ids. */
export async function modelsRoute(req: IncomingMessage, res: ServerResponse, state: StubState): Promise<void> {
  req.resume();
  const data = state.models.map((id) => ({
    id,
    object: 'model',
    created: CREATED,
    owned_by: id.includes('/') ? id.slice(0, id.indexOf('/')) : 'openai-stub',
  }));
  sendJson(res, 200, { object: 'list', data });
}
