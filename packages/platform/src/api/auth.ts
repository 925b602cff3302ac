/** One platform token (ASPORA_API_TOKEN): until teams and scoped tokens land, the whole /v1 API and GET /metrics sit behind it. */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AsporaError } from '@aspora/sdk';
import { requestHeader } from './node-io.ts';

export function requireToken(token: string): MiddlewareHandler {
  const want = Buffer.from(token);
  return async (c, next) => {
    const header = requestHeader(c, 'authorization') ?? '';
    const got = Buffer.from(header.startsWith('Bearer ') ? header.slice(7).trim() : '');
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new AsporaError(
        'UNAUTHORIZED',
        header ? 'the API token is not valid' : 'this platform requires an API token',
        { hint: 'send Authorization: Bearer <token> (the CLI reads ASPORA_TOKEN)' },
      );
    }
    await next();
  };
}
