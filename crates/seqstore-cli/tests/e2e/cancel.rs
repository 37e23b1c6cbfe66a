//! Cancelling import jobs (the extension operations `POST …/importjob/{id}/cancel`): through
//! raw signed requests, the `seqstore jobs cancel` command and the dashboard's Cancel button, for
//! a job whose sources are finished, in progress (throttled) and not started; 404 for an unknown
//! job or another account's, 409 for a job that has ended; a SIGKILL during the cancellation and
//! a restart still end the job CANCELLED with only committed read sets' objects stored; and a
//! cross-site POST to the dashboard's cancel is refused, changing nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_omics::types::ETagAlgorithmFamily;
use seqstore::config::Config;
use serde_json::Value;

use super::cli::cli;
use super::fastq_data::fastq;
use super::imports::{import_config, source, start, store, write};
use super::references::{fasta, ref_source, reference_store};
use super::support::{
    Backend, KEY_A, KEY_B, Raw, Reply, Serve, TestDb, TestServer, object_dirs, on_both_backends, read_set_dirs, router,
    sdk, send, signed_http,
};
use super::ui::http;

const DEV_KEY: (&str, &str, &str) = ("AKIDDEV", "dev", "");
const DEV_ROLE: &str = "arn:aws:iam::123456789012:role/Import";
/// One worker reading 200 kB/s under 3-second leases.
const WORKER: &str = "[worker]\ncount = 1\nlease_seconds = 3\nthrottle_bytes_per_sec = 200000\n";

/// A config of one worker that reads 200 kB/s under 3-second leases: sources are taken one at a
/// time, in order.
fn slow_config(db: &TestDb, root: &Path) -> Config {
    let mut config = import_config(db, root);
    config.worker.count = 1;
    config.worker.lease_seconds = 3;
    config.worker.throttle_bytes_per_sec = 200_000;
    config
}

/// A small FASTQ (done in a fraction of a second) and a large one (about 10 s at the throttle).
fn small_and_large(root: &Path) -> (String, String) {
    (write(root, "small.fq", &fastq(1, 40, 150, None)), write(root, "large.fq", &fastq(2, 6000, 150, None)))
}

