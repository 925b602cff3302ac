/**
 * The skill-reference rule, written once. A skill is `domain/name`; the on-disk layout
 * `domain/role/name` is accepted too (the role is checked against the skill's data, not the
 * reference); users may add `@version`. Each part is a slug: lowercase letters and digits in
 * words joined by single hyphens, at most 64 characters.
 */
import { z } from 'zod';
import { ApiError } from './errors.ts';

export const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const MAX_SLUG_LENGTH = 64;
/** Longest `@version` accepted in a reference (semver with pre-release and build parts fits easily). */
const MAX_VERSION_LENGTH = 100;

export const isSlug = (s: unknown): s is string => typeof s === 'string' && s.length <= MAX_SLUG_LENGTH && SLUG.test(s);

export const SlugSchema = z
  .string()
  .min(1)
  .max(MAX_SLUG_LENGTH)
  .regex(SLUG, { error: 'must be lowercase letters, digits and single hyphens (e.g. block-transaction)' });

export const REF_HINT =
  'write domain/name (fraud/block-transaction) or domain/role/name (ecm/field/my-tickets), lowercase with hyphens, optionally @version';

export interface SkillRef {
  domain: string;
  name: string;
  /** Only when written `domain/role/name`. */
  role?: string;
  /** From `domain/name@1.2.0`. */
  version?: string;
  /** `domain/name`, the platform's identity of the skill. */
  id: string;
}

export const formatRef = (domain: string, name: string): string => `${domain}/${name}`;

/** Parses a reference as users type it; a BAD_REQUEST ApiError otherwise. */
export function parseSkillRef(input: string, opts: { version?: boolean } = { version: true }): SkillRef {
  const text = typeof input === 'string' ? input.trim().replace(/^\/+|\/+$/g, '') : '';
  const at = opts.version === false ? -1 : text.lastIndexOf('@');
  const version = at > 0 ? text.slice(at + 1) : undefined;
  const parts = (at > 0 ? text.slice(0, at) : text).split('/');
  const ok =
    (parts.length === 2 || parts.length === 3) &&
    parts.every(isSlug) &&
    (version === undefined || (version.length > 0 && version.length <= MAX_VERSION_LENGTH && !/[\s/]/.test(version)));
  if (!ok)
    throw new ApiError('BAD_REQUEST', `"${String(input).slice(0, 200)}" is not a skill reference`, { hint: REF_HINT });
  const domain = parts[0]!;
  const name = parts[parts.length - 1]!;
  return {
    domain,
    name,
    id: formatRef(domain, name),
    ...(parts.length === 3 ? { role: parts[1]! } : {}),
    ...(version ? { version } : {}),
  };
}
