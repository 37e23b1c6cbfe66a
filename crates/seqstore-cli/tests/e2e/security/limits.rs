//! Limits on a real listener, with raw TCP where clients misbehave: request heads over
//! `limits.max_header_bytes` (an AWS error up to twice the limit, hyper's 431 beyond), bodies over
//! `limits.max_body_bytes` refused from their declared length before they are sent, clients that
//! send their head byte by byte or nothing at all (closed after
//! `limits.header_read_timeout_seconds` while others are served), bodies that stall (408 after
//! `limits.body_read_timeout_seconds`, buffered or streamed), and per-account rate limits
//! (429 ThrottlingException, after which the SDK's standard retry succeeds).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_omics::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_omics::config::retry::RetryConfig;
use aws_sdk_omics::config::{ConfigBag, Intercept, RuntimeComponents};
use seqstore::config::Config;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::super::support::{Backend, KEY_A, KEY_B, Raw, TestDb, TestServer, code, config, sdk};

/// A server with `limits` changed by `change`.
pub(super) async fn server(change: impl FnOnce(&mut Config)) -> (TestDb, TestServer) {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let mut config = config(&db);
    change(&mut config);
    let server = TestServer::start(&config).await;
    (db, server)
}

pub(super) fn addr(server: &TestServer) -> String {
    server.endpoint.trim_start_matches("http://").to_owned()
}

/// `raw` signed for `addr` as it goes on the wire: head (with `extra` headers after signing and
/// header names passed through `name`) and body.
pub(super) fn wire(raw: &Raw, addr: &str, extra: &[(&str, String)], name: fn(&str) -> String) -> (Vec<u8>, Vec<u8>) {
    let mut raw = raw.clone();
    raw.host = addr.to_owned();
    let request = raw.build();
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method(), request.uri());
    for (key, value) in request.headers() {
        head.push_str(&format!("{}: {}\r\n", name(key.as_str()), value.to_str().expect("ascii")));
    }
    for (key, value) in extra {
        head.push_str(&format!("{key}: {value}\r\n"));
    }
    if !extra.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
        head.push_str(&format!("{}: {}\r\n", name("content-length"), raw.body.len()));
    }
    head.push_str("\r\n");
    (head.into_bytes(), raw.body.clone())
}

/// A response read off a connection.
#[derive(Debug)]
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) head: String,
    pub(super) json: Value,
}

impl Response {
    pub(super) fn error_type(&self) -> String {
        self.header("x-amzn-errortype").unwrap_or_default()
    }

    /// The value of header `name` (lowercase), if any.
    pub(super) fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}:");
        let line = self.head.lines().find(|l| l.to_ascii_lowercase().starts_with(&prefix))?;
        Some(line[prefix.len()..].trim().to_owned())
    }

    pub(super) fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }
}

/// Reads one response (Content-Length bodies); `None` when the server closes without one.
pub(super) async fn read_response(stream: &mut TcpStream) -> Option<Response> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut chunk)).await.expect("a response");
        match n {
            Ok(0) | Err(_) if buf.is_empty() => return None,
            Ok(0) | Err(_) => panic!("connection closed inside a response head"),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head[9..12].parse().expect("status code");
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>()))
        .map_or(0, |n| n.expect("length"));
    let mut body = buf[end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.expect("body");
        assert!(n > 0, "closed inside a body");
        body.extend_from_slice(&chunk[..n]);
    }
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Some(Response { status, head, json })
}

/// Sends `head` and `body` on a new connection and reads the response.
async fn exchange(addr: &str, head: &[u8], body: &[u8]) -> Option<Response> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head).await.expect("head");
    let _ = stream.write_all(body).await;
    read_response(&mut stream).await
}

