CREATE TABLE import_jobs (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    store_id       TEXT NOT NULL,
    role_arn       TEXT NOT NULL,
    status         TEXT NOT NULL,
    status_message TEXT,
    creation_ms    BIGINT NOT NULL,
    completion_ms  BIGINT
);
CREATE INDEX import_jobs_by_store ON import_jobs (account_id, store_id, creation_ms, id);
CREATE INDEX import_jobs_by_status ON import_jobs (account_id, status);

-- One row per source of a job. A worker owns a source while its lease is live; `generation`
-- grows with every claim and is checked when the result is committed.
CREATE TABLE import_sources (
    job_id           TEXT NOT NULL,
    idx              BIGINT NOT NULL,
    account_id       TEXT NOT NULL,
    store_id         TEXT NOT NULL,
    spec             TEXT NOT NULL,
    status           TEXT NOT NULL,
    status_message   TEXT,
    status_detail    TEXT,
    read_set_id      TEXT,
    lease_owner      TEXT,
    lease_expires_ms BIGINT,
    generation       BIGINT NOT NULL,
    bytes_processed  BIGINT NOT NULL,
    bytes_total      BIGINT,
    started_ms       BIGINT,
    finished_ms      BIGINT,
    created_ms       BIGINT NOT NULL,
    PRIMARY KEY (job_id, idx)
);
CREATE INDEX import_sources_claimable ON import_sources (status, created_ms);
CREATE INDEX import_sources_by_read_set ON import_sources (read_set_id);

CREATE TABLE read_sets (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL,
    store_id         TEXT NOT NULL,
    status           TEXT NOT NULL,
    name             TEXT,
    description      TEXT,
    subject_id       TEXT NOT NULL,
    sample_id        TEXT NOT NULL,
    generated_from   TEXT,
    reference_arn    TEXT,
    file_type        TEXT NOT NULL,
    creation_type    TEXT NOT NULL,
    creation_job_id  TEXT,
    creation_ms      BIGINT NOT NULL,
    total_read_count BIGINT NOT NULL,
    total_base_count BIGINT NOT NULL,
    alignment        TEXT NOT NULL,
    etag             TEXT NOT NULL,
    files            TEXT NOT NULL
);
CREATE INDEX read_sets_by_store ON read_sets (account_id, store_id, creation_ms, id);
