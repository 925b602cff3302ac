-- Every model call through the gateway, attributed to a skill and (when made from a handler) an
-- execution; failed calls and fallbacks are rows too, so cost and fallback rates are exact.
CREATE TABLE model_calls (
  id                bigserial PRIMARY KEY,
  execution_id      uuid REFERENCES executions (id) ON DELETE CASCADE,
  skill_id          uuid REFERENCES skills (id) ON DELETE CASCADE,
  provider          text NOT NULL,
  requested_model   text NOT NULL,
  model             text NOT NULL,
  prompt_tokens     int NOT NULL DEFAULT 0,
  completion_tokens int NOT NULL DEFAULT 0,
  cost              numeric(12, 6) NOT NULL DEFAULT 0,
  estimated         boolean NOT NULL DEFAULT false,
  is_fallback       boolean NOT NULL DEFAULT false,
  latency_ms        int NOT NULL DEFAULT 0,
  ok                boolean NOT NULL,
  error_code        text,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_calls_execution_idx ON model_calls (execution_id) WHERE execution_id IS NOT NULL;
CREATE INDEX model_calls_skill_created_idx ON model_calls (skill_id, created_at DESC);

-- A failed execution's typed error details (a denial names skill, role, resource and rule).
ALTER TABLE executions ADD COLUMN error_details jsonb;
