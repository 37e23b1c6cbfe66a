//! htsget and refget with samtools as the client, unchanged: a generated, coordinate-sorted BAM and
//! a CRAM (many containers) are imported with their reference; `samtools view` of htsget URLs with
//! regions prints every record that `samtools view` of the original file prints for the region,
//! and only records of the file; the CRAM is decoded with no local reference, htslib fetching the
//! sequences from refget through `REF_PATH`. Both authenticate with a bearer token from
//! `seqstore token`, read by htslib through `HTS_AUTH_LOCATION`. Then the error shapes.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType, ReadSetImportJobItemStatus, ReadSetImportJobStatus};
use serde_json::Value;

use super::aligned_failures::{aligned_source, import_references, samtools, samtools_available};
use super::aligned_generated::{fasta, genome, simulated_sam};
use super::cli::cli;
use super::imports::{import_config, start, store, wait, write};
use super::support::{Backend, KEY_A, KEY_B, TestDb, TestServer, exchange, on_both_backends, sdk, signed_http};

/// Regions asked for: reference, 0-based start, end; `*` for the unplaced unmapped reads.
const REGIONS: [(&str, Option<u64>, Option<u64>); 7] = [
    ("chrA", Some(0), Some(2_000)),
    ("chrB", Some(78_000), Some(80_000)),
    ("chrA", Some(30_000), Some(70_000)),
    ("chrA", Some(50_000), Some(50_001)),
    ("chrB", None, None),
    ("chrA", Some(119_500), None),
    ("*", None, None),
];

/// The imported files and what samtools needs to read them through the server.
pub(super) struct Fixture {
    _root: tempfile::TempDir,
    pub(super) server: TestServer,
    pub(super) store: String,
    pub(super) bam: (String, String),
    pub(super) cram: (String, String),
    reference: String,
    reference_arn: String,
    token_file: String,
    ref_cache: String,
}

pub(super) async fn fixture(db: &TestDb) -> Fixture {
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let path = |name: &str| root.path().join(name).to_str().expect("utf-8").to_owned();
    let genome = genome(7);
    let reference_uri = write(root.path(), "ref.fa", &fasta(&genome));
    std::fs::write(path("x.sam"), simulated_sam(&genome, 8)).expect("write SAM");
    samtools(&["sort", "-o", &path("x.bam"), &path("x.sam")]);
    samtools(&["index", &path("x.bam")]);
    // Small slices and one slice per container: the region queries choose among many containers.
    let options = ["--output-fmt-option", "seqs_per_slice=200", "--output-fmt-option", "slices_per_container=1"];
    let (bam, cram, reference) = (path("x.bam"), path("x.cram"), path("ref.fa"));
    let mut args = vec!["view", "-C", "-T", &reference];
    args.extend(options);
    args.extend(["-o", &cram, &bam]);
    samtools(&args);
    samtools(&["index", &cram]);
    let arn = import_references(&client, &[("generated", &reference_uri)]).await.remove(0);
    // The CRAM's @SQ UR names ref.fa: moved away, htslib must find the bases through REF_PATH.
    std::fs::rename(path("ref.fa"), path("local.fa")).expect("move the reference");
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let sources = vec![
        aligned_source(&format!("file://{bam}"), FileType::Bam, Some(&arn)),
        aligned_source(&format!("file://{cram}"), FileType::Cram, Some(&arn)),
    ];
    let job = wait(&client, &store, &start(&client, &store, sources).await).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let ids: Vec<String> = job
        .sources()
        .iter()
        .map(|s| {
            assert_eq!(s.status(), &ReadSetImportJobItemStatus::Finished, "{s:?}");
            s.read_set_id().expect("read set").to_owned()
        })
        .collect();
    let token = cli(&server.endpoint, &["token", "--expires", "30m"]);
    assert!(token.ok, "seqstore token: {}", token.stderr);
    assert!(token.stderr.contains("expires at"), "{}", token.stderr);
    std::fs::write(path("token"), token.stdout.trim()).expect("token file");
    std::fs::create_dir(path("ref-cache")).expect("ref cache");
    Fixture {
        store,
        bam: (ids[0].clone(), bam),
        cram: (ids[1].clone(), cram),
        reference: path("local.fa"),
        reference_arn: arn,
        token_file: path("token"),
        ref_cache: format!("{}/%2s/%2s/%s", path("ref-cache")),
        server,
        _root: root,
    }
}

