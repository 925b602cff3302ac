/**
 * Who an OpenAI-compatible request is for: `X-Aspora-Skill: domain/name` attributes it to a skill
 * (its budgets, rate limits and model preferences apply, from the version production runs);
 * without it the call is the platform's own, under the platform-wide limits.
 */
import type { Context } from 'hono';
import { AsporaError } from '@aspora/sdk';
import { requestHeader } from '../node-io.ts';
import type { Caller } from '../../gateway/gateway.ts';
import type { TaskType } from '../../gateway/types.ts';
import type { SkillRegistry } from '../../registry/index.ts';
import { modelPrefs } from '../../runtime/runtime.ts';
import { canSee, type Owned } from '../../access/principal.ts';
import { notFound } from '../../access/skill-access.ts';
import { callerOf } from '../caller.ts';

const TASKS = new Set(['classification', 'routing', 'skill_execution', 'complex_reasoning']);
const TTL_MS = 5_000;

export class CallerResolver {
  readonly #skills = new Map<string, { at: number; caller: Promise<Caller & { owned: Owned }> }>();

  constructor(private readonly registry: SkillRegistry) {}

  async of(c: Context): Promise<Caller> {
    const ref = requestHeader(c, 'x-aspora-skill');
    const task = requestHeader(c, 'x-aspora-task-type');
    if (task && !TASKS.has(task))
      throw new AsporaError('BAD_REQUEST', `X-Aspora-Task-Type must be one of ${[...TASKS].join(', ')}`, {
        details: { param: 'X-Aspora-Task-Type' },
      });
    let base: Caller = { prefs: {} };
    if (ref) {
      const { owned, ...skill } = await this.#skill(ref);
      // Attribution to a skill the caller may not see is answered as for a skill that does not exist.
      if (!canSee(callerOf(c), owned)) throw notFound(ref);
      base = skill;
    }
    return { ...base, ...(task ? { task: { type: task as TaskType } } : {}) };
  }

  #skill(ref: string): Promise<Caller & { owned: Owned }> {
    const hit = this.#skills.get(ref);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.caller;
    const caller = this.registry.loadSkill(ref, {}).then(
      (l) => ({
        owned: { ownerTeam: l.version.ownerTeam ?? '', visibility: l.version.visibility },
        ref: l.ref,
        domain: l.ref.split('/')[0],
        ownerTeam: l.version.ownerTeam,
        prefs: modelPrefs(l.version),
      }),
      (e: unknown) => {
        this.#skills.delete(ref);
        throw e;
      },
    );
    this.#skills.set(ref, { at: Date.now(), caller });
    return caller;
  }
}
