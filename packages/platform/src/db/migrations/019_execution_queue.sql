-- Queued executions (decision 014): an execution enqueued for the job engine has its row from the
-- start, as 'queued'; the worker that takes it marks it 'running' (with the attempt), the runtime's
-- record completes it, and one whose attempts are spent is 'dead'. NULL: a row written by a direct run.
ALTER TABLE executions ADD COLUMN status text CHECK (status IN ('queued', 'running', 'dead'));
ALTER TABLE executions ADD COLUMN attempts int NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN max_attempts int;
CREATE INDEX executions_status_idx ON executions (status, started_at DESC) WHERE status IN ('queued', 'dead');

-- Idempotency-Key: one execution per (caller, key); a repeated request answers that execution.
CREATE TABLE execution_idempotency (
  scope         text NOT NULL,
  key           text NOT NULL,
  execution_id  uuid NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX execution_idempotency_created_idx ON execution_idempotency (created_at);
