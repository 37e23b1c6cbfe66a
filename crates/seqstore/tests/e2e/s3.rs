//! A real S3-compatible server for the tests: moto's server from the repository's venv
//! (`scripts/python-venv`), on a free loopback port, stopped when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::support::in_ci;

/// A running moto server.
pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    port: u16,
}

impl S3Server {
    /// Starts moto; `None` (test skipped) when the venv lacks it outside CI.
    pub async fn start() -> Option<Self> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let venv = std::env::var_os("TEST_VENV").map_or_else(|| root.join(".venv"), PathBuf::from);
        let moto = venv.join("bin/moto_server");
        if !moto.exists() {
            assert!(!in_ci(), "CI=true but {} is missing: run scripts/python-venv", moto.display());
            eprintln!("skipping: {} is missing; run scripts/python-venv", moto.display());
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let child = Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto_server");
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(Self { child, endpoint: format!("http://127.0.0.1:{port}"), port })
    }

    /// Creates a bucket (moto accepts unsigned requests; object_store cannot create buckets).
    pub async fn create_bucket(&self, bucket: &str) {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.expect("connect");
        let request = format!(
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        assert!(response.starts_with("HTTP/1.1 200"), "create bucket: {response}");
    }

    /// Uploads an object with object_store, as a client of the server would.
    pub async fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) {
        let store = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_endpoint(&self.endpoint)
            .with_region("us-east-1")
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .with_virtual_hosted_style_request(false)
            .with_allow_http(true)
            .build()
            .expect("s3 client");
        store.put(&Path::from(key), PutPayload::from(bytes)).await.expect("put object");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
