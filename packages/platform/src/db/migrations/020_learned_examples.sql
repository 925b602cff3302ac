-- Discovery that learns (docs/discovery.md, decision 015). Example requests per skill — not per
-- version: what people ask a skill for outlives its versions. Positive examples come from routed
-- messages nobody corrected or that were rated well, and from a configured model at deploy
-- (doc2query); negative ones from routed messages that were corrected or rated badly.
CREATE TABLE skill_examples (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  skill_id   uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  polarity   text NOT NULL CHECK (polarity IN ('positive', 'negative')),
  source     text NOT NULL CHECK (source IN ('routed', 'feedback', 'doc2query')),
  text       text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- One verdict per text and skill: the latest outcome wins (a corrected message stops being positive).
  UNIQUE (skill_id, text)
);
CREATE INDEX skill_examples_keep_idx ON skill_examples (skill_id, polarity, source, id DESC);

-- What search reads: the kept examples of each skill as one row (rebuilt, bounded, on every change),
-- so ranking joins one row per candidate instead of aggregating examples per query.
CREATE TABLE skill_search_learned (
  skill_id     uuid PRIMARY KEY REFERENCES skills (id) ON DELETE CASCADE,
  positive     text NOT NULL DEFAULT '',
  negative     text NOT NULL DEFAULT '',
  positive_doc tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', positive), 'C')) STORED,
  negative_doc tsvector GENERATED ALWAYS AS (to_tsvector('english', negative)) STORED
);
CREATE INDEX skill_search_learned_idx ON skill_search_learned USING gin (positive_doc) WITH (fastupdate = off);
