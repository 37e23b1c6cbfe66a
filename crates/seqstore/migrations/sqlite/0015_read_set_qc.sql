-- Quality-control statistics of read sets (issue #27): one row per read set, written in the
-- transaction that makes the read set ACTIVE (an import collects them in its single pass) or by a
-- later `qc` job (read sets imported before, or with qc.enabled = false). `report` is the
-- QcReport as gzip-compressed JSON; NULL with `failure` when the job could not compute it. The
-- figures the store's comparison view sorts by are columns of their own, each with an index.
CREATE TABLE read_set_qc (
    read_set_id     TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    computed_ms     BIGINT NOT NULL,
    mean_quality    REAL,
    gc_percent      REAL,
    mapped_percent  REAL,
    report          BLOB,
    failure         TEXT
);
CREATE INDEX read_set_qc_by_mean_quality ON read_set_qc (account_id, store_id, mean_quality);
CREATE INDEX read_set_qc_by_gc_percent ON read_set_qc (account_id, store_id, gc_percent);
CREATE INDEX read_set_qc_by_mapped_percent ON read_set_qc (account_id, store_id, mapped_percent);
-- The comparison view sorted by reads or bases, from read_sets.
CREATE INDEX read_sets_by_read_count ON read_sets (account_id, store_id, total_read_count);
CREATE INDEX read_sets_by_base_count ON read_sets (account_id, store_id, total_base_count);
