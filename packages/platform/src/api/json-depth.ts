/**
 * Nesting of a request's JSON body. JSON.parse builds any depth without recursion, but what runs
 * on the value afterwards recurses (validation, JSON.stringify into the record and the protocol,
 * hashing for the gateway cache): 100 000 levels threw RangeError there, a 500.
 */
import { AsporaError } from '@aspora/sdk';

/** Below the protocol's own limit on a line's nesting, with room for the message around an input. */
export const MAX_JSON_DEPTH = 64;

/** Whether `v` nests deeper than `max`, walked with a stack of its own. */
export function deeperThan(v: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d + 1 > max) return true;
    for (const child of Array.isArray(x) ? x : Object.values(x)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
}

export function tooDeep(max = MAX_JSON_DEPTH, details?: Record<string, unknown>): AsporaError {
  return new AsporaError('BAD_REQUEST', `the request body is nested more than ${max} levels deep`, { hint: 'flatten the JSON you send', ...(details ? { details } : {}) });
}
