//! The web dashboard over real listeners: login with an access key pair (a wrong pair refused,
//! the cookie's flags), every page of account A against A's session and B's (B gets 404 for
//! each of A's ids), part downloads equal the stored bytes, the TLS warning of the login page
//! on a non-loopback listener, and storage tiers: an archived read set's tier, last access and
//! bytes on the pages, and its Activate button, refused without the page's CSRF token. The first
//! hour (#26): a browser at the root, the icon, an empty store's advice, counts with separators,
//! named and whole-file downloads, the job list's samples and progress, notes that are not errors,
//! a 404 with the navigation, and dev mode without "Sign out".

use seqstore::config::Config;

use super::fastq_data::{counts, fastq};
use super::imports::{import_config, source, start, store, stored, wait, write};
use super::support::{Backend, KEY_A, KEY_B, Raw, TestDb, TestServer, http_send, on_both_backends, sdk};
use aws_sdk_omics::types::{ETagAlgorithmFamily, ReadSetStatus};
use aws_sdk_omics::types::{FileType, SourceFiles, StartReadSetImportJobSourceItem};

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

on_both_backends!(
    accounts_see_only_their_own,
    archived_read_sets_show_their_tier_and_activate,
    the_first_hour_in_the_dashboard
);

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
    let (reads, bases) = (grouped(reads), grouped(bases));
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

/// BatchArchiveReadSet (`POST …/readset/batch/archive`, an extension) of `ids` by account A at
/// the real listener `endpoint`: the answer's JSON.
async fn batch_archive(endpoint: &str, store: &str, ids: &[&str]) -> serde_json::Value {
    let path = format!("/sequencestore/{store}/readset/batch/archive");
    let body = serde_json::json!({ "ids": ids }).to_string().into_bytes();
    let mut raw = Raw::new("POST", path.clone(), body.clone());
    raw.host = endpoint.trim_start_matches("http://").to_owned();
    let (parts, _) = raw.build().into_parts();
    let mut request = http::Request::builder().method("POST").uri(format!("{endpoint}{path}"));
    for (name, value) in &parts.headers {
        request = request.header(name, value);
    }
    serde_json::from_slice(&http_send(request.body(body).expect("request")).await).expect("JSON answer")
}

