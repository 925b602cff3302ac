-- The fastest and slowest run of each hour's rollup: a percentile read from the latency buckets is
-- interpolated inside its bucket, and without these it could be reported above the slowest run
-- (rollups/buckets.ts). NULL in rollups made before this column existed: rebuildRollups fills them.
ALTER TABLE execution_rollups ADD COLUMN duration_ms_min int, ADD COLUMN duration_ms_max int;
