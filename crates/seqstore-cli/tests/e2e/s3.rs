//! A real S3-compatible server for the tests: moto's server from the repository's venv
//! (`scripts/python-venv`), on a free loopback port. A test's own server stops when dropped; the
//! one server shared by the whole test process (for `SEQSTORE_TEST_STORAGE=s3`) stops when the
//! process ends. boto3 from the same venv does what object_store cannot: create KMS keys, read
//! an object's encryption headers and its tagging.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

use super::support::in_ci;

/// Bucket of the shared server that holds the data of test servers, a prefix per test.
pub const DATA_BUCKET: &str = "seqstore-data";
/// The bucket of the archive tier of servers on S3 storage (another bucket than the data's).
pub const ARCHIVE_BUCKET: &str = "seqstore-archive";

/// A running moto server.
pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    port: u16,
}

/// The repository's venv (or `TEST_VENV`).
fn venv() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::var_os("TEST_VENV").map_or_else(|| root.join(".venv"), PathBuf::from)
}

impl S3Server {
    /// Starts moto for one test; `None` (test skipped) when the venv lacks it outside CI.
    pub async fn start() -> Option<Self> {
        let moto = venv().join("bin/moto_server");
        if !moto.exists() {
            assert!(!in_ci(), "CI=true but {} is missing: run scripts/python-venv", moto.display());
            eprintln!("skipping: {} is missing; run scripts/python-venv", moto.display());
            return None;
        }
        let server =
            tokio::task::spawn_blocking(move || Self::spawn(Command::new(moto))).await.expect("start moto_server");
        Some(server)
    }

    /// [`S3Server::start`] for a caller that is not async; `None` when the venv lacks moto (outside
    /// CI).
    pub fn start_blocking() -> Option<Self> {
        let moto = venv().join("bin/moto_server");
        if !moto.exists() {
            assert!(!in_ci(), "CI=true but {} is missing: run scripts/python-venv", moto.display());
            return None;
        }
        Some(Self::spawn(Command::new(moto)))
    }

    /// The server shared by every test of this process, with [`DATA_BUCKET`], started on first
    /// use. A watchdog stops it when this process ends (statics are never dropped).
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<S3Server> = OnceLock::new();
        SHARED.get_or_init(|| {
            let moto = venv().join("bin/moto_server");
            assert!(moto.exists(), "SEQSTORE_TEST_STORAGE=s3 needs {}: run scripts/python-venv", moto.display());
            let mut watchdog = Command::new("bash");
            watchdog.args([
                "-c",
                r#""$0" "$@" & moto=$!; while kill -0 "$PARENT" 2>/dev/null && kill -0 $moto 2>/dev/null; do sleep 1; done; kill $moto"#,
            ]);
            watchdog.arg(&moto).env("PARENT", std::process::id().to_string());
            let server = Self::spawn(watchdog);
            server.create_bucket(DATA_BUCKET);
            server.create_bucket(ARCHIVE_BUCKET);
            server
        })
    }

    /// Runs `command` with moto's arguments appended and waits until it accepts connections.
    fn spawn(mut command: Command) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto_server");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, endpoint: format!("http://127.0.0.1:{port}"), port }
    }

    /// Creates a bucket (moto accepts unsigned requests; object_store cannot create buckets).
    pub fn create_bucket(&self, bucket: &str) {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let request = format!(
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        assert!(response.starts_with("HTTP/1.1 200"), "create bucket: {response}");
    }

    /// An object_store client of `bucket`, as a client of the server would have.
    pub fn client(&self, bucket: &str) -> object_store::aws::AmazonS3 {
        AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_endpoint(&self.endpoint)
            .with_region("us-east-1")
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .with_virtual_hosted_style_request(false)
            .with_allow_http(true)
            .build()
            .expect("s3 client")
    }

    /// Uploads an object with object_store, as a client of the server would.
    pub async fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) {
        self.client(bucket).put(&Path::from(key), PutPayload::from(bytes)).await.expect("put object");
    }

    /// Creates a KMS key in moto and returns its ARN.
    pub async fn create_kms_key(&self) -> String {
        let out = self.boto3("print(json.dumps(kms.create_key()['KeyMetadata']['Arn']))", &[]).await;
        out.as_str().expect("ARN").to_owned()
    }

    /// `x-amz-server-side-encryption` and `…-aws-kms-key-id` of an object, from a HEAD request
    /// (`None` where the header is absent).
    pub async fn encryption(&self, bucket: &str, key: &str) -> (Option<String>, Option<String>) {
        let script = "h = s3.head_object(Bucket=sys.argv[2], Key=sys.argv[3])\n\
                      print(json.dumps([h.get('ServerSideEncryption'), h.get('SSEKMSKeyId')]))";
        let out = self.boto3(script, &[bucket, key]).await;
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        (text(&out[0]), text(&out[1]))
    }

    /// The tag set of an object (GetObjectTagging).
    pub async fn tagging(&self, bucket: &str, key: &str) -> std::collections::BTreeMap<String, String> {
        let script = "t = s3.get_object_tagging(Bucket=sys.argv[2], Key=sys.argv[3])['TagSet']\n\
                      print(json.dumps({x['Key']: x['Value'] for x in t}))";
        serde_json::from_value(self.boto3(script, &[bucket, key]).await).expect("tag map")
    }

    /// Runs `script` with boto3 clients `s3` and `kms` of this server (`sys.argv[1]` is the
    /// endpoint, `args` follow) and parses the JSON it prints.
    async fn boto3(&self, script: &str, args: &[&str]) -> serde_json::Value {
        let prelude = "import boto3, json, sys\n\
                       kw = dict(endpoint_url=sys.argv[1], region_name='us-east-1', \
                       aws_access_key_id='test', aws_secret_access_key='test')\n\
                       s3 = boto3.client('s3', **kw)\nkms = boto3.client('kms', **kw)\n";
        let output = tokio::process::Command::new(venv().join("bin/python"))
            .arg("-c")
            .arg(format!("{prelude}{script}"))
            .arg(&self.endpoint)
            .args(args)
            .output()
            .await
            .expect("run python");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "boto3 failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_str(&stdout).expect("JSON from boto3")
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
