/**
 * Nesting of a request's JSON body, measured on its text before it is parsed: what runs on a
 * parsed value recurses (validation, JSON.stringify into the record and the protocol, hashing for
 * the gateway cache), and 100 000 levels threw RangeError there, a 500. The limit is the
 * protocol's for a whole message (runtime/protocol/limits.ts): a body is an input plus its envelope.
 */
import { AsporaError } from '@aspora/sdk';
import { textDeeperThan } from '../runtime/protocol/json-depth.ts';
import { LIMITS } from '../runtime/protocol/limits.ts';

export function bodyTooDeep(text: string): boolean {
  return textDeeperThan(text, LIMITS.messageDepth);
}

export function tooDeep(details?: Record<string, unknown>): AsporaError {
  return new AsporaError('BAD_REQUEST', `request body is nested deeper than ${LIMITS.messageDepth} levels`, {
    hint: `nest objects and arrays at most ${LIMITS.valueDepth} levels deep`,
    ...(details ? { details } : {}),
  });
}
