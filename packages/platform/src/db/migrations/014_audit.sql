-- The audit log (audit/log.ts): append-only and hash-chained. Each entry's hash covers the previous
-- entry's hash and its own fields, so an edited, removed or inserted entry breaks the chain that
-- `aspora audit verify` walks. seq is assigned under an advisory lock, one line across processes.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, seq DESC);
CREATE INDEX audit_log_action ON audit_log (action, seq DESC);

-- Entries are never changed or removed: only someone who disables these triggers (the table's
-- owner or a superuser) can, and verify() finds what they did.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
