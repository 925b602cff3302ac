import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { findSkill, findVersionId, type SkillRow } from './lookup.ts';
import { checkEnvironment } from './ref.ts';
import { mapDeployment } from './rows.ts';
import type { DeployResult, DeploymentRecord, EnvironmentName } from './types.ts';

/*
 * Every pointer move happens under the skill's row lock and writes the environments pointer and
 * one history row in the same transaction, so the pointer always equals the newest history row
 * and each row's previous_version_id is the row before it (no torn state, no gaps).
 */

const DEPLOYMENT_SELECT = `SELECT d.*, v.version, pv.version AS previous_version FROM deployments d
  JOIN skill_versions v ON v.id = d.version_id LEFT JOIN skill_versions pv ON pv.id = d.previous_version_id`;

export async function deploy(db: Db, ref: string, env: string, version: string, actor?: string): Promise<DeployResult> {
  const environment = checkEnvironment(env);
  return db.transaction(async (tx) => {
    const skill = await findSkill(tx, ref, { lock: true });
    const versionId = await findVersionId(tx, skill, version);
    const current = await currentVersionId(tx, skill.id, environment);
    if (current === versionId) {
      const [last] = await tx.query<Record<string, unknown>>(
        `${DEPLOYMENT_SELECT} WHERE d.skill_id = $1 AND d.environment = $2 ORDER BY d.id DESC LIMIT 1`,
        [skill.id, environment],
      );
      return { ...mapDeployment(skill.ref, last!), changed: false };
    }
    return { ...(await move(tx, skill, environment, versionId, current, 'deploy', actor)), changed: true };
  });
}

/**
 * Moves the environment back to the version that was live before the current one. History is
 * replayed as a stack (deploy pushes, rollback pops back to its target), so repeated rollbacks
 * walk 1.2.0 → 1.1.0 → 1.0.0 instead of bouncing between the last two versions.
 */
export async function rollback(
  db: Db,
  ref: string,
  env: string,
  opts: { toVersion?: string; actor?: string } = {},
): Promise<DeployResult> {
  const environment = checkEnvironment(env);
  return db.transaction(async (tx) => {
    const skill = await findSkill(tx, ref, { lock: true });
    const current = await currentVersionId(tx, skill.id, environment);
    if (!current) {
      throw new AsporaError('ENVIRONMENT_EMPTY', `${skill.ref} has never been deployed to ${environment}`, {
        hint: `deploy a version first: aspora deploy ${skill.ref} --env ${environment}`,
      });
    }
    const history = await tx.query<{ version_id: string; action: string }>(
      'SELECT version_id, action FROM deployments WHERE skill_id = $1 AND environment = $2 ORDER BY id',
      [skill.id, environment],
    );
    const stack = replay(history);
    const wanted = opts.toVersion === undefined ? undefined : await findVersionId(tx, skill, opts.toVersion);
    let target: string | undefined;
    for (let i = stack.length - 2; i >= 0; i--) {
      const candidate = stack[i]!;
      if (candidate === current) continue;
      if (wanted === undefined || candidate === wanted) {
        target = candidate;
        break;
      }
    }
    if (!target) {
      const what = opts.toVersion
        ? `${opts.toVersion} was not live in ${environment} before the current version`
        : `no earlier version was live in ${environment}`;
      throw new AsporaError('NOTHING_TO_ROLL_BACK', `cannot roll back ${skill.ref}: ${what}`, {
        hint: opts.toVersion
          ? `deploy it explicitly instead: aspora deploy ${skill.ref}@${opts.toVersion} --env ${environment}`
          : `deploy the version you want explicitly: aspora deploy ${skill.ref}@<version> --env ${environment}`,
      });
    }
    return { ...(await move(tx, skill, environment, target, current, 'rollback', opts.actor)), changed: true };
  });
}

/** deploy pushes (unless already on top); rollback pops down to its target. */
function replay(history: Array<{ version_id: string; action: string }>): string[] {
  const stack: string[] = [];
  for (const h of history) {
    if (h.action === 'rollback') {
      while (stack.length > 0 && stack[stack.length - 1] !== h.version_id) stack.pop();
      if (stack.length === 0) stack.push(h.version_id);
    } else if (stack[stack.length - 1] !== h.version_id) {
      stack.push(h.version_id);
    }
  }
  return stack;
}

export async function currentVersionId(tx: Db, skillId: string, env: EnvironmentName): Promise<string | null> {
  const [row] = await tx.query<{ version_id: string }>(
    'SELECT version_id FROM environments WHERE skill_id = $1 AND name = $2',
    [skillId, env],
  );
  return row?.version_id ?? null;
}

/**
 * A promotion's pointer move (releases/store.ts): inside the caller's transaction, which already
 * holds the skill's row lock, so the release's end and the pointer move commit together.
 */
export async function moveInTransaction(
  tx: Db,
  skill: SkillRow,
  env: EnvironmentName,
  versionId: string,
  actor: string | undefined,
): Promise<DeployResult> {
  const current = await currentVersionId(tx, skill.id, env);
  return { ...(await move(tx, skill, env, versionId, current, 'deploy', actor)), changed: current !== versionId };
}

async function move(
  tx: Db,
  skill: SkillRow,
  env: EnvironmentName,
  versionId: string,
  previous: string | null,
  action: 'deploy' | 'rollback',
  actor: string | undefined,
): Promise<DeploymentRecord> {
  await tx.query(
    `INSERT INTO environments (skill_id, name, version_id, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (skill_id, name) DO UPDATE SET version_id = EXCLUDED.version_id, updated_at = EXCLUDED.updated_at`,
    [skill.id, env, versionId],
  );
  const [ins] = await tx.query<{ id: unknown }>(
    `INSERT INTO deployments (skill_id, environment, version_id, previous_version_id, action, actor)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [skill.id, env, versionId, previous, action, actor ?? null],
  );
  await tx.query('UPDATE skills SET updated_at = now() WHERE id = $1', [skill.id]);
  const [row] = await tx.query<Record<string, unknown>>(`${DEPLOYMENT_SELECT} WHERE d.id = $1`, [ins!.id]);
  return mapDeployment(skill.ref, row!);
}

/** The newest pointer move of an environment (what a deploy that started a release answers: nothing moved). */
export async function lastDeployment(db: Db, skill: SkillRow, env: EnvironmentName): Promise<DeployResult | null> {
  const [last] = await db.query<Record<string, unknown>>(
    `${DEPLOYMENT_SELECT} WHERE d.skill_id = $1 AND d.environment = $2 ORDER BY d.id DESC LIMIT 1`,
    [skill.id, env],
  );
  return last ? { ...mapDeployment(skill.ref, last), changed: false } : null;
}

export async function deploymentHistory(db: Db, skill: SkillRow, limit = 20): Promise<DeploymentRecord[]> {
  const rows = await db.query<Record<string, unknown>>(
    `${DEPLOYMENT_SELECT} WHERE d.skill_id = $1 ORDER BY d.id DESC LIMIT $2`,
    [skill.id, limit],
  );
  return rows.map((r) => mapDeployment(skill.ref, r));
}
