/**
 * Declared APIs and secrets checked against the platform the CLI talks to (ASPORA_URL / --url):
 * a name the platform does not offer is an error with "did you mean". No platform reachable is
 * one line and the check is skipped: validate works offline.
 */
import { ApiError } from '@aspora/api';
import type { AsporaClient } from '@aspora/api/client';
import { checkAgainstOffers, type Issue, type PlatformOffers } from '@aspora/sdk';
import type { LocalSkill } from './local-skill.ts';

/** How long validate waits for a platform before it says none is reachable. */
const TIMEOUT_MS = 3000;

export type OffersAnswer = { offers: PlatformOffers; from: string } | { skipped: string; unreachable?: true };

export async function fetchOffers(api: AsporaClient): Promise<OffersAnswer> {
  try {
    return { offers: await api.platformOffers({}, { signal: AbortSignal.timeout(TIMEOUT_MS) }), from: api.base };
  } catch (e) {
    // A platform that accepts the connection but does not answer in time counts as none reachable.
    if ((e as Error)?.name === 'TimeoutError')
      return {
        skipped: `no answer from ${api.base} within ${TIMEOUT_MS / 1000} s: declared APIs and secrets not checked`,
        unreachable: true,
      };
    if (!(e instanceof ApiError)) throw e;
    if (e.code === 'NOT_FOUND')
      return {
        skipped: `the platform at ${api.base} does not list what it offers (an older version): declared APIs and secrets not checked`,
      };
    if (e.code === 'UNAVAILABLE')
      return {
        skipped: `no platform reachable at ${api.base}: declared APIs and secrets not checked (set ASPORA_URL to check them)`,
        unreachable: true,
      };
    return {
      skipped: `the platform at ${api.base} answered ${e.code}: declared APIs and secrets not checked${e.code === 'UNAUTHORIZED' ? ' (run aspora login, or set ASPORA_TOKEN)' : ''}`,
    };
  }
}

/**
 * The offers plus the names of the skill's owner team's own secrets (the platform's encrypted
 * vault), which its handler is given too. Asked only when a declared secret is not among the
 * platform's; a caller who may not list the team's secrets (or an older platform) gets the
 * platform's offers as they are, and the check names what is missing.
 */
export async function withTeamSecrets(api: AsporaClient, s: LocalSkill, answer: OffersAnswer): Promise<OffersAnswer> {
  if (!('offers' in answer)) return answer;
  const config = s.validation.manifest?.config;
  const team = config?.owner_team;
  const declared = config?.permissions?.secrets ?? [];
  if (!team || declared.every((n) => answer.offers.secrets.includes(n))) return answer;
  try {
    const own = await api.listSecrets({ params: { team } }, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const names = own.secrets.map((x) => x.name);
    return { ...answer, offers: { ...answer.offers, secrets: [...new Set([...answer.offers.secrets, ...names])] } };
  } catch (e) {
    if (e instanceof ApiError || (e as Error)?.name === 'TimeoutError') return answer;
    throw e;
  }
}

export function checkSkillAgainstPlatform(s: LocalSkill, answer: OffersAnswer): Issue[] {
  if (!('offers' in answer) || s.configText === undefined) return [];
  return checkAgainstOffers(
    s.configText,
    `${s.display.replace(/\/$/, '')}/aspora.config.yaml`,
    answer.offers,
    answer.from,
  );
}
