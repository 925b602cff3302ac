-- Budget counters (USD): what a key (skill, team, …) has spent in a period ("2026-12") and what
-- in-flight model calls have reserved. One row per key and period, updated by single atomic
-- statements (see gateway/budget/sql-store.ts); the CHECKs catch any bug that would drive a
-- counter negative instead of silently giving budget back.
CREATE TABLE budget_counters (
  key        text NOT NULL,
  period     text NOT NULL,
  spent      numeric(14, 6) NOT NULL DEFAULT 0 CONSTRAINT budget_counters_spent_check CHECK (spent >= 0),
  reserved   numeric(14, 6) NOT NULL DEFAULT 0 CONSTRAINT budget_counters_reserved_check CHECK (reserved >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key, period)
);
