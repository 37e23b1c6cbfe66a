//! Shared test fixtures: servers on 127.0.0.1:0, fresh PostgreSQL databases, the storage of test
//! servers (local, or S3 with `SEQSTORE_TEST_STORAGE=s3`) and a view of it that works for both,
//! SDK clients whose DNS maps the SDK's host prefixes to the listener, and raw requests signed with
//! `aws-sigv4`.
//!
//! Environment switches: `SEQSTORE_TEST_STORAGE=s3` puts the data of every test server (in
//! process or `seqstore serve`) into one moto server shared by the test process, under a fresh
//! prefix per test that is emptied at its end; `SEQSTORE_TEST_BACKEND=postgres` runs the tests
//! that use one database on PostgreSQL instead of SQLite.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_omics::config::{BehaviorVersion, Region};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns};
use axum::body::Body;
use futures_util::{StreamExt, TryStreamExt};
use http_body_util::BodyExt;
use object_store::ObjectStoreExt;
use seqstore::config::{AccessKey, Config};
use seqstore::config::{ArchiveStorageConfig, StorageConfig, StorageKind};
use seqstore::db::Db;
use seqstore::server::Server;
use seqstore::storage::objects::DataStore;
use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tower::ServiceExt;

/// The `seqstore` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_seqstore");

/// The test switches, which the binary would take for configuration keys (`SEQSTORE_*`).
const SWITCHES: [&str; 2] = ["SEQSTORE_TEST_STORAGE", "SEQSTORE_TEST_BACKEND"];

/// A command running [`BIN`] without the test switches in its environment.
pub fn seqstore_command() -> Command {
    let mut command = Command::new(BIN);
    for switch in SWITCHES {
        command.env_remove(switch);
    }
    // Servers of tests run side by side: each S3 endpoint takes a free port (a test that reads it
    // parses the stderr announcement; `--s3-listen` overrides this).
    command.env(S3_LISTEN_ENV, "127.0.0.1:0");
    command
}

/// The environment variable of `s3_api.listen`.
pub const S3_LISTEN_ENV: &str = "SEQSTORE_S3_API__LISTEN";

/// Key of account A.
pub const KEY_A: (&str, &str, &str) = ("AKIDTESTACCOUNTA", "secret-of-account-a", "111111111111");
/// Key of account B.
pub const KEY_B: (&str, &str, &str) = ("AKIDTESTACCOUNTB", "secret-of-account-b", "222222222222");

/// True when running under CI, where missing databases and tools fail tests instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Declares one `#[tokio::test]` per backend for each `async fn NAME(Backend)` listed:
/// `NAME_on_sqlite` and `NAME_on_postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::Backend::Sqlite).await;
            })*
        }
        mod on_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::Backend::Postgres).await;
            })*
        }
    };
}
pub(crate) use on_both_backends;

/// Which metadata database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file in a temporary directory.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

impl Backend {
    /// The backend of tests that use one: PostgreSQL with `SEQSTORE_TEST_BACKEND=postgres`, else
    /// SQLite.
    pub fn chosen() -> Self {
        match std::env::var("SEQSTORE_TEST_BACKEND").as_deref() {
            Ok("postgres") => Self::Postgres,
            Ok("sqlite") | Err(_) => Self::Sqlite,
            Ok(other) => panic!("SEQSTORE_TEST_BACKEND must be sqlite or postgres, not {other}"),
        }
    }
}

/// A database for one test: a SQLite file or a PostgreSQL database dropped at the end, with the
/// storage the test's servers use.
pub struct TestDb {
    /// URL to give seqstore.
    pub url: String,
    /// Storage of the test's servers.
    pub storage: TestStorage,
    dir: TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh database; `None` (test skipped) when PostgreSQL is asked for but not configured
    /// outside CI.
    pub async fn new(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("tempdir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                Some(Self { url, storage: TestStorage::new(), dir, pg: None })
            }
            Backend::Postgres => {
                let Ok(admin) = std::env::var("TEST_POSTGRES_URL") else {
                    assert!(!in_ci(), "CI=true but TEST_POSTGRES_URL is not set");
                    eprintln!("skipping: TEST_POSTGRES_URL is not set");
                    return None;
                };
                let name = format!("seqstore_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::connect(&admin).await.expect("connect to TEST_POSTGRES_URL");
                conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create database");
                let url = with_database(&admin, &name);
                Some(Self { url, storage: TestStorage::new(), dir, pg: Some((admin, name)) })
            }
        }
    }

