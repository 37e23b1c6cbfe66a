//! boto3 and the AWS CLI (from the repository's venv, made by `scripts/python-venv`) against the
//! `seqstore` binary with real keys: `tests/python/test_clients.py`, with a second server whose
//! upload processing is held by the worker throttle; and [`run_client_script`], which runs any such
//! script against the client servers.

use std::path::PathBuf;
use std::process::Command;

use super::client_servers::ClientServers;
use super::support::in_ci;

/// Runs `tests/python/{script}` with the venv's Python against fresh [`ClientServers`] (their
/// variables set, `TEST_AWS_CLI` the venv's `aws`) and asserts that it passed and printed
/// `{marker}: N passed, 0 failed`. Skipped without the venv, except under `CI=true`.
pub fn run_client_script(script: &str, marker: &str) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("TEST_VENV").map_or_else(|| root.join(".venv"), PathBuf::from);
    let python = venv.join("bin/python");
    if !python.exists() {
        assert!(!in_ci(), "CI=true but {} is missing: run scripts/python-venv", python.display());
        eprintln!("skipping: {} is missing; run scripts/python-venv", python.display());
        return;
    }
    let servers = ClientServers::start();
    let output = servers
        .env(&mut Command::new(&python))
        .arg(root.join("crates/seqstore-cli/tests/python").join(script))
        .env("TEST_AWS_CLI", venv.join("bin/aws"))
        .output()
        .expect("run python");
    drop(servers);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{marker}:")) && stdout.contains(" 0 failed"), "{stdout}");
}

#[test]
fn boto3_and_aws_cli() {
    run_client_script("test_clients.py", "python-clients");
}

/// Storage tiers through boto3 and the AWS CLI, waiters included (`tests/python/test_tiers.py`).
#[test]
fn boto3_and_aws_cli_archive_and_activate() {
    run_client_script("test_tiers.py", "python-tiers");
}
