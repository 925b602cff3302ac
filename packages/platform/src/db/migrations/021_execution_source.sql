-- Where the work came from, so its result can go back there: the source's event id (a Slack
-- event_id, a command's trigger id, a webhook's delivery id) and the channel it came in on
-- (`slack:<channel id>`), beside trigger_type.
ALTER TABLE executions ADD COLUMN source_event_id text;
ALTER TABLE executions ADD COLUMN channel text;
