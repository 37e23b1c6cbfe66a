-- Server-wide settings shared by every process (e.g. the pagination-token key).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every id ever issued, of any kind: ids are unique across the whole server.
CREATE TABLE resource_ids (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE sequence_stores (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL,
    name                TEXT NOT NULL,
    description         TEXT,
    sse_type            TEXT,
    sse_key_arn         TEXT,
    fallback_location   TEXT,
    etag_family         TEXT NOT NULL,
    propagated_tags     TEXT NOT NULL,
    access_log_location TEXT,
    creation_ms         BIGINT NOT NULL,
    update_ms           BIGINT NOT NULL
);
CREATE INDEX sequence_stores_by_account ON sequence_stores (account_id, creation_ms, id);

-- clientToken records: the first request with a token wins; `scope` names the operation (and the
-- resource for updates).
CREATE TABLE idempotency (
    account_id   TEXT NOT NULL,
    scope        TEXT NOT NULL,
    token        TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (account_id, scope, token)
);

-- Tags of every taggable resource, keyed by its ARN.
CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    tag_key      TEXT NOT NULL,
    tag_value    TEXT NOT NULL,
    PRIMARY KEY (resource_arn, tag_key)
);
