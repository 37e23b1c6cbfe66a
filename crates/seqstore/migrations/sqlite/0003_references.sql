CREATE TABLE reference_stores (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    sse_type    TEXT,
    sse_key_arn TEXT,
    creation_ms BIGINT NOT NULL
);
CREATE INDEX reference_stores_by_account ON reference_stores (account_id, creation_ms, id);

-- "references" is an SQL keyword, hence the table name.
CREATE TABLE genome_references (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    name            TEXT NOT NULL,
    description     TEXT,
    md5             TEXT NOT NULL,
    creation_job_id TEXT,
    creation_ms     BIGINT NOT NULL,
    update_ms       BIGINT NOT NULL,
    compression     TEXT NOT NULL,
    sequences       TEXT NOT NULL,
    files           TEXT NOT NULL
);
CREATE INDEX genome_references_by_store ON genome_references (account_id, store_id, creation_ms, id);

-- Import jobs of both kinds share the queue: 'readSet' (sequence stores) or 'reference'.
ALTER TABLE import_jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'readSet';
ALTER TABLE import_sources ADD COLUMN kind TEXT NOT NULL DEFAULT 'readSet';
ALTER TABLE import_sources ADD COLUMN reference_arn TEXT;
CREATE INDEX import_sources_by_reference ON import_sources (reference_arn);
CREATE INDEX read_sets_by_reference ON read_sets (reference_arn);
