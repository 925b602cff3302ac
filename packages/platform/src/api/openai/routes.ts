/**
 * The OpenAI-compatible surface: POST /v1/chat/completions (streamed and not), POST /v1/embeddings,
 * GET /v1/models. Any OpenAI client pointed at http://<platform>/v1 with a platform token works
 * unchanged; every call goes through the model gateway and is metered and recorded.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AsporaError } from '@aspora/sdk';
import type { ModelGateway } from '../../gateway/gateway.ts';
import { parseWireChat } from '../../gateway/wire.ts';
import type { ModelCallLog } from '../../observe/model-calls.ts';
import type { SkillRegistry } from '../../registry/index.ts';
import { CallerResolver } from './caller.ts';
import { openaiError } from './errors.ts';
import { readJsonBody } from './body.ts';
import { relay } from './relay.ts';
import { outgoingOf } from '../node-io.ts';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';

export interface OpenAIRouteDeps {
  gateway: ModelGateway;
  registry: SkillRegistry;
  modelCalls: ModelCallLog;
}

export function openaiRoutes(app: OpenAPIHono, deps: OpenAIRouteDeps): void {
  const callers = new CallerResolver(deps.registry);
  const guard = (fn: (c: Context) => Promise<Response>) => async (c: Context) => {
    try {
      return await fn(c);
    } catch (e) {
      if (e instanceof AsporaError) return openaiError(c, e);
      throw e;
    }
  };

  app.post(
    '/v1/chat/completions',
    guard(async (c) => {
      const body = parseWireChat(await readJsonBody(c));
      const caller = await callers.of(c);
      const record = deps.modelCalls.recorder(caller.ref);
      if (body.stream) {
        const { served, chunks, cancel } = await deps.gateway.stream(body, caller, record);
        const headers = {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          'x-aspora-model': served.name,
          'x-aspora-provider': served.provider,
        };
        const outgoing = outgoingOf(c);
        if (outgoing) {
          outgoing.writeHead(200, headers);
          void relay(chunks, outgoing, cancel);
          return RESPONSE_ALREADY_SENT;
        }
        const it = chunks[Symbol.asyncIterator]();
        const stream = new ReadableStream<Uint8Array>({
          async pull(ctl) {
            try {
              const r = await it.next();
              if (r.done) ctl.close();
              else ctl.enqueue(r.value);
            } catch (e) {
              // After the first token there is no falling back: the client sees the stream break.
              ctl.error(e);
            }
          },
          async cancel() {
            cancel();
            await it.return?.(undefined);
          },
        });
        return new Response(stream, { status: 200, headers });
      }
      const done = await deps.gateway.complete(body, caller, record);
      // A Response with plain-object headers: @hono/node-server writes it as it is, where c.header
      // and c.json build a Headers object and sort it back into one (~4 % of a call's CPU).
      return new Response(JSON.stringify(done.response), {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'x-aspora-model': done.served.name,
          'x-aspora-provider': done.served.provider,
          'x-aspora-cost': done.usage.cost.toFixed(6),
          'x-aspora-cache': done.cached ? 'hit' : 'miss',
        },
      });
    }),
  );

  app.post(
    '/v1/embeddings',
    guard(async (c) => {
      const caller = await callers.of(c);
      const out = await deps.gateway.embeddings(await readJsonBody(c), caller, deps.modelCalls.recorder(caller.ref));
      return c.json(out, 200);
    }),
  );

  app.get(
    '/v1/models',
    guard(async (c) =>
      c.json(
        {
          object: 'list',
          data: deps.gateway.catalog.list().map((m) => ({
            id: m.name,
            object: 'model',
            created: 0,
            owned_by: m.provider,
            aspora: {
              provider_model: m.id,
              price_per_million: m.price,
              price_source: m.priceSource.source,
              ...(m.priceSource.source === 'openrouter' ? { price_fetched_at: m.priceSource.fetchedAt } : {}),
            },
          })),
        },
        200,
      ),
    ),
  );
}
