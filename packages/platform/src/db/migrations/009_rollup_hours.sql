-- Rollups are made per closed hour, after it (rollups/job.ts): nothing is added to the path of an
-- execution. An hour is finalized once, by whichever process inserts its row here first; until
-- then, queries read that hour's execution rows directly.
CREATE TABLE rollup_hours (
  hour         timestamptz PRIMARY KEY,
  finalized_at timestamptz NOT NULL DEFAULT now(),
  executions   int NOT NULL DEFAULT 0
);
