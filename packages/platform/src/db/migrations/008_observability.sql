-- Hourly rollups of executions per skill, written with the execution rows themselves, so that
-- "the last 24 h" of a skill, a domain or the platform reads hours, not millions of rows.
-- buckets: execution counts per latency bucket (observe/rollups/buckets.ts), for percentiles.
CREATE TABLE execution_rollups (
  skill_id          uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  hour              timestamptz NOT NULL,
  executions        int NOT NULL DEFAULT 0,
  successes         int NOT NULL DEFAULT 0,
  errors            int NOT NULL DEFAULT 0,
  duration_ms_sum   bigint NOT NULL DEFAULT 0,
  buckets           int[] NOT NULL,
  cost              numeric(14, 6) NOT NULL DEFAULT 0,
  model_calls       int NOT NULL DEFAULT 0,
  prompt_tokens     bigint NOT NULL DEFAULT 0,
  completion_tokens bigint NOT NULL DEFAULT 0,
  ratings           int NOT NULL DEFAULT 0,
  rating_sum        int NOT NULL DEFAULT 0,
  PRIMARY KEY (skill_id, hour)
);
CREATE INDEX execution_rollups_hour_idx ON execution_rollups (hour);

-- Feedback on executions: a rating, and a correction that becomes a regression case of the skill.
CREATE TABLE feedback (
  id           bigserial PRIMARY KEY,
  execution_id uuid NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  skill_id     uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  rating       int CHECK (rating BETWEEN 1 AND 5),
  correction   text CHECK (length(correction) <= 20000),
  author       text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (rating IS NOT NULL OR correction IS NOT NULL)
);
CREATE INDEX feedback_skill_idx ON feedback (skill_id, created_at DESC);

-- Alerts: one row per problem (dedup key), firing until the rule is healthy again.
CREATE TABLE alerts (
  key         text PRIMARY KEY,
  rule        text NOT NULL,
  scope       jsonb NOT NULL,
  status      text NOT NULL CHECK (status IN ('firing', 'resolved')),
  severity    text NOT NULL,
  title       text NOT NULL,
  value       double precision,
  threshold   double precision,
  fired_at    timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_status_idx ON alerts (status, updated_at DESC);