    /// A temporary directory that lives as long as the database.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else { return };
        // Drop runs outside any runtime guarantee: use a private one on a plain thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                }
            });
        })
        .join();
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The storage of one test's servers, as `SEQSTORE_TEST_STORAGE` chooses: local (each server's
/// `{data_dir}/objects`), or a fresh prefix in [`super::s3::DATA_BUCKET`] of the shared moto
/// server, whose objects are deleted when this is dropped.
pub struct TestStorage {
    /// The `[storage]` table to give seqstore (`part_size` left at its default).
    pub config: StorageConfig,
    /// The `[archive.storage]` table: local (`{data_dir}/archive`) beside local storage; beside
    /// S3 storage a fresh prefix in [`super::s3::ARCHIVE_BUCKET`], written as `STANDARD_IA`.
    pub archive: ArchiveStorageConfig,
}

impl TestStorage {
    /// Local storage and a local archive, whatever the environment asks for.
    pub fn local() -> Self {
        Self { config: StorageConfig::default(), archive: ArchiveStorageConfig::default() }
    }

    /// A fresh storage of the kind the environment asks for.
    pub fn new() -> Self {
        let mut config = StorageConfig::default();
        if storage_kind() == StorageKind::S3 {
            let server = super::s3::S3Server::shared();
            config.kind = StorageKind::S3;
            config.bucket = Some(super::s3::DATA_BUCKET.into());
            config.prefix = format!("t-{}", uuid::Uuid::new_v4().simple());
            config.endpoint = Some(server.endpoint.clone());
            config.region = Some("us-east-1".into());
            config.path_style = true;
            config.access_key_id = Some("test".into());
            config.secret_access_key = Some("test".into());
        }
        let mut archive = ArchiveStorageConfig::default();
        if config.kind == StorageKind::S3 {
            archive.kind = StorageKind::S3;
            archive.bucket = Some(super::s3::ARCHIVE_BUCKET.into());
            archive.prefix = config.prefix.clone();
            archive.endpoint = config.endpoint.clone();
            archive.region = config.region.clone();
            archive.path_style = true;
            archive.access_key_id = config.access_key_id.clone();
            archive.secret_access_key = config.secret_access_key.clone();
            archive.storage_class = Some("STANDARD_IA".into());
        }
        Self { config, archive }
    }

    /// The `SEQSTORE_STORAGE__*` variables that give a `seqstore serve` process this storage.
    pub fn env(&self) -> Vec<(String, String)> {
        let c = &self.config;
        if c.kind == StorageKind::Local {
            return Vec::new();
        }
        let set = [
            ("KIND", Some("s3".to_owned())),
            ("BUCKET", c.bucket.clone()),
            ("PREFIX", Some(c.prefix.clone())),
            ("ENDPOINT", c.endpoint.clone()),
            ("REGION", c.region.clone()),
            ("PATH_STYLE", Some(c.path_style.to_string())),
            ("ACCESS_KEY_ID", c.access_key_id.clone()),
            ("SECRET_ACCESS_KEY", c.secret_access_key.clone()),
        ];
        let a = &self.archive;
        let archive = [
            ("KIND", Some("s3".to_owned())),
            ("BUCKET", a.bucket.clone()),
            ("PREFIX", Some(a.prefix.clone())),
            ("ENDPOINT", a.endpoint.clone()),
            ("REGION", a.region.clone()),
            ("PATH_STYLE", Some(a.path_style.to_string())),
            ("ACCESS_KEY_ID", a.access_key_id.clone()),
            ("SECRET_ACCESS_KEY", a.secret_access_key.clone()),
            ("STORAGE_CLASS", a.storage_class.clone()),
        ];
        let storage = set.into_iter().filter_map(|(k, v)| Some((format!("SEQSTORE_STORAGE__{k}"), v?)));
        let archive = archive.into_iter().filter_map(|(k, v)| Some((format!("SEQSTORE_ARCHIVE__STORAGE__{k}"), v?)));
        storage.chain(archive).collect()
    }
}

impl Drop for TestStorage {
    fn drop(&mut self) {
        if self.config.kind == StorageKind::Local {
            return;
        }
        let nowhere = std::path::Path::new("/nonexistent");
        let stores = [
            DataStore::new(&self.config, nowhere).expect("data store"),
            DataStore::archive(&self.archive, nowhere).expect("archive store"),
        ];
        // Drop runs outside any runtime guarantee: use a private one on a plain thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                for store in &stores {
                    let store = store.object_store();
                    let locations = store.list(None).map_ok(|meta| meta.location).boxed();
                    let _ = store.delete_stream(locations).collect::<Vec<_>>().await;
                }
            });
        })
        .join();
    }
}

