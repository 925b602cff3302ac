import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDeploy, rulesOf, stepsFrom } from './plan.ts';
import { DEFAULT_RULES } from './types.ts';

const live = { runsOther: true };
const cron = [{ type: 'cron' }];
const chat = [{ type: 'message' }];

describe('deploy plan', () => {
  it('an empty environment never starts a release, whatever is asked', () => {
    assert.equal(planDeploy({ canary: 10 }, {}, { runsOther: false }).kind, 'move');
    assert.equal(planDeploy({}, { versioning: { canary_percentage: 10 } }, { runsOther: false }).kind, 'move');
  });

  it("'off' moves at once; nothing asked and no versioning config moves at once", () => {
    assert.equal(planDeploy({ canary: 'off' }, { versioning: { canary_percentage: 10 } }, live).kind, 'move');
    assert.equal(planDeploy({}, { versioning: { strategy: 'semver' } }, live).kind, 'move');
  });

  it('a number splits from there: request steps, else config steps, else 25, 50, 100', () => {
    const p = planDeploy({ canary: 10 }, {}, live);
    assert.ok(p.kind === 'release');
    assert.deepEqual([p.mode, p.steps, p.rules, p.shadow], ['split', [10, 25, 50, 100], DEFAULT_RULES, null]);
    const cfg = planDeploy({ canary: 5 }, { versioning: { steps: [5, 20, 100] } }, live);
    assert.ok(cfg.kind === 'release' && cfg.steps.join() === '5,20,100');
    const req = planDeploy({ canary: 30, steps: [30, 60] }, { versioning: { steps: [5, 20, 100] } }, live);
    assert.ok(req.kind === 'release' && req.steps.join() === '30,60,100');
    assert.throws(() => stepsFrom(10, [50, 25]), /ascending/);
  });

  it('the config starts a release by itself over a live version: canary_percentage, monitor, rollback_on_error, analysis', () => {
    const p = planDeploy(
      {},
      {
        versioning: {
          canary_percentage: 20,
          monitor: '2d',
          rollback_on_error: true,
          analysis: { window: '30m', min_samples: 100, max_success_drop_points: 1 },
        },
      },
      live,
    );
    assert.ok(p.kind === 'release');
    assert.deepEqual(
      [p.mode, p.steps, p.monitorMs, p.rollbackOnError],
      ['split', [20, 25, 50, 100], 172_800_000, true],
    );
    assert.deepEqual(p.rules, { ...DEFAULT_RULES, window: '30m', minSamples: 100, maxSuccessDropPoints: 1 });
  });

  it("seed 003's hybrid rule: a cron-triggered skill is shadowed, an interactive one split", () => {
    const versioning = {
      canary_strategy: 'hybrid' as const,
      shadow_config: { compare_tab: 'Assignments_canary', runs: 5 },
    };
    const batch = planDeploy({}, { versioning, triggers: [...chat, ...cron] }, live);
    assert.ok(batch.kind === 'release');
    assert.equal(batch.mode, 'shadow');
    assert.deepEqual(batch.shadow, {
      compareTab: 'Assignments_canary',
      keys: ['id', 'order_id', 'key', 'name'],
      maxDiffPercentage: 5,
      compareOutput: true,
      runs: 5,
      onPass: 'propose',
    });
    assert.match(batch.why, /hybrid.*cron/);
    const interactive = planDeploy({}, { versioning, triggers: chat }, live);
    assert.ok(interactive.kind === 'release');
    assert.deepEqual([interactive.mode, interactive.steps, interactive.shadow], ['split', [10, 25, 50, 100], null]);
  });

  it("'shadow' asked: the request's compare tab wins over the config's", () => {
    const p = planDeploy(
      { canary: 'shadow', compareTab: 'X_canary' },
      { versioning: { shadow_config: { compare_tab: 'Y' } } },
      live,
    );
    assert.ok(
      p.kind === 'release' && p.mode === 'shadow' && p.shadow?.compareTab === 'X_canary' && p.steps.length === 0,
    );
  });

  it('config durations become whole wire durations', () => {
    assert.equal(rulesOf({ analysis: { window: '90s' } }).window, '90s');
    assert.equal(rulesOf({ analysis: { window: '1.5h' } }).window, '90m');
    assert.equal(rulesOf({ analysis: { window: '500ms' } }).window, '1s');
  });
});
