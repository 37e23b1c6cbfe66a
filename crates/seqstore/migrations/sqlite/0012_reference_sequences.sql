-- One row per sequence of each committed reference, for refget's lookup by digest without a scan
-- of `genome_references.sequences`: its MD5 and its GA4GH refget identifier (`SQ.…`; NULL until
-- the start-up backfill records it for references imported before identifiers were computed).
-- Rows are written in the transaction that commits their reference and deleted with it; a
-- lookup picks the oldest reference (creation_ms, reference_id) that holds the digest.
CREATE TABLE reference_sequences (
    reference_id TEXT NOT NULL,
    seq_index    BIGINT NOT NULL,
    account_id   TEXT NOT NULL,
    store_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    length       BIGINT NOT NULL,
    md5          TEXT NOT NULL,
    refget       TEXT,
    creation_ms  BIGINT NOT NULL,
    PRIMARY KEY (reference_id, seq_index)
);
CREATE INDEX reference_sequences_by_md5 ON reference_sequences (account_id, md5, creation_ms, reference_id);
CREATE INDEX reference_sequences_by_refget ON reference_sequences (account_id, refget, creation_ms, reference_id);

-- The sequences of references committed before, from their JSON (refget as recorded, if at all).
INSERT INTO reference_sequences
    (reference_id, seq_index, account_id, store_id, name, length, md5, refget, creation_ms)
SELECT g.id, s.key, g.account_id, g.store_id, json_extract(s.value, '$.name'),
       json_extract(s.value, '$.length'), json_extract(s.value, '$.md5'), json_extract(s.value, '$.refget'),
       g.creation_ms
FROM genome_references AS g, json_each(g.sequences) AS s;
