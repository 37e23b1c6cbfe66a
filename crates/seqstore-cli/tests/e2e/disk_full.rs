//! A full database heals without a restart: while the SQLite database cannot grow,
//! CreateSequenceStore (aws-sdk-omics) fails and `/readyz` answers 503; once space returns, writes
//! succeed within seconds and `/readyz` answers 200 again, on the same server. The full database
//! comes from `PRAGMA max_page_count` on the server's own pooled connections (no privileges
//! needed), and from a data directory on a tmpfs filled to the last byte where one can be mounted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_omics::Client;
use aws_sdk_omics::config::retry::RetryConfig;
use seqstore::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::support::{Backend, KEY_A, Serve, TestDb, code, config, sdk};

/// How long writes may take to work again once space is back.
const HEAL: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_fail_while_the_database_is_full_and_heal_without_restart() {
    let db = TestDb::new(Backend::Sqlite).await.expect("sqlite");
    let server = Server::bind(&config(&db)).await.expect("server binds");
    let database = server.db().clone();
    let endpoint = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let client = no_retries(&endpoint);
    assert_eq!(readyz(&endpoint).await, 200);
    create(&client, "before").await.expect("a write before the database is full");

    // The database cannot grow beyond its current size, as on a full disk.
    database.cap_sqlite_pages(Some(1));
    fill(&client).await;
    for n in 0..6 {
        let error = create(&client, &format!("while-full-{n}")).await.expect_err("fails while full");
        assert!(error.contains("InternalServerException"), "write {n} while full: {error}");
        assert_eq!(readyz(&endpoint).await, 503, "not ready while the database cannot write");
    }

    // Space returns: no restart, writes work again within seconds and the server is ready.
    database.cap_sqlite_pages(None);
    heal(&client, &endpoint).await;
    for n in 0..6 {
        create(&client, &format!("after-{n}")).await.expect("writes keep working");
    }
    let _ = stop.send(());
    task.await.expect("server task").expect("server stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serve_on_a_full_tmpfs_heals_when_space_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(mount) = Tmpfs::mount(&dir.path().join("disk"), "24m") else { return };
    let data = mount.path.join("data");
    let serve = Serve::start(&["--listen".as_ref(), "127.0.0.1:0".as_ref(), "--data-dir".as_ref(), data.as_os_str()]);
    let client = no_retries(&serve.endpoint);
    assert_eq!(readyz(&serve.endpoint).await, 200);
    create(&client, "before").await.expect("a write before the disk is full");

    let filler = mount.path.join("filler");
    fill_disk(&filler);
    fill(&client).await;
    for n in 0..4 {
        let error = create(&client, &format!("while-full-{n}")).await.expect_err("fails while full");
        assert!(error.contains("InternalServerException"), "write {n} while full: {error}");
        assert_eq!(readyz(&serve.endpoint).await, 503, "not ready while the disk is full");
    }

    std::fs::remove_file(&filler).expect("free the disk");
    heal(&client, &serve.endpoint).await;
    for n in 0..4 {
        create(&client, &format!("after-{n}")).await.expect("writes keep working");
    }
    drop(serve);
}

/// A client that reports each failure at once instead of retrying it.
fn no_retries(endpoint: &str) -> Client {
    Client::from_conf(sdk(endpoint, KEY_A).config().to_builder().retry_config(RetryConfig::disabled()).build())
}

/// CreateSequenceStore named `name`; the error as text.
async fn create(client: &Client, name: &str) -> Result<String, String> {
    match client.create_sequence_store().name(name).description("d".repeat(200)).send().await {
        Ok(out) => Ok(out.id().to_owned()),
        Err(e) => Err(format!("{}: {}", code(&e), aws_sdk_omics::error::DisplayErrorContext(&e))),
    }
}

/// Creates stores until the database refuses one (it must, well before the quota).
async fn fill(client: &Client) {
    for n in 0..500 {
        if let Err(error) = create(client, &format!("filler-{n}")).await {
            assert!(error.contains("InternalServerException"), "the database is full: {error}");
            return;
        }
    }
    panic!("500 stores written into a full database");
}

/// Waits until a write succeeds and `/readyz` answers 200.
async fn heal(client: &Client, endpoint: &str) {
    let deadline = Instant::now() + HEAL;
    loop {
        let write = create(client, "healed").await;
        let ready = readyz(endpoint).await;
        if write.is_ok() && ready == 200 {
            return;
        }
        assert!(Instant::now() < deadline, "not healed {HEAL:?} after space returned: {write:?}, readyz {ready}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The status of `GET /readyz`.
async fn readyz(endpoint: &str) -> u16 {
    let authority = endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(authority).await.expect("connect");
    let request = format!("GET /readyz HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line")
}

/// Writes `path` until the file system has no byte left.
fn fill_disk(path: &Path) {
    let mut file = std::fs::File::create(path).expect("filler");
    for chunk in [1 << 20, 4096, 1] {
        let block = vec![0u8; chunk];
        while file.write_all(&block).is_ok() {}
    }
    let _ = file.sync_all();
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` at `path`; `None` (test skipped, with a message) where this
    /// process may not mount.
    fn mount(path: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(path).expect("mount point");
        let output =
            Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(path).output();
        match output {
            Ok(out) if out.status.success() => Some(Self { path: path.to_owned() }),
            Ok(out) => {
                eprintln!(
                    "skipping: cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipping: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("--lazy").arg(&self.path).status();
    }
}
