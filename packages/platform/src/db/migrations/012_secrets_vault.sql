-- The secrets vault, encrypted at rest (secrets/envelope.ts): each team's data keys, stored only
-- wrapped by a master key the database never sees, and each secret sealed under a data key of
-- its team. A team has one active data key; retired ones stay while secrets still use them.
CREATE TABLE vault_data_keys (
  id text PRIMARY KEY,
  team text NOT NULL,
  master_id text NOT NULL,
  wrapped bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
CREATE UNIQUE INDEX vault_data_keys_active ON vault_data_keys (team) WHERE retired_at IS NULL;
CREATE INDEX vault_data_keys_master ON vault_data_keys (master_id);

CREATE TABLE vault_secrets (
  team text NOT NULL,
  name text NOT NULL,
  key_id text NOT NULL REFERENCES vault_data_keys (id),
  sealed bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team, name)
);
