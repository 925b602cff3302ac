-- How long an execution waited for its version's handler to be built (the first run of a
-- version in a process), apart from duration_ms, which counts the handler's run only.
ALTER TABLE executions ADD COLUMN build_ms int CHECK (build_ms >= 0);
