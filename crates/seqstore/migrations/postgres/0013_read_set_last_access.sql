-- When a read set's data was last read (GetReadSet, the S3 endpoint, htsget, export), in ms since
-- the epoch, written at most once a minute per read set and process; NULL: never read since.
-- What an archive policy (issue #25) measures idleness by.
ALTER TABLE read_sets ADD COLUMN last_access_ms BIGINT;