impl Fixture {
    /// `samtools ARGS` reading through the server: the token from `HTS_AUTH_LOCATION`, sent over
    /// plain HTTP, and reference bases from refget.
    fn samtools_remote(&self, args: &[&str]) -> std::process::Output {
        Command::new("samtools")
            .args(args)
            .env("HTS_AUTH_LOCATION", &self.token_file)
            .env("HTS_ALLOW_UNENCRYPTED_AUTHORIZATION_HEADER", "I understand the risks")
            .env("REF_PATH", format!("{}/ga4gh/refget/v2/sequence/%s", self.server.endpoint))
            .env("REF_CACHE", &self.ref_cache)
            .output()
            .expect("run samtools")
    }

    /// `Bearer TOKEN` with the token of `seqstore token`.
    pub(super) fn bearer(&self) -> String {
        format!("Bearer {}", std::fs::read_to_string(&self.token_file).expect("token").trim())
    }

    pub(super) fn url(&self, id: &str, query: &str) -> String {
        format!("{}/ga4gh/htsget/v1/reads/{}/{id}{query}", self.server.endpoint, self.store)
    }
}

fn lines(sam: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(sam).lines().map(str::to_owned).collect()
}

/// Counts of each line.
fn multiset(lines: &[String]) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for line in lines {
        *counts.entry(line.as_str()).or_insert(0) += 1;
    }
    counts
}

