/**
 * Which models a call tries, in order. The first: the model the call names; else the first
 * auto-downgrade rule that matches the task (platform configuration); else the skill's
 * primary; else the task type's model (classification and routing → cheap, skill_execution →
 * balanced, complex_reasoning → strong); else the platform default. Then the skill's fallback and
 * the platform default, each once.
 */
import { AsporaError } from '@aspora/sdk';
import type { CostOptimization } from '../../config/platform-file.ts';
import type { TaskType } from '../types.ts';
import { compileExpr, ExprError, type CompiledExpr } from './expr.ts';

/** What rules may test: `task.type`, `task.input_tokens`, `task.complexity`, `task.requires_reasoning`. */
export interface TaskFacts {
  type?: TaskType | undefined;
  input_tokens: number;
  complexity?: 'low' | 'medium' | 'high' | undefined;
  requires_reasoning?: boolean | undefined;
}

export const TASK_FIELDS = ['task.type', 'task.input_tokens', 'task.complexity', 'task.requires_reasoning'];

export interface Choice {
  models: string[];
  /** Why the first model: 'requested' | 'rule: <if>' | 'primary' | 'task: <type>' | 'default'. */
  reason: string;
}

export class ModelChooser {
  readonly #rules: Array<{ test: CompiledExpr; use: string }>;

  constructor(
    cost: CostOptimization,
    private readonly byTask: (t: TaskType) => string,
    private readonly platformDefault: string,
    file = 'aspora.platform.yaml',
  ) {
    const rules = cost.auto_downgrade.enabled ? cost.auto_downgrade.rules : [];
    this.#rules = rules.map((r, i) => {
      try {
        const test = compileExpr(r.if, { roots: ['task'] });
        const unknown = test.identifiers.filter((id) => !TASK_FIELDS.includes(id));
        if (unknown.length)
          throw new ExprError(`unknown field ${unknown[0]} (rules may test ${TASK_FIELDS.join(', ')})`, 0);
        return { test, use: r.use };
      } catch (e) {
        throw new AsporaError(
          'CONFIG_INVALID',
          `${file}: cost_optimization.auto_downgrade.rules[${i}].if: ${(e as Error).message}`,
          {
            issues: [{ file, path: `cost_optimization.auto_downgrade.rules[${i}].if`, message: (e as Error).message }],
            hint: "e.g. task.type == 'classification' AND task.input_tokens < 1000",
          },
        );
      }
    });
  }

  choose(
    requested: string | undefined,
    prefs: { primary?: string | undefined; fallback?: string | undefined },
    task: TaskFacts,
  ): Choice {
    let first: string;
    let reason: string;
    const rule = requested ? undefined : this.#rules.find((r) => r.test.evaluate({ task }));
    if (requested) [first, reason] = [requested, 'requested'];
    else if (rule) [first, reason] = [rule.use, `rule: ${rule.test.source}`];
    else if (prefs.primary) [first, reason] = [prefs.primary, 'primary'];
    else if (task.type) [first, reason] = [this.byTask(task.type), `task: ${task.type}`];
    else [first, reason] = [this.platformDefault, 'default'];
    return {
      models: [...new Set([first, prefs.fallback, this.platformDefault].filter((m): m is string => !!m))],
      reason,
    };
  }
}
