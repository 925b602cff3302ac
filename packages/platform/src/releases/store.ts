/**
 * The release store: every change of a release is one transaction under the skill's row lock (the
 * lock deploys and rollbacks take), so a release and the environments pointer never disagree. A
 * release starts beside the stable version the pointer names; only a promotion moves the pointer,
 * in the same transaction that ends the release. Starts and ends go to the audit log; every change
 * is announced through the registry, so this process's caches (resolver, router) forget at once.
 */
import { AsporaError } from '@aspora/sdk';
import type { Release, ReleaseDecision, ReleaseRules, ShadowSettings } from '@aspora/api';
import type { Db } from '../db/types.ts';
import { pgCode } from '../db/sqlstate.ts';
import type { AuditInput } from '../audit/entry.ts';
import { currentVersionId, moveInTransaction } from '../registry/deploy.ts';
import { findSkill, findVersionId } from '../registry/lookup.ts';
import { checkEnvironment, parseRef } from '../registry/ref.ts';
import type { DeployResult, EnvironmentName } from '../registry/types.ts';
import { variantStats } from './stats.ts';
import type { OpenRelease, ReleaseMode } from './types.ts';

export interface StartRelease {
  ref: string;
  environment: EnvironmentName;
  /** The candidate; stable is whatever the environment runs now. */
  canaryVersion: string;
  mode: ReleaseMode;
  /** Split: ascending shares ending at 100; the first is where it starts. Shadow: ignored ([]). */
  steps: number[];
  rules: ReleaseRules;
  shadow: ShadowSettings | null;
  rollbackOnError: boolean;
  monitorUntil: Date | null;
  actor: string;
  /** Why it started (e.g. "deploy --canary 10", "versioning.canary_strategy: hybrid, cron-triggered"). */
  reason: string;
}

export interface DecisionInput {
  outcome: ReleaseDecision['outcome'];
  /** 'analysis', or the person (callerLabel). */
  actor: string;
  reason: string;
  numbers?: Record<string, unknown>;
}

/** promote: the pointer moves to the canary; rollback: all traffic back to stable; abort: replaced or withdrawn. */
export type EndHow = 'promote' | 'rollback' | 'abort';

export interface EndedRelease {
  release: Release;
  /** The pointer move of a promotion. */
  deployment?: DeployResult;
}

export interface ReleaseStoreDeps {
  /** The registry's announce(ref): this process's caches of the skill forget at once. */
  announce?: (ref: string) => void;
  audit?: { record(e: AuditInput): Promise<unknown> };
}

const OPEN = `r.status IN ('active', 'proposed')`;
const SELECT = `SELECT r.*, s.domain, s.name, sv.version AS stable_version, cv.version AS canary_version,
    COALESCE(sv.owner_team, cv.owner_team) AS owner_team
  FROM releases r JOIN skills s ON s.id = r.skill_id
  JOIN skill_versions sv ON sv.id = r.stable_version_id JOIN skill_versions cv ON cv.id = r.canary_version_id`;

type Row = Record<string, any>;

export class ReleaseStore {
  constructor(
    readonly db: Db,
    private readonly deps: ReleaseStoreDeps = {},
  ) {}

