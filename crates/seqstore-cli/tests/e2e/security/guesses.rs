//! Guessing keys is throttled per client address (issue 19, item 8): wrong signatures and unknown
//! access keys from one address get 429 ThrottlingException after `limits.auth_failures_per_minute`
//! (a third of it per access key id), while the right key from another address (127.0.0.2) works;
//! behind a trusted proxy the `X-Forwarded-For` client counts, and without trust the header is
//! ignored; wrong dashboard logins get a 429 "try again in N s" page with `Retry-After`.

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::super::support::{KEY_A, KEY_B, Raw};
use super::limits::{Response, addr, read_response, server, wire};

type Key = (&'static str, &'static str, &'static str);

async fn connect_from(local: &str, addr: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(format!("{local}:0").parse().expect("local address")).expect("bind");
    socket.connect(addr.parse().expect("server address")).await.expect("connect")
}

/// ListSequenceStores signed with `key`, sent from `local` with `extra` headers (added after
/// signing, as a proxy adds them).
async fn list(addr: &str, local: &str, key: Key, extra: &[(&str, String)]) -> Response {
    let mut raw = Raw::new("POST", "/sequencestores", "{}");
    raw.key = Some(key);
    let (head, body) = wire(&raw, addr, extra, |name| name.to_owned());
    let mut stream = connect_from(local, addr).await;
    stream.write_all(&head).await.expect("head");
    stream.write_all(&body).await.expect("body");
    read_response(&mut stream).await.expect("a response")
}

fn wrong_secret(key: Key) -> Key {
    (key.0, "not-the-secret", key.2)
}

/// A key nobody configured.
fn random_key(i: usize) -> Key {
    (Box::leak(format!("AKIDGUESS{i:08}").into_boxed_str()), "guess", "")
}

/// The most failures a bucket of `limit` per minute lets through in `elapsed` (it refills).
fn allowance(limit: u64, started: Instant) -> usize {
    (limit as f64 * (1.0 + started.elapsed().as_secs_f64() / 60.0)).floor() as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_signatures_are_throttled_per_address_and_key_not_elsewhere() {
    let (_db, server) = server(|_| {}).await;
    let addr = addr(&server);
    let started = Instant::now();

    // Guessing A's secret from 127.0.0.1: a third of the 30 per minute, then 429 before checking.
    let mut statuses = Vec::new();
    for _ in 0..15 {
        let answer = list(&addr, "127.0.0.1", wrong_secret(KEY_A), &[]).await;
        statuses.push((answer.status, answer.error_type()));
        if answer.status == 429 {
            let message = answer.message();
            assert!(message.contains("limits.auth_failures_per_minute") && message.contains(KEY_A.0), "{message}");
            assert!(message.contains("127.0.0.1") && message.contains("try again in"), "{message}");
            let seconds: u64 = answer.header("retry-after").and_then(|s| s.parse().ok()).expect("Retry-After");
            assert!((1..=60).contains(&seconds), "{seconds}");
        }
    }
    let refused = statuses.iter().filter(|(s, _)| *s == 403).count();
    assert!(statuses[..10].iter().all(|(s, t)| *s == 403 && t == "InvalidSignatureException"), "{statuses:?}");
    assert!(refused <= allowance(10, started), "{statuses:?}");
    assert_eq!(statuses[14], (429, "ThrottlingException".to_owned()), "{statuses:?}");
    // Even the right secret for A is not checked from there now; from 127.0.0.2 it works.
    assert_eq!(list(&addr, "127.0.0.1", KEY_A, &[]).await.status, 429);
    assert_eq!(list(&addr, "127.0.0.2", KEY_A, &[]).await.status, 200, "the right key from another address");
    // Other keys from 127.0.0.1 are still checked: the address has failed 10 of its 30 times.
    assert_eq!(list(&addr, "127.0.0.1", KEY_B, &[]).await.status, 200);

    // Random access key ids from 127.0.0.1 use up the address: then every key is refused there.
    let mut unknown = 0;
    for i in 0..30 {
        let answer = list(&addr, "127.0.0.1", random_key(i), &[]).await;
        match (answer.status, answer.error_type().as_str()) {
            (403, "UnrecognizedClientException") => unknown += 1,
            (429, "ThrottlingException") => {}
            other => panic!("{other:?}: {answer:?}"),
        }
    }
    assert!(unknown + refused <= allowance(30, started), "{unknown} unknown keys were checked");
    assert!(unknown < 30, "random key ids were throttled");
    assert_eq!(list(&addr, "127.0.0.1", KEY_B, &[]).await.status, 429, "the address is used up");
    assert_eq!(list(&addr, "127.0.0.2", KEY_B, &[]).await.status, 200, "not elsewhere");
    let elsewhere = list(&addr, "127.0.0.2", wrong_secret(KEY_B), &[]).await;
    assert_eq!(elsewhere.status, 403, "127.0.0.2 has its own count: {elsewhere:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_client_counts() {
    let (_db, server) = server(|c| {
        c.limits.auth_failures_per_minute = 6;
        c.limits.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let addr = addr(&server);
    let forwarded = |client: &str| [("x-forwarded-for", format!("203.0.113.77, {client}"))];

    // Through the proxy (127.0.0.1), 192.0.2.10 guesses and is throttled by its own address.
    for i in 0..6 {
        assert_eq!(list(&addr, "127.0.0.1", random_key(1000 + i), &forwarded("192.0.2.10")).await.status, 403);
    }
    let throttled = list(&addr, "127.0.0.1", KEY_A, &forwarded("192.0.2.10")).await;
    assert_eq!(throttled.status, 429, "{throttled:?}");
    assert!(throttled.message().contains("192.0.2.10"), "the forwarded client is named: {throttled:?}");
    // Other clients of the same proxy, and the proxy itself, are served.
    assert_eq!(list(&addr, "127.0.0.1", KEY_A, &forwarded("192.0.2.11")).await.status, 200);
    assert_eq!(list(&addr, "127.0.0.1", KEY_A, &[]).await.status, 200);

    // 127.0.0.2 is no trusted proxy: its X-Forwarded-For is ignored, changing it escapes nothing.
    for i in 0..6 {
        let spoofed = forwarded(&format!("198.51.100.{i}"));
        assert_eq!(list(&addr, "127.0.0.2", random_key(2000 + i), &spoofed).await.status, 403);
    }
    let spoofed = list(&addr, "127.0.0.2", KEY_A, &forwarded("198.51.100.99")).await;
    assert_eq!(spoofed.status, 429, "{spoofed:?}");
    assert!(spoofed.message().contains("127.0.0.2"), "{spoofed:?}");
    server.stop().await;
}

/// A dashboard login from `local`: status, head (lowercase) and body.
async fn login(addr: &str, local: &str, key_id: &str, secret: &str) -> (u16, String, String) {
    let form = format!("access_key_id={key_id}&secret_access_key={secret}");
    let request = format!(
        "POST /ui/login HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: \
         application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{form}",
        form.len()
    );
    let mut stream = connect_from(local, addr).await;
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("response");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    (head[9..12].parse().expect("status"), head.to_ascii_lowercase(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_dashboard_logins_get_a_retry_page_and_the_right_one_elsewhere_works() {
    let (_db, server) = server(|_| {}).await;
    let addr = addr(&server);
    let started = Instant::now();
    let (mut checked, mut throttled) = (0, 0);
    for i in 0..300 {
        let (status, head, body) = login(&addr, "127.0.0.1", KEY_A.0, &format!("guess{i}")).await;
        match status {
            401 => checked += 1,
            429 => {
                throttled += 1;
                let retry: u64 = head
                    .lines()
                    .find_map(|l| l.strip_prefix("retry-after:"))
                    .expect("Retry-After")
                    .trim()
                    .parse()
                    .expect("seconds");
                assert!((1..=60).contains(&retry), "{head}");
                assert!(body.contains(&format!("Try again in {retry} s")), "{body}");
                assert!(body.contains("limits.auth_failures_per_minute"), "{body}");
            }
            other => panic!("login {i}: {other}\n{head}"),
        }
    }
    assert!(checked >= 10 && checked <= allowance(10, started), "{checked} wrong logins were checked");
    assert_eq!(checked + throttled, 300);
    // The right pair is not checked from 127.0.0.1 now; from 127.0.0.2 it signs in.
    assert_eq!(login(&addr, "127.0.0.1", KEY_A.0, KEY_A.1).await.0, 429);
    let (status, head, _) = login(&addr, "127.0.0.2", KEY_A.0, KEY_A.1).await;
    assert_eq!(status, 303, "{head}");
    assert!(head.contains("set-cookie: seqstore_session="), "{head}");
    // Another key from 127.0.0.1 is still checked (the address failed 10 of its 30 times).
    assert_eq!(login(&addr, "127.0.0.1", KEY_B.0, KEY_B.1).await.0, 303);
    server.stop().await;
}
