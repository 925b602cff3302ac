-- Releases (issue 17): a candidate version beside the stable one an environment runs, either
-- taking a share of its traffic (split) or running beside it on the same input (shadow). The
-- environments pointer keeps naming stable until the release is promoted, so ending a release
-- any way but promotion leaves the environment exactly as it was.
CREATE TABLE releases (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  skill_id            uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  environment         text NOT NULL CHECK (environment IN ('staging', 'production')),
  stable_version_id   uuid NOT NULL REFERENCES skill_versions (id),
  canary_version_id   uuid NOT NULL REFERENCES skill_versions (id),
  mode                text NOT NULL CHECK (mode IN ('split', 'shadow')),
  -- split: the canary's share at each step, ascending, ending at 100 (e.g. [10, 25, 50, 100]).
  steps               jsonb NOT NULL,
  step_index          int NOT NULL DEFAULT 0 CHECK (step_index >= 0),
  -- The canary's current share of executions, 0–100 (0 in shadow mode and once the release ended).
  percentage          double precision NOT NULL CHECK (percentage >= 0 AND percentage <= 100),
  step_started_at     timestamptz NOT NULL DEFAULT now(),
  -- The analysis rules this release is judged by (visible in `aspora releases`; ReleaseRules).
  rules               jsonb NOT NULL,
  -- Shadow mode: ShadowSettings (compare tab, id keys, max diff, runs needed, promote or propose).
  shadow              jsonb,
  rollback_on_error   boolean NOT NULL DEFAULT true,
  monitor_until       timestamptz,
  status              text NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'proposed', 'promoted', 'rolled_back', 'aborted')),
  canary_success_rate double precision,
  ended_reason        text,
  promoted_at         timestamptz,
  rolled_back_at      timestamptz,
  created_by          text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (stable_version_id <> canary_version_id)
);
-- At most one release in flight per skill and environment ('proposed': a shadow waiting for a person).
CREATE UNIQUE INDEX releases_one_open_idx ON releases (skill_id, environment) WHERE status IN ('active', 'proposed');
CREATE INDEX releases_skill_idx ON releases (skill_id, id DESC);
CREATE INDEX releases_open_idx ON releases (status) WHERE status IN ('active', 'proposed');

-- Every judgement of a release, with the numbers it was made on: append-only.
CREATE TABLE release_decisions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id  bigint NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  at          timestamptz NOT NULL DEFAULT now(),
  step_index  int NOT NULL,
  percentage  double precision NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('start', 'wait', 'pass', 'fail', 'promote', 'rollback', 'propose', 'expire')),
  -- Who decided: 'analysis' or the person (a manual promote or rollback).
  actor       text NOT NULL,
  reason      text NOT NULL,
  numbers     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX release_decisions_release_idx ON release_decisions (release_id, id);

-- Shadow mode: one row per input both versions ran on, with the structured diff of their outputs.
CREATE TABLE shadow_comparisons (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id          bigint NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  stable_execution_id uuid REFERENCES executions (id) ON DELETE SET NULL,
  shadow_execution_id uuid REFERENCES executions (id) ON DELETE SET NULL,
  at                  timestamptz NOT NULL DEFAULT now(),
  -- null when the shadow failed (crashed, over budget, timed out): counted, never compared.
  diff_percentage     double precision,
  compared            int NOT NULL DEFAULT 0,
  changed             int NOT NULL DEFAULT 0,
  -- ShadowDiff: the changed items by key, bounded.
  report              jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX shadow_comparisons_release_idx ON shadow_comparisons (release_id, id DESC);

-- Which release and side served each execution: stable, canary (a split's share) or shadow.
ALTER TABLE executions ADD COLUMN release_id bigint;
ALTER TABLE executions ADD COLUMN variant text CHECK (variant IN ('stable', 'canary', 'shadow'));
CREATE INDEX executions_release_idx ON executions (release_id, variant, started_at) WHERE release_id IS NOT NULL;
