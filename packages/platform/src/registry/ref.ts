import { AsporaError } from '@aspora/sdk';
import { ENVIRONMENTS, type EnvironmentName } from './types.ts';

export const SLUG = /^[a-z0-9][a-z0-9_-]*$/;

export interface SkillRef {
  domain: string;
  name: string;
  /** Only when written `domain/role/name` (the on-disk layout); checked against the skill's role. */
  role?: string;
}

export function formatRef(domain: string, name: string): string {
  return `${domain}/${name}`;
}

/** Accepts `domain/name` and the directory form `domain/role/name`. */
export function parseRef(ref: string): SkillRef {
  const parts = typeof ref === 'string' ? ref.trim().split('/') : [];
  const ok = (parts.length === 2 || parts.length === 3) && parts.every((p) => SLUG.test(p));
  if (!ok) {
    throw new AsporaError('BAD_REQUEST', `"${String(ref)}" is not a skill reference`, {
      hint: 'refer to a skill as domain/name, e.g. fraud/block-transaction',
    });
  }
  if (parts.length === 3) return { domain: parts[0]!, role: parts[1]!, name: parts[2]! };
  return { domain: parts[0]!, name: parts[1]! };
}

export function checkEnvironment(env: string): EnvironmentName {
  if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
    throw new AsporaError('BAD_REQUEST', `unknown environment "${env}"`, {
      hint: `use one of: ${ENVIRONMENTS.join(', ')}`,
    });
  }
  return env as EnvironmentName;
}