/// The storage kind of test servers: `SEQSTORE_TEST_STORAGE=s3` or local (the default).
pub fn storage_kind() -> StorageKind {
    match std::env::var("SEQSTORE_TEST_STORAGE").as_deref() {
        Ok("s3") => StorageKind::S3,
        Ok("local") | Err(_) => StorageKind::Local,
        Ok(other) => panic!("SEQSTORE_TEST_STORAGE must be local or s3, not {other}"),
    }
}

/// The data store of `config`, as its server sees it.
pub fn data_store(config: &Config) -> DataStore {
    DataStore::new(&config.storage, &config.data_dir).expect("data store")
}

/// Every `(store, kind, id)` directory of `config`'s storage that holds objects (on local
/// storage also unfinished writes), sorted.
pub async fn object_dirs(config: &Config) -> Vec<(String, String, String)> {
    data_store(config).object_dirs().await.expect("list storage")
}

/// The ids of the read sets that have objects in `config`'s storage, sorted.
pub async fn read_set_dirs(config: &Config) -> Vec<String> {
    object_dirs(config).await.into_iter().filter(|(_, kind, _)| kind == "readSet").map(|(_, _, id)| id).collect()
}

/// The whole object `key` (relative to the storage prefix) of `config`'s storage.
pub async fn stored_object(config: &Config, key: &str) -> Vec<u8> {
    let store = data_store(config);
    let result = store.object_store().get(&object_store::path::Path::from(key)).await.expect("stored object");
    result.bytes().await.expect("object bytes").to_vec()
}

/// A test configuration: keys of accounts A and B, the given database and its storage, loopback
/// port 0.
pub fn config(db: &TestDb) -> Config {
    let key = |(id, secret, account): (&str, &str, &str)| AccessKey {
        access_key_id: id.into(),
        secret_access_key: secret.into(),
        account_id: account.into(),
    };
    let mut config = Config { listen: "127.0.0.1:0".into(), data_dir: db.dir().join("data"), ..Config::default() };
    config.s3_api.listen = "127.0.0.1:0".into();
    config.database.url = Some(db.url.clone());
    config.auth.keys = vec![key(KEY_A), key(KEY_B)];
    config.storage = db.storage.config.clone();
    config.archive.storage = db.storage.archive.clone();
    config
}

/// A server running in this process until dropped.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// `http://127.0.0.1:PORT` of its S3 endpoint, when it is on.
    pub s3_endpoint: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with `config`.
    pub async fn start(config: &Config) -> Self {
        Self::run(Server::bind(config).await.expect("server binds"))
    }

    /// Starts a server with `config` whose data lives in `data` instead of its storage.
    pub async fn start_with_data(config: &Config, data: DataStore) -> Self {
        Self::run(Server::bind_with_data(config, data).await.expect("server binds"))
    }

    fn run(server: Server) -> Self {
        let endpoint = format!("http://{}", server.local_addr());
        let s3_endpoint = server.s3_local_addr().map(|addr| format!("http://{addr}"));
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        Self { endpoint, s3_endpoint, shutdown: Some(tx), task: Some(task) }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        let _ = self.shutdown.take().map(|tx| tx.send(()));
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.shutdown.take().map(|tx| tx.send(()));
    }
}

/// A `seqstore serve` child process and the endpoint it printed.
pub struct Serve {
    child: Child,
    /// `http://127.0.0.1:PORT` as printed by the server.
    pub endpoint: String,
    /// The S3 endpoint it announced on stderr, when it is on.
    pub s3_endpoint: Option<String>,
    /// Storage owned by this process (dropped after it), when [`Serve::start`] chose it.
    _storage: Option<TestStorage>,
}

impl Serve {
    /// Runs `seqstore serve ARGS` on a fresh [`TestStorage`] and waits for its listening line.
    pub fn start<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Self {
        let storage = TestStorage::new();
        let mut serve = Self::start_on(args, &storage);
        serve._storage = Some(storage);
        serve
    }

    /// Runs `seqstore serve ARGS` on `storage` (which must outlive it) and waits for its listening
    /// line.
    pub fn start_on<S: AsRef<std::ffi::OsStr>>(args: &[S], storage: &TestStorage) -> Self {
        Self::spawn(seqstore_command().arg("serve").args(args).envs(storage.env()))
    }

