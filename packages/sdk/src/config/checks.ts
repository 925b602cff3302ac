/** Value checks the config schema needs beyond types: cron, semver, globs, model names, time zones. */
import { Cron } from 'croner';
import semver from 'semver';
import picomatch from 'picomatch';

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

/** Resource paths are globs relative to the skill's parent folder; a trailing "/" means "everything below". */
export function globError(pattern: string): string | null {
  if (pattern.length === 0) return 'empty pattern';
  if (pattern.startsWith('/')) return 'absolute paths are not allowed; write it relative to the skill\'s parent folder (e.g. ../shared/queries/)';
  if (pattern.includes('\\')) return 'use forward slashes';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pattern)) return null; // store URLs (s3://…) are resolved by the platform
  try {
    picomatch.makeRe(normalizeResourceGlob(pattern));
    return null;
  } catch (e) {
    return `not a valid glob: ${(e as Error).message}`;
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
