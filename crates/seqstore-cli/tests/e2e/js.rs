//! The JavaScript SDK (`@aws-sdk/client-omics`, installed by `scripts/js-deps` from
//! `tests/js/package-lock.json`) against the `seqstore` binary with real keys:
//! `tests/js/test_clients.mjs` calls every operation the router implements (the list is passed in,
//! from `seqstore::api::implements` over the model) with its commands, paginators, waiters and
//! streaming downloads, and checks what the SDK parsed from each response against the model and
//! the README's documented omissions.

use std::path::PathBuf;
use std::process::Command;

use seqstore::api::botocore::MODEL;

use super::client_servers::ClientServers;
use super::support::in_ci;

#[test]
fn javascript_sdk_accepts_every_response() {
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let node = std::env::var_os("TEST_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from);
    let version = Command::new(&node).arg("--version").output();
    let sdk = js.join("node_modules/@aws-sdk/client-omics/package.json");
    let missing = match version {
        Ok(out) if out.status.success() => {
            (!sdk.exists()).then(|| format!("{} is missing: run scripts/js-deps", sdk.display()))
        }
        _ => Some(format!(
            "{} (Node.js) is not installed: install Node.js 20 or later and npm, then run scripts/js-deps",
            node.display()
        )),
    };
    if let Some(missing) = missing {
        assert!(!in_ci(), "CI=true but {missing}");
        eprintln!("skipping: {missing}");
        return;
    }
    let operations: Vec<&str> =
        MODEL.operations.iter().map(|op| op.name.as_str()).filter(|name| seqstore::api::implements(name)).collect();

    let servers = ClientServers::start();
    let output = servers
        .env(&mut Command::new(&node))
        .arg(js.join("test_clients.mjs"))
        .current_dir(&js)
        .env("TEST_OPERATIONS", operations.join(","))
        .output()
        .expect("run node");
    drop(servers);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "JavaScript SDK tests failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("js-clients:") && stdout.contains(" 0 failed"), "{stdout}");
}
