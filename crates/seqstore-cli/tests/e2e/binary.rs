//! The `seqstore` binary: dev mode, the non-loopback refusal, `seqstore config`, graceful shutdown.

use super::support::{Serve, code, sdk, seqstore_command};

#[tokio::test]
async fn dev_mode_accepts_any_credentials_on_loopback_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let serve = Serve::start(&["--listen", "127.0.0.1:0", "--data-dir", data.to_str().expect("utf-8")]);
    assert!(serve.endpoint.starts_with("http://127.0.0.1:"), "{}", serve.endpoint);
    for key in [("AKIDANY", "any-secret", ""), ("other", "x", "")] {
        let client = sdk(&serve.endpoint, key);
        let store = client.create_sequence_store().name("dev").send().await.expect("dev mode accepts any key");
        assert!(store.arn().contains(":123456789012:sequenceStore/"), "{}", store.arn());
    }
    // Everything but the HMAC is still checked: a wrong region is refused.
    let wrong_region = aws_sdk_omics::Client::from_conf(
        sdk(&serve.endpoint, ("AKIDANY", "s", ""))
            .config()
            .to_builder()
            .region(aws_sdk_omics::config::Region::new("eu-west-1"))
            .build(),
    );
    let err = wrong_region.list_sequence_stores().send().await.expect_err("wrong scope");
    assert_eq!(code(&err), "InvalidSignatureException");
    assert!(data.join("seqstore.db").exists(), "SQLite in the data directory by default");
    assert!(serve.terminate().success(), "graceful shutdown exits 0");
}

#[test]
fn dev_mode_refuses_a_non_loopback_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = seqstore_command()
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("RUST_LOG")
        .output()
        .expect("run seqstore");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[[auth.keys]]") && stderr.contains("0.0.0.0"), "{stderr}");
    assert!(!dir.path().join("seqstore.db").exists(), "refused before touching the data directory");
}

/// The S3 endpoint's address falls under the same rule: dev mode binds loopback only.
#[test]
fn dev_mode_refuses_a_non_loopback_s3_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = seqstore_command()
        .args(["serve", "--listen", "127.0.0.1:0", "--s3-listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("RUST_LOG")
        .output()
        .expect("run seqstore");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[[auth.keys]]") && stderr.contains("0.0.0.0"), "{stderr}");
    assert!(!dir.path().join("seqstore.db").exists(), "refused before touching the data directory");
}

#[test]
fn config_prints_the_effective_configuration_with_secrets_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("seqstore.toml");
    std::fs::write(
        &file,
        "region = \"eu-west-1\"\n[auth]\ntoken_key = \"very-secret-token-key\"\n[[auth.keys]]\naccess_key_id = \"AKID1\"\n\
         secret_access_key = \"very-secret-key\"\naccount_id = \"111122223333\"\n",
    )
    .expect("write config");
    let output = seqstore_command()
        .args(["config", "--listen", "0.0.0.0:9000", "--config"])
        .arg(&file)
        .env("SEQSTORE_DATABASE__URL", "postgres://seq:pgpassword@db.example:5432/seq")
        .env("SEQSTORE_QUOTAS__SEQUENCE_STORES", "7")
        .output()
        .expect("run seqstore config");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let printed: toml::Table = toml::from_str(&text).expect("prints TOML");
    assert_eq!(printed["listen"].as_str(), Some("0.0.0.0:9000"), "flags win");
    assert_eq!(printed["region"].as_str(), Some("eu-west-1"), "file applies");
    assert_eq!(printed["quotas"]["sequence_stores"].as_integer(), Some(7), "environment applies");
    assert_eq!(printed["auth"]["keys"][0]["account_id"].as_str(), Some("111122223333"));
    for secret in ["very-secret-token-key", "very-secret-key", "pgpassword"] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }

    let unknown = seqstore_command().args(["config"]).env("SEQSTORE_LISTN", "x").output().expect("run");
    assert!(!unknown.status.success(), "unknown environment keys are rejected");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("listn"));
}
