//! boto3 and the AWS CLI (from the repository's venv, made by `scripts/python-venv`) against the
//! `seqstore` binary with real keys: `tests/python/test_clients.py`, with a second server whose
//! upload processing is held by the worker throttle.

use std::path::PathBuf;
use std::process::Command;

use super::support::{KEY_A, KEY_B, Serve, in_ci};

#[test]
fn boto3_and_aws_cli() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("TEST_VENV").map_or_else(|| root.join(".venv"), PathBuf::from);
    let python = venv.join("bin/python");
    if !python.exists() {
        assert!(!in_ci(), "CI=true but {} is missing: run scripts/python-venv", python.display());
        eprintln!("skipping: {} is missing; run scripts/python-venv", python.display());
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("seqstore.toml");
    let key = |(id, secret, account): (&str, &str, &str)| {
        format!(
            "[[auth.keys]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{secret}\"\naccount_id = \"{account}\"\n"
        )
    };
    // Parts of 1 MiB (the minimum) instead of 100 MiB, so a read set of a few MB has several.
    let storage = "[storage]\npart_size = 1048576\n";
    std::fs::write(&config, key(KEY_A) + &key(KEY_B) + storage).expect("write config");
    let data = dir.path().join("data");
    // `file://` import sources: the Python tests write FASTQ files here.
    let files = dir.path().join("files");
    std::fs::create_dir(&files).expect("create files dir");
    let server = Serve::start(&[
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--data-dir".as_ref(),
        data.as_os_str(),
        "--file-root".as_ref(),
        files.as_os_str(),
    ]);
    let endpoint = server.endpoint.clone();
    // A second server whose workers read 1 KiB/s: a direct upload stays PROCESSING_UPLOAD there
    // for minutes, so a download right after the upload meets it (tests/python: "held").
    let held_config = dir.path().join("held.toml");
    let throttle = "[worker]\nthrottle_bytes_per_sec = 1024\n";
    std::fs::write(&held_config, key(KEY_A) + &key(KEY_B) + throttle).expect("write config");
    let held_data = dir.path().join("held-data");
    let held = Serve::start(&[
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--config".as_ref(),
        held_config.as_os_str(),
        "--data-dir".as_ref(),
        held_data.as_os_str(),
    ]);

    let output = Command::new(&python)
        .arg(root.join("crates/seqstore/tests/python/test_clients.py"))
        .env("TEST_ENDPOINT_URL", &endpoint)
        .env("TEST_HELD_ENDPOINT_URL", &held.endpoint)
        .env("TEST_REGION", "us-east-1")
        .env("TEST_KEY_A_ID", KEY_A.0)
        .env("TEST_KEY_A_SECRET", KEY_A.1)
        .env("TEST_ACCOUNT_A", KEY_A.2)
        .env("TEST_KEY_B_ID", KEY_B.0)
        .env("TEST_KEY_B_SECRET", KEY_B.1)
        .env("TEST_ACCOUNT_B", KEY_B.2)
        .env("TEST_AWS_CLI", venv.join("bin/aws"))
        .env("TEST_FILE_ROOT", &files)
        .env("TEST_DATA_DIR", root.join("testdata"))
        .output()
        .expect("run python");
    drop(server);
    drop(held);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "boto3/CLI tests failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("python-clients:") && stdout.contains(" 0 failed"), "{stdout}");
}
