//! The `seqstore` binary: dev mode, the non-loopback refusal, `seqstore config`, graceful shutdown;
//! what `serve` tells a newcomer (the dashboard, where the data lives, how to stop), a browser at
//! the printed URL sent to the dashboard, and dashboard requests logged like API requests.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::support::{Serve, code, sdk, seqstore_command};
use super::ui::http;

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

/// `seqstore serve` in dev mode on 127.0.0.1:0 with `args`, stdout and stderr piped: the child and
/// the URL of its first stdout line.
fn serve_piped(data: &std::path::Path, args: &[&str]) -> (std::process::Child, String) {
    let mut child = seqstore_command()
        .args(args)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn seqstore");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("read stdout");
    let url = first.trim().strip_prefix("seqstore listening on ").unwrap_or_else(|| panic!("first line: {first:?}"));
    (child, url.to_owned())
}

/// Collects `child`'s stderr lines in the background.
fn stderr_lines(child: &mut std::process::Child) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (stderr, into) = (child.stderr.take().expect("stderr"), lines.clone());
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            into.lock().expect("lines").push(line);
        }
    });
    lines
}

/// Waits up to 10 s for a line of `lines` that `matches`; all lines so far.
fn until_line(lines: &std::sync::Mutex<Vec<String>>, matches: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = lines.lock().expect("lines").clone();
        if now.iter().any(|l| matches(l)) {
            return now;
        }
        assert!(Instant::now() < deadline, "no such line on stderr:\n{}", now.join("\n"));
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `serve` keeps `seqstore listening on URL` as its first stdout line and tells on stderr the
/// dashboard's URL, the S3 endpoint, where the data lives and how to stop; a browser opening the
/// URL is sent to the dashboard, its icon is served, and a dashboard request is logged with the
/// fields of an API request's line (as text, and as JSON with `--log-format json`).
#[tokio::test]
async fn serve_says_where_everything_is_and_a_browser_finds_the_dashboard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (mut child, url) = serve_piped(&data, &[]);
    let lines = stderr_lines(&mut child);
    let told = until_line(&lines, |l| l == "Ctrl-C to stop.");
    let text = told.join("\n");
    let s3 = told.iter().find_map(|l| l.strip_prefix("seqstore S3 endpoint listening on ")).expect("the S3 line");
    assert!(s3.starts_with("http://127.0.0.1:") && s3 != url, "{text}");
    let data = data.display().to_string();
    for expected in [
        format!("dashboard:      {url}/ui/"),
        format!("data directory: {data}"),
        format!("objects:        {data}/objects"),
        format!("archive:        {data}/archive"),
        format!("database:       sqlite://{data}/seqstore.db"),
    ] {
        assert!(told.iter().any(|l| l.trim_start().starts_with(&expected)), "{expected:?} in:\n{text}");
    }

    let accept = ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    let browser = http(&url, "GET", "/", None, &[accept], "").await;
    assert_eq!((browser.status, browser.header("location")), (303, Some("/ui/")), "{}", browser.head);
    let dashboard = http(&url, "GET", "/ui/", None, &[accept], "").await;
    assert_eq!(dashboard.status, 200, "dev mode opens the dashboard: {}", dashboard.text());
    let icon = http(&url, "GET", "/favicon.ico", None, &[], "").await;
    assert_eq!((icon.status, icon.header("content-type")), (200, Some("image/x-icon")), "{}", icon.head);
    assert_eq!(&icon.body[..4], &[0, 0, 1, 0], "an ICO");
    let logged = until_line(&lines, |l| l.contains("operation=\"dashboard\"") && l.contains("path=/ui/ "));
    let line = logged.iter().find(|l| l.contains("operation=\"dashboard\"") && l.contains("path=/ui/ ")).expect("line");
    for field in ["request_id=", "method=GET", "status=200", "latency_ms=", "account=\"123456789012\""] {
        assert!(line.contains(field), "{field} in {line}");
    }
    child.kill().expect("kill");
    child.wait().expect("reap");

    let json_dir = tempfile::tempdir().expect("tempdir");
    let (mut child, url) = serve_piped(&json_dir.path().join("data"), &["--log-format", "json"]);
    let lines = stderr_lines(&mut child);
    let parsed = |lines: &[String]| -> Vec<serde_json::Value> {
        lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect()
    };
    let told = until_line(&lines, |l| l.contains("Ctrl-C to stop"));
    let announced = parsed(&told)
        .into_iter()
        .find(|l| l["fields"]["message"].as_str().is_some_and(|m| m.contains("Ctrl-C to stop")))
        .expect("the announcement");
    assert_eq!(announced["fields"]["dashboard"], format!("{url}/ui/"), "{announced}");
    assert!(announced["fields"]["database"].as_str().is_some_and(|d| d.starts_with("sqlite://")), "{announced}");
    assert_eq!(http(&url, "GET", "/ui/throughput", None, &[], "").await.status, 200);
    let logged = until_line(&lines, |l| l.contains("\"path\":\"/ui/throughput\""));
    let request = parsed(&logged).into_iter().find(|l| l["fields"]["path"] == "/ui/throughput").expect("request line");
    assert_eq!(request["fields"]["message"], "request", "{request}");
    assert_eq!(request["fields"]["operation"], "dashboard", "{request}");
    assert_eq!(request["fields"]["method"], "GET", "{request}");
    assert_eq!(request["fields"]["status"], 200, "{request}");
    assert!(request["fields"]["latency_ms"].as_f64().is_some(), "{request}");
    assert!(request["span"]["request_id"].as_str().is_some_and(|id| id.len() == 36), "{request}");
    child.kill().expect("kill");
    child.wait().expect("reap");
}
