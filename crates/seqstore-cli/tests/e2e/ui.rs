//! The web dashboard over real listeners: login with an access key pair (a wrong pair refused,
//! the cookie's flags), every page of account A against A's session and B's (B gets 404 for
//! each of A's ids), part downloads equal the stored bytes, and the TLS warning of the login page
//! on a non-loopback listener.

use seqstore::config::Config;

use super::fastq_data::{counts, fastq};
use super::imports::{import_config, source, start, store, stored, wait, write};
use super::support::{Backend, KEY_A, KEY_B, TestDb, TestServer, on_both_backends, sdk};
use aws_sdk_omics::types::ETagAlgorithmFamily;

/// A response read off the socket.
#[derive(Debug)]
pub struct Page {
    /// Status code.
    pub status: u16,
    /// The header block, lowercased.
    pub head: String,
    /// The body (chunked encoding removed).
    pub body: Vec<u8>,
}

impl Page {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of the first `name` header (lowercase), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
    }
}

/// Sends one HTTP/1.1 request to `endpoint` (`http://HOST:PORT`) with an optional cookie.
pub async fn http(
    endpoint: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    extra: &[(&str, &str)],
    body: &str,
) -> Page {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = endpoint.strip_prefix("http://").expect("http endpoint");
    let mut stream = tokio::net::TcpStream::connect(authority).await.expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n");
    if let Some(cookie) = cookie {
        head.push_str(&format!("cookie: {cookie}\r\n"));
    }
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        head.push_str("content-type: application/x-www-form-urlencoded\r\n");
    }
    head.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("header end") + 4;
    let head = String::from_utf8_lossy(&response[..split]).to_lowercase().replace("\r\n", "\n");
    let status = head[9..12].parse().expect("status");
    let mut body = response[split..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Page { status, head, body }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = body.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&body[..end]).expect("hex").trim(), 16).expect("size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 2 + size + 2..];
    }
}

on_both_backends!(accounts_see_only_their_own);

/// A's pages open for A's session and are 404 for B's; without a session, login; a wrong pair is
/// refused.
async fn accounts_see_only_their_own(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let endpoint = server.endpoint.as_str();

    let anonymous = http(endpoint, "GET", "/ui/", None, &[], "").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.header("location"), Some("/ui/login"));
    let form = http(endpoint, "GET", "/ui/login", None, &[], "").await;
    assert_eq!(form.status, 200);
    assert!(!form.text().contains("tls-warning"), "loopback needs no TLS warning");
    let wrong = format!("access_key_id={}&secret_access_key=not-the-secret", KEY_A.0);
    let refused = http(endpoint, "POST", "/ui/login", None, &[], &wrong).await;
    assert_eq!(refused.status, 401);
    assert!(refused.header("set-cookie").is_none());
    let unknown = http(endpoint, "POST", "/ui/login", None, &[], "access_key_id=NOPE&secret_access_key=x").await;
    assert_eq!(unknown.status, 401);

    let (a, b) = (session(endpoint, KEY_A).await, session(endpoint, KEY_B).await);
    let client = sdk(endpoint, KEY_A);
    let store_id = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let text = fastq(7, 300, 100, None);
    let uri = write(root.path(), "r.fq", &text);
    let job = start(&client, &store_id, vec![source(&uri, None)]).await;
    let done = wait(&client, &store_id, &job).await;
    let read_set = done.sources()[0].read_set_id().expect("read set").to_owned();
    let reference_store = client.create_reference_store().name("refs").send().await.expect("reference store");

    let stored_bytes = stored(&config, &store_id, &read_set, "source1").await;
    let pages = [
        format!("/ui/stores/{store_id}"),
        format!("/ui/stores/{store_id}?sample=sample&duplicates=1"),
        format!("/ui/stores/{store_id}/readsets/{read_set}"),
        format!("/ui/stores/{store_id}/readsets/{read_set}/source1/1"),
        format!("/ui/stores/{store_id}/jobs"),
        format!("/ui/stores/{store_id}/jobs/{job}"),
        format!("/ui/stores/{store_id}/jobs/{job}/progress"),
        format!("/ui/references/{}", reference_store.id()),
    ];
    for path in &pages {
        let mine = http(endpoint, "GET", path, Some(&a), &[], "").await;
        assert_eq!(mine.status, 200, "A opens {path}: {}", mine.text());
        let theirs = http(endpoint, "GET", path, Some(&b), &[], "").await;
        assert_eq!(theirs.status, 404, "B must not open {path}: {}", theirs.text());
    }

    let home = http(endpoint, "GET", "/ui/", Some(&a), &[], "").await;
    assert!(home.text().contains(&store_id), "A's store is listed for A");
    assert!(home.head.contains("content-security-policy"), "{}", home.head);
    let home_b = http(endpoint, "GET", "/ui/", Some(&b), &[], "").await;
    assert!(!home_b.text().contains(&store_id), "A's store is not listed for B");
    let refs_b = http(endpoint, "GET", "/ui/references", Some(&b), &[], "").await;
    assert!(!refs_b.text().contains(reference_store.id()));

    let detail = http(endpoint, "GET", &pages[2], Some(&a), &[], "").await.text();
    let (reads, bases) = counts(&text);
    assert!(detail.contains(&format!("<dd id=\"total-read-count\">{reads}</dd>")), "{detail}");
    assert!(detail.contains(&format!("<dd id=\"total-base-count\">{bases}</dd>")), "{detail}");
    let part = http(endpoint, "GET", &pages[3], Some(&a), &[], "").await;
    assert_eq!(part.body, stored_bytes[..part.body.len()].to_vec());
    assert!(!part.body.is_empty());
    let progress: serde_json::Value =
        serde_json::from_slice(&http(endpoint, "GET", &pages[6], Some(&a), &[], "").await.body).expect("progress JSON");
    assert_eq!(progress["status"], "COMPLETED");
    assert_eq!(progress["sources"][0]["percent"], 100);

    let listed = http(endpoint, "GET", &pages[1], Some(&a), &[], "").await.text();
    assert!(listed.contains("No read sets match"), "one read set has no duplicate: {listed}");
    let again = start(&client, &store_id, vec![source(&uri, None)]).await;
    let twin = wait(&client, &store_id, &again).await.sources()[0].read_set_id().expect("read set").to_owned();
    let duplicates = http(endpoint, "GET", &pages[1], Some(&a), &[], "").await.text();
    for id in [&read_set, &twin] {
        assert!(duplicates.contains(&format!("data-read-set=\"{id}\"")), "both copies are duplicates: {duplicates}");
    }
    let metadata =
        client.get_read_set_metadata().sequence_store_id(&store_id).id(&read_set).send().await.expect("meta");
    let etag = metadata.etag().and_then(|e| e.source1()).expect("etag").to_owned();
    let same = http(endpoint, "GET", &format!("/ui/stores/{store_id}?etag={etag}"), Some(&a), &[], "").await.text();
    assert_eq!(same.matches("data-read-set=").count(), 2, "both copies share the ETag: {same}");
    let by_sample = http(endpoint, "GET", &format!("/ui/stores/{store_id}?sample=sample"), Some(&a), &[], "").await;
    assert!(by_sample.text().contains(&read_set));
    let other_sample = http(endpoint, "GET", &format!("/ui/stores/{store_id}?sample=other"), Some(&a), &[], "").await;
    assert!(!other_sample.text().contains(&format!("data-read-set=\"{read_set}\"")));

    let last = a.chars().last().expect("cookie value");
    let forged = format!("{}{}", &a[..a.len() - 1], if last == 'A' { 'B' } else { 'A' });
    let tampered = http(endpoint, "GET", "/ui/", Some(&forged), &[], "").await;
    assert_eq!(tampered.status, 303, "an altered cookie is no session");
    let api = http(endpoint, "GET", "/sequencestores", None, &[], "").await;
    assert_eq!(api.status, 403, "other paths still go through SigV4");
    assert!(!api.head.contains("content-security-policy"));
    server.stop().await;
}

