-- Storage tiers (issue #25). A read set's `files` are in the tier its status names (ARCHIVED and
-- ACTIVATING: the archive location; every other status: the store's own storage). A move between
-- tiers records the copies it left in the tier it left, as a JSON list of
-- {"tier", "keys", "after"}, deleted once `after` has passed; NULL: none pending.
ALTER TABLE read_sets ADD COLUMN stale_copies TEXT;
-- The archiver's scan of idle ACTIVE read sets.
CREATE INDEX read_sets_by_status_access ON read_sets (status, last_access_ms);
-- The bytes of a read set's files (what each tier holds, summed per store without reading `files`).
ALTER TABLE read_sets ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
UPDATE read_sets SET bytes = COALESCE((files::jsonb -> 'source1' ->> 'contentLength')::BIGINT, 0)
    + COALESCE((files::jsonb -> 'source2' ->> 'contentLength')::BIGINT, 0)
    + COALESCE((files::jsonb -> 'index' ->> 'contentLength')::BIGINT, 0);
-- What each tier holds, per store (the `/metrics` gauges, the dashboard): answered from the index.
CREATE INDEX read_sets_usage ON read_sets (account_id, store_id, status, bytes);
