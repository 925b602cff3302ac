/** Value checks the config schema needs beyond types: cron, semver, globs, model names, time zones. */
import { Cron } from 'croner';
import semver from 'semver';
import { MAX_RESOURCE_GLOB_LENGTH, resourceGlobSource, ResourceGlobError } from './resource-glob.ts';

export function cronError(expr: string): string | null {
  try {
    // paused: validate only, never schedule anything.
    new Cron(expr, { paused: true }).stop();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export const isSemver = (v: string): boolean => semver.valid(v) !== null;

export function timezoneError(tz: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return null;
  } catch {
    return `unknown time zone "${tz}"`;
  }
}

/**
 * Resource paths are globs relative to the skill's parent folder; a trailing "/" means "everything below".
 * The grammar (resource-glob.ts) is the one the platform matches with: what validates is what matches.
 */
export function globError(pattern: string): { message: string; hint?: string } | null {
  if (pattern.length === 0) return { message: 'empty pattern' };
  if (pattern.startsWith('/'))
    return {
      message: 'absolute paths are not allowed',
      hint: "write it relative to the skill's parent folder (e.g. ../shared/queries/)",
    };
  if (pattern.includes('\\')) return { message: 'use forward slashes', hint: 'write the path with /' };
  if (pattern.length > MAX_RESOURCE_GLOB_LENGTH)
    return {
      message: `pattern is longer than ${MAX_RESOURCE_GLOB_LENGTH} characters`,
      hint: 'shorten it, or use ** for the folders in between',
    };
  if (pattern.startsWith('!'))
    return {
      message: 'a leading ! (negation) is not allowed',
      hint: 'list what is shared in shared_resources and what is not in blocked_resources',
    };
  try {
    resourceGlobSource(normalizeResourceGlob(pattern));
    return null;
  } catch (e) {
    if (e instanceof ResourceGlobError) return { message: `not a supported glob: ${e.message}`, hint: e.hint };
    throw e;
  }
}

export function normalizeResourceGlob(pattern: string): string {
  return pattern.endsWith('/') ? `${pattern}**` : pattern;
}

/**
 * Model names: a platform alias (claude-sonnet-4-5) or a provider-qualified id
 * (anthropic/claude-sonnet-4-5, openai/gpt-4o-mini, google/gemini-2.0-flash-exp:free).
 * Which names exist is the gateway's business; here we only catch malformed ones.
 */
export const MODEL_RE = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)?(:[a-z0-9._-]+)?$/i;

export const KNOWN_MODEL_ALIASES = [
  'claude-haiku-4-5',
  'claude-sonnet-4-5',
  'claude-opus-4-6',
  'gpt-4o',
  'gpt-4o-mini',
  'gemini-2.0-flash',
] as const;
