/** The authenticated caller of a request, set by the access middleware (api/access-middleware.ts). */
import type { Context } from 'hono';
import { AsporaError } from '@aspora/sdk';
import type { Principal } from '../access/principal.ts';

const KEY = 'aspora.principal';

export function setCaller(c: Context, p: Principal): void {
  c.set(KEY as never, p as never);
}

/** The caller; a route behind the middleware always has one. */
export function callerOf(c: Context): Principal {
  const p = c.get(KEY as never) as Principal | undefined;
  if (!p)
    throw new AsporaError('UNAUTHORIZED', 'this route requires a token', {
      hint: 'send Authorization: Bearer <token>',
    });
  return p;
}

/** The caller when the route has one (open routes have none). */
export function callerOfOptional(c: Context): Principal | undefined {
  return c.get(KEY as never) as Principal | undefined;
}
