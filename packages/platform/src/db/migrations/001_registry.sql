-- Registry schema. Plain PostgreSQL (15+) that PGlite runs unchanged; no extensions.
-- A skill is an identity (domain/name); everything a deploy ships lives in an immutable version row.

CREATE TABLE skills (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  domain            text NOT NULL CHECK (domain ~ '^[a-z0-9][a-z0-9_-]*$'),
  name              text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]*$'),
  -- Role of the latest version (manager|field|admin|…): denormalised so role filters hit an index.
  role              text,
  latest_version_id uuid,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (domain, name)
);
CREATE INDEX skills_role_domain_idx ON skills (role, domain);

CREATE TABLE skill_versions (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  skill_id               uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  version                text NOT NULL,
  major                  int NOT NULL CHECK (major >= 0),
  minor                  int NOT NULL CHECK (minor >= 0),
  patch                  int NOT NULL CHECK (patch >= 0),
  -- '' for releases; sorts after any pre-release of the same major.minor.patch.
  prerelease             text NOT NULL DEFAULT '',
  -- Role declared by this version: keeps the history when a skill changes role.
  role                   text,
  bundle_digest          text NOT NULL CHECK (bundle_digest ~ '^sha256:[0-9a-f]{64}$'),
  bundle_size            bigint NOT NULL CHECK (bundle_size >= 0),
  file_count             int NOT NULL CHECK (file_count >= 0),
  description            text NOT NULL,
  owner_team             text,
  visibility             text NOT NULL CHECK (visibility IN ('public', 'private', 'internal')),
  cost_center            text,
  runtime_language       text NOT NULL CHECK (runtime_language IN ('typescript', 'python', 'go')),
  entry_point            text NOT NULL,
  timeout_ms             int NOT NULL CHECK (timeout_ms > 0),
  memory_mb              int NOT NULL CHECK (memory_mb > 0),
  cpu                    numeric(6, 3) NOT NULL CHECK (cpu > 0),
  primary_model          text,
  fallback_model         text,
  temperature            numeric(4, 3),
  max_tokens             int,
  max_cost_per_execution numeric(12, 6),
  monthly_cost_limit     numeric(14, 2),
  config                 jsonb NOT NULL,
  frontmatter            jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Search fields. The negative ("Do NOT use for …") text is kept apart and never indexed
  -- for matching: it only demotes a skill whose exclusions fit the query better than its purpose.
  search_name            text NOT NULL,
  search_description     text NOT NULL,
  search_negative        text NOT NULL DEFAULT '',
  search_patterns        text NOT NULL DEFAULT '',
  search_examples        text NOT NULL DEFAULT '',
  search_doc             tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', translate(search_name, '-_', '  ') || ' ' || search_patterns), 'A') ||
    setweight(to_tsvector('english', search_description || ' ' || search_examples), 'B')
  ) STORED,
  search_negative_doc    tsvector GENERATED ALWAYS AS (to_tsvector('english', search_negative)) STORED,
  embedding              real[],
  -- Vectors from different models are not comparable; search only uses those of its embedder.
  embedding_model        text,
  created_by             text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  UNIQUE (skill_id, version)
);
CREATE INDEX skill_versions_search_idx ON skill_versions USING gin (search_doc);
CREATE INDEX skill_versions_order_idx ON skill_versions (skill_id, major DESC, minor DESC, patch DESC);

-- Document frequency of every indexed lexeme (over all versions; the '' row holds the total).
-- Maintained on registration; gives the ranking an IDF so very common words neither dominate the
-- score nor drag thousands of rows into ranking. C collation: prefix LIKE can use the primary key.
CREATE TABLE search_lexemes (
  lexeme text COLLATE "C" PRIMARY KEY,
  df     int NOT NULL CHECK (df >= 0)
);

ALTER TABLE skills
  ADD CONSTRAINT skills_latest_version_fk FOREIGN KEY (latest_version_id) REFERENCES skill_versions (id);

CREATE TABLE skill_triggers (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id    uuid NOT NULL REFERENCES skill_versions (id) ON DELETE CASCADE,
  position      int NOT NULL,
  type          text NOT NULL CHECK (type IN ('message', 'cron', 'alert', 'command')),
  patterns      text[] NOT NULL DEFAULT '{}',
  channels      text[] NOT NULL DEFAULT '{}',
  cron_schedule text,
  timezone      text,
  enabled       boolean NOT NULL DEFAULT true,
  alert_sources text[] NOT NULL DEFAULT '{}',
  alert_filters jsonb,
  CHECK (type <> 'cron' OR cron_schedule IS NOT NULL)
);
CREATE INDEX skill_triggers_version_idx ON skill_triggers (version_id, position);
-- "Which skills have (enabled) cron/alert triggers": scheduler and alert router lookups.
CREATE INDEX skill_triggers_type_idx ON skill_triggers (type, version_id) WHERE enabled;
CREATE INDEX skill_triggers_sources_idx ON skill_triggers USING gin (alert_sources);

CREATE TABLE skill_permissions (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id uuid NOT NULL REFERENCES skill_versions (id) ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('tool', 'api', 'secret', 'shared_resource', 'blocked_resource', 'sheets_access')),
  value      text NOT NULL,
  detail     jsonb,
  UNIQUE (version_id, kind, value)
);
-- "Which skills may use api X / need secret Y".
CREATE INDEX skill_permissions_kind_value_idx ON skill_permissions (kind, value);

CREATE TABLE environments (
  skill_id   uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (name IN ('staging', 'production')),
  version_id uuid NOT NULL REFERENCES skill_versions (id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (skill_id, name)
);
CREATE INDEX environments_name_version_idx ON environments (name, version_id);

-- Append-only history. The identity id gives a total order per skill: deploys of one skill are
-- serialised by a row lock on skills, so ids are assigned in commit order.
CREATE TABLE deployments (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  skill_id            uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  environment         text NOT NULL CHECK (environment IN ('staging', 'production')),
  version_id          uuid NOT NULL REFERENCES skill_versions (id),
  previous_version_id uuid REFERENCES skill_versions (id),
  action              text NOT NULL CHECK (action IN ('deploy', 'rollback')),
  actor               text,
  created_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX deployments_skill_env_idx ON deployments (skill_id, environment, id DESC);

-- Written by the runtime, not the registry.
CREATE TABLE executions (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  skill_id            uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  version_id          uuid REFERENCES skill_versions (id),
  environment         text,
  trigger_type        text,
  user_id             text,
  workflow_id         text,
  parent_execution_id uuid REFERENCES executions (id) ON DELETE SET NULL,
  started_at          timestamptz NOT NULL DEFAULT now(),
  completed_at        timestamptz,
  duration_ms         int CHECK (duration_ms >= 0),
  success             boolean,
  error_code          text,
  error_message       text,
  input               jsonb,
  result              jsonb,
  model_calls         int NOT NULL DEFAULT 0,
  prompt_tokens       int NOT NULL DEFAULT 0,
  completion_tokens   int NOT NULL DEFAULT 0,
  cost                numeric(12, 6) NOT NULL DEFAULT 0,
  user_rating         int CHECK (user_rating BETWEEN 1 AND 5),
  user_correction     text,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX executions_skill_started_idx ON executions (skill_id, started_at DESC);
CREATE INDEX executions_workflow_idx ON executions (workflow_id) WHERE workflow_id IS NOT NULL;
CREATE INDEX executions_parent_idx ON executions (parent_execution_id) WHERE parent_execution_id IS NOT NULL;
CREATE INDEX executions_user_idx ON executions (user_id, started_at DESC);
