-- /readyz commits an update of this one row: a committed write proves the database can write now
-- (a full disk fails it), where a query or a rolled-back write would not.
CREATE TABLE heartbeat (
    id BIGINT PRIMARY KEY,
    beat_ms BIGINT NOT NULL
);
INSERT INTO heartbeat (id, beat_ms) VALUES (1, 0);
