/**
 * The releases part's internal contract (issue 17). The wire shapes (Release, ReleaseRules,
 * ShadowSettings, ShadowReport) are in @aspora/api's releases.ts; these are what the runtime,
 * the analysis and the shadow runner exchange inside the platform.
 */
import type { ReleaseRules, ShadowSettings, VariantStats } from '@aspora/api';

export type Variant = 'stable' | 'canary' | 'shadow';
export type ReleaseMode = 'split' | 'shadow';

/** Defaults of the analysis; a skill's versioning.analysis overrides each. */
export const DEFAULT_RULES: ReleaseRules = {
  window: '10m',
  minSamples: 50,
  maxSuccessDropPoints: 2,
  maxP95IncreasePercent: 20,
  maxCostIncreasePercent: 50,
  maxRatingDrop: 0.5,
  confidence: 0.95,
};
export const DEFAULT_STEPS = [10, 25, 50, 100] as const;

/** An open release as the router and the controller hold it (one row of `releases`). */
export interface OpenRelease {
  id: number;
  skillId: string;
  ref: string;
  environment: 'staging' | 'production';
  mode: ReleaseMode;
  stableVersionId: string;
  stableVersion: string;
  canaryVersionId: string;
  canaryVersion: string;
  steps: number[];
  stepIndex: number;
  percentage: number;
  stepStartedAt: Date;
  rules: ReleaseRules;
  shadow: ShadowSettings | null;
  rollbackOnError: boolean;
  monitorUntil: Date | null;
  status: 'active' | 'proposed';
  ownerTeam: string | null;
}

/**
 * What the runtime runs for one execution of an environment (no pinned version). Chosen once, at
 * the start: an execution never changes version midway, whatever the release does meanwhile.
 */
export interface ReleaseChoice {
  releaseId: number;
  /** The version this execution runs (stable's or the canary's). */
  version: string;
  variant: 'stable' | 'canary';
  /** Shadow mode: the candidate to run beside stable on the same input, after stable's own run. */
  shadow?: { version: string; settings: ShadowSettings };
}

/** Asked by SkillRuntime.run before it loads a version; cached per (ref, environment) ≤ 1 s. */
export interface ReleaseRouting {
  /**
   * null: nothing in flight, run the environment's version. `key` is what keeps a person on one
   * side during a step (the user's email, else the caller, else a session id); null: random.
   */
  choose(ref: string, environment: 'staging' | 'production', key: string | null): Promise<ReleaseChoice | null>;
  /** This process changed a release of `ref`: forget what is cached at once. */
  invalidate(ref: string): void;
}

/** One side's executions in a window, as the analysis reads them (VariantStats plus raw figures). */
export interface WindowSample extends VariantStats {
  /** Durations of successful and failed executions alike, for p95 (bounded sample). */
  durationsMs?: number[];
}

/** The analysis's judgement of a step (pure: the same numbers give the same outcome). */
export interface StepJudgement {
  outcome: 'wait' | 'pass' | 'fail';
  /** One sentence naming the rule and the numbers, e.g. "success 80.0% vs 99.1%: 19.1 points below (max 2, p=0.0003)". */
  reason: string;
  numbers: Record<string, unknown>;
}
