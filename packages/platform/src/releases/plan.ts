/**
 * What a deploy does (pure: the same request, config and environment give the same plan): move
 * the pointer at once, or start a split or a shadow release beside the version the environment
 * runs. Seed 003's hybrid rule lives here: a cron-triggered skill is shadowed (its traffic is too
 * small to split), an interactive one is split.
 */
import type { ReleaseRules, ShadowSettings } from '@aspora/api';
import { AsporaError, parseDurationMs } from '@aspora/sdk';
import { DEFAULT_RULES, DEFAULT_STEPS, type ReleaseMode } from './types.ts';

/** The versioning section of a version's aspora.config.yaml (as validated and stored). */
export interface VersioningConfig {
  strategy?: 'semver' | 'timestamp';
  rollback_on_error?: boolean;
  canary_percentage?: number;
  canary_strategy?: 'traffic_split' | 'shadow' | 'hybrid';
  steps?: number[];
  monitor?: string;
  analysis?: {
    window?: string;
    min_samples?: number;
    max_success_drop_points?: number;
    max_p95_increase_percent?: number;
    max_cost_increase_percent?: number;
    max_rating_drop?: number;
    confidence?: number;
  };
  shadow_config?: {
    compare_output?: boolean;
    max_diff_percentage?: number;
    output_diff_tool?: string;
    compare_tab?: string;
    keys?: string[];
    runs?: number;
    on_pass?: 'promote' | 'propose';
  };
}

export interface CanaryAsk {
  canary?: number | 'shadow' | 'off' | undefined;
  steps?: number[] | undefined;
  monitor?: string | undefined;
  compareTab?: string | undefined;
}

export type DeployPlan =
  | { kind: 'move'; why: string }
  | {
      kind: 'release';
      mode: ReleaseMode;
      steps: number[];
      rules: ReleaseRules;
      shadow: ShadowSettings | null;
      rollbackOnError: boolean;
      monitorMs: number | null;
      why: string;
    };

export const DEFAULT_SHADOW_KEYS = ['id', 'order_id', 'key', 'name'];

export function planDeploy(
  ask: CanaryAsk,
  config: { versioning?: VersioningConfig | undefined; triggers?: Array<{ type: string }> | undefined },
  env: { runsOther: boolean },
): DeployPlan {
  const v = config.versioning ?? {};
  if (ask.canary === 'off') return { kind: 'move', why: 'deploy --canary off' };
  // Nothing live to compare with: a first deploy is always plain.
  if (!env.runsOther) return { kind: 'move', why: 'nothing live in the environment' };
  let mode: ReleaseMode;
  let start: number | undefined;
  let why: string;
  if (ask.canary === 'shadow') {
    mode = 'shadow';
    why = 'deploy --canary shadow';
  } else if (typeof ask.canary === 'number') {
    mode = 'split';
    start = ask.canary;
    why = `deploy --canary ${ask.canary}`;
  } else if (v.canary_strategy || v.canary_percentage !== undefined) {
    const cron = (config.triggers ?? []).some((t) => t.type === 'cron');
    if (v.canary_strategy === 'shadow') {
      mode = 'shadow';
      why = 'versioning.canary_strategy: shadow';
    } else if (v.canary_strategy === 'hybrid') {
      mode = cron ? 'shadow' : 'split';
      why = `versioning.canary_strategy: hybrid (${cron ? 'cron-triggered: shadow' : 'interactive: traffic split'})`;
    } else {
      mode = 'split';
      why = `versioning.canary_percentage: ${v.canary_percentage ?? 'default'}`;
    }
    start = v.canary_percentage ?? v.steps?.[0] ?? DEFAULT_STEPS[0];
  } else {
    return { kind: 'move', why: 'no canary asked for' };
  }
  const monitor = ask.monitor ?? v.monitor;
  return {
    kind: 'release',
    mode,
    steps: mode === 'split' ? stepsFrom(start!, ask.steps ?? v.steps) : [],
    rules: rulesOf(v),
    shadow: mode === 'shadow' ? shadowOf(v, ask.compareTab) : null,
    rollbackOnError: v.rollback_on_error ?? false,
    monitorMs: monitor ? parseDurationMs(monitor) : null,
    why,
  };
}

/** The split's steps: starting at `start`, then the given (or default) steps above it, ending at 100. */
export function stepsFrom(start: number, given: readonly number[] | undefined): number[] {
  if (!(start > 0 && start < 100))
    throw new AsporaError('BAD_REQUEST', `a canary share is 1–99 %, not ${start}`, { hint: 'e.g. --canary 10' });
  const rest = (given ?? DEFAULT_STEPS).filter((p) => p > start);
  const steps = [start, ...rest];
  for (let i = 1; i < steps.length; i++)
    if (steps[i]! <= steps[i - 1]!)
      throw new AsporaError('BAD_REQUEST', `release steps ${JSON.stringify(given)} are not ascending`, {
        hint: 'e.g. --steps 10,25,50,100',
      });
  if (steps[steps.length - 1] !== 100) steps.push(100);
  return steps;
}

/** DEFAULT_RULES, each overridden by versioning.analysis (snake_case in the config). */
export function rulesOf(v: VersioningConfig): ReleaseRules {
  const a = v.analysis ?? {};
  return {
    window: a.window ? durationText(parseDurationMs(a.window)) : DEFAULT_RULES.window,
    minSamples: a.min_samples ?? DEFAULT_RULES.minSamples,
    maxSuccessDropPoints: a.max_success_drop_points ?? DEFAULT_RULES.maxSuccessDropPoints,
    maxP95IncreasePercent: a.max_p95_increase_percent ?? DEFAULT_RULES.maxP95IncreasePercent,
    maxCostIncreasePercent: a.max_cost_increase_percent ?? DEFAULT_RULES.maxCostIncreasePercent,
    maxRatingDrop: a.max_rating_drop ?? DEFAULT_RULES.maxRatingDrop,
    confidence: a.confidence ?? DEFAULT_RULES.confidence,
  };
}

export function shadowOf(v: VersioningConfig, compareTab: string | undefined): ShadowSettings {
  const s = v.shadow_config ?? {};
  return {
    compareTab: compareTab ?? s.compare_tab ?? null,
    keys: s.keys ?? DEFAULT_SHADOW_KEYS,
    maxDiffPercentage: s.max_diff_percentage ?? 5,
    compareOutput: s.compare_output ?? true,
    runs: s.runs ?? 3,
    onPass: s.on_pass ?? 'propose',
  };
}

/** The wire's duration text (whole s, m, h or d) of a config duration ("500ms", "1.5h" are allowed there). */
export function durationText(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}