/// `key`'s raw signed request through `router`.
async fn signed(
    router: &axum::Router,
    method: &'static str,
    path: String,
    key: (&'static str, &'static str, &'static str),
) -> Reply {
    let mut raw = Raw::new(method, path, if method == "POST" { "{}" } else { "" });
    raw.key = Some(key);
    send(router, raw.build()).await
}

/// CancelReadSetImportJob by `key`.
async fn cancel(
    router: &axum::Router,
    store: &str,
    job: &str,
    key: (&'static str, &'static str, &'static str),
) -> Reply {
    signed(router, "POST", format!("/sequencestore/{store}/importjob/{job}/cancel"), key).await
}

/// GetReadSetImportJob by account A, as JSON.
async fn job(router: &axum::Router, store: &str, job: &str) -> Value {
    let reply = signed(router, "GET", format!("/sequencestore/{store}/importjob/{job}"), KEY_A).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json
}

/// Polls `read` until `done` holds (at most `seconds`); returns the last value.
async fn until<F: std::future::Future<Output = Value>>(
    seconds: u64,
    what: &str,
    mut read: impl FnMut() -> F,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let value = read().await;
        if done(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{what} not seen: {value}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Source 0 FINISHED and source 1 IN_PROGRESS with bytes read.
fn first_done_second_reading(job: &Value) -> bool {
    job["sources"][0]["status"] == "FINISHED"
        && job["sources"][1]["status"] == "IN_PROGRESS"
        && job["sources"][1]["bytesProcessed"].as_i64().unwrap_or(0) > 0
}

/// Checks the end of a cancelled three-source job (finished, in progress, not started) and
/// returns the finished source's read set.
fn assert_cancelled(job: &Value) -> String {
    assert_eq!(job["status"], "CANCELLED", "{job}");
    assert!(job["statusMessage"].as_str().unwrap_or_default().starts_with("cancelled"), "{job}");
    assert!(job["completionTime"].is_string(), "{job}");
    let sources = job["sources"].as_array().expect("sources");
    assert_eq!(sources[0]["status"], "FINISHED", "{job}");
    for s in &sources[1..] {
        assert_eq!((&s["status"], &s["statusMessage"]), (&Value::from("FAILED"), &Value::from("cancelled")), "{job}");
        assert!(s.get("readSetId").is_none(), "{job}");
    }
    sources[0]["readSetId"].as_str().expect("read set of the finished source").to_owned()
}

/// A server of account A's with one slow worker ([`slow_config`]) and a job of three sources
/// (small, large, small) whose first is finished and second is being read.
struct Running {
    server: TestServer,
    router: axum::Router,
    client: aws_sdk_omics::Client,
    config: Config,
    store: String,
    id: String,
    small: String,
    root: tempfile::TempDir,
    _db: TestDb,
}

impl Running {
    async fn start(backend: Backend) -> Option<Self> {
        let db = TestDb::new(backend).await?;
        let root = tempfile::tempdir().expect("root");
        let config = slow_config(&db, root.path());
        let server = TestServer::start(&config).await;
        let router = router(&config).await;
        let client = sdk(&server.endpoint, KEY_A);
        let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
        let (small, large) = small_and_large(root.path());
        let id = start(&client, &store, vec![source(&small, None), source(&large, None), source(&small, None)]).await;
        let reading = || job(&router, &store, &id);
        let seen = until(30, "source 0 finished, source 1 reading", reading, first_done_second_reading).await;
        assert_eq!(seen["status"], "IN_PROGRESS");
        Some(Self { server, router, client, config, store, id, small, root, _db: db })
    }
}

async fn cancels_finished_running_and_waiting_sources(backend: Backend) {
    let Some(Running { server, router, client, config, store, id, small, root, _db }) = Running::start(backend).await
    else {
        return;
    };

    // A reference job submitted now waits for the one worker: cancelled at once.
    let refs = reference_store(&client).await;
    let genome = write(root.path(), "genome.fa", &fasta(3, &[("chr1", 2000, 60)]));
    let ref_job = client
        .start_reference_import_job()
        .reference_store_id(&refs)
        .role_arn(super::imports::ROLE_A)
        .sources(ref_source(&genome, "genome"))
        .send()
        .await
        .expect("reference import")
        .id()
        .to_owned();

    let path = format!("/referencestore/{refs}/importjob/{ref_job}/cancel");
    let reply = signed(&router, "POST", path.clone(), KEY_A).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["status"], "CANCELLED", "nothing was in progress: {:?}", reply.json);
    assert_eq!(reply.json["referenceStoreId"], refs.as_str());
    assert_eq!(reply.json["sources"][0]["status"], "FAILED");
    assert_eq!(reply.json["sources"][0]["statusMessage"], "cancelled");
    let again = signed(&router, "POST", path, KEY_A).await;
    assert_eq!((again.status, again.error_type()), (409, "ConflictException"), "{:?}", again.json);
    let missing = signed(&router, "POST", format!("/referencestore/{refs}/importjob/9999999999/cancel"), KEY_A).await;
    assert_eq!((missing.status, missing.error_type()), (404, "ResourceNotFoundException"));

    // Another account's job and an unknown one are 404, and change nothing.
    for (job_id, key) in [(id.as_str(), KEY_B), ("9999999999", KEY_A)] {
        let reply = cancel(&router, &store, job_id, key).await;
        assert_eq!((reply.status, reply.error_type()), (404, "ResourceNotFoundException"), "{:?}", reply.json);
    }
    assert_eq!(job(&router, &store, &id).await["status"], "IN_PROGRESS");

    let cancelled_at = Instant::now();
    let reply = cancel(&router, &store, &id, KEY_A).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let body = &reply.json;
    assert_eq!(body["status"], "CANCELLING", "{body}");
    assert_eq!(body["sequenceStoreId"], store.as_str());
    assert_eq!(body["sources"][0]["status"], "FINISHED", "{body}");
    assert_eq!(body["sources"][1]["status"], "IN_PROGRESS", "{body}");
    assert_eq!(
        (&body["sources"][2]["status"], &body["sources"][2]["statusMessage"]),
        (&"FAILED".into(), &"cancelled".into())
    );
    // Cancelling again while CANCELLING answers the job as it is.
    let again = cancel(&router, &store, &id, KEY_A).await;
    match again.json["status"].as_str() {
        Some("CANCELLING") => assert_eq!(again.status, 200),
        _ => assert_eq!((again.status, again.error_type()), (409, "ConflictException"), "{:?}", again.json),
    }

    let done = until(15, "CANCELLED", || job(&router, &store, &id), |j| j["status"] == "CANCELLED").await;
    let stopped = cancelled_at.elapsed();
    assert!(stopped < Duration::from_secs(3 + 3), "stopped within the lease: {stopped:?}");
    let kept = assert_cancelled(&done);
    assert_eq!(read_set_dirs(&config).await, std::slice::from_ref(&kept), "only the finished source's objects remain");
    let listed = client.list_read_sets().sequence_store_id(&store).send().await.expect("list");
    let ids: Vec<&str> = listed.read_sets().iter().map(|r| r.id()).collect();
    assert_eq!(ids, [kept.as_str()]);
    let ended = cancel(&router, &store, &id, KEY_A).await;
    assert_eq!((ended.status, ended.error_type()), (409, "ConflictException"), "{:?}", ended.json);
    assert!(ended.message().contains("CANCELLED"), "{}", ended.message());

    // A completed job cannot be cancelled.
    let completed = start(&client, &store, vec![source(&small, None)]).await;
    until(30, "COMPLETED", || job(&router, &store, &completed), |j| j["status"] == "COMPLETED").await;
    let reply = cancel(&router, &store, &completed, KEY_A).await;
    assert_eq!((reply.status, reply.error_type()), (409, "ConflictException"), "{:?}", reply.json);
    assert!(reply.message().contains("COMPLETED"), "{}", reply.message());
    server.stop().await;
}

async fn the_cli_cancels_jobs(backend: Backend) {
    let Some(Running { server, router, client, config, store, id, _db, .. }) = Running::start(backend).await else {
        return;
    };

    let endpoint = server.endpoint.clone();
    let run = tokio::task::spawn_blocking({
        let (endpoint, store, id) = (endpoint.clone(), store.clone(), id.clone());
        move || cli(&endpoint, &["jobs", "cancel", "--store", &store, &id])
    })
    .await
    .expect("cli");
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.contains("CANCELLING"), "{}", run.stdout);
    assert!(run.stdout.contains("cancelled"), "{}", run.stdout);

    let done = until(15, "CANCELLED", || job(&router, &store, &id), |j| j["status"] == "CANCELLED").await;
    let kept = assert_cancelled(&done);
    assert_eq!(read_set_dirs(&config).await, [kept]);

    let refs = reference_store(&client).await;
    let runs = tokio::task::spawn_blocking(move || {
        let ended = cli(&endpoint, &["jobs", "cancel", "--store", &store, &id, "--json"]);
        let missing = cli(&endpoint, &["jobs", "cancel", "--reference-store", &refs, "9999999999"]);
        let neither = cli(&endpoint, &["jobs", "cancel", &id]);
        (ended, missing, neither)
    })
    .await
    .expect("cli");
    let (ended, missing, neither) = runs;
    assert!(!ended.ok && ended.stderr.contains("ConflictException"), "{}", ended.stderr);
    assert!(!missing.ok && missing.stderr.contains("ResourceNotFoundException"), "{}", missing.stderr);
    assert!(!neither.ok && neither.stderr.contains("--store"), "{}", neither.stderr);
    server.stop().await;
}

/// `method path` signed with the dev key, sent to a real listener; the answer's JSON.
async fn dev_request(endpoint: &str, method: &'static str, path: String) -> Value {
    signed_http(endpoint, method, path, DEV_KEY).await
}

/// GetReadSetImportJob as the dev account.
async fn dev_job(endpoint: &str, store: &str, job: &str) -> Value {
    dev_request(endpoint, "GET", format!("/sequencestore/{store}/importjob/{job}")).await
}

/// Submits a read set import job as the dev account.
async fn dev_start(client: &aws_sdk_omics::Client, store: &str, uris: &[&str]) -> String {
    let job = client
        .start_read_set_import_job()
        .sequence_store_id(store)
        .role_arn(DEV_ROLE)
        .set_sources(Some(uris.iter().map(|u| source(u, None)).collect()))
        .send()
        .await
        .expect("start");
    job.id().to_owned()
}

/// `seqstore serve` is killed with SIGKILL right after a job with a source in progress was
/// cancelled (before its attempt saw it) and restarted: the resumed source is not started again
/// but fails `cancelled`, the job ends CANCELLED, and storage holds only the finished source's
/// read set.
async fn sigkill_during_cancellation(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("sources");
    let data = db.dir().join("data");
    let config_file = db.dir().join("seqstore.toml");
    std::fs::write(&config_file, format!("[database]\nurl = \"{}\"\n\n{WORKER}", db.url)).expect("config");
    let mut args: Vec<std::ffi::OsString> = vec!["--listen".into(), "127.0.0.1:0".into()];
    for (flag, value) in [("--data-dir", &data), ("--file-root", &root), ("--config", &config_file)] {
        args.push(flag.into());
        args.push(value.as_os_str().to_owned());
    }
    let (small, large) = small_and_large(&root);

    let serve = Serve::start_on(&args, &db.storage);
    let client = sdk(&serve.endpoint, DEV_KEY);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let id = dev_start(&client, &store, &[&small, &large, &small]).await;
    let endpoint = serve.endpoint.clone();
    until(30, "source 0 finished, source 1 reading", || dev_job(&endpoint, &store, &id), first_done_second_reading)
        .await;
    let path = format!("/sequencestore/{store}/importjob/{id}/cancel");
    let cancelled = dev_request(&serve.endpoint, "POST", path).await;
    serve.kill();
    assert_eq!(cancelled["status"], "CANCELLING", "{cancelled}");

    let serve = Serve::start_on(&args, &db.storage);
    let endpoint = serve.endpoint.clone();
    let done = until(30, "CANCELLED", || dev_job(&endpoint, &store, &id), |j| j["status"] == "CANCELLED").await;
    let kept = assert_cancelled(&done);
    let config = Config { data_dir: data.clone(), storage: db.storage.config.clone(), ..Config::default() };
    let dirs = object_dirs(&config).await;
    assert_eq!(dirs, [(store.clone(), "readSet".to_owned(), kept)], "objects of committed read sets only");
    serve.terminate();
}

/// The dashboard in dev mode: the job page offers Cancel, its confirmation page carries the CSRF
/// token; POSTs from another origin, without an origin, without or with a wrong token are refused
/// (403) and change nothing; the dashboard's own POST cancels the job.
async fn dashboard_cancel_refuses_cross_site_posts(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let mut config = slow_config(&db, root.path());
    config.auth.keys.clear();
    let server = TestServer::start(&config).await;
    let endpoint = server.endpoint.clone();
    let client = sdk(&endpoint, DEV_KEY);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let (_, large) = small_and_large(root.path());
    let id = dev_start(&client, &store, &[&large, &large]).await;
    let page = format!("/ui/stores/{store}/jobs/{id}");
    let shown = http(&endpoint, "GET", &page, None, &[], "").await;
    assert_eq!(shown.status, 200);
    assert!(shown.text().contains("id=\"cancel-job\""), "{}", shown.text());
    let confirm = http(&endpoint, "GET", &format!("{page}/cancel"), None, &[], "").await;
    assert_eq!(confirm.status, 200);
    let text = confirm.text();
    let token = text.split("name=\"csrf\" value=\"").nth(1).and_then(|t| t.split('"').next()).expect("token");
    let form = format!("csrf={token}");
    let own = endpoint.as_str();

    /// Extra headers, form body, what is wrong with the request.
    type Refused<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let refused: [Refused<'_>; 6] = [
        (&[("origin", "http://evil.example")], &form, "another origin"),
        (&[("origin", "null")], &form, "an opaque origin"),
        (&[("sec-fetch-site", "cross-site")], &form, "a cross-site fetch without Origin"),
        (&[], &form, "no Origin, no Sec-Fetch-Site"),
        (&[("origin", own)], "", "no token"),
        (&[("origin", own)], "csrf=forged", "a wrong token"),
    ];
    for (headers, body, what) in refused {
        let reply = http(&endpoint, "POST", &format!("{page}/cancel"), None, headers, body).await;
        assert_eq!(reply.status, 403, "{what}: {}", reply.text());
    }
    let unchanged = dev_job(&endpoint, &store, &id).await;
    assert!(matches!(unchanged["status"].as_str(), Some("SUBMITTED" | "IN_PROGRESS")), "{unchanged}");
    assert!(unchanged["sources"].as_array().expect("sources").iter().all(|s| s["status"] != "FAILED"), "{unchanged}");

    let done = http(&endpoint, "POST", &format!("{page}/cancel"), None, &[("origin", own)], &form).await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(done.header("location"), Some(page.as_str()));
    let job = until(15, "CANCELLED", || dev_job(&endpoint, &store, &id), |j| j["status"] == "CANCELLED").await;
    assert_eq!(job["sources"][1]["statusMessage"], "cancelled", "{job}");
    assert!(read_set_dirs(&config).await.is_empty());
    let after = http(&endpoint, "GET", &page, None, &[], "").await;
    assert!(!after.text().contains("id=\"cancel-job\""), "no Cancel button on a cancelled job");
    server.stop().await;
}

on_both_backends!(
    cancels_finished_running_and_waiting_sources,
    the_cli_cancels_jobs,
    sigkill_during_cancellation,
    dashboard_cancel_refuses_cross_site_posts,
);
