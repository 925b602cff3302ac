-- Who last set each vault secret (callerLabel: a user's email or service:<team>/<token>), shown
-- by `aspora secrets list`. Null for rows set before this column existed.
ALTER TABLE vault_secrets ADD COLUMN updated_by text;
