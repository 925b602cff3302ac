-- A domain's shared resources as versioned bundles (issue 15 part 6). A version is an immutable
-- bundle in the bundle store; seq orders a domain's versions (the newest is the current one) and
-- numbers the auto-incremented ones; version is the label: that number, or a semver given at register.
CREATE TABLE shared_resource_domains (
  domain     text PRIMARY KEY CHECK (domain ~ '^[a-z0-9][a-z0-9_-]*$'),
  -- Registrations of a domain lock this row, so seq and "is this content already current?" cannot race.
  last_seq   int NOT NULL DEFAULT 0
);

CREATE TABLE shared_resource_versions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  domain         text NOT NULL REFERENCES shared_resource_domains (domain) ON DELETE CASCADE,
  seq            int NOT NULL CHECK (seq > 0),
  version        text NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
  bundle_digest  text NOT NULL,
  bundle_size    bigint NOT NULL CHECK (bundle_size >= 0),
  file_count     int NOT NULL CHECK (file_count >= 0),
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (domain, seq),
  UNIQUE (domain, version)
);

-- The shared resources a skill version runs with, fixed when the version is registered: the
-- domain's current version then, or the one its config pins. No row: the host folder, if any.
CREATE TABLE skill_version_shared (
  version_id         uuid PRIMARY KEY REFERENCES skill_versions (id) ON DELETE CASCADE,
  shared_version_id  uuid NOT NULL REFERENCES shared_resource_versions (id)
);
