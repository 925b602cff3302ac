-- Row tables of shared state (issue 15 part 7): seed 003's Sheets tabs (Assignments, Resolutions,
-- Agents) as tables of a team, reached by its skills through context.state.table(name), with each
-- skill's permissions.sheets_access rules enforced on every read and write.
--
-- The rules are enforced twice: by the host's query layer (which names the rule in a denial) and by
-- PostgreSQL row-level security here, on PostgreSQL and PGlite alike. The policies are fixed code:
-- a statement's team, table and resolved rules arrive as transaction-local settings, so no skill's
-- text ever becomes SQL.

-- One row per table of a team: what lists the tables, and the row count that bounds them.
CREATE TABLE state_tables (
  team        text NOT NULL,
  tab         text NOT NULL CHECK (tab ~ '^[a-z][a-z0-9_]{0,62}$'),
  row_count   bigint NOT NULL DEFAULT 0 CHECK (row_count >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team, tab)
);

CREATE TABLE state_rows (
  id          bigserial PRIMARY KEY,
  team        text NOT NULL,
  tab         text NOT NULL,
  data        jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- The execution (or the admin's import) that wrote the row last.
  updated_by  text
);
CREATE INDEX state_rows_table ON state_rows (team, tab, id);

-- A statement's resolved rules arrive as SQL/JSON path predicates built by the host from the
-- rule's parsed terms (packages/platform/src/state/jsonpath.ts): `$` is all, a missing or empty
-- setting is none. `(SELECT …)` makes each setting an init plan, read and parsed once per
-- statement rather than once per row; `@?` runs in C (an interpreter of the rule in SQL cost ~10 µs
-- a row).
ALTER TABLE state_rows ENABLE ROW LEVEL SECURITY;
-- The table's owner is bound too (a platform that connects as a non-superuser owner); a superuser
-- connection switches to the aspora_state role below for every statement on the table.
ALTER TABLE state_rows FORCE ROW LEVEL SECURITY;

CREATE POLICY state_read ON state_rows FOR SELECT USING (
  team = (SELECT current_setting('aspora.state_team', true))
  AND tab = (SELECT current_setting('aspora.state_tab', true))
  AND data @? (SELECT coalesce(nullif(current_setting('aspora.state_read', true), ''), '$ ? (1 == 0)')::jsonpath));
CREATE POLICY state_insert ON state_rows FOR INSERT WITH CHECK (
  team = (SELECT current_setting('aspora.state_team', true))
  AND tab = (SELECT current_setting('aspora.state_tab', true))
  AND data @? (SELECT coalesce(nullif(current_setting('aspora.state_write', true), ''), '$ ? (1 == 0)')::jsonpath));
-- An update reaches rows the skill may read whose ownership terms (those naming the user) hold,
-- and each row it leaves must pass the whole write rule (ownershipPart in @aspora/sdk says why).
CREATE POLICY state_update ON state_rows FOR UPDATE USING (
  team = (SELECT current_setting('aspora.state_team', true))
  AND tab = (SELECT current_setting('aspora.state_tab', true))
  AND data @? (SELECT coalesce(nullif(current_setting('aspora.state_own', true), ''), '$ ? (1 == 0)')::jsonpath))
  WITH CHECK (
  team = (SELECT current_setting('aspora.state_team', true))
  AND tab = (SELECT current_setting('aspora.state_tab', true))
  AND data @? (SELECT coalesce(nullif(current_setting('aspora.state_write', true), ''), '$ ? (1 == 0)')::jsonpath));
CREATE POLICY state_delete ON state_rows FOR DELETE USING (
  team = (SELECT current_setting('aspora.state_team', true))
  AND tab = (SELECT current_setting('aspora.state_tab', true))
  AND data @? (SELECT coalesce(nullif(current_setting('aspora.state_write', true), ''), '$ ? (1 == 0)')::jsonpath));

-- Superusers bypass row-level security, even forced: a superuser connection runs state statements
-- as this role, which has nothing but the table. Roles belong to the cluster, so several schemas
-- (tests, tenants) share it and it may be created concurrently. A connection that may not create
-- roles is not a superuser, so FORCE above binds it without one.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aspora_state') THEN
    BEGIN
      CREATE ROLE aspora_state NOLOGIN NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN
      NULL;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aspora_state') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO aspora_state', current_schema());
    GRANT SELECT, INSERT, UPDATE, DELETE ON state_rows TO aspora_state;
    GRANT USAGE ON SEQUENCE state_rows_id_seq TO aspora_state;
  END IF;
END
$$;
