-- Budget thresholds crossed (notify 80 %, throttle 95 %, pause 100 % of a skill's monthly limit),
-- once per skill, month and threshold; and admins lifting a paused skill for the rest of a month.
CREATE TABLE budget_events (
  budget_key text NOT NULL,
  period     text NOT NULL,
  threshold  numeric(6, 2) NOT NULL,
  action     text NOT NULL CHECK (action IN ('notify_owner_team', 'throttle_skill', 'pause_skill')),
  spent      numeric(14, 6) NOT NULL,
  budget     numeric(14, 6) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (budget_key, period, threshold)
);

CREATE TABLE budget_lifts (
  budget_key text NOT NULL,
  period     text NOT NULL,
  lifted_by  text,
  reason     text,
  lifted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (budget_key, period)
);

-- Answers served from the response cache are model calls too (cost 0).
ALTER TABLE model_calls ADD COLUMN cached boolean NOT NULL DEFAULT false;