/// True when the server closes `stream` (EOF or reset) within `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let read = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn request_heads_over_the_limit_are_refused() {
    let (_db, server) = server(|c| c.limits.max_header_bytes = 4096).await;
    let addr = addr(&server);
    let list = Raw::new("POST", "/sequencestores", "{}");
    let same = |name: &str| name.to_owned();

    let (head, body) = wire(&list, &addr, &[("x-padding", "p".repeat(2000))], same);
    let ok = exchange(&addr, &head, &body).await.expect("response");
    assert_eq!(ok.status, 200, "{:?}", ok.json);

    // Between the limit and twice it: an AWS error with a request id, naming the key.
    let (head, body) = wire(&list, &addr, &[("x-padding", "p".repeat(5000))], same);
    let over = exchange(&addr, &head, &body).await.expect("response");
    assert_eq!((over.status, over.error_type().as_str()), (400, "ValidationException"), "{:?}", over.json);
    assert!(over.message().contains("limits.max_header_bytes") && over.message().contains("4096"), "{over:?}");
    assert!(over.head.to_ascii_lowercase().contains("x-amzn-requestid:"));
    // A long query counts as well.
    let long_query = Raw::new("POST", format!("/sequencestores?nextToken={}", "t".repeat(5000)), "{}");
    let (head, body) = wire(&long_query, &addr, &[], same);
    assert_eq!(exchange(&addr, &head, &body).await.expect("response").status, 400);

    // Beyond twice the limit the HTTP layer refuses before any of it is kept, and closes.
    let (head, body) = wire(&list, &addr, &[("x-padding", "p".repeat(9000))], same);
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream.write_all(&head).await.expect("head");
    let _ = stream.write_all(&body).await;
    let refused = read_response(&mut stream).await.expect("431");
    assert_eq!(refused.status, 431);
    assert!(closed_within(&mut stream, Duration::from_secs(10)).await, "the connection is closed");

    // Header names in any case are the same headers (HTTP/1.1): the signature still verifies.
    let (head, body) = wire(&list, &addr, &[], |name| name.to_ascii_uppercase());
    assert_eq!(exchange(&addr, &head, &body).await.expect("response").status, 200);
    server.stop().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_from_their_declared_length() {
    let (_db, server) = server(|c| c.limits.max_body_bytes = 4096).await;
    let addr = addr(&server);
    let create = Raw::new("POST", "/sequencestore", json!({"name": "x"}).to_string());
    // A declared gigabyte is refused at once, without waiting for it.
    let (head, _) = wire(&create, &addr, &[("content-length", (1u64 << 30).to_string())], |n| n.to_owned());
    let refused = exchange(&addr, &head, b"{").await.expect("response");
    assert_eq!((refused.status, refused.error_type().as_str()), (400, "ValidationException"));
    assert!(refused.message().contains("limits.max_body_bytes"), "{refused:?}");
    // A chunked body has no declared length: refused once it passes the limit.
    let (head, _) =
        wire(&create, &addr, &[("transfer-encoding", "chunked".into()), ("content-length", "0".into())], |n| {
            n.to_owned()
        });
    let head = String::from_utf8(head).expect("ascii").replace("content-length: 0\r\n", "");
    let chunk = format!("{:x}\r\n{}\r\n", 8192, "x".repeat(8192));
    let refused = exchange(&addr, head.as_bytes(), format!("{chunk}0\r\n\r\n").as_bytes()).await.expect("response");
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(refused.message().contains("limits.max_body_bytes"), "{refused:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_silent_clients_are_disconnected_while_others_are_served() {
    let (_db, server) = server(|c| c.limits.header_read_timeout_seconds = 1).await;
    let addr = addr(&server);
    // A client that sends its head one byte every 100 ms, for at most 20 s.
    let slow = {
        let addr = addr.clone();
        tokio::spawn(async move {
            let mut stream = TcpStream::connect(&addr).await.expect("connect");
            let head = format!("POST /sequencestores HTTP/1.1\r\nhost: {addr}\r\n{}", "x-slow: 1\r\n".repeat(1000));
            let started = Instant::now();
            for byte in head.bytes() {
                if stream.write_all(&[byte]).await.is_err() || started.elapsed() > Duration::from_secs(20) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                let mut probe = [0u8; 16];
                if let Ok(Ok(0) | Err(_)) =
                    tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await
                {
                    break;
                }
            }
            started.elapsed()
        })
    };
    // A client that connects and sends nothing.
    let mut silent = TcpStream::connect(&addr).await.expect("connect");
    // Others are served meanwhile.
    let client = sdk(&server.endpoint, KEY_A);
    for _ in 0..5 {
        client.list_sequence_stores().send().await.expect("served while slow clients hold connections");
    }
    assert!(closed_within(&mut silent, Duration::from_secs(20)).await, "a silent connection is closed");
    let held = slow.await.expect("slow client");
    assert!(held < Duration::from_secs(20), "the slow client was cut off after {held:?}");
    // An idle keep-alive connection gets the same time for its next request.
    let (head, body) = wire(&Raw::new("POST", "/sequencestores", "{}"), &addr, &[], |n| n.to_owned());
    let mut kept = TcpStream::connect(&addr).await.expect("connect");
    kept.write_all(&head).await.expect("head");
    kept.write_all(&body).await.expect("body");
    assert_eq!(read_response(&mut kept).await.expect("response").status, 200);
    assert!(closed_within(&mut kept, Duration::from_secs(20)).await, "an idle keep-alive connection is closed");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_get_408_buffered_or_streamed() {
    let (_db, server) = server(|c| c.limits.body_read_timeout_seconds = 1).await;
    let addr = addr(&server);
    let create = Raw::new("POST", "/sequencestore", json!({"name": "stalled"}).to_string());
    let (head, body) = wire(&create, &addr, &[], |n| n.to_owned());
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream.write_all(&head).await.expect("head");
    stream.write_all(&body[..5]).await.expect("part of the body");
    let stalled = read_response(&mut stream).await.expect("408");
    assert_eq!((stalled.status, stalled.error_type().as_str()), (408, "RequestTimeoutException"), "{stalled:?}");
    assert!(stalled.message().contains("limits.body_read_timeout_seconds"), "{stalled:?}");

    // UploadReadSetPart streams its body to storage: a stall ends it the same way, keeping nothing.
    let client = sdk(&server.endpoint, KEY_A);
    let store = client.create_sequence_store().name("s").send().await.expect("store").id().to_owned();
    let upload = crate::e2e::uploads::create(&client, &store, aws_sdk_omics::types::FileType::Fastq, None).await;
    let path = format!("/sequencestore/{store}/upload/{upload}/part?partSource=SOURCE1&partNumber=1");
    let mut part = Raw::new("PUT", path, vec![b'A'; 1000]);
    part.unsigned_payload = true;
    let (head, body) = wire(&part, &addr, &[], |n| n.to_owned());
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream.write_all(&head).await.expect("head");
    stream.write_all(&body[..100]).await.expect("part of the part");
    let stalled = read_response(&mut stream).await.expect("408");
    assert_eq!((stalled.status, stalled.error_type().as_str()), (408, "RequestTimeoutException"), "{stalled:?}");
    assert!(stalled.message().contains("limits.body_read_timeout_seconds"), "{stalled:?}");
    let parts = client
        .list_read_set_upload_parts()
        .sequence_store_id(&store)
        .upload_id(upload)
        .part_source(aws_sdk_omics::types::ReadSetPartSource::Source1)
        .send()
        .await
        .expect("parts");
    assert!(parts.parts().is_empty(), "the stalled part is not kept");
    server.stop().await;
}

/// Counts 429 responses the SDK receives.
#[derive(Debug, Default, Clone)]
struct Throttled(Arc<AtomicUsize>);

impl Intercept for Throttled {
    fn name(&self) -> &'static str {
        "Throttled"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_omics::error::BoxError> {
        if context.response().status().as_u16() == 429 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_throttling_and_the_sdk_retries() {
    let (_db, server) = server(|c| {
        c.limits.requests_per_second = 5.0;
        c.limits.burst = 2;
    })
    .await;
    let without_retries = |key| {
        let config = sdk(&server.endpoint, key).config().to_builder().retry_config(RetryConfig::disabled()).build();
        aws_sdk_omics::Client::from_conf(config)
    };
    let a = without_retries(KEY_A);
    let mut outcomes = Vec::new();
    for _ in 0..4 {
        outcomes.push(a.list_sequence_stores().send().await);
    }
    let refused = outcomes.iter().find_map(|o| o.as_ref().err()).expect("the burst of 2 is used up");
    assert_eq!(code(refused), "ThrottlingException");
    assert_eq!(refused.raw_response().map(|r| r.status().as_u16()), Some(429));
    let retry_after = refused.raw_response().and_then(|r| r.headers().get("retry-after")).map(str::to_owned);
    assert_eq!(retry_after.as_deref(), Some("1"), "whole seconds until a request is admitted (5 per second)");
    let text = format!("{refused:?}");
    assert!(text.contains("limits.requests_per_second") && text.contains(KEY_A.2), "{text}");
    // Each account has its own allowance.
    without_retries(KEY_B).list_sequence_stores().send().await.expect("B is not throttled by A's requests");

    // The SDK's standard retry (throttling errors are retryable) gets every request through.
    let throttled = Throttled::default();
    let config = sdk(&server.endpoint, KEY_A)
        .config()
        .to_builder()
        .retry_config(RetryConfig::standard().with_max_attempts(10).with_initial_backoff(Duration::from_millis(300)))
        .interceptor(throttled.clone())
        .build();
    let retrying = aws_sdk_omics::Client::from_conf(config);
    for i in 0..10 {
        retrying.create_sequence_store().name(format!("s{i}")).send().await.expect("retried until admitted");
    }
    assert!(throttled.0.load(Ordering::SeqCst) > 0, "some attempts were throttled and retried");
    let listed = retrying.list_sequence_stores().send().await.expect("list");
    assert_eq!(listed.sequence_stores().len(), 10, "each request took effect once");
    server.stop().await;
}
