/**
 * The names a platform offers skills (GET /v1/platform/offers: API names and secret names, never a
 * value), and the check of a config's declared APIs and secrets against them: what `aspora
 * validate` and `aspora deploy` report when they can reach a platform, so a typo in
 * permissions.apis fails before the first run instead of at it.
 */
import type { Issue } from '../errors/index.ts';
import { locate, parseYaml } from '../yaml/locate.ts';
import { closest } from '../yaml/suggest.ts';

export interface PlatformOffers {
  /** APIs declared in the platform's aspora.platform.yaml (`apis:`). */
  apis: string[];
  /** Secrets the platform's vault can hand to a handler (not its own credentials). */
  secrets: string[];
}

/** A platform's answer is read with bounds: a list this long or names this long are not real. */
const MAX_NAMES = 2000;
const MAX_NAME = 128;

const bounded = (names: unknown): string[] =>
  Array.isArray(names)
    ? names.filter((n): n is string => typeof n === 'string' && n.length <= MAX_NAME).slice(0, MAX_NAMES)
    : [];

/** One error per declared API or secret the platform does not offer, at its line and column. */
export function checkAgainstOffers(
  configText: string,
  file: string,
  offers: PlatformOffers,
  platform: string,
): Issue[] {
  const parsed = parseYaml(configText, file);
  const perms = (parsed.value as { permissions?: { apis?: unknown; secrets?: unknown } } | undefined)?.permissions;
  const issues: Issue[] = [];
  const kinds = [
    {
      field: 'apis',
      what: 'API',
      offered: bounded(offers.apis),
      declared: perms?.apis,
      none: 'the platform declares no APIs (an admin adds them under apis: in aspora.platform.yaml)',
    },
    {
      field: 'secrets',
      what: 'secret',
      offered: bounded(offers.secrets),
      declared: perms?.secrets,
      none: 'the platform has no secrets for handlers (aspora.platform.yaml secrets:, or ASPORA_SECRET_<NAME> on the platform)',
    },
  ] as const;
  for (const k of kinds) {
    if (!Array.isArray(k.declared)) continue;
    const offered = new Set(k.offered);
    k.declared.forEach((name: unknown, i) => {
      if (typeof name !== 'string' || offered.has(name)) return;
      const guess = closest(name, k.offered);
      const list =
        k.offered.length > 20 ? `${k.offered.slice(0, 20).join(', ')} … (${k.offered.length})` : k.offered.join(', ');
      issues.push({
        file,
        ...(locate(parsed, ['permissions', k.field, i]) ?? {}),
        path: `permissions.${k.field}[${i}]`,
        message: `${k.what} "${name}" is not offered by the platform at ${platform}`,
        hint: guess ? `did you mean "${guess}"? (offered: ${list})` : k.offered.length ? `offered: ${list}` : k.none,
      });
    });
  }
  return issues;
}
