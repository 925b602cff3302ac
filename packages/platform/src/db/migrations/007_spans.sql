-- Trace spans of executions, model calls and host (tool) calls, also exported over OTLP when a
-- collector is configured; kept here so `aspora trace` works without one. No foreign keys: spans
-- are written in batches apart from the execution rows, and outlive nothing they point to.
CREATE TABLE spans (
  trace_id       text NOT NULL,
  span_id        text NOT NULL,
  parent_span_id text,
  name           text NOT NULL,
  kind           text NOT NULL,
  started_at     timestamptz NOT NULL,
  ended_at       timestamptz NOT NULL,
  duration_ms    double precision NOT NULL,
  status         text NOT NULL,
  error          text,
  attributes     jsonb NOT NULL DEFAULT '{}',
  execution_id   uuid,
  workflow_id    text,
  skill          text,
  domain         text,
  PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX spans_domain_started_idx ON spans (domain, started_at);
CREATE INDEX spans_workflow_idx ON spans (workflow_id) WHERE workflow_id IS NOT NULL;
CREATE INDEX spans_execution_idx ON spans (execution_id) WHERE execution_id IS NOT NULL;
