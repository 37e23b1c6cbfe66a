//! Slow clients against the body deadlines and the per-address connection cap (issue 19, item 6):
//! a body trickling in without pauses gets 408 once its deadline passes (the pause timeout alone
//! would never fire), while a large part on a slow but steady link still gets in; and 1,100 slow
//! clients from 127.0.0.1 against a real `seqstore serve` limited to 1,024 open files hold at most
//! `limits.max_connections_per_address` connections, while ListSequenceStores from 127.0.0.2 is
//! served. Latency under such a flood is measured by `bench/flood`, not here.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use super::super::support::{BIN, KEY_A, Raw, Serve, TestStorage, sdk};
use super::limits::{Response, addr, read_response, server, wire};

fn same(name: &str) -> String {
    name.to_owned()
}

/// Writes `body` one piece every `every` until it is sent or the server answers, then reads the
/// answer; also returns how many bytes were sent.
async fn trickle(addr: &str, head: &[u8], pieces: Vec<Vec<u8>>, every: Duration) -> (Option<Response>, usize) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head).await.expect("head");
    let mut sent = 0;
    for piece in pieces {
        if tokio::time::timeout(every, stream.readable()).await.is_ok() || stream.write_all(&piece).await.is_err() {
            break;
        }
        sent += piece.len();
    }
    (read_response(&mut stream).await, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_trickling_below_the_minimum_rate_get_408_at_their_deadline() {
    let (_db, server) = server(|c| {
        c.limits.body_read_timeout_seconds = 2;
        c.limits.body_total_timeout_seconds = 2;
        c.limits.min_body_bytes_per_sec = 100;
    })
    .await;
    let addr = addr(&server);

    // 300 bytes at 10 B/s: no pause comes near the 2 s pause timeout, but the body is allowed
    // max(2 s, 300 B at 100 B/s) = 3 s, not the 30 s it would take.
    let create =
        Raw::new("POST", "/sequencestore", json!({"name": "t".repeat(40), "description": "d".repeat(220)}).to_string());
    let (head, body) = wire(&create, &addr, &[], same);
    let length = body.len();
    let bytes = body.into_iter().map(|b| vec![b]).collect();
    let (answer, sent) = trickle(&addr, &head, bytes, Duration::from_millis(100)).await;
    let answer = answer.expect("an answer");
    assert_eq!((answer.status, answer.error_type().as_str()), (408, "RequestTimeoutException"), "{answer:?}");
    let message = answer.message();
    assert!(
        message.contains("limits.body_total_timeout_seconds") && message.contains("limits.min_body_bytes_per_sec"),
        "{message}"
    );
    assert!(message.contains("3 s"), "the deadline follows the length: {message}");
    assert!(sent < length, "answered before the body was complete ({sent} of {length} bytes)");

    // A chunked body (no declared length) earns time only with the bytes it sends.
    let (head, _) =
        wire(&create, &addr, &[("transfer-encoding", "chunked".into()), ("content-length", "0".into())], same);
    let head = String::from_utf8(head).expect("ascii").replace("content-length: 0\r\n", "");
    let chunks = (0..300).map(|_| b"1\r\nx\r\n".to_vec()).collect();
    let (answer, _) = trickle(&addr, head.as_bytes(), chunks, Duration::from_millis(100)).await;
    let answer = answer.expect("an answer");
    assert_eq!((answer.status, answer.error_type().as_str()), (408, "RequestTimeoutException"), "{answer:?}");

    // A part of 3,000 bytes at about 1,000 B/s takes longer than the 2 s total but is allowed
    // 30 s at 100 B/s: a slow but honest link gets it in.
    let client = sdk(&server.endpoint, KEY_A);
    let store = client.create_sequence_store().name("s").send().await.expect("store").id().to_owned();
    let upload = crate::e2e::uploads::create(&client, &store, aws_sdk_omics::types::FileType::Fastq, None).await;
    let path = format!("/sequencestore/{store}/upload/{upload}/part?partSource=SOURCE1&partNumber=1");
    let mut part = Raw::new("PUT", path, b"@r\nACGT\n+\nIIII\n".repeat(200));
    part.unsigned_payload = true;
    let (head, body) = wire(&part, &addr, &[], same);
    let (started, length) = (Instant::now(), body.len());
    let pieces = body.chunks(100).map(<[u8]>::to_vec).collect();
    let (answer, sent) = trickle(&addr, &head, pieces, Duration::from_millis(100)).await;
    let answer = answer.expect("an answer");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(sent, length);
    eprintln!("the slow part took {:?}", started.elapsed());
    server.stop().await;
}

/// Counts of what the slow clients met.
#[derive(Debug, Default)]
struct Flood {
    connects: AtomicUsize,
    cut_off: AtomicUsize,
}

/// A slow client from 127.0.0.1: sends a request head declaring a 100 kB body, then one body
/// byte a second; when the server closes or resets the connection, connects again a second later.
async fn slow_client(server: SocketAddr, head: Arc<Vec<u8>>, flood: Arc<Flood>, until: Instant) {
    while Instant::now() < until {
        let Ok(mut stream) = TcpStream::connect(server).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        flood.connects.fetch_add(1, Ordering::Relaxed);
        let mut open = stream.write_all(&head).await.is_ok();
        while open && Instant::now() < until {
            tokio::time::sleep(Duration::from_secs(1)).await;
            open = stream.write_all(b"x").await.is_ok();
        }
        if !open {
            flood.cut_off.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// A `seqstore serve` child whose open-file limit (soft and hard) is `files`.
fn limited(dir: &Path, storage: &TestStorage, files: u64) -> Serve {
    let (id, secret, account) = KEY_A;
    let config = dir.join("seqstore.toml");
    let text = format!(
        "[[auth.keys]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{secret}\"\naccount_id = \"{account}\"\n"
    );
    std::fs::write(&config, text).expect("config");
    Serve::spawn(
        Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
            .arg(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--s3-listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .env_remove("SEQSTORE_TEST_STORAGE")
            .env_remove("SEQSTORE_TEST_BACKEND")
            .envs(storage.env()),
    )
}

/// Open file descriptors of process `pid`.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).expect("/proc/PID/fd").count()
}

/// ListSequenceStores sent from `local`, or `None` when no answer came within 15 s.
async fn list_from(local: &str, addr: &str) -> Option<Response> {
    let (head, body) = wire(&Raw::new("POST", "/sequencestores", "{}"), addr, &[], same);
    let exchange = async {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.bind(format!("{local}:0").parse().expect("local address")).expect("bind");
        let mut stream = socket.connect(addr.parse().expect("server address")).await.ok()?;
        stream.write_all(&head).await.ok()?;
        stream.write_all(&body).await.ok()?;
        read_response(&mut stream).await
    };
    tokio::time::timeout(Duration::from_secs(15), exchange).await.ok().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_from_one_address_do_not_starve_another() {
    const CLIENTS: usize = 1_100;
    // The clients' sockets are in this process: make room for them.
    let files = rlimit::increase_nofile_limit(8_192).expect("raise the open-file limit");
    assert!(files > CLIENTS as u64 + 200, "this test needs {} open files, the hard limit is {files}", CLIENTS + 200);
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = TestStorage::new();
    let serve = limited(dir.path(), &storage, 1_024);
    let addr = serve.endpoint.trim_start_matches("http://").to_owned();
    let server: SocketAddr = addr.parse().expect("address");

    let head = format!(
        "POST /sequencestore HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
    );
    let head = Arc::new(head.into_bytes());
    let flood = Arc::new(Flood::default());
    let until = Instant::now() + Duration::from_secs(90);
    let clients: Vec<_> =
        (0..CLIENTS).map(|_| tokio::spawn(slow_client(server, head.clone(), flood.clone(), until))).collect();
    while flood.connects.load(Ordering::Relaxed) < CLIENTS {
        assert!(Instant::now() < until, "the slow clients could not connect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut latencies = Vec::new();
    for i in 0..5 {
        let started = Instant::now();
        let listed = list_from("127.0.0.2", &addr).await;
        latencies.push(started.elapsed());
        let listed = listed.unwrap_or_else(|| panic!("request {i} from 127.0.0.2 got no answer during the flood"));
        assert_eq!(listed.status, 200, "{listed:?}");
    }
    let open = open_files(serve.pid());
    let cut_off = flood.cut_off.load(Ordering::Relaxed);
    eprintln!(
        "flood of {CLIENTS}: {} connects, {cut_off} refused; the server holds {open} files; 127.0.0.2 answered in {latencies:?}",
        flood.connects.load(Ordering::Relaxed)
    );
    // limits.max_connections_per_address (128 by default) from 127.0.0.1, plus the database,
    // the listener and the runtime's own.
    assert!(open <= 128 + 64, "the server holds {open} open files");
    assert!(cut_off >= CLIENTS - 128, "the connections beyond the cap were closed ({cut_off})");
    for client in clients {
        client.abort();
    }
}
