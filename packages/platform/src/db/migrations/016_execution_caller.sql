-- Who called for an execution (a user's email, or service:<team>/<token> for a team's service
-- account), beside user_id, the end user it ran for: they differ when a channel acts on a user's behalf.
ALTER TABLE executions ADD COLUMN caller text;