  /** Starts a release; a second one of the same skill and environment is refused (RELEASE_IN_FLIGHT). */
  async start(s: StartRelease): Promise<Release> {
    const environment = checkEnvironment(s.environment);
    if (s.mode === 'split') checkSteps(s.steps);
    const percentage = s.mode === 'split' ? s.steps[0]! : 0;
    let ref = s.ref;
    const id = await this.db
      .transaction(async (tx) => {
        const skill = await findSkill(tx, s.ref, { lock: true });
        ref = skill.ref;
        const canary = await findVersionId(tx, skill, s.canaryVersion);
        const stable = await currentVersionId(tx, skill.id, environment);
        if (!stable)
          throw new AsporaError('ENVIRONMENT_EMPTY', `${skill.ref} runs nothing in ${environment} to release beside`, {
            hint: `deploy a first version plainly: aspora deploy ${skill.ref}@${s.canaryVersion} --env ${environment}`,
          });
        if (stable === canary)
          throw new AsporaError('CONFLICT', `${skill.ref}@${s.canaryVersion} is already what ${environment} runs`, {
            hint: 'deploy a different version as the canary',
          });
        const [open] = await tx.query<Row>(
          `SELECT r.id FROM releases r WHERE r.skill_id = $1 AND r.environment = $2 AND ${OPEN}`,
          [skill.id, environment],
        );
        if (open) throw inFlight(skill.ref, environment);
        const [row] = await tx.query<{ id: unknown }>(
          `INSERT INTO releases (skill_id, environment, stable_version_id, canary_version_id, mode, steps, percentage,
             rules, shadow, rollback_on_error, monitor_until, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
          [
            skill.id,
            environment,
            stable,
            canary,
            s.mode,
            JSON.stringify(s.mode === 'split' ? s.steps : []),
            percentage,
            JSON.stringify(s.rules),
            s.shadow ? JSON.stringify(s.shadow) : null,
            s.rollbackOnError,
            s.monitorUntil ? s.monitorUntil.toISOString() : null,
            s.actor,
          ],
        );
        const releaseId = Number(row!.id);
        await insertDecision(tx, releaseId, 0, percentage, {
          outcome: 'start',
          actor: s.actor,
          reason: s.reason,
          numbers: { steps: s.mode === 'split' ? s.steps : [], mode: s.mode },
        });
        return releaseId;
      })
      .catch((e: unknown) => {
        // Two starts racing past the check: the open-release index refuses the second.
        if (pgCode(e) === '23505') throw inFlight(ref, environment);
        throw e;
      });
    const release = await this.get(id);
    await this.#audit(s.actor, 'release.start', release, { reason: s.reason, steps: release.steps });
    this.deps.announce?.(release.ref);
    return release;
  }

  /** The release in flight of a skill in an environment, as the router and the controller hold it. */
  async open(ref: string, environment: EnvironmentName): Promise<OpenRelease | null> {
    const r = parseRef(ref);
    const [row] = await this.db.query<Row>(
      `${SELECT} WHERE s.domain = $1 AND s.name = $2 AND r.environment = $3 AND ${OPEN}`,
      [r.domain, r.name, environment],
    );
    return row ? toOpen(row) : null;
  }

  /** Every release in flight (the controller's round). */
  async openAll(): Promise<OpenRelease[]> {
    return (await this.db.query<Row>(`${SELECT} WHERE ${OPEN} ORDER BY r.id`)).map(toOpen);
  }

  /** One release with its decisions (and, while open, the current step's numbers each side). */
  async get(id: number): Promise<Release> {
    const [row] = await this.db.query<Row>(`${SELECT} WHERE r.id = $1`, [id]);
    if (!row) throw new AsporaError('NOT_FOUND', `release ${id} does not exist`);
    return (await this.#wire([row]))[0]!;
  }

  /** A skill's releases, newest first. */
  async list(ref: string, opts: { environment?: EnvironmentName; limit?: number } = {}): Promise<Release[]> {
    const skill = await findSkill(this.db, ref);
    const params: unknown[] = [skill.id];
    let where = 'r.skill_id = $1';
    if (opts.environment) {
      params.push(checkEnvironment(opts.environment));
      where += ` AND r.environment = $${params.length}`;
    }
    params.push(Math.min(Math.max(Math.trunc(opts.limit ?? 10), 1), 100));
    const rows = await this.db.query<Row>(
      `${SELECT} WHERE ${where} ORDER BY r.id DESC LIMIT $${params.length}`,
      params,
    );
    return this.#wire(rows);
  }

  /** Appends a judgement (wait, fail, …) at the release's current step; the release itself is unchanged. */
  async decide(id: number, d: DecisionInput): Promise<void> {
    const [row] = await this.db.query<Row>('SELECT step_index, percentage FROM releases WHERE id = $1', [id]);
    if (!row) throw new AsporaError('NOT_FOUND', `release ${id} does not exist`);
    await insertDecision(this.db, id, row.step_index, Number(row.percentage), d);
  }

  /**
   * Moves an active split to step `stepIndex` (its share from the steps) and records why. Refused
   * (CONFLICT) when the release is no longer active: a step never revives an ended release.
   */
  async step(id: number, stepIndex: number, d: DecisionInput): Promise<Release> {
    const ref = await this.db.transaction(async (tx) => {
      const r = await lockRelease(tx, id);
      if (r.status !== 'active' || r.mode !== 'split')
        throw new AsporaError('CONFLICT', `release ${id} is ${r.status} (${r.mode}): it has no step to move to`);
      const steps = r.steps as number[];
      if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= steps.length)
        throw new AsporaError('BAD_REQUEST', `release ${id} has steps 0–${steps.length - 1}, not ${stepIndex}`);
      await insertDecision(tx, id, r.step_index, Number(r.percentage), d);
      await tx.query(
        `UPDATE releases SET step_index = $2, percentage = $3, step_started_at = now(), updated_at = now(),
           canary_success_rate = (${SUCCESS_RATE}) WHERE id = $1`,
        [id, stepIndex, steps[stepIndex]],
      );
      return r.ref as string;
    });
    this.deps.announce?.(ref);
    return this.get(id);
  }

  /** A shadow release that passed waits for a person (`aspora promote`): status proposed. */
  async propose(id: number, d: DecisionInput): Promise<Release> {
    const ref = await this.db.transaction(async (tx) => {
      const r = await lockRelease(tx, id);
      if (r.status !== 'active') throw new AsporaError('CONFLICT', `release ${id} is ${r.status}, not active`);
      await insertDecision(tx, id, r.step_index, Number(r.percentage), { ...d, outcome: 'propose' });
      await tx.query(`UPDATE releases SET status = 'proposed', updated_at = now() WHERE id = $1`, [id]);
      return r.ref as string;
    });
    this.deps.announce?.(ref);
    return this.get(id);
  }

  /**
   * Ends a release. promote: the environments pointer moves to the canary in the same transaction
   * (the registry's own move: one history row, listeners told); rollback and abort leave the
   * pointer on stable. An already ended release is refused (NO_RELEASE): two enders, one end.
   */
  async end(
    id: number,
    how: EndHow,
    d: Omit<DecisionInput, 'outcome'> & { outcome?: DecisionInput['outcome'] },
  ): Promise<EndedRelease> {
    const ended = await this.db.transaction(async (tx) => {
      const [pre] = await tx.query<Row>(
        'SELECT s.domain, s.name FROM releases r JOIN skills s ON s.id = r.skill_id WHERE r.id = $1',
        [id],
      );
      if (!pre) throw new AsporaError('NOT_FOUND', `release ${id} does not exist`);
      // The skill's row lock first, as deploys take it: then the release row.
      const skill = await findSkill(tx, `${pre.domain}/${pre.name}`, { lock: true });
      const r = await lockRelease(tx, id);
      if (r.status !== 'active' && r.status !== 'proposed')
        throw new AsporaError('NO_RELEASE', `release ${id} of ${skill.ref} already ended (${r.status})`, {
          hint: `see it with aspora releases ${skill.ref} --env ${r.environment}`,
        });
      const outcome = d.outcome ?? (how === 'promote' ? 'promote' : 'rollback');
      await insertDecision(tx, id, r.step_index, Number(r.percentage), { ...d, outcome });
      const deployment =
        how === 'promote' ? await moveInTransaction(tx, skill, r.environment, r.canary_version_id, d.actor) : undefined;
      const status = how === 'promote' ? 'promoted' : how === 'rollback' ? 'rolled_back' : 'aborted';
      await tx.query(
        `UPDATE releases SET status = $2, percentage = $3, ended_reason = $4, updated_at = now(),
           promoted_at = CASE WHEN $2 = 'promoted' THEN now() END,
           rolled_back_at = CASE WHEN $2 = 'rolled_back' THEN now() END,
           canary_success_rate = (${SUCCESS_RATE}) WHERE id = $1`,
        [id, status, how === 'promote' ? 100 : 0, d.reason.slice(0, 2000)],
      );
      return { ref: skill.ref, deployment };
    });
    const release = await this.get(id);
    await this.#audit(d.actor, `release.${how}`, release, {
      reason: d.reason,
      canary: release.canaryVersion,
      stable: release.stableVersion,
    });
    this.deps.announce?.(ended.ref);
    return { release, ...(ended.deployment ? { deployment: ended.deployment } : {}) };
  }

  /** Ends the release in flight of a skill in an environment; NO_RELEASE when there is none. */
  async endOpen(
    ref: string,
    environment: EnvironmentName,
    how: EndHow,
    d: Omit<DecisionInput, 'outcome'> & { outcome?: DecisionInput['outcome'] },
  ): Promise<EndedRelease> {
    const open = await this.open(ref, environment);
    if (!open)
      throw new AsporaError('NO_RELEASE', `${ref} has no release in flight in ${environment}`, {
        hint: `start one with aspora deploy ${ref} --env ${environment} --canary 10`,
      });
    return this.end(open.id, how, d);
  }

  async #wire(rows: Row[]): Promise<Release[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => Number(r.id));
    const decisions = await this.db.query<Row>(
      `SELECT release_id, at, step_index, percentage, outcome, actor, reason, numbers FROM release_decisions
       WHERE release_id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    );
    const byRelease = new Map<number, ReleaseDecision[]>();
    for (const d of decisions) {
      const list = byRelease.get(Number(d.release_id)) ?? [];
      list.push({
        at: iso(d.at)!,
        step: d.step_index,
        percentage: Number(d.percentage),
        outcome: d.outcome,
        actor: d.actor,
        reason: d.reason,
        numbers: d.numbers ?? {},
      });
      byRelease.set(Number(d.release_id), list);
    }
    const out: Release[] = [];
    for (const r of rows) {
      const open = r.status === 'active' || r.status === 'proposed';
      const current = open ? await variantStats(this.db, Number(r.id), new Date(r.step_started_at)) : undefined;
      out.push({
        id: Number(r.id),
        ref: `${r.domain}/${r.name}`,
        environment: r.environment,
        mode: r.mode,
        status: r.status,
        stableVersion: r.stable_version,
        canaryVersion: r.canary_version,
        steps: (r.steps as number[]).map(Number),
        step: r.step_index,
        percentage: Number(r.percentage),
        stepStartedAt: iso(r.step_started_at)!,
        rules: r.rules,
        shadow: r.shadow ?? null,
        rollbackOnError: r.rollback_on_error,
        monitorUntil: iso(r.monitor_until),
        canarySuccessRate: r.canary_success_rate === null ? null : Number(r.canary_success_rate),
        endedReason: r.ended_reason ?? null,
        promotedAt: iso(r.promoted_at),
        rolledBackAt: iso(r.rolled_back_at),
        createdBy: r.created_by ?? null,
        createdAt: iso(r.created_at)!,
        ...(current ? { current: { stable: current.stable, canary: current.canary } } : {}),
        decisions: byRelease.get(Number(r.id)) ?? [],
      });
    }
    return out;
  }

  async #audit(actor: string, action: string, r: Release, details: Record<string, unknown>): Promise<void> {
    // The audit log logs its own failures; a release's change is committed and stands either way.
    await this.deps.audit
      ?.record({
        actor,
        action,
        target: `${r.ref}@${r.environment}`,
        outcome: 'ok',
        details: { release: r.id, mode: r.mode, canary: r.canaryVersion, stable: r.stableVersion, ...details },
      })
      .catch(() => {});
  }
}

/** The canary side's success rate over the whole release (null before it finished any execution). */
const SUCCESS_RATE = `SELECT avg(CASE WHEN e.success THEN 1.0 ELSE 0.0 END) FROM executions e
  WHERE e.release_id = $1 AND e.variant = 'canary' AND e.completed_at IS NOT NULL`;

async function lockRelease(tx: Db, id: number): Promise<Row> {
  const [r] = await tx.query<Row>(
    `SELECT r.*, s.domain || '/' || s.name AS ref FROM releases r JOIN skills s ON s.id = r.skill_id
     WHERE r.id = $1 FOR UPDATE OF r`,
    [id],
  );
  if (!r) throw new AsporaError('NOT_FOUND', `release ${id} does not exist`);
  return r;
}

async function insertDecision(db: Db, releaseId: number, step: number, percentage: number, d: DecisionInput) {
  await db.query(
    `INSERT INTO release_decisions (release_id, step_index, percentage, outcome, actor, reason, numbers)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      releaseId,
      step,
      percentage,
      d.outcome,
      d.actor.slice(0, 200),
      d.reason.slice(0, 2000),
      JSON.stringify(d.numbers ?? {}),
    ],
  );
}

/** Ascending shares, each 1–100, ending at 100. */
export function checkSteps(steps: readonly number[]): void {
  const ok =
    steps.length >= 1 &&
    steps.every((p, i) => Number.isFinite(p) && p > 0 && p <= 100 && (i === 0 || p > steps[i - 1]!)) &&
    steps[steps.length - 1] === 100;
  if (!ok)
    throw new AsporaError(
      'BAD_REQUEST',
      `release steps ${JSON.stringify(steps)} are not ascending shares ending at 100`,
      {
        hint: 'e.g. --steps 10,25,50,100 (versioning.steps in aspora.config.yaml)',
      },
    );
}

function inFlight(ref: string, environment: string): AsporaError {
  return new AsporaError('RELEASE_IN_FLIGHT', `a release of ${ref} is already in flight in ${environment}`, {
    hint: `promote or roll it back first (aspora promote ${ref} --env ${environment}, aspora rollback ${ref} --env ${environment}); aspora releases ${ref} shows it`,
  });
}

function toOpen(r: Row): OpenRelease {
  return {
    id: Number(r.id),
    skillId: r.skill_id,
    ref: `${r.domain}/${r.name}`,
    environment: r.environment,
    mode: r.mode,
    stableVersionId: r.stable_version_id,
    stableVersion: r.stable_version,
    canaryVersionId: r.canary_version_id,
    canaryVersion: r.canary_version,
    steps: (r.steps as number[]).map(Number),
    stepIndex: r.step_index,
    percentage: Number(r.percentage),
    stepStartedAt: new Date(r.step_started_at),
    rules: r.rules,
    shadow: r.shadow ?? null,
    rollbackOnError: r.rollback_on_error,
    monitorUntil: r.monitor_until ? new Date(r.monitor_until) : null,
    status: r.status,
    ownerTeam: r.owner_team ?? null,
  };
}

const iso = (d: unknown): string | null => (d ? new Date(d as string).toISOString() : null);