/// Every region of [`REGIONS`] through htsget against the local file, for one read set.
fn check_regions(fixture: &Fixture, (id, local): &(String, String), name: &str) {
    let local_ref = ["-T", fixture.reference.as_str()];
    let whole = lines(&samtools(&[&["view"][..], &local_ref, &[local.as_str()]].concat()));
    let whole_counts = multiset(&whole);
    let (mut asked, mut served) = (0usize, 0usize);
    for (reference, start, end) in REGIONS {
        let mut query = format!("?referenceName={reference}");
        let samtools_region = match (start, end) {
            (Some(s), Some(e)) => {
                query += &format!("&start={s}&end={e}");
                format!("{reference}:{}-{e}", s + 1)
            }
            (Some(s), None) => {
                query += &format!("&start={s}");
                format!("{reference}:{}", s + 1)
            }
            _ => reference.to_owned(),
        };
        let expected = lines(&samtools(&[&["view"][..], &local_ref, &[local.as_str(), &samtools_region]].concat()));
        let out = fixture.samtools_remote(&["view", &fixture.url(id, &query)]);
        assert!(out.status.success(), "{name} {query}: {}", String::from_utf8_lossy(&out.stderr));
        let got = lines(&out.stdout);
        let got_counts = multiset(&got);
        for (line, n) in multiset(&expected) {
            assert!(got_counts.get(line).copied().unwrap_or(0) >= n, "{name} {query}: missing record {line}");
        }
        for (line, n) in &got_counts {
            assert!(
                whole_counts.get(line).copied().unwrap_or(0) >= *n,
                "{name} {query}: record not in the file {line}"
            );
        }
        assert!(!expected.is_empty(), "{name} {query}: the region holds records");
        eprintln!("{name} {query}: {} records in the region, {} served", expected.len(), got.len());
        (asked, served) = (asked + expected.len(), served + got.len());
    }
    eprintln!("{name}: {served} records served for {asked} in the regions: {:.2}×", served as f64 / asked as f64);
    // The whole file, and the header alone.
    let out = fixture.samtools_remote(&["view", &fixture.url(id, "")]);
    assert!(out.status.success(), "{name} whole: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines(&out.stdout), whole, "{name}: the whole file through htsget");
    let out = fixture.samtools_remote(&["view", "--no-PG", "-H", &fixture.url(id, "?class=header")]);
    assert!(out.status.success(), "{name} header: {}", String::from_utf8_lossy(&out.stderr));
    let header = samtools(&[&["view", "--no-PG", "-H"][..], &local_ref, &[local.as_str()]].concat());
    assert_eq!(String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&header), "{name}: class=header");
    let out = fixture.samtools_remote(&["view", "-c", &fixture.url(id, "?class=header")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "{name}: class=header holds no records");
}

async fn samtools_reads_regions(backend: Backend) {
    if !samtools_available() {
        return;
    }
    let Some(db) = TestDb::new(backend).await else { return };
    let fixture = fixture(&db).await;
    check_regions(&fixture, &fixture.bam, "BAM");
    check_regions(&fixture, &fixture.cram, "CRAM");
    let cached = walk(Path::new(fixture.ref_cache.trim_end_matches("/%2s/%2s/%s")));
    assert_eq!(cached, 2, "htslib fetched both sequences from refget into its cache");
    dashboard_commands_run(&fixture).await;
}

/// The dashboard's read set page gives a `samtools view` command for a region that runs as
/// copied (with the token file it names) and, for the CRAM, links to its reference's page; the
/// reference page gives each sequence's refget URL.
async fn dashboard_commands_run(fixture: &Fixture) {
    let cookie = super::ui::session(&fixture.server.endpoint, KEY_A).await;
    let page = |path: String| {
        let cookie = cookie.clone();
        async move {
            let (status, _, body) =
                fetch("GET", &format!("{}{path}", fixture.server.endpoint), &[("cookie", &cookie)], b"").await;
            assert_eq!(status, 200, "{path}");
            String::from_utf8(body).expect("UTF-8 page")
        }
    };
    for (id, _) in [&fixture.bam, &fixture.cram] {
        let html = page(format!("/ui/stores/{}/readsets/{id}", fixture.store)).await;
        let start = html.find("id=\"htsget-command\">").expect("the htsget command") + "id=\"htsget-command\">".len();
        let command = html[start..][..html[start..].find("</code>").expect("end")]
            .replace("&gt;", ">")
            .replace("&lt;", "<")
            .replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&");
        let (token, samtools) = command.split_once("; ").expect("seqstore token; samtools …");
        assert_eq!(token, "seqstore token > token.txt");
        let dir = Path::new(&fixture.token_file).parent().expect("dir");
        std::fs::copy(&fixture.token_file, dir.join("token.txt")).expect("token.txt");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{samtools} | wc -l"))
            .current_dir(dir)
            .env("REF_CACHE", &fixture.ref_cache)
            .output()
            .expect("sh");
        let count: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
        assert!(out.status.success() && count > 0, "{samtools}: {count} {}", String::from_utf8_lossy(&out.stderr));
    }
    let path =
        fixture.reference_arn.split(":referenceStore/").nth(1).expect("reference ARN").replace("/reference/", "/");
    let cram = page(format!("/ui/stores/{}/readsets/{}", fixture.store, fixture.cram.0)).await;
    let reference = cram.split("id=\"reference\">").nth(1).and_then(|r| r.split("</dd>").next()).expect("reference");
    assert!(reference.starts_with(&format!("<a href=\"/ui/references/{path}\">")), "{reference}");
    assert!(reference.contains(&fixture.reference_arn), "the ARN beside the link: {reference}");
    let html = page(format!("/ui/references/{path}")).await;
    let link = format!("{}/ga4gh/refget/v2/sequence/SQ.", fixture.server.endpoint);
    assert_eq!(html.matches(&link).count(), 2, "a refget URL per sequence: {html}");
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum::<usize>())
        .unwrap_or(0)
}

/// `method url` with `headers` and `body`: status, lower-cased head, body.
pub(super) async fn fetch(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut request = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = exchange(request.body(body.to_vec()).expect("request")).await;
    (answer.status, answer.head.to_lowercase(), answer.body)
}

/// The htsget error of an answer: status, `error`, `message`.
fn htsget_error((status, _, body): (u16, String, Vec<u8>)) -> (u16, String, String) {
    let json: Value =
        serde_json::from_slice(&body).unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(&body)));
    let error = &json["htsget"];
    (status, error["error"].as_str().unwrap_or("").to_owned(), error["message"].as_str().unwrap_or("").to_owned())
}

