-- The S3 access policy of each store's access point (sequence and reference stores; store ids are
-- unique across the server), once PutS3AccessPolicy or DeleteS3AccessPolicy was called for it:
-- `policy` is the JSON text as it was put, NULL records a deletion (the store grants no S3 access,
-- its owner's included). A store without a row has the default policy (the owner account reads
-- everything), made when it is asked for. The row goes with its store.
CREATE TABLE s3_access_policies (
    store_id   TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    policy     TEXT,
    update_ms  BIGINT NOT NULL
);