/// Polls GetReadSetMetadata until the read set has `status` (at most 60 s).
async fn until_status(client: &aws_sdk_omics::Client, store: &str, id: &str, status: ReadSetStatus) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let meta = client.get_read_set_metadata().sequence_store_id(store).id(id).send().await.expect("metadata");
        if meta.status() == &status {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "read set {id} did not become {status}: {meta:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The value of the CSRF token in a confirmation page's form.
fn csrf(page: &str) -> String {
    page.split("name=\"csrf\" value=\"").nth(1).and_then(|t| t.split('"').next()).expect("token").to_owned()
}

/// A read set shows tier hot and no last access until its part is downloaded from the dashboard;
/// archived (BatchArchiveReadSet), the store page and list show its bytes in the archive tier, its
/// row and page tier `archive`, its page no part links (the part is refused, 409) and an Activate
/// button whose confirmation page carries the CSRF token; POSTs without the token or from another
/// origin are refused (403) and change nothing; the dashboard's own POST starts an activation job
/// and shows the read set, which becomes ACTIVE again (hot, downloadable, no Activate button).
async fn archived_read_sets_show_their_tier_and_activate(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let endpoint = server.endpoint.as_str();
    let cookie = session(endpoint, KEY_A).await;
    let client = sdk(endpoint, KEY_A);
    let store_id = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let text = fastq(8, 400, 100, None);
    let job = start(&client, &store_id, vec![source(&write(root.path(), "r.fq", &text), None)]).await;
    let read_set = wait(&client, &store_id, &job).await.sources()[0].read_set_id().expect("read set").to_owned();
    let page = format!("/ui/stores/{store_id}/readsets/{read_set}");
    let get = |path: String| {
        let cookie = cookie.clone();
        async move { http(endpoint, "GET", &path, Some(&cookie), &[], "").await }
    };

    let fresh = get(page.clone()).await.text();
    assert!(fresh.contains("id=\"tier\" class=\"tier-hot\">hot"), "{fresh}");
    assert!(fresh.contains("id=\"last-access\">never"), "{fresh}");
    assert!(!fresh.contains("id=\"activate\""), "no Activate button on an ACTIVE read set: {fresh}");
    let part = get(format!("{page}/source1/1")).await;
    assert_eq!((part.status, part.body.len()), (200, text.len()), "one part: the whole file");
    // The dashboard's download is a read of the data: its access is written in the background.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while get(page.clone()).await.text().contains("id=\"last-access\">never") {
        assert!(std::time::Instant::now() < deadline, "the download's access was not noted");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let answer = batch_archive(endpoint, &store_id, &[&read_set]).await;
    assert_eq!(answer, serde_json::json!({ "errors": [] }));
    until_status(&client, &store_id, &read_set, ReadSetStatus::Archived).await;

    let list = get(format!("/ui/stores/{store_id}")).await.text();
    let tiers = list.split("id=\"tiers\"").nth(1).and_then(|t| t.split("</p>").next()).expect("tiers line");
    assert!(tiers.contains("<strong>0 B</strong> in 0 read sets"), "nothing hot: {tiers}");
    let row =
        list.split(&format!("data-read-set=\"{read_set}\"")).nth(1).expect("row").split("</tr>").next().expect("row");
    assert!(row.contains("class=\"status-ARCHIVED\">ARCHIVED") && row.contains(">archive</td>"), "{row}");
    assert!(row.contains("class=\"last-access\">20"), "an RFC 3339 time: {row}");
    let home = get("/ui/".to_owned()).await.text();
    let store_row = home.split(&format!("data-store=\"{store_id}\"")).nth(1).expect("store row");
    assert!(store_row.contains("class=\"num hot-bytes\">0 B<"), "{store_row}");

    let archived = get(page.clone()).await.text();
    assert!(archived.contains("id=\"tier\" class=\"tier-archive\">archive"), "{archived}");
    let size = format!("{:.1} KiB", text.len() as f64 / 1024.0);
    assert!(text.len() > 1024 && text.len() < 1 << 20, "the size is shown in KiB");
    let exact = grouped(text.len() as u64);
    assert!(archived.contains(&format!("id=\"stored-bytes\" title=\"{exact} bytes\">{size}<")), "{archived}");
    assert!(tiers.contains(&format!("Archived: <strong>{size}</strong> in 1 read set<")), "{tiers}");
    assert!(store_row.contains(&format!("class=\"num archived-bytes\">{size}<")), "{store_row}");
    assert!(archived.contains("id=\"total-read-count\">400<"), "an archived read set keeps its statistics: {archived}");
    assert!(!archived.contains("class=\"part\""), "no download links for archived files: {archived}");
    assert!(archived.contains("id=\"activate\""), "{archived}");
    let refused = get(format!("{page}/source1/1")).await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert!(refused.text().contains("It is archived: activate it"), "{}", refused.text());

    let confirm = get(format!("{page}/activate")).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    let form = format!("csrf={}", csrf(&confirm.text()));
    let own = endpoint;
    /// Extra headers, form body, what is wrong with the request.
    type Refused<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let refused: [Refused<'_>; 4] = [
        (&[("origin", "http://evil.example")], &form, "another origin"),
        (&[], &form, "no Origin, no Sec-Fetch-Site"),
        (&[("origin", own)], "", "no token"),
        (&[("origin", own)], "csrf=forged", "a wrong token"),
    ];
    for (headers, body, what) in refused {
        let reply = http(endpoint, "POST", &format!("{page}/activate"), Some(&cookie), headers, body).await;
        assert_eq!(reply.status, 403, "{what}: {}", reply.text());
    }
    let still = client.get_read_set_metadata().sequence_store_id(&store_id).id(&read_set).send().await.expect("meta");
    assert_eq!(still.status(), &ReadSetStatus::Archived, "a refused POST changes nothing");

    let done = http(endpoint, "POST", &format!("{page}/activate"), Some(&cookie), &[("origin", own)], &form).await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(done.header("location"), Some(page.as_str()));
    let shown = get(page.clone()).await.text();
    assert!(shown.contains("status-ACTIVATING") || shown.contains("status-ACTIVE"), "{shown}");
    until_status(&client, &store_id, &read_set, ReadSetStatus::Active).await;
    let active = get(page.clone()).await.text();
    assert!(active.contains("id=\"tier\" class=\"tier-hot\">hot") && !active.contains("id=\"activate\""), "{active}");
    let part = get(format!("{page}/source1/1")).await;
    assert_eq!(
        (part.status, part.body.as_slice()),
        (200, text.as_slice()),
        "the activated bytes are the imported ones"
    );
    let again = get(format!("{page}/activate")).await.text();
    assert!(again.contains("id=\"not-activatable\""), "{again}");
    let twice = http(endpoint, "POST", &format!("{page}/activate"), Some(&cookie), &[("origin", own)], &form).await;
    assert_eq!(twice.status, 409, "{}", twice.text());
    assert!(twice.text().contains("only ARCHIVED read sets can be activated"), "{}", twice.text());
    server.stop().await;
}

/// `n` with thousands separators, as the dashboard shows counts: `1234567` → `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Text of an HTML page as a browser shows it: maud's escapes undone.
fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// `seqstore_requests_total` in `endpoint`'s metrics: of `(operation, status)`, or of all.
async fn requests_counted(endpoint: &str, of: Option<(&str, u16)>) -> f64 {
    let text = http(endpoint, "GET", "/metrics", None, &[], "").await.text();
    let prefix = match of {
        Some((operation, status)) => {
            format!("seqstore_requests_total{{operation=\"{operation}\",status=\"{status}\"}} ")
        }
        None => "seqstore_requests_total{".to_owned(),
    };
    let values = text.lines().filter(|l| l.starts_with(&prefix));
    values.map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).expect("a number")).sum()
}

