-- Scale (issue #28): every list filter has an index that also yields the list's order, and the
-- read set quota reads a counter instead of counting the store.
--
-- ListReadSets' equality filters, each followed by the keyset (creation_ms, id): a filtered page,
-- first or 5,000 pages deep, reads only its own rows (etag_source1 has had one since 0008).
CREATE INDEX read_sets_by_name ON read_sets (account_id, store_id, name, creation_ms, id);
CREATE INDEX read_sets_by_sample ON read_sets (account_id, store_id, sample_id, creation_ms, id);
CREATE INDEX read_sets_by_subject ON read_sets (account_id, store_id, subject_id, creation_ms, id);
CREATE INDEX read_sets_by_generated_from ON read_sets (account_id, store_id, generated_from, creation_ms, id);
CREATE INDEX read_sets_by_status ON read_sets (account_id, store_id, status, creation_ms, id);
CREATE INDEX read_sets_by_store_reference ON read_sets (account_id, store_id, reference_arn, creation_ms, id);
CREATE INDEX read_sets_by_creation_type ON read_sets (account_id, store_id, creation_type, creation_ms, id);
-- (0003's read_sets_by_reference on reference_arn alone stays: DeleteReference's "in use" check
-- looks a reference up across every store.)

-- The job lists of a store: by kind, with or without a status filter, in (creation_ms, id) order.
CREATE INDEX import_jobs_by_kind ON import_jobs (account_id, store_id, kind, creation_ms, id);
CREATE INDEX import_jobs_by_kind_status ON import_jobs (account_id, store_id, kind, status, creation_ms, id);

-- Read sets per store, for `quotas.read_sets_per_store`: kept by db::read_set_counts in the
-- transaction that inserts or deletes a read set, spread over 16 rows per store (the shard is a
-- function of the read set's id) so concurrent commits into one store seldom wait for one row.
-- The count is the sum of a store's rows; a shard may go below zero (rows counted at this
-- migration sit in shard 0), the sum never does.
CREATE TABLE read_set_counts (
    account_id  TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    shard       BIGINT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (account_id, store_id, shard)
);
INSERT INTO read_set_counts (account_id, store_id, shard, n)
    SELECT account_id, store_id, 0, COUNT(*) FROM read_sets GROUP BY account_id, store_id;