async fn errors_have_the_specifications_shapes(backend: Backend) {
    if !samtools_available() {
        return;
    }
    let Some(db) = TestDb::new(backend).await else { return };
    let fixture = fixture(&db).await;
    let bearer = fixture.bearer();
    let auth = [("authorization", bearer.as_str())];
    let bam = &fixture.bam.0;
    let get = |query: &str| fixture.url(bam, query);

    let cases: [(&str, u16, &str, &str); 8] = [
        ("?referenceName=chrA&start=500&end=100", 400, "InvalidRange", "start 500 is after end 100"),
        ("?referenceName=chrA&start=x", 400, "InvalidInput", "unsigned 32-bit"),
        ("?start=5", 400, "InvalidInput", "need a referenceName"),
        ("?referenceName=*&start=5", 400, "InvalidInput", "takes no start"),
        ("?referenceName=chrZ", 404, "NotFound", "no reference sequence named 'chrZ'"),
        ("?format=CRAM", 400, "UnsupportedFormat", "stored as BAM"),
        ("?format=VCF", 400, "UnsupportedFormat", "format 'VCF'"),
        ("?class=header&referenceName=chrA", 400, "InvalidInput", "class=header takes no"),
    ];
    for (query, status, kind, message) in cases {
        let (s, k, m) = htsget_error(fetch("GET", &get(query), &auth, b"").await);
        assert_eq!((s, k.as_str()), (status, kind), "{query}: {m}");
        assert!(m.contains(message), "{query}: {m}");
    }
    // An unknown id; account B's view of account A's read set is A's view of a store it lacks.
    let (s, k, m) = htsget_error(fetch("GET", &fixture.url("9999999999", ""), &auth, b"").await);
    assert_eq!((s, k.as_str()), (404, "NotFound"), "{m}");
    assert!(m.contains("9999999999"), "{m}");
    let b_token = signed_http(&fixture.server.endpoint, "POST", "/token".into(), KEY_B).await;
    let b_bearer = format!("Bearer {}", b_token["token"].as_str().expect("token"));
    let (s, k, foreign) = htsget_error(fetch("GET", &get(""), &[("authorization", &b_bearer)], b"").await);
    assert_eq!((s, k.as_str()), (404, "NotFound"), "{foreign}");
    let missing_store = get("").replace(&fixture.store, "8888888888");
    let (_, _, missing) = htsget_error(fetch("GET", &missing_store, &auth, b"").await);
    assert_eq!(foreign.replace(&fixture.store, "S"), missing.replace("8888888888", "S"));
    // No token, a forged one, an expired one.
    let (s, k, m) = htsget_error(fetch("GET", &get(""), &[], b"").await);
    assert_eq!((s, k.as_str()), (401, "InvalidAuthentication"), "{m}");
    assert!(m.contains("seqstore token"), "{m}");
    let (s, k, _) = htsget_error(fetch("GET", &get(""), &[("authorization", "Bearer forged.token")], b"").await);
    assert_eq!((s, k.as_str()), (401, "InvalidAuthentication"));
    let short = cli(&fixture.server.endpoint, &["token", "--expires", "1s"]);
    assert!(short.ok, "{}", short.stderr);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let expired = format!("Bearer {}", short.stdout.trim());
    let (s, k, m) = htsget_error(fetch("GET", &get(""), &[("authorization", &expired)], b"").await);
    assert_eq!((s, k.as_str()), (401, "InvalidAuthentication"), "{m}");
    assert!(m.contains("expired"), "{m}");
    let too_long = cli(&fixture.server.endpoint, &["token", "--expires", "13h"]);
    assert!(!too_long.ok && too_long.stderr.contains("auth.max_token_seconds"), "{}", too_long.stderr);
    // A range past the reference's end holds nothing: the header and the EOF marker.
    let (status, _, ticket) = fetch("GET", &get("?referenceName=chrA&start=4000000000"), &auth, b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&ticket));
    let ticket: Value = serde_json::from_slice(&ticket).expect("ticket");
    assert_eq!(ticket["htsget"]["urls"].as_array().map(Vec::len), Some(2), "{ticket}");
    // POST with regions.
    let body =
        br#"{"format":"BAM","regions":[{"referenceName":"chrB","start":100,"end":200},{"referenceName":"chrA"}]}"#;
    let (status, head, ticket) = fetch("POST", &get(""), &auth, body).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&ticket));
    assert!(head.contains("application/vnd.ga4gh.htsget.v1.3.0+json"), "{head}");
    let ticket: Value = serde_json::from_slice(&ticket).expect("ticket");
    let urls = ticket["htsget"]["urls"].as_array().expect("urls");
    assert_eq!(urls[0]["class"], "header");
    assert!(urls[0]["url"].as_str().expect("url").starts_with("data:"), "{ticket}");
    // A data URL needs no token; an altered one is refused.
    let data = urls[1]["url"].as_str().expect("data URL");
    assert!(data.contains("/ga4gh/htsget/v1/data/"), "{data}");
    let (status, _, bytes) = fetch("GET", data, &[], b"").await;
    assert_eq!(status, 200);
    assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 4], "BGZF blocks");
    let (s, k, _) = htsget_error(fetch("GET", &data.replace("t=", "t=x"), &[], b"").await);
    assert_eq!((s, k.as_str()), (401, "InvalidAuthentication"));
    // CORS: a preflight and the answer's headers.
    let origin = [("origin", "https://igv.example"), ("access-control-request-method", "GET")];
    let (status, head, _) = fetch("OPTIONS", &get(""), &origin, b"").await;
    assert_eq!(status, 204);
    assert!(head.contains("access-control-allow-headers: authorization"), "{head}");
    let (_, head, _) = fetch("GET", &get("?class=header"), &[auth[0], origin[0]], b"").await;
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    // service-info needs no token.
    let (status, _, info) =
        fetch("GET", &format!("{}/ga4gh/htsget/v1/reads/service-info", fixture.server.endpoint), &[], b"").await;
    assert_eq!(status, 200);
    let info: Value = serde_json::from_slice(&info).expect("service-info");
    assert_eq!(info["type"]["artifact"], "htsget");
    assert_eq!(info["htsget"]["formats"], serde_json::json!(["BAM", "CRAM"]));
}