    /// Runs `command` (a `seqstore serve`, perhaps behind a shell that sets limits first) with its
    /// stdout piped, stderr read for the S3 endpoint's announcement and otherwise discarded, and
    /// `RUST_LOG` unset, and waits for its listening line.
    pub fn spawn(command: &mut Command) -> Self {
        let mut child = command
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn seqstore");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.trim().strip_prefix("seqstore S3 endpoint listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read");
        let endpoint = line.trim().strip_prefix("seqstore listening on ").expect("listening line").to_owned();
        // The announcement follows the listening line at once when the endpoint is on.
        let s3_endpoint = rx.recv_timeout(Duration::from_secs(2)).ok();
        Self { child, endpoint, s3_endpoint, _storage: None }
    }

    /// Runs `seqstore serve` on 127.0.0.1:0 for `db` (its database and storage), with `data` as
    /// the data directory, `root` as the file root, and a config file in `db.dir()` holding the
    /// database URL, `extra` TOML (e.g. a `[worker]` or `[limits]` table) and [`KEY_A`].
    pub fn with_key_a(db: &TestDb, data: &std::path::Path, root: &std::path::Path, extra: &str) -> Self {
        let config_file = db.dir().join("seqstore.toml");
        let (id, secret, account) = KEY_A;
        let toml = format!(
            "[database]\nurl = \"{}\"\n\n{extra}\n\n[[auth.keys]]\naccess_key_id = \"{id}\"\n\
             secret_access_key = \"{secret}\"\naccount_id = \"{account}\"\n",
            db.url
        );
        std::fs::write(&config_file, toml).expect("config");
        let mut args: Vec<std::ffi::OsString> = vec!["--listen".into(), "127.0.0.1:0".into()];
        for (flag, value) in [("--data-dir", data), ("--file-root", root), ("--config", &config_file)] {
            args.push(flag.into());
            args.push(value.as_os_str().to_owned());
        }
        Self::start_on(&args, &db.storage)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }

    /// Sends SIGTERM and returns the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "seqstore did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resolves every name to 127.0.0.1, so `control-storage-127.0.0.1` reaches the listener while the
/// SDK still sends (and signs) the prefixed `Host`.
#[derive(Debug, Clone)]
pub struct Loopback;

impl ResolveDns for Loopback {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        assert!(name.ends_with("127.0.0.1") || name.ends_with("localhost"), "unexpected host {name}");
        DnsFuture::ready(Ok(vec![std::net::Ipv4Addr::LOCALHOST.into()]))
    }
}

/// An `aws-sdk-omics` client for `endpoint`, signing with `key` in `us-east-1`.
pub fn sdk(endpoint: &str, key: (&str, &str, &str)) -> aws_sdk_omics::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_with_resolver(Loopback);
    let config = aws_sdk_omics::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key.0, key.1, None, None, "test"))
        .http_client(http)
        .build();
    aws_sdk_omics::Client::from_conf(config)
}

/// The error code of an SDK error (`x-amzn-ErrorType`), for assertions.
pub fn code<E, R>(error: &aws_sdk_omics::error::SdkError<E, R>) -> String
where
    E: aws_sdk_omics::error::ProvideErrorMetadata,
{
    use aws_sdk_omics::error::ProvideErrorMetadata;
    error.code().unwrap_or("<no code>").to_owned()
}

/// An in-process router over a SQLite database in `db`, for raw requests.
pub async fn router(config: &Config) -> axum::Router {
    let db = Db::connect(&config.database_url()).await.expect("db");
    let data = data_store(config);
    let service = seqstore::service::Service::new(config, db, data).await.expect("service");
    seqstore::api::router(Arc::new(seqstore::api::App::new(config, service)))
}

/// A raw request to sign and send.
#[derive(Debug, Clone)]
pub struct Raw {
    /// Method.
    pub method: &'static str,
    /// Path and query, as sent.
    pub uri: String,
    /// Body.
    pub body: Vec<u8>,
    /// Host header.
    pub host: String,
    /// Key to sign with; `None` sends no Authorization header.
    pub key: Option<(&'static str, &'static str, &'static str)>,
    /// Region of the credential scope.
    pub region: &'static str,
    /// Service of the credential scope.
    pub service: &'static str,
    /// Signing time.
    pub time: SystemTime,
    /// Sign the body as `UNSIGNED-PAYLOAD` (with the `x-amz-content-sha256` header).
    pub unsigned_payload: bool,
    /// Sign the body's SHA-256 and send it as `x-amz-content-sha256`.
    pub sha256_header: bool,
}

impl Raw {
    /// A request signed by account A now, for `control-storage-127.0.0.1:4870`.
    pub fn new(method: &'static str, uri: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            method,
            uri: uri.into(),
            body: body.into(),
            host: "control-storage-127.0.0.1:4870".into(),
            key: Some(KEY_A),
            region: "us-east-1",
            service: "omics",
            time: SystemTime::now(),
            unsigned_payload: false,
            sha256_header: false,
        }
    }

