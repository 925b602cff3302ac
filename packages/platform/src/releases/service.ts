/**
 * Releases as the API and the publish layer use them: a deploy that starts a release (or moves
 * the pointer), promote, rollback, the list. The router and the store share one registry, so a
 * change made here is seen by this process's runtime at once and by the others within a second.
 */
import { AsporaError, isAsporaError } from '@aspora/sdk';
import type { DeployAnswer, Release, ShadowReport } from '@aspora/api';
import type { AuditInput } from '../audit/entry.ts';
import { lastDeployment } from '../registry/deploy.ts';
import { findSkill } from '../registry/lookup.ts';
import type { SkillRegistry } from '../registry/index.ts';
import type { EnvironmentName } from '../registry/types.ts';
import { planDeploy, type CanaryAsk, type VersioningConfig } from './plan.ts';
import { ReleaseRouter } from './router.ts';
import { ReleaseStore } from './store.ts';

export class Releases {
  readonly store: ReleaseStore;
  readonly router: ReleaseRouter;

  constructor(
    private readonly registry: SkillRegistry,
    opts: { audit?: { record(e: AuditInput): Promise<unknown> }; ttlMs?: number } = {},
  ) {
    this.store = new ReleaseStore(registry.db, {
      announce: (ref) => registry.announce(ref),
      ...(opts.audit ? { audit: opts.audit } : {}),
    });
    this.router = new ReleaseRouter(this.store, opts.ttlMs ?? 1_000, (l) => registry.onEnvironmentChange(l));
  }

  /**
   * A deploy: a plain pointer move, or a release beside what the environment runs (the request's
   * `canary`, else the version's versioning config). A release in flight is refused unless the
   * request says `canary: 'off'`, which ends it (aborted) and moves the pointer.
   */
  async deploy(
    ref: string,
    environment: EnvironmentName,
    version: string,
    ask: CanaryAsk,
    actor: string,
  ): Promise<DeployAnswer> {
    const v = await this.registry.getVersion(ref, version);
    const skill = await findSkill(this.registry.db, ref);
    const live = await lastDeployment(this.registry.db, skill, environment);
    const config = (v.config ?? {}) as { versioning?: VersioningConfig; triggers?: Array<{ type: string }> };
    const plan = planDeploy(ask, config, { runsOther: !!live && live.version !== version });
    const open = await this.store.open(skill.ref, environment);
    if (plan.kind === 'move') {
      let ended: Release | undefined;
      // Re-deploying what the environment runs leaves a release alone, unless --canary off says to end it.
      if (open && (live?.version !== version || ask.canary === 'off')) {
        if (ask.canary !== 'off')
          throw new AsporaError('RELEASE_IN_FLIGHT', `a release of ${skill.ref} is in flight in ${environment}`, {
            hint: `promote or roll it back first, or replace it at once: aspora deploy ${skill.ref}@${version} --env ${environment} --canary off`,
          });
        ended = (
          await this.store.end(open.id, 'abort', {
            actor,
            reason: `replaced by a plain deploy of ${version} (--canary off)`,
          })
        ).release;
      }
      const d = await this.registry.deploy(skill.ref, environment, version, actor);
      return { ...d, ...(ended ? { release: ended } : {}) };
    }
    const release = await this.store.start({
      ref: skill.ref,
      environment,
      canaryVersion: version,
      mode: plan.mode,
      steps: plan.steps,
      rules: plan.rules,
      shadow: plan.shadow,
      rollbackOnError: plan.rollbackOnError,
      monitorUntil: plan.monitorMs === null ? null : new Date(Date.now() + plan.monitorMs),
      actor,
      reason: plan.why,
    });
    return { ...(await lastDeployment(this.registry.db, skill, environment))!, release };
  }

  /** Promote now: the environment runs the candidate; NO_RELEASE when none is in flight. */
  async promote(ref: string, environment: EnvironmentName, actor: string): Promise<DeployAnswer> {
    const { release, deployment } = await this.store.endOpen(ref, environment, 'promote', {
      actor,
      reason: `promoted by ${actor}`,
    });
    return { ...deployment!, release };
  }