/// A refget request and what it must answer: URL, headers, status, part of the message.
type Case<'a> = (String, Vec<(&'a str, &'a str)>, u16, &'a str);

/// refget's answers and errors over HTTP, and the access rules both APIs share: a token dies with
/// its key; dev mode needs none.
async fn refget_answers_and_access_rules(backend: Backend) {
    if !samtools_available() {
        return;
    }
    let Some(db) = TestDb::new(backend).await else { return };
    let fixture = fixture(&db).await;
    let bearer = fixture.bearer();
    let auth = [("authorization", bearer.as_str())];
    let chr_a = &genome(7)[0];
    let md5 = super::fastq_data::md5(chr_a);
    let base = format!("{}/ga4gh/refget/v2/sequence", fixture.server.endpoint);
    let (status, head, body) = fetch("GET", &format!("{base}/{md5}?start=10&end=20"), &auth, b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(head.contains("content-type: text/vnd.ga4gh.refget.v2.0.0+plain"), "{head}");
    assert_eq!(body, chr_a[10..20].to_vec());
    let (status, _, meta) = fetch("GET", &format!("{base}/{md5}/metadata"), &auth, b"").await;
    assert_eq!(status, 200);
    let meta: Value = serde_json::from_slice(&meta).expect("metadata");
    let sq = meta["metadata"]["ga4gh"].as_str().expect("SQ. digest").to_owned();
    assert!(sq.starts_with("SQ.") && sq.len() == 35, "{meta}");
    assert_eq!(meta["metadata"]["md5"], md5.as_str());
    assert_eq!(meta["metadata"]["length"], 120_000);
    assert_eq!(meta["metadata"]["aliases"][0]["alias"], "chrA");
    let (status, head, body) = fetch("GET", &format!("{base}/{sq}"), &[auth[0], ("range", "bytes=5-14")], b"").await;
    assert_eq!(status, 206);
    assert!(head.contains("content-range: bytes 5-14/120000"), "{head}");
    assert_eq!(body, chr_a[5..15].to_vec());
    let (status, _, body) = fetch("GET", &format!("{base}/ga4gh:{sq}?start=119990"), &auth, b"").await;
    assert_eq!((status, body), (200, chr_a[119_990..].to_vec()));
    let refget_error = |answer: (u16, String, Vec<u8>)| {
        let json: Value = serde_json::from_slice(&answer.2).unwrap_or(Value::Null);
        (answer.0, json["error"].as_str().unwrap_or("").to_owned(), json["message"].as_str().unwrap_or("").to_owned())
    };
    let cases: [Case; 7] = [
        (format!("{base}/{md5}?start=5"), vec![("range", "bytes=1-2")], 400, "not both"),
        (format!("{base}/{md5}?start=x"), vec![], 400, "unsigned 32-bit"),
        (format!("{base}/{md5}?start=120000"), vec![], 416, "120000 bases"),
        (format!("{base}/{md5}?end=120001"), vec![], 416, "120000 bases"),
        (format!("{base}/{md5}?start=30&end=20"), vec![], 501, "circular"),
        (format!("{base}/{md5}"), vec![("accept", "text/exotic-encoding")], 406, "text/plain"),
        (format!("{base}/{}", "0".repeat(32)), vec![], 404, "no reference sequence of yours"),
    ];
    for (url, mut headers, status, message) in cases {
        headers.push(auth[0]);
        let (s, _, m) = refget_error(fetch("GET", &url, &headers, b"").await);
        assert_eq!(s, status, "{url}: {m}");
        assert!(m.contains(message), "{url}: {m}");
    }
    // Another account's sequence is a missing one; no token is a 401.
    let b_token = signed_http(&fixture.server.endpoint, "POST", "/token".into(), KEY_B).await;
    let b_bearer = format!("Bearer {}", b_token["token"].as_str().expect("token"));
    let (s, _, foreign) =
        refget_error(fetch("GET", &format!("{base}/{md5}"), &[("authorization", &b_bearer)], b"").await);
    let (_, _, missing) = refget_error(fetch("GET", &format!("{base}/{}", "0".repeat(32)), &auth, b"").await);
    assert_eq!((s, foreign.replace(&md5, "X")), (404, missing.replace(&"0".repeat(32), "X")));
    let (s, kind, _) = refget_error(fetch("GET", &format!("{base}/{md5}"), &[], b"").await);
    assert_eq!((s, kind.as_str()), (401, "InvalidAuthentication"));
    let (status, _, info) = fetch("GET", &format!("{base}/service-info"), &[], b"").await;
    assert_eq!(status, 200);
    let info: Value = serde_json::from_slice(&info).expect("service-info");
    assert_eq!(
        (info["type"]["artifact"].as_str(), info["refget"]["circular_supported"].as_bool()),
        (Some("refget"), Some(false))
    );

    // The server restarted without key A: the signing key is in the database, so its tokens still
    // open (key B's), but a token of a key no longer configured is refused.
    let Fixture { server, _root: root, .. } = fixture;
    server.stop().await;
    let mut config = import_config(&db, root.path());
    config.auth.keys.retain(|k| k.access_key_id != KEY_A.0);
    let other = TestServer::start(&config).await;
    let url = format!("{}/ga4gh/refget/v2/sequence/{md5}?start=0&end=4", other.endpoint);
    let (s, _, m) = refget_error(fetch("GET", &url, &auth, b"").await);
    assert_eq!(s, 401, "{m}");
    assert!(m.contains("no longer has"), "{m}");
    let (s, _, m) = refget_error(fetch("GET", &url, &[("authorization", &b_bearer)], b"").await);
    assert_eq!(s, 404, "key B's token opens on the other process: {m}");
    // Dev mode needs no token.
    other.stop().await;
    config.auth.keys.clear();
    let dev = TestServer::start(&config).await;
    let url = format!("{}/ga4gh/refget/v2/sequence/{md5}", dev.endpoint);
    let (s, kind, _) = refget_error(fetch("GET", &url, &[], b"").await);
    assert_eq!((s, kind.as_str()), (404, "NotFound"), "dev mode: no token needed (its account holds nothing)");
}

/// The protections of the model's API on the GA4GH routes: forged tokens and data URLs count as
/// failed authentications of the address (then 429 with `Retry-After`), the account's rate applies,
/// and an oversized head is refused; each in its API's error shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ga4gh_routes_have_the_apis_protections() {
    let Some(db) = TestDb::new(Backend::Sqlite).await else { return };
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.limits.auth_failures_per_minute = 3;
    config.limits.max_header_bytes = 4_096;
    let server = TestServer::start(&config).await;
    let reads = format!("{}/ga4gh/htsget/v1/reads/1234567890/1234567890", server.endpoint);
    let forged = [("authorization", "Bearer forged.token")];
    for _ in 0..2 {
        assert_eq!(htsget_error(fetch("GET", &reads, &forged, b"").await).0, 401);
    }
    let data = format!("{}/ga4gh/htsget/v1/data/1.bam?t=forged.token", server.endpoint);
    assert_eq!(htsget_error(fetch("GET", &data, &[], b"").await).0, 401, "a forged data URL counts too");
    let (status, head, body) = fetch("GET", &reads, &forged, b"").await;
    let (s, kind, message) = htsget_error((status, head.clone(), body));
    assert_eq!((s, kind.as_str()), (429, "TooManyRequests"), "{message}");
    assert!(head.contains("retry-after:"), "{head}");
    let refget = format!("{}/ga4gh/refget/v2/sequence/{}", server.endpoint, "0".repeat(32));
    let (status, _, _) = fetch("GET", &refget, &forged, b"").await;
    assert_eq!(status, 429, "the same address is throttled on refget");
    let big = "x".repeat(5_000);
    let (status, _, _) =
        fetch("GET", &format!("{}/ga4gh/htsget/v1/reads/service-info", server.endpoint), &[("x-big", &big)], b"").await;
    assert_eq!(status, 400, "the head limit");
    server.stop().await;

    let Some(db) = TestDb::new(Backend::Sqlite).await else { return };
    let mut config = import_config(&db, root.path());
    config.auth.keys.clear();
    config.limits.requests_per_second = 1.0;
    config.limits.burst = 2;
    let dev = TestServer::start(&config).await;
    let refget = format!("{}/ga4gh/refget/v2/sequence/{}", dev.endpoint, "0".repeat(32));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(fetch("GET", &refget, &[], b"").await.0);
    }
    assert!(statuses.contains(&429), "the account's rate applies: {statuses:?}");
}

