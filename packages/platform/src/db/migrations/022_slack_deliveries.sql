-- Slack deliveries already taken: an event's event_id (Slack redelivers an event it thinks was not
-- acknowledged, with X-Slack-Retry-Num) and each request's signature (a replay of a captured request
-- inside the 5-minute window). The first insert wins in every process; rows older than a day go.
CREATE TABLE slack_deliveries (
  key text PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_deliveries_received ON slack_deliveries (received_at);
