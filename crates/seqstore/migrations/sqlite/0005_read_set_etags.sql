-- The first file's ETag digest as a column: ListReadSets' `etag` filter and the duplicate note.
ALTER TABLE read_sets ADD COLUMN etag_source1 TEXT;
CREATE INDEX read_sets_by_etag ON read_sets (account_id, store_id, etag_source1);
