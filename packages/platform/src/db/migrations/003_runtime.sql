-- What the runtime records per execution beyond the first migration's columns, and skill-scoped state
-- (context.state) that survives warm workers being recycled.
ALTER TABLE executions
  ADD COLUMN logs jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN host_calls int NOT NULL DEFAULT 0,
  ADD COLUMN denied_calls int NOT NULL DEFAULT 0;

CREATE TABLE skill_state (
  skill_id   uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  key        text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (skill_id, key)
);
