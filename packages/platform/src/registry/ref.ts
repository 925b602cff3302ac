import { ENVIRONMENTS, formatRef, isSlug, parseSkillRef, SLUG } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { EnvironmentName } from './types.ts';

// The skill-reference rule is the API contract's (@aspora/api); the registry only applies it.
export { formatRef, isSlug, SLUG };

export interface SkillRef {
  domain: string;
  name: string;
  /** Only when written `domain/role/name` (the on-disk layout); checked against the skill's role. */
  role?: string;
}

/** Accepts `domain/name` and the directory form `domain/role/name` (no @version here). */
export function parseRef(ref: string): SkillRef {
  let r;
  try {
    r = parseSkillRef(ref, { version: false });
  } catch (e) {
    const a = e as AsporaError;
    throw new AsporaError(a.code, a.message, { hint: a.hint });
  }
  return { domain: r.domain, name: r.name, ...(r.role ? { role: r.role } : {}) };
}

export function checkEnvironment(env: string): EnvironmentName {
  if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
    throw new AsporaError('BAD_REQUEST', `unknown environment "${env}"`, {
      hint: `use one of: ${ENVIRONMENTS.join(', ')}`,
    });
  }
  return env as EnvironmentName;
}
