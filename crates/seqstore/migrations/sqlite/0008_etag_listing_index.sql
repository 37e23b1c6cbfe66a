-- ListReadSets with the `etag` filter (and the dashboard's ETag filter) reads one ETag's read sets in
-- (creation_ms, id) order: with the order in the index, it no longer walks the whole store in
-- creation order (SQLite chose read_sets_by_store for the ORDER BY) nor sorts.
DROP INDEX read_sets_by_etag;
CREATE INDEX read_sets_by_etag ON read_sets (account_id, store_id, etag_source1, creation_ms, id);