/// Read sets htsget cannot query by region: an unsorted BAM (no index) gets a whole-file ticket and
/// a region query answers InvalidInput saying why; a FASTQ read set is UnsupportedFormat; an
/// upload whose processing failed is NotFound naming its status.
async fn read_sets_without_regions(backend: Backend) {
    if !samtools_available() {
        return;
    }
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let path = |name: &str| root.path().join(name).to_str().expect("utf-8").to_owned();
    std::fs::write(path("x.sam"), simulated_sam(&genome(7), 8)).expect("write SAM");
    samtools(&["view", "-b", "-o", &path("unsorted.bam"), &path("x.sam")]);
    let fastq_uri = write(root.path(), "r.fastq", &super::fastq_data::fastq(3, 50, 60, None));
    let sources = vec![
        aligned_source(&format!("file://{}", path("unsorted.bam")), FileType::Bam, None),
        super::imports::source(&fastq_uri, None),
    ];
    let job = wait(&client, &store, &start(&client, &store, sources).await).await;
    let ids: Vec<&str> = job.sources().iter().map(|s| s.read_set_id().expect("read set")).collect();
    let url = |id: &str, query: &str| format!("{}/ga4gh/htsget/v1/reads/{store}/{id}{query}", server.endpoint);
    let (status, _, ticket) = fetch("GET", &url(ids[0], ""), &[], b"").await;
    let auth_needed = status == 401;
    let token = cli(&server.endpoint, &["token"]);
    let bearer = format!("Bearer {}", token.stdout.trim());
    let auth = [("authorization", bearer.as_str())];
    assert!(auth_needed, "outside dev mode a token is needed: {}", String::from_utf8_lossy(&ticket));
    let (status, _, ticket) = fetch("GET", &url(ids[0], ""), &auth, b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&ticket));
    let ticket: Value = serde_json::from_slice(&ticket).expect("ticket");
    assert_eq!(ticket["htsget"]["urls"].as_array().map(Vec::len), Some(1), "one whole-file URL: {ticket}");
    let (s, k, m) = htsget_error(fetch("GET", &url(ids[0], "?referenceName=chrA"), &auth, b"").await);
    assert_eq!((s, k.as_str()), (400, "InvalidInput"), "{m}");
    assert!(m.contains("has no index") && m.contains("whole file"), "{m}");
    let (s, k, m) = htsget_error(fetch("GET", &url(ids[1], ""), &auth, b"").await);
    assert_eq!((s, k.as_str()), (400, "UnsupportedFormat"), "{m}");
    assert!(m.contains("FASTQ"), "{m}");
    let mut bad = super::fastq_data::fastq(32, 60, 80, None);
    bad.extend_from_slice(b"@broken\nACGT\n+\nII\n");
    let failed = super::uploads::upload_files(&client, &store, FileType::Fastq, None, &[&bad], 2).await;
    super::uploads::settled(&client, &store, &failed).await;
    let (s, k, m) = htsget_error(fetch("GET", &url(&failed, ""), &auth, b"").await);
    assert_eq!((s, k.as_str()), (404, "NotFound"), "{m}");
    assert!(m.contains("UPLOAD_FAILED"), "{m}");
}

