/** Skill references as users type them: domain/name, or domain/role/name (the role is checked by the server's data, not the URL). */
import { AsporaError } from '@aspora/sdk';

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export interface SkillRef {
  domain: string;
  role?: string;
  name: string;
  /** `domain/name`, the platform identity. */
  id: string;
  path: string;
  /** From `domain/name@1.2.0`. */
  version?: string;
}

export function parseRef(input: string): SkillRef {
  const at = input.lastIndexOf('@');
  const version = at > 0 ? input.slice(at + 1) : undefined;
  const parts = (at > 0 ? input.slice(0, at) : input).replace(/^\/+|\/+$/g, '').split('/');
  if ((parts.length === 2 || parts.length === 3) && parts.every((p) => SLUG.test(p))) {
    const domain = parts[0]!;
    const name = parts[parts.length - 1]!;
    const role = parts.length === 3 ? parts[1] : undefined;
    return { domain, name, id: `${domain}/${name}`, path: `/v1/skills/${domain}/${name}`, ...(role ? { role } : {}), ...(version ? { version } : {}) };
  }
  throw new AsporaError('BAD_REQUEST', `"${input}" is not a skill reference`, {
    hint: 'write domain/name (fraud/block-transaction) or domain/role/name (ecm/field/my-tickets), lowercase with hyphens, optionally @version',
  });
}
