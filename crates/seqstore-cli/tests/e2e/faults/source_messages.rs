//! What the owner of an `s3://` source is told when it fails (issue 19, item 7), against moto and
//! the fault proxy: one sentence naming the source, what the endpoint answered (403, 404, 503, no
//! connection, a body cut for good), whether it was retried and what to do — never the role's
//! endpoint URL or the raw S3 answer (XML, `RequestId`, `HostId`), which go to the server's log.
//! Read set and reference imports alike.

use aws_sdk_omics::Client;
use aws_sdk_omics::types::ETagAlgorithmFamily;
use seqstore::config::{Location, Role};
use serde_json::Value;

use super::super::fastq_data::fastq;
use super::super::imports::{ROLE_A, import_config, raw_get, raw_job, source, start, wait};
use super::super::references::{import, ref_source, reference_store};
use super::super::support::{Backend, KEY_A, TestDb, TestServer, sdk};
use super::{FaultProxy, KIB, Plan, S3Server, reads};

/// moto with bucket `reads` behind the fault proxy, a bucket `closed` whose endpoint refuses
/// connections, and a server whose role reads both.
struct Rig {
    s3: S3Server,
    proxy: FaultProxy,
    server: TestServer,
    client: Client,
    store: String,
    _db: TestDb,
    _root: tempfile::TempDir,
}

impl Rig {
    async fn new() -> Option<Self> {
        let s3 = S3Server::start().await?;
        s3.create_bucket("reads");
        let proxy = FaultProxy::start(&s3.endpoint).await;
        // A loopback port nobody listens on: connections are refused.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address");
        let db = TestDb::new(Backend::chosen()).await.expect("database");
        let root = tempfile::tempdir().expect("root");
        let mut config = import_config(&db, root.path());
        let location = |uri: &str, endpoint: String| Location {
            uri: uri.into(),
            access: Default::default(),
            endpoint: Some(endpoint),
            region: Some("us-east-1".into()),
            path_style: true,
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
        };
        config.roles = vec![Role {
            arn: ROLE_A.into(),
            locations: vec![
                location("s3://reads/", proxy.endpoint.clone()),
                location("s3://closed/", format!("http://{closed}")),
            ],
        }];
        let server = TestServer::start(&config).await;
        let client = sdk(&server.endpoint, KEY_A);
        let store = super::super::imports::store(&client, ETagAlgorithmFamily::Md5Up).await;
        Some(Self { s3, proxy, server, client, store, _db: db, _root: root })
    }

    /// Imports `uri` as a read set; returns its `statusMessage` and `statusDetail`.
    async fn read_set(&self, uri: &str) -> (String, String) {
        let job = start(&self.client, &self.store, vec![source(uri, None)]).await;
        let done = wait(&self.client, &self.store, &job).await;
        let item = &done.sources()[0];
        assert_eq!(item.status().as_str(), "FAILED", "{uri}: {item:?}");
        let detail = raw_job(&self.server.endpoint, &self.store, &job).await;
        let detail = detail["sources"][0]["statusDetail"].as_str().unwrap_or_default().to_owned();
        (item.status_message().unwrap_or_default().to_owned(), detail)
    }
}

/// `message` and `detail` are one clean sentence about source `name` at `uri`: no endpoint, no
/// raw answer, nothing said twice, and whether it was retried.
fn assert_clean(name: &str, uri: &str, (message, detail): &(String, String), says: &str, retried: bool) {
    eprintln!("{uri}:\n  statusMessage {message:?}\n  statusDetail  {detail:?}");
    for text in [message, detail] {
        for internal in ["http://", "127.0.0.1", "<?xml", "<Error>", "RequestId", "RequestID", "HostId", "Generic S3"] {
            assert!(!text.contains(internal), "{internal:?} in {text:?}");
        }
        assert!(text.starts_with(&format!("{name}: {uri} could not be read")), "{text:?}");
    }
    assert_eq!(detail.matches(uri).count(), 1, "the source is named once: {detail:?}");
    assert_eq!(detail.matches("could not be read").count(), 1, "said once: {detail:?}");
    assert!(detail.contains(says), "{says:?} in {detail:?}");
    let retry = if retried { "given up after" } else { "not retried" };
    assert!(detail.contains(retry) && message.contains(retry), "{retry:?} in {message:?} and {detail:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_source_failures_say_what_the_endpoint_answered_in_one_sentence() {
    let Some(rig) = Rig::new().await else { return };
    let text = fastq(8, 50, 100, None);
    rig.s3.put("reads", "present.fq", text).await;

    let uri = "s3://reads/missing.fq";
    assert_clean(
        "source1",
        uri,
        &rig.read_set(uri).await,
        "404 Not Found (NoSuchKey): the object does not exist",
        false,
    );

    rig.proxy.set(Some(Plan::status_after(403, 0)));
    let uri = "s3://reads/present.fq";
    assert_clean("source1", uri, &rig.read_set(uri).await, "403 Forbidden (AccessDenied): access denied", false);

    rig.proxy.set(Some(Plan::status_after(503, 0)));
    assert_clean("source1", uri, &rig.read_set(uri).await, "503 Service Unavailable (SlowDown)", true);
    rig.proxy.set(None);

    let uri = "s3://closed/x.fq";
    assert_clean("source1", uri, &rig.read_set(uri).await, "the S3 endpoint could not be reached", true);

    // A body cut for good after 200 KiB: resumed, then given up.
    let (_, gz) = reads(9);
    rig.s3.put("reads", "cut.fq.gz", gz).await;
    rig.proxy.set(Some(Plan::status_after(500, 200 * KIB)));
    let uri = "s3://reads/cut.fq.gz";
    let said = rig.read_set(uri).await;
    rig.proxy.set(None);
    assert_clean("source1", uri, &said, "500 Internal Server Error (InternalError)", true);
    assert!(said.1.contains("attempts to resume"), "{said:?}");

    // Reference imports open their sources the same way.
    let references = reference_store(&rig.client).await;
    let uri = "s3://reads/missing.fa";
    let job = import(&rig.client, &references, vec![ref_source(uri, "genome")]).await;
    let path = format!("/referencestore/{references}/importjob/{}", job.id());
    let detail: Value = raw_get(&rig.server.endpoint, &path).await;
    let item = &detail["sources"][0];
    let text = |key: &str| item[key].as_str().unwrap_or_default().to_owned();
    let said = (text("statusMessage"), text("statusDetail"));
    assert_clean("sourceFile", uri, &said, "404 Not Found (NoSuchKey)", false);
}
