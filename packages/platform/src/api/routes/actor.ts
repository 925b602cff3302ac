import type { Context } from 'hono';

/** Who did it, for the deployment history. Replaced by the token's identity once access control lands. */
export function actorOf(c: Context): string | undefined {
  const v = c.req.header('x-aspora-actor');
  return v && v.length <= 200 ? v : undefined;
}