    /// The signed `http::Request`.
    pub fn build(&self) -> http::Request<Body> {
        let mut request = http::Request::builder()
            .method(self.method)
            .uri(&self.uri)
            .header("host", &self.host)
            .header("content-type", "application/json")
            .body(self.body.clone())
            .expect("request");
        if let Some((id, secret, _)) = self.key {
            use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
            let mut settings = SigningSettings::default();
            let body = if self.unsigned_payload {
                settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
                SignableBody::UnsignedPayload
            } else {
                if self.sha256_header {
                    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
                }
                SignableBody::Bytes(&self.body)
            };
            let identity = Credentials::new(id, secret, None, None, "test").into();
            let params = aws_sigv4::sign::v4::SigningParams::builder()
                .identity(&identity)
                .region(self.region)
                .name(self.service)
                .time(self.time)
                .settings(settings)
                .build()
                .expect("params")
                .into();
            let headers = request.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().expect("ascii")));
            let signable = SignableRequest::new(self.method, self.uri.clone(), headers, body).expect("signable");
            let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
            instructions.apply_to_request_http1x(&mut request);
        }
        request.map(Body::from)
    }
}

/// A response as status, headers and body JSON (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: http::HeaderMap,
    /// Parsed body.
    pub json: serde_json::Value,
}

impl Reply {
    /// `x-amzn-ErrorType`.
    pub fn error_type(&self) -> &str {
        self.headers.get("x-amzn-ErrorType").map_or("", |v| v.to_str().unwrap_or(""))
    }

    /// Body `message`.
    pub fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }
}

/// Sends `request` through `router` in process.
pub async fn send(router: &axum::Router, request: http::Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json =
        if bytes.is_empty() { serde_json::Value::Null } else { serde_json::from_slice(&bytes).expect("JSON body") };
    Reply { status, headers, json }
}

#[test]
fn database_name_is_replaced() {
    assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
    assert_eq!(with_database("postgres://u@h/test?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
}

/// `method path` (body `{}` for a POST) signed with `key`, sent to the real listener at
/// `endpoint`; the answer's JSON.
pub async fn signed_http(
    endpoint: &str,
    method: &'static str,
    path: String,
    key: (&'static str, &'static str, &'static str),
) -> serde_json::Value {
    let body = if method == "POST" { b"{}".to_vec() } else { Vec::new() };
    let mut raw = Raw::new(method, path.clone(), body.clone());
    raw.host = endpoint.trim_start_matches("http://").to_owned();
    raw.key = Some(key);
    let (parts, _) = raw.build().into_parts();
    let mut builder = http::Request::builder().method(method).uri(format!("{endpoint}{path}"));
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    serde_json::from_slice(&http_send(builder.body(body).expect("request")).await).expect("JSON answer")
}

/// An answer of a real listener.
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// The status line and headers as received.
    pub head: String,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

/// Sends `request` (any method; its body with a `content-length`) over a fresh connection to a
/// real listener and reads the whole answer.
pub async fn exchange(request: http::Request<Vec<u8>>) -> Answer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let uri = request.uri().clone();
    let authority = uri.authority().expect("authority").as_str().to_owned();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.expect("connect");
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method(), uri.path_and_query().map_or("/", |p| p.as_str()));
    if !request.headers().contains_key("host") {
        head.push_str(&format!("host: {authority}\r\n"));
    }
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().expect("ascii")));
    }
    if !request.body().is_empty() || request.method() == http::Method::POST {
        head.push_str(&format!("content-length: {}\r\n", request.body().len()));
    }
    head.push_str("connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(request.body()).await.expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head end") + 4;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let body = if chunked { dechunk(&raw[split..]) } else { raw[split..].to_vec() };
    Answer { status, head, body }
}

/// Sends a request to a real listener with a plain HTTP/1.1 client and returns the body.
pub async fn http_send(request: http::Request<Vec<u8>>) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let uri = request.uri().clone();
    let authority = uri.authority().expect("absolute URI").as_str().to_owned();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.expect("connect");
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method(), uri.path_and_query().map_or("/", |p| p.as_str()));
    for (name, value) in request.headers() {
        head.push_str(&format!("{}: {}\r\n", name, value.to_str().expect("ascii header")));
    }
    head.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", request.body().len()));
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(request.body()).await.expect("write body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read response");
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("header end") + 4;
    let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
    let body = response[split..].to_vec();
    if head.contains("transfer-encoding: chunked") { dechunk(&body) } else { body }
}

/// The payload of a chunked HTTP/1.1 body.
pub fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).expect("hex").trim(), 16).expect("size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
}