  /**
   * Rollback with a release in flight ends it (all traffic back to stable, the pointer untouched);
   * without one it is the registry's rollback (the pointer moves back).
   */
  async rollback(
    ref: string,
    environment: EnvironmentName,
    opts: { toVersion?: string; actor: string },
  ): Promise<DeployAnswer> {
    const open = await this.store.open((await findSkill(this.registry.db, ref)).ref, environment);
    if (!open) return this.registry.rollback(ref, environment, opts);
    // Moving the pointer under a release would leave it judging a stable that no longer runs.
    if (opts.toVersion)
      throw new AsporaError('RELEASE_IN_FLIGHT', `a release of ${open.ref} is in flight in ${environment}`, {
        hint: `end it first (aspora rollback ${open.ref} --env ${environment}), then roll back to ${opts.toVersion}`,
      });
    try {
      const { release } = await this.store.end(open.id, 'rollback', {
        actor: opts.actor,
        reason: `rolled back by ${opts.actor}`,
      });
      const skill = await findSkill(this.registry.db, ref);
      return { ...(await lastDeployment(this.registry.db, skill, environment))!, release };
    } catch (e) {
      // Ended meanwhile (the analysis got there first): the caller's rollback is the registry's.
      if (isAsporaError(e) && e.code === 'NO_RELEASE') return this.registry.rollback(ref, environment, opts);
      throw e;
    }
  }

  list(ref: string, opts: { environment?: EnvironmentName; limit?: number }): Promise<Release[]> {
    return this.store.list(ref, opts);
  }

  /**
   * The shadow report from the store: the newest shadow release of the environment and its
   * comparisons (the shadow runner writes them).
   */
  async shadowReport(
    ref: string,
    environment: EnvironmentName,
    limit: number,
    /** Whether the caller may read the owner team's state tables: the compare tab's rows are theirs. */
    mayReadTables: (team: string) => boolean = () => true,
  ): Promise<ShadowReport> {
    const skill = await findSkill(this.registry.db, ref);
    const [row] = await this.registry.db.query<{ id: unknown }>(
      `SELECT id FROM releases WHERE skill_id = $1 AND environment = $2 AND mode = 'shadow' ORDER BY id DESC LIMIT 1`,
      [skill.id, environment],
    );
    if (!row)
      return {
        ref: skill.ref,
        release: null,
        comparisons: [],
        summary: { runs: 0, failed: 0, meanDiffPercentage: null, passingInARow: 0 },
      };
    const release = await this.store.get(Number(row.id));
    const [owner] = await this.registry.db.query<{ team: string | null }>(
      `SELECT sv.owner_team AS team FROM releases r JOIN skill_versions sv ON sv.id = r.stable_version_id WHERE r.id = $1`,
      [release.id],
    );
    const team = owner?.team ?? null;
    const rows = await this.registry.db.query<Record<string, any>>(
      `SELECT at, stable_execution_id, shadow_execution_id, diff_percentage, compared, changed, report
       FROM shadow_comparisons WHERE release_id = $1 ORDER BY id DESC LIMIT $2`,
      [release.id, limit],
    );
    const comparisons = rows.map((r) => ({
      at: new Date(r.at).toISOString(),
      stableExecutionId: r.stable_execution_id ?? null,
      shadowExecutionId: r.shadow_execution_id ?? null,
      diffPercentage: r.diff_percentage === null ? null : Number(r.diff_percentage),
      compared: r.compared,
      changed: r.changed,
      changes: visibleChanges(r.report, team, mayReadTables),
      ...(typeof r.report?.error === 'string' ? { error: r.report.error as string } : {}),
    }));
    const diffs = comparisons.flatMap((c) => (c.diffPercentage === null ? [] : [c.diffPercentage]));
    const max = release.shadow?.maxDiffPercentage ?? 5;
    let passing = 0;
    for (const c of comparisons) {
      if (c.diffPercentage === null || c.diffPercentage > max) break;
      passing++;
    }
    return {
      ref: skill.ref,
      release,
      comparisons,
      summary: {
        runs: comparisons.length,
        failed: comparisons.length - diffs.length,
        meanDiffPercentage: diffs.length ? diffs.reduce((a, b) => a + b, 0) / diffs.length : null,
        passingInARow: passing,
      },
    };
  }
}

/**
 * A comparison's changes as the caller may see them: the compare tab's (keyed `<table>[…]`) are
 * rows of the owner team's state tables, shown only to who may read those (its operators, admins).
 */
function visibleChanges(
  report: { changes?: unknown; table?: { name?: unknown } } | null,
  team: string | null,
  mayReadTables: (team: string) => boolean,
): ShadowReport['comparisons'][number]['changes'] {
  const changes = Array.isArray(report?.changes)
    ? (report.changes as ShadowReport['comparisons'][number]['changes'])
    : [];
  const table = typeof report?.table?.name === 'string' ? report.table.name : null;
  if (!table || (team && mayReadTables(team))) return changes;
  return changes.filter((c) => !c.key.startsWith(`${table}[`));
}