/// A FASTQ source item of sample `sample`.
fn sample_source(sample: &str, source1: &str, source2: Option<&str>) -> StartReadSetImportJobSourceItem {
    let files = SourceFiles::builder().source1(source1).set_source2(source2.map(str::to_owned)).build().expect("files");
    StartReadSetImportJobSourceItem::builder()
        .source_files(files)
        .source_file_type(FileType::Fastq)
        .subject_id("P1")
        .sample_id(sample)
        .build()
        .expect("source")
}

/// The part of `page` from the element whose attribute is `marker` to the end of its row.
fn row<'a>(page: &'a str, marker: &str) -> &'a str {
    let from = page.split(marker).nth(1).unwrap_or_else(|| panic!("{marker} in {page}"));
    from.split("</tr>").next().expect("row")
}

/// What a newcomer meets. A browser at the root goes to the dashboard and its icon is served,
/// neither counted as a refused API call; an empty store says how to import into it (the CLI
/// command and the boto3 call with its id); after an import, read and base counts have thousands
/// separators, files download whole (their parts joined) and by part under their names, the job
/// list shows samples and progress, a finished source its bytes, and the "same content" note is
/// a note, not an error; a 404 keeps the navigation; "Sign out" is there with keys.
async fn the_first_hour_in_the_dashboard(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    // Files of some 1.6 MB: two parts each.
    config.storage.part_size = 1 << 20;
    let server = TestServer::start(&config).await;
    let endpoint = server.endpoint.as_str();

    for _ in 0..3 {
        let icon = http(endpoint, "GET", "/favicon.ico", None, &[], "").await;
        assert_eq!((icon.status, icon.header("content-type")), (200, Some("image/x-icon")));
        assert_eq!(&icon.body[..4], &[0, 0, 1, 0], "an ICO");
    }
    assert_eq!(requests_counted(endpoint, None).await, 0.0, "the icon is no API request, let alone a refused one");
    let accept = ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    let browser = http(endpoint, "GET", "/", None, &[accept], "").await;
    assert_eq!((browser.status, browser.header("location")), (303, Some("/ui/")), "{}", browser.head);
    assert_eq!(requests_counted(endpoint, Some(("DashboardRedirect", 303))).await, 1.0);
    assert_eq!(requests_counted(endpoint, None).await, 1.0, "counted as the redirect only");
    for (headers, what) in [(&[("accept", "application/json")][..], "an API client"), (&[][..], "no Accept")] {
        let api = http(endpoint, "GET", "/", None, headers, "").await;
        assert_eq!(api.status, 403, "{what}: still the API's answer");
    }
    let presigned = http(endpoint, "GET", "/?X-Amz-Signature=00", None, &[accept], "").await;
    assert_ne!(presigned.status, 303, "a presigned request is the API's");

    let cookie = session(endpoint, KEY_A).await;
    let get = |path: String| {
        let cookie = cookie.clone();
        async move { http(endpoint, "GET", &path, Some(&cookie), &[], "").await }
    };
    let client = sdk(endpoint, KEY_A);
    let store_id = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let empty = get(format!("/ui/stores/{store_id}")).await;
    assert_eq!(empty.status, 200);
    let advice = unescape(&empty.text());
    for expected in [
        "id=\"empty-store\"".to_owned(),
        format!("seqstore import --store {store_id} --role-arn arn:aws:iam::{}:role/Import --type FASTQ", KEY_A.2),
        format!("export AWS_ENDPOINT_URL={endpoint} AWS_REGION=us-east-1"),
        "omics.start_read_set_import_job(".to_owned(),
        format!("sequenceStoreId=\"{store_id}\""),
        format!("\"source1\": \"file://{}/r1.fastq.gz\"", root.path().display()),
    ] {
        assert!(advice.contains(&expected), "{expected:?} in {advice}");
    }
    assert!(advice.contains("Sign out"), "a signed-in viewer can sign out");

    let (r1, r2) = (fastq(61, 5000, 150, Some(1)), fastq(62, 5000, 150, Some(2)));
    let (u1, u2) = (write(root.path(), "S1_R1.fastq", &r1), write(root.path(), "S1_R2.fastq", &r2));
    let single = write(root.path(), "S2.fastq", &fastq(63, 1200, 100, None));
    let job =
        start(&client, &store_id, vec![sample_source("S1", &u1, Some(&u2)), sample_source("S2", &single, None)]).await;
    let done = wait(&client, &store_id, &job).await;
    let read_set = done.sources()[0].read_set_id().expect("read set").to_owned();
    let page = format!("/ui/stores/{store_id}/readsets/{read_set}");

    let detail = get(page.clone()).await.text();
    let (n1, b1) = counts(&r1);
    let (n2, b2) = counts(&r2);
    assert_eq!((n1 + n2, b1 + b2), (10_000, 1_500_000));
    assert!(detail.contains("id=\"total-read-count\">10,000<"), "{detail}");
    assert!(detail.contains("id=\"total-base-count\">1,500,000<"), "{detail}");
    let list = get(format!("/ui/stores/{store_id}")).await.text();
    assert!(list.contains("class=\"num reads\">10,000<") && list.contains("class=\"num bases\">1,500,000<"), "{list}");
    assert!(!list.contains("id=\"how-to-import\""), "only an empty store gives the advice");

    for (file, name, text) in [("source1", "S1_R1.fastq", &r1), ("source2", "S1_R2.fastq", &r2)] {
        let stored_bytes = stored(&config, &store_id, &read_set, file).await;
        assert_eq!(&stored_bytes, text, "FASTQ is stored as read");
        assert!(detail.contains(&format!("href=\"{page}/{file}\" download=\"{name}\"")), "{detail}");
        let whole = get(format!("{page}/{file}")).await;
        assert_eq!(whole.status, 200, "{}", whole.text());
        assert_eq!(whole.header("content-length"), Some(text.len().to_string().as_str()));
        assert!(
            whole
                .header("content-disposition")
                .is_some_and(|d| d.contains(&format!("filename=\"{}\"", name.to_lowercase()))),
            "{}",
            whole.head
        );
        assert!(whole.body == *text, "the whole file, its parts joined ({} of {} bytes)", whole.body.len(), text.len());
        let mut joined = Vec::new();
        for part in 1..=2 {
            let one = get(format!("{page}/{file}/{part}")).await;
            assert_eq!(one.status, 200);
            let named = format!("filename=\"{}.part{part}\"", name.to_lowercase());
            assert!(one.header("content-disposition").is_some_and(|d| d.contains(&named)), "{}", one.head);
            joined.extend_from_slice(&one.body);
        }
        assert!(joined == *text, "two parts");
        assert_eq!(get(format!("{page}/{file}/3")).await.status, 404);
    }

    let jobs = get(format!("/ui/stores/{store_id}/jobs")).await.text();
    let listed = row(&jobs, &format!("data-job=\"{job}\""));
    assert!(listed.contains("class=\"samples\">S1, S2<"), "{listed}");
    assert!(listed.contains("aria-valuenow=\"100\""), "{listed}");
    assert!(listed.contains("2 of 2 sources finished"), "{listed}");
    let shown = get(format!("/ui/stores/{store_id}/jobs/{job}")).await.text();
    let source = row(&shown, "data-source=\"0\"");
    let size = format!("{:.1} MiB", (r1.len() + r2.len()) as f64 / (1 << 20) as f64);
    assert!(source.contains(&format!(">{size}<")), "a finished source shows what it read ({size}): {source}");

    let again = start(&client, &store_id, vec![sample_source("S1", &u1, Some(&u2))]).await;
    let twin = wait(&client, &store_id, &again).await.sources()[0].read_set_id().expect("read set").to_owned();
    let note = format!("same content as read set {read_set}");
    let shown = get(format!("/ui/stores/{store_id}/jobs/{again}")).await.text();
    let source = row(&shown, "data-source=\"0\"");
    assert!(source.contains(&format!("class=\"message note\">{note}<")), "a note, not an error: {source}");
    assert_ne!(twin, read_set, "a read set of its own");

    for path in
        ["/ui/stores/0000000000".to_owned(), format!("/ui/stores/{store_id}/readsets/0000000000"), "/ui/nowhere".into()]
    {
        let missing = get(path.clone()).await;
        assert_eq!(missing.status, 404, "{path}");
        let text = missing.text();
        assert!(
            text.contains("<nav>") && text.contains("Sign out") && text.contains("id=\"not-found\""),
            "{path}: {text}"
        );
        assert!(missing.head.contains("content-security-policy"), "the dashboard's headers: {}", missing.head);
    }
    let anonymous = http(endpoint, "GET", "/ui/nowhere", None, &[], "").await;
    assert_eq!(anonymous.status, 404);
    assert!(!anonymous.text().contains("<nav>"), "no session, no navigation");
    server.stop().await;
}

/// In dev mode (no keys) there is no session: the navigation has no "Sign out".
#[tokio::test]
async fn dev_mode_has_no_sign_out() {
    let db = TestDb::new(Backend::Sqlite).await.expect("sqlite");
    let mut config = super::support::config(&db);
    config.auth.keys.clear();
    let server = TestServer::start(&config).await;
    let home = http(&server.endpoint, "GET", "/ui/", None, &[], "").await;
    assert_eq!(home.status, 200);
    let text = home.text();
    assert!(text.contains("<nav>") && text.contains("account 123456789012"), "{text}");
    assert!(!text.contains("Sign out") && !text.contains("/ui/logout"), "{text}");
    let missing = http(&server.endpoint, "GET", "/ui/stores/0000000000", None, &[], "").await;
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("<nav>") && !missing.text().contains("Sign out"), "{}", missing.text());
    server.stop().await;
}
