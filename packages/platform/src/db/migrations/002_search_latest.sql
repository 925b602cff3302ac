-- Search reads the latest version of each skill (or the one live in an environment), never the
-- history: a partial GIN index over latest versions keeps candidate generation proportional to
-- skills, not to versions ever registered. fastupdate off: registrations are rare and searches
-- frequent, so entries go straight into the index instead of a pending list every search rescans.
ALTER TABLE skill_versions ADD COLUMN is_latest boolean NOT NULL DEFAULT false;
UPDATE skill_versions v SET is_latest = true FROM skills s WHERE s.latest_version_id = v.id;
ALTER INDEX skill_versions_search_idx SET (fastupdate = off);
CREATE INDEX skill_versions_latest_search_idx ON skill_versions USING gin (search_doc) WITH (fastupdate = off) WHERE is_latest;
