-- Identities and tokens (access/): one organisation per platform, its teams, users and their roles
-- in teams, and API tokens stored only as SHA-256 hashes. access_changes is the feed every process
-- polls to drop cached tokens within a second of a revocation or a membership change.
CREATE TABLE teams (
  name text PRIMARY KEY,
  description text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text,
  admin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
  team text NOT NULL REFERENCES teams (name) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL,
  PRIMARY KEY (team, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- A token belongs to a user (user_id) or is a team's service account (team); never both.
CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  hash bytea NOT NULL UNIQUE,
  prefix text NOT NULL,
  name text,
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  team text REFERENCES teams (name) ON DELETE CASCADE,
  scopes text[] NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  CHECK ((user_id IS NULL) <> (team IS NULL))
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX api_tokens_team ON api_tokens (team);

CREATE TABLE access_changes (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL
);
