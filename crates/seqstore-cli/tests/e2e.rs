//! End-to-end tests: the official `aws-sdk-omics` client, raw SigV4-signed requests (signed with
//! the `aws-sigv4` crate), the `seqstore` binary, boto3, the AWS CLI and the JavaScript SDK,
//! against real servers on SQLite and PostgreSQL, with their data on local disk or
//! (`SEQSTORE_TEST_STORAGE=s3`) in moto.
//!
//! PostgreSQL tests read `TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`); each
//! test creates and drops its own database. Without the variable they are skipped, unless
//! `CI=true`, where a missing database fails them.

mod e2e {
    mod aligned;
    mod aligned_corpus;
    mod aligned_failures;
    mod aligned_generated;
    mod backup;
    mod binary;
    mod bomb_data;
    mod cancel;
    mod cli;
    mod cli_first_hour;
    mod cli_qc;
    mod client_servers;
    mod crash_safety;
    mod data_dir_lock;
    mod db_conformance;
    mod db_health;
    mod disk_full;
    mod exports;
    mod fastq_data;
    mod fault_proxy;
    mod faults;
    mod file_names;
    mod first_hour;
    mod htsget;
    mod import_failures;
    mod import_recovery;
    mod imports;
    mod job_locks;
    mod js;
    pub mod malformed;
    mod model_outputs;
    mod not_active;
    mod python;
    mod qc;
    mod raw;
    mod read_set_access;
    mod read_sets;
    mod references;
    mod refget;
    mod s3;
    mod s3_access_policies;
    mod s3_api;
    mod s3_members;
    mod s3_storage;
    mod scale_out;
    mod sdk;
    mod security;
    mod storage_conformance;
    mod stored_md5;
    pub mod support;
    mod tiers;
    mod tiers_crash;
    mod ui;
    mod ui_browser;
    mod ui_qc_browser;
    mod uploads;
    mod verify;
}