/// Logs in with `key` and returns `seqstore_session=VALUE` with the value's original case.
pub async fn session(endpoint: &str, key: (&str, &str, &str)) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let form = format!("access_key_id={}&secret_access_key={}", key.0, key.1);
    let authority = endpoint.strip_prefix("http://").expect("http endpoint");
    let mut stream = tokio::net::TcpStream::connect(authority).await.expect("connect");
    let request = format!(
        "POST /ui/login HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\ncontent-type: \
         application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 303"), "{response}");
    let line = response.lines().find(|l| l.to_lowercase().starts_with("set-cookie:")).expect("cookie");
    let lower = line.to_lowercase();
    assert!(lower.contains("httponly") && lower.contains("samesite=strict") && !lower.contains("secure"), "{line}");
    line["set-cookie:".len()..].trim().split(';').next().expect("pair").to_owned()
}

/// Over plain HTTP on a non-loopback listener the login page says to use TLS; behind a proxy
/// that reports HTTPS it does not, and the cookie is then `Secure`.
#[tokio::test]
async fn login_page_asks_for_tls_off_loopback() {
    let db = TestDb::new(Backend::Sqlite).await.expect("sqlite");
    let config = Config { listen: "0.0.0.0:0".into(), ..super::support::config(&db) };
    let server = TestServer::start(&config).await;
    let endpoint = server.endpoint.replace("0.0.0.0", "127.0.0.1");
    let plain = http(&endpoint, "GET", "/ui/login", None, &[], "").await.text();
    assert!(plain.contains("tls-warning") && plain.contains("Use TLS"), "{plain}");
    let proxied = http(&endpoint, "GET", "/ui/login", None, &[("x-forwarded-proto", "https")], "").await.text();
    assert!(!proxied.contains("tls-warning"), "{proxied}");
    let form = format!("access_key_id={}&secret_access_key={}", KEY_A.0, KEY_A.1);
    let secure = http(&endpoint, "POST", "/ui/login", None, &[("x-forwarded-proto", "https")], &form).await;
    assert!(secure.header("set-cookie").is_some_and(|c| c.contains("; secure")), "{}", secure.head);
    server.stop().await;
}

/// Two processes on one PostgreSQL database are one dashboard: a session from one opens the
/// other's pages, and both charts count every source, whichever process imported it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_share_sessions_and_throughput() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let root = tempfile::tempdir().expect("root");
    let first = import_config(&db, root.path());
    let second = Config { data_dir: db.dir().join("data-2"), ..first.clone() };
    let (one, two) = (TestServer::start(&first).await, TestServer::start(&second).await);
    let cookie = session(&one.endpoint, KEY_A).await;
    let home = http(&two.endpoint, "GET", "/ui/", Some(&cookie), &[], "").await;
    assert_eq!(home.status, 200, "a session of one process opens the other's pages");

    let client = sdk(&one.endpoint, KEY_A);
    let store_id = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let sources = (0..4)
        .map(|i| source(&write(root.path(), &format!("s{i}.fq"), &fastq(40 + i, 200, 100, None)), None))
        .collect();
    let job = start(&client, &store_id, sources).await;
    wait(&client, &store_id, &job).await;
    for server in [&one, &two] {
        let chart = http(&server.endpoint, "GET", "/ui/throughput?hours=1", Some(&cookie), &[], "").await.text();
        assert!(chart.contains(">4 sources finished"), "{chart}");
        assert!(chart.contains("throughput-chart"));
    }
    one.stop().await;
    two.stop().await;
}
