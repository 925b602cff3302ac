-- Results sent back where the work came from (issue 16 part 7): one row per execution whose
-- result goes somewhere (a webhook's callback URL, a Slack channel or response_url). The first
-- insert wins, so a retried job or a second process never sends the answer twice; the row says
-- how its delivery went (pending, delivered, failed), after how many attempts, and the last
-- HTTP status or error. The target holds where, never a secret (a secret's name at most).
CREATE TABLE result_deliveries (
  execution_id uuid PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
  kind         text NOT NULL,
  target       jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'pending',
  attempts     int NOT NULL DEFAULT 0,
  last_status  int,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