/// A BAM whose reference is longer than a BAI can address is indexed with a CSI at import; htsget
/// plans its regions from the CSI: samtools prints through htsget every record it prints locally,
/// beyond 2^29 too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regions_of_a_bam_indexed_with_a_csi() {
    if !samtools_available() {
        return;
    }
    let Some(db) = TestDb::new(Backend::Sqlite).await else { return };
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let path = |name: &str| root.path().join(name).to_str().expect("utf-8").to_owned();
    let mut sam = String::from("@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:big\tLN:700000000\n@SQ\tSN:small\tLN:5000\n");
    let (seq, qual) = ("ACGT".repeat(25), "I".repeat(100));
    for i in 0..3_000u64 {
        let (reference, pos) = match i % 3 {
            0 => ("big", 1 + i * 50),
            1 => ("big", 600_000_000 + i * 40),
            _ => ("small", 1 + (i % 4_800)),
        };
        sam += &format!("r{i}\t0\t{reference}\t{pos}\t60\t100M\t*\t0\t0\t{seq}\t{qual}\n");
    }
    std::fs::write(path("big.sam"), sam).expect("write SAM");
    samtools(&["sort", "-o", &path("big.bam"), &path("big.sam")]);
    let sources = vec![aligned_source(&format!("file://{}", path("big.bam")), FileType::Bam, None)];
    let job = wait(&client, &store, &start(&client, &store, sources).await).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let id = job.sources()[0].read_set_id().expect("read set").to_owned();
    let meta = client.get_read_set_metadata().sequence_store_id(&store).id(&id).send().await.expect("metadata");
    assert!(meta.files().and_then(|f| f.index()).is_some(), "an index was built: {meta:?}");
    samtools(&["index", "-c", &path("big.bam")]);
    let token = cli(&server.endpoint, &["token"]);
    std::fs::write(path("token"), token.stdout.trim()).expect("token file");
    for (reference, start, end) in
        [("big", 600_020_000u64, 600_060_000u64), ("big", 10_000, 20_000), ("small", 100, 200)]
    {
        let query = format!("?referenceName={reference}&start={start}&end={end}");
        let url = format!("{}/ga4gh/htsget/v1/reads/{store}/{id}{query}", server.endpoint);
        let local = lines(&samtools(&["view", &path("big.bam"), &format!("{reference}:{}-{end}", start + 1)]));
        let out = Command::new("samtools")
            .args(["view", &url])
            .env("HTS_AUTH_LOCATION", path("token"))
            .env("HTS_ALLOW_UNENCRYPTED_AUTHORIZATION_HEADER", "I understand the risks")
            .output()
            .expect("samtools");
        assert!(out.status.success(), "{url}: {}", String::from_utf8_lossy(&out.stderr));
        let remote = lines(&out.stdout);
        assert!(!local.is_empty(), "{query} holds records");
        for line in &local {
            assert!(remote.contains(line), "{query}: missing {line}");
        }
        eprintln!("CSI {query}: {} records in the region, {} served", local.len(), remote.len());
    }
}

on_both_backends!(
    read_sets_without_regions,
    samtools_reads_regions,
    errors_have_the_specifications_shapes,
    refget_answers_and_access_rules
);
