-- Direct (multipart) read set uploads. An upload is IN_PROGRESS while parts arrive; completion
-- creates its read set (PROCESSING_UPLOAD) and a hidden job of kind 'upload' that processes the
-- parts; the upload and part rows are removed when that job settles or the upload is aborted.
CREATE TABLE uploads (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    spec        TEXT NOT NULL,
    status      TEXT NOT NULL,
    creation_ms BIGINT NOT NULL,
    activity_ms BIGINT NOT NULL,
    read_set_id TEXT
);
CREATE INDEX uploads_by_store ON uploads (account_id, store_id, creation_ms, id);
CREATE INDEX uploads_by_activity ON uploads (status, activity_ms);

-- The current object of each part: re-uploading a part number replaces the row (and the object).
CREATE TABLE upload_parts (
    upload_id   TEXT NOT NULL,
    source      TEXT NOT NULL,
    part_number BIGINT NOT NULL,
    object_key  TEXT NOT NULL,
    size        BIGINT NOT NULL,
    checksum    TEXT NOT NULL,
    creation_ms BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL,
    PRIMARY KEY (upload_id, source, part_number)
);
