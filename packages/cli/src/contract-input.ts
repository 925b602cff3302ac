/**
 * Checks a command's arguments with the contract's own request schemas before anything is sent:
 * the same rules as the server, with the option's name in the message instead of a 400 later.
 */
import { AsporaError } from '@aspora/sdk';

interface Schema<T> {
  safeParse(
    v: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ message: string }> } };
}

/** `value` as `schema` accepts it, or a BAD_REQUEST naming `what` (e.g. `--team "Ops"`). */
export function valid<T>(schema: Schema<T>, value: unknown, what: string, hint?: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new AsporaError('BAD_REQUEST', `${what}: ${r.error.issues.map((i) => i.message).join('; ')}`, {
    ...(hint ? { hint } : {}),
  });
}
