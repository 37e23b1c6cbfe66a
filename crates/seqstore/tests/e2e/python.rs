//! boto3 and the AWS CLI (from the repository's venv, made by `scripts/python-venv`) against the
//! `seqstore` binary with real keys: `tests/python/test_clients.py`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::support::{KEY_A, KEY_B, in_ci};

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
    std::fs::write(&config, key(KEY_A) + &key(KEY_B)).expect("write config");
    let mut server = Command::new(env!("CARGO_BIN_EXE_seqstore"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn seqstore");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout")).read_line(&mut line).expect("read");
    let endpoint = line.trim().trim_start_matches("seqstore listening on ").to_owned();

    let output = Command::new(&python)
        .arg(root.join("crates/seqstore/tests/python/test_clients.py"))
        .env("TEST_ENDPOINT_URL", &endpoint)
        .env("TEST_REGION", "us-east-1")
        .env("TEST_KEY_A_ID", KEY_A.0)
        .env("TEST_KEY_A_SECRET", KEY_A.1)
        .env("TEST_ACCOUNT_A", KEY_A.2)
        .env("TEST_KEY_B_ID", KEY_B.0)
        .env("TEST_KEY_B_SECRET", KEY_B.1)
        .env("TEST_ACCOUNT_B", KEY_B.2)
        .env("TEST_AWS_CLI", venv.join("bin/aws"))
        .output()
        .expect("run python");
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "boto3/CLI tests failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("python-clients:") && stdout.contains(" 0 failed"), "{stdout}");
}
