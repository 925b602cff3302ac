/**
 * Judging a shadow release (issue 17 part 4) after each comparison: when the last `runs`
 * comparisons all diff at most max_diff_percentage, the release passes and is promoted (on_pass:
 * promote) or proposed for a person's `aspora promote` (on_pass: propose, the owner team told).
 * A failed shadow run has no diff and breaks the streak, as a diff over the maximum does; each
 * break is a 'fail' decision, the pass a 'promote' or 'propose' one, all with their numbers.
 */
import type { ShadowSettings } from '@aspora/api';
import { isAsporaError } from '@aspora/sdk';
import type { Db } from '../db/index.ts';
import type { Logger } from '../observe/logger.ts';
import type { NotificationRouter } from '../observe/notify/router.ts';
import type { ReleaseStore } from './store.ts';

export type ShadowVerdict = 'wait' | 'fail' | 'promote' | 'propose';

export interface ShadowJudgeDeps {
  db: Db;
  log: Logger;
  /** Decisions, proposal and promotion (the pointer moves with the release's end, audited). */
  store: Pick<ReleaseStore, 'decide' | 'propose' | 'end'>;
  /** Tells the owner team a release waits for promotion (the alert channels); absent: the decision row says it. */
  notify?: (team: string | null, ref: string, text: string) => Promise<void>;
}

/** Whether a comparison passes: the shadow ran, and its diff is at most the maximum. */
export const passes = (diff: number | null, max: number) => diff !== null && diff <= max;

/** Comparisons in a row, newest back, that pass. */
export function streak(diffs: (number | null)[], max: number): number {
  let n = 0;
  while (n < diffs.length && passes(diffs[n]!, max)) n++;
  return n;
}

export async function judgeShadow(deps: ShadowJudgeDeps, releaseId: number): Promise<ShadowVerdict | null> {
  const [r] = await deps.db.query<{
    status: string;
    mode: string;
    shadow: ShadowSettings | null;
    domain: string;
    name: string;
    owner_team: string | null;
    canary: string;
  }>(
    `SELECT r.status, r.mode, r.shadow, s.domain, s.name, v.owner_team, v.version AS canary
       FROM releases r JOIN skills s ON s.id = r.skill_id JOIN skill_versions v ON v.id = r.canary_version_id
      WHERE r.id = $1`,
    [releaseId],
  );
  if (r?.status !== 'active' || r.mode !== 'shadow' || !r.shadow) return null;
  const s = r.shadow;
  const ref = `${r.domain}/${r.name}`;
  const rows = await deps.db.query<{ diff_percentage: number | null; error: string | null }>(
    `SELECT diff_percentage, report->>'error' AS error FROM shadow_comparisons WHERE release_id = $1 ORDER BY id DESC LIMIT $2`,
    [releaseId, s.runs + 1],
  );
  const diffs = rows.map((x) => (x.diff_percentage === null ? null : Number(x.diff_percentage)));
  const inARow = streak(diffs, s.maxDiffPercentage);
  const numbers = {
    diffs: diffs.slice(0, s.runs),
    passingInARow: inARow,
    runs: s.runs,
    maxDiffPercentage: s.maxDiffPercentage,
  };
  const decision = (reason: string) => ({ actor: 'analysis', reason, numbers });
  // Two comparisons finishing together may both see the pass: the store lets one end or propose it.
  const once = async (p: Promise<unknown>) => {
    try {
      await p;
      return true;
    } catch (e) {
      if (isAsporaError(e) && (e.code === 'CONFLICT' || e.code === 'NO_RELEASE')) return false;
      throw e;
    }
  };

  if (inARow >= s.runs) {
    const reason = `${s.runs} shadow comparison${s.runs === 1 ? '' : 's'} in a row at most ${s.maxDiffPercentage}% different (${diffs
      .slice(0, s.runs)
      .map((d) => `${d}%`)
      .join(', ')})`;
    if (s.onPass === 'promote') {
      if (!(await once(deps.store.end(releaseId, 'promote', decision(`${reason}: ${r.canary} promoted`))))) return null;
      deps.log.info({ ref, release: releaseId, ...numbers }, 'shadow release promoted');
      return 'promote';
    }
    if (
      !(await once(
        deps.store.propose(releaseId, {
          outcome: 'propose',
          ...decision(`${reason}: ${r.canary} proposed for promotion`),
        }),
      ))
    )
      return null;
    const text = `${ref} ${r.canary} passed its shadow run (${reason}); promote it with: aspora promote ${ref}`;
    await deps
      .notify?.(r.owner_team, ref, text)
      .catch((e: unknown) =>
        deps.log.warn(
          { ref, release: releaseId, err: String(e).slice(0, 300) },
          'shadow release proposed; notifying its team failed',
        ),
      );
    deps.log.info({ ref, release: releaseId, ...numbers }, 'shadow release proposed for promotion');
    return 'propose';
  }
  const newest = rows[0];
  if (newest && !passes(diffs[0]!, s.maxDiffPercentage)) {
    // One 'fail' per break of the streak, not one per failing run.
    if (rows.length > 1 && !passes(diffs[1]!, s.maxDiffPercentage)) return 'fail';
    await deps.store.decide(releaseId, {
      outcome: 'fail',
      ...decision(
        diffs[0] === null
          ? `the shadow run failed (${(newest.error ?? 'no result').slice(0, 300)}): the streak starts again`
          : `shadow diff ${diffs[0]}% is over the maximum ${s.maxDiffPercentage}%: the streak starts again`,
      ),
    });
    return 'fail';
  }
  return 'wait';
}

/**
 * The platform's judge (the runtime calls it after each comparison): decisions through the release
 * store; a proposal reaches the owner team where its alerts go (the notifier's channels for it).
 */
export function shadowJudge(deps: {
  db: Db;
  log: Logger;
  store: ShadowJudgeDeps['store'];
  notify: Pick<NotificationRouter, 'send' | 'configuredChannels'>;
}): (releaseId: number) => Promise<ShadowVerdict | null> {
  return (id) =>
    judgeShadow(
      {
        db: deps.db,
        log: deps.log,
        store: deps.store,
        notify: async (team, ref, text) => {
          await deps.notify.send(
            {
              key: `release.proposed:${id}`,
              status: 'firing',
              severity: 'info',
              title: `${ref}: shadow release passed, waiting for promotion`,
              text,
              scope: { skill: ref, domain: ref.split('/')[0]!, team },
              rule: 'release.shadow.proposed',
              at: new Date().toISOString(),
            },
            deps.notify.configuredChannels(team),
          );
        },
      },
      id,
    );
}
