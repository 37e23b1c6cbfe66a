//! The `seqstore` command line against a real `seqstore serve`: imports with `--wait` and forced
//! progress lines (throttled so intermediate values show), `--json` output, a failing source, the
//! direct-upload fallback for files outside the server's roots, verified multi-part downloads that
//! refuse a corrupted stored byte, reference import and CRAM verification, `/metrics` parsed with
//! a Prometheus text-format parser, and JSON request logs.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::fastq_data::{fastq, md5};
use super::support::{KEY_A, Serve, TestStorage, in_ci, seqstore_command};

/// Role ARN of account A.
pub(super) const ROLE: &str = "arn:aws:iam::111111111111:role/Import";

pub(super) fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

/// A configuration file: account A's key, parts of 1 MiB, and `extra` TOML.
pub(super) fn config(dir: &Path, extra: &str) -> PathBuf {
    let (id, secret, account) = KEY_A;
    let text = format!(
        "[[auth.keys]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{secret}\"\naccount_id = \"{account}\"\n\
         [storage]\npart_size = 1048576\n{extra}"
    );
    let path = dir.join("seqstore.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// `seqstore serve` over `dir/data` with `config`, `file://` allowed under `root`. Its objects stay
/// in `dir/data/objects` whatever `SEQSTORE_TEST_STORAGE` says: the tests flip stored bytes there
/// (the storage kinds themselves are covered by the storage conformance suite).
pub(super) fn serve(dir: &Path, config: &Path, root: &Path) -> Serve {
    let data = dir.join("data");
    let local = TestStorage::local();
    Serve::start_on(
        &[
            "--listen".as_ref(),
            "127.0.0.1:0".as_ref(),
            "--config".as_ref(),
            config.as_os_str(),
            "--data-dir".as_ref(),
            data.as_os_str(),
            "--file-root".as_ref(),
            root.as_os_str(),
        ],
        &local,
    )
}

/// What one CLI run gave.
pub(super) struct Run {
    /// Exit status 0.
    pub(super) ok: bool,
    /// Standard output.
    pub(super) stdout: String,
    /// Standard error.
    pub(super) stderr: String,
}

impl Run {
    pub(super) fn json(&self) -> Value {
        assert!(self.ok, "the command failed:\n{}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs `seqstore ARGS --endpoint-url ENDPOINT` with account A's key in the AWS environment
/// variables (and no profile files).
pub(super) fn cli(endpoint: &str, args: &[&str]) -> Run {
    output(client_command(args).args(["--endpoint-url", endpoint]))
}

/// `seqstore ARGS` with account A's key in the AWS environment variables, region us-east-1, no
/// profile files, no endpoint variables and no instance metadata; the caller adds the endpoint.
pub(super) fn client_command(args: &[&str]) -> Command {
    let mut command = seqstore_command();
    command
        .args(args)
        .env("AWS_ACCESS_KEY_ID", KEY_A.0)
        .env("AWS_SECRET_ACCESS_KEY", KEY_A.1)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_OMICS")
        .env_remove("RUST_LOG");
    command
}

/// Runs `command` to its end.
pub(super) fn output(command: &mut Command) -> Run {
    let out = command.output().expect("run seqstore");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The bytes-processed values of progress lines labelled `label` that are neither the start nor
/// the end.
fn intermediate_progress(stderr: &str, label: &str) -> BTreeSet<String> {
    stderr
        .lines()
        .filter(|l| l.starts_with(label))
        .filter_map(|l| {
            let counts = l.split("] ").nth(1)?.split(" (").next()?;
            let (done, total) = counts.split_once('/')?;
            (done != "0 B" && done != total).then(|| done.to_owned())
        })
        .collect()
}

pub(super) fn create_store(endpoint: &str) -> String {
    let store = cli(endpoint, &["store", "create", "cli-test", "--json"]).json();
    store["id"].as_str().expect("store id").to_owned()
}

/// The stored object of `file` of a read set in the server's data directory.
fn stored(dir: &Path, store: &str, read_set: &str, file: &str) -> PathBuf {
    dir.join("data/objects").join(store).join("readSet").join(read_set).join(file)
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).expect("read stored object");
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).expect("write stored object");
}

#[test]
fn imports_with_progress_and_verified_multipart_downloads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("files");
    std::fs::create_dir(&root).expect("root");
    // 256 KiB/s per file: the 3.2 MB pair takes about 6 s, the 1 MB BAM about 4 s.
    let config = config(dir.path(), "[worker]\ncount = 2\nthrottle_bytes_per_sec = 262144\n");
    let server = serve(dir.path(), &config, &root);
    let endpoint = server.endpoint.as_str();
    let store = create_store(endpoint);
    let listed = cli(endpoint, &["store", "ls"]);
    assert!(listed.ok && listed.stdout.contains(&store) && listed.stdout.contains("cli-test"), "{}", listed.stdout);

    let (r1, r2) = (fastq(11, 5000, 150, Some(1)), fastq(12, 5000, 150, Some(2)));
    std::fs::write(root.join("r1.fq"), &r1).expect("write r1");
    std::fs::write(root.join("r2.fq"), &r2).expect("write r2");
    let (p1, p2) = (root.join("r1.fq"), root.join("r2.fq"));
    let (p1, p2) = (p1.to_str().expect("utf-8"), p2.to_str().expect("utf-8"));
    let base = ["import", "--store", &store, "--role-arn", ROLE, "--subject", "patient-1", "--wait"];
    let extra = ["--progress", "always", "--json", "--type", "FASTQ", "--sample", "S1", p1, p2];
    let run = cli(endpoint, &[&base[..], &extra[..]].concat());
    let out = run.json();
    let set = &out["readSet"];
    assert_eq!(set["status"], "ACTIVE", "{out}");
    assert_eq!(set["creationType"], "IMPORT");
    assert_eq!(set["sequenceInformation"]["totalReadCount"], 10_000);
    assert_eq!(set["etag"]["source1"].as_str(), Some(md5(&r1).as_str()));
    assert_eq!(set["etag"]["source2"].as_str(), Some(md5(&r2).as_str()));
    assert_eq!(out["job"]["status"], "COMPLETED");
    assert_eq!(out["job"]["sources"][0]["bytesTotal"].as_u64(), Some((r1.len() + r2.len()) as u64));
    let job = out["job"]["id"].as_str().expect("job id").to_owned();
    let values = intermediate_progress(&run.stderr, "import ");
    assert!(values.len() >= 2, "expected two intermediate progress values:\n{}", run.stderr);
    let fastq_set = set["id"].as_str().expect("read set id").to_owned();
    assert!(set["files"]["source1"]["totalParts"].as_u64() >= Some(2), "multi-part: {set}");

    let bam = root.join("level-1.bam");
    std::fs::copy(testdata("hts-specs/bam/level-1.bam"), &bam).expect("copy BAM");
    let extra = ["--progress", "always", "--json", "--type", "BAM", "--sample", "S2", bam.to_str().expect("utf-8")];
    let run = cli(endpoint, &[&base[..], &extra[..]].concat());
    let out = run.json();
    assert_eq!(out["readSet"]["status"], "ACTIVE", "{out}");
    assert_eq!(out["readSet"]["fileType"], "BAM");
    let values = intermediate_progress(&run.stderr, "import ");
    assert!(values.len() >= 2, "expected two intermediate progress values:\n{}", run.stderr);
    let bam_set = out["readSet"]["id"].as_str().expect("read set id").to_owned();

    // Listings and details, as JSON and as tables.
    let jobs = cli(endpoint, &["jobs", "ls", "--store", &store, "--json"]).json();
    assert_eq!(jobs.as_array().map(Vec::len), Some(2), "{jobs}");
    let shown = cli(endpoint, &["jobs", "show", "--store", &store, &job]);
    assert!(shown.ok && shown.stdout.contains("FINISHED") && shown.stdout.contains(&fastq_set), "{}", shown.stdout);
    let by_etag = cli(endpoint, &["readsets", "ls", "--store", &store, "--etag", &md5(&r1), "--json"]).json();
    let ids: Vec<&str> = by_etag.as_array().expect("list").iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, [fastq_set.as_str()]);
    let by_sample = cli(endpoint, &["readsets", "ls", "--store", &store, "--sample", "S2"]);
    assert!(by_sample.stdout.contains(&bam_set) && !by_sample.stdout.contains(&fastq_set), "{}", by_sample.stdout);
    let shown = cli(endpoint, &["readsets", "show", "--store", &store, &fastq_set]);
    assert!(shown.ok && shown.stdout.contains(&md5(&r2)), "{}", shown.stdout);

    // Downloads in parallel parts give the source bytes, verified.
    let out_dir = tempfile::tempdir().expect("out");
    for (set, file, expected) in
        [(&fastq_set, "SOURCE1", r1.clone()), (&fastq_set, "SOURCE2", r2.clone()), (&bam_set, "SOURCE1", read(&bam))]
    {
        let path = out_dir.path().join(format!("{set}.{file}"));
        let args = ["download", "--store", &store, set, "--file", file, "-o", path.to_str().expect("utf-8")];
        let run = cli(endpoint, &[&args[..], &["--parallel", "3", "--json"]].concat());
        let report = run.json();
        assert_eq!(report["bytes"].as_u64(), Some(expected.len() as u64));
        assert!(read(&path) == expected, "{file} of {set} differs from the source");
    }

    // One flipped stored byte: the download fails and leaves nothing behind.
    flip_byte(&stored(dir.path(), &store, &fastq_set, "source1"), r1.len() / 2);
    let corrupt = out_dir.path().join("corrupt.fq");
    let run = cli(endpoint, &["download", "--store", &store, &fastq_set, "-o", corrupt.to_str().expect("utf-8")]);
    assert!(!run.ok, "a corrupted read set downloads without error:\n{}", run.stdout);
    assert!(run.stderr.contains("failed verification"), "{}", run.stderr);
    assert!(!corrupt.exists(), "the corrupt output was left behind");
    let leftovers: Vec<_> = std::fs::read_dir(out_dir.path()).expect("list").flatten().map(|e| e.file_name()).collect();
    assert!(!leftovers.iter().any(|n| n.to_string_lossy().starts_with(".seqstore-download-")), "{leftovers:?}");

    flip_byte(&stored(dir.path(), &store, &bam_set, "source1"), 500_000);
    let corrupt = out_dir.path().join("corrupt.bam");
    let run = cli(endpoint, &["download", "--store", &store, &bam_set, "-o", corrupt.to_str().expect("utf-8")]);
    assert!(!run.ok && run.stderr.contains("failed verification"), "{}", run.stderr);
    assert!(!corrupt.exists());
}

pub(super) fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn a_failing_source_exits_non_zero_and_unreachable_files_are_uploaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("files");
    let outside = dir.path().join("elsewhere");
    std::fs::create_dir(&root).expect("root");
    std::fs::create_dir(&outside).expect("outside");
    let config = config(dir.path(), "");
    let server = serve(dir.path(), &config, &root);
    let endpoint = server.endpoint.as_str();
    let store = create_store(endpoint);
    let base = ["import", "--store", &store, "--role-arn", ROLE, "--type", "FASTQ", "--subject", "p", "--wait"];

    let mut bad = fastq(21, 50, 100, None);
    bad.extend_from_slice(b"@broken\nACGT\n+\nFFF\n");
    let bad_path = root.join("bad.fq");
    std::fs::write(&bad_path, &bad).expect("write");
    let run = cli(endpoint, &[&base[..], &["--sample", "bad", bad_path.to_str().expect("utf-8")]].concat());
    assert!(!run.ok, "a failed import exits 0:\n{}", run.stdout);
    assert!(run.stderr.contains("error: import job") && run.stderr.contains("record 51"), "{}", run.stderr);
    assert!(run.stderr.contains("quality"), "the message says what is wrong: {}", run.stderr);

    // A file outside the server's roots goes through the direct upload, in several parts.
    let reads = fastq(22, 4000, 150, None);
    let path = outside.join("reads.fq");
    std::fs::write(&path, &reads).expect("write");
    let args = ["--sample", "up", "--part-size-mib", "1", "--json", path.to_str().expect("utf-8")];
    let run = cli(endpoint, &[&base[..], &args[..]].concat());
    assert!(run.stderr.contains("uploading it instead"), "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["readSet"]["status"], "ACTIVE", "{out}");
    assert_eq!(out["readSet"]["creationType"], "UPLOAD");
    assert_eq!(out["readSet"]["etag"]["source1"].as_str(), Some(md5(&reads).as_str()));
    assert_eq!(out["upload"]["readSetId"], out["readSet"]["id"]);

    // A bad file outside the roots: uploaded, then UPLOAD_FAILED with the message.
    let bad_outside = outside.join("bad.fq");
    std::fs::write(&bad_outside, &bad).expect("write");
    let run = cli(endpoint, &[&base[..], &["--sample", "bad2", bad_outside.to_str().expect("utf-8")]].concat());
    assert!(!run.ok && run.stderr.contains("upload of read set"), "{}", run.stderr);

    let removed = cli(endpoint, &["store", "rm", "999999999"]);
    assert!(!removed.ok && removed.stderr.contains("DeleteSequenceStore"), "{}", removed.stderr);
}

/// A raw HTTP GET (or `method`) of `path`: status and body.
fn http(endpoint: &str, method: &str, path: &str) -> (u16, String) {
    let authority = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    write!(stream, "{method} {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("head");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    (status, body.to_owned())
}

/// The samples of a `/metrics` scrape, parsed with `prometheus-parse`.
fn scrape(endpoint: &str) -> prometheus_parse::Scrape {
    let (status, body) = http(endpoint, "GET", "/metrics");
    assert_eq!(status, 200, "{body}");
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines).expect("the Prometheus text format parses")
}

/// The value of the sample `name` whose labels include `labels` (0 when absent).
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => *v,
            prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            prometheus_parse::Value::Summary(_) => 0.0,
        })
        .sum()
}

/// A `seqstore serve --log-format json` whose log lines go to `log`.
struct LoggingServe {
    child: Child,
    endpoint: String,
}

impl Drop for LoggingServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_logging(dir: &Path, config: &Path, root: &Path, log: &Path) -> LoggingServe {
    let mut child = seqstore_command()
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--file-root")
        .arg(root)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn seqstore");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line)
        .expect("read");
    let endpoint = line.trim().strip_prefix("seqstore listening on ").expect("listening line").to_owned();
    LoggingServe { child, endpoint }
}

#[test]
fn metrics_move_over_an_import_and_logs_are_json_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("files");
    std::fs::create_dir(&root).expect("root");
    let config = config(dir.path(), "");
    let log = dir.path().join("serve.log");
    let server = serve_logging(dir.path(), &config, &root, &log);
    let endpoint = server.endpoint.as_str();
    assert_eq!(http(endpoint, "GET", "/healthz").0, 200);
    assert_eq!(http(endpoint, "GET", "/readyz").0, 200);
    // Only GET is served there: the API pipeline answers the rest, as AWS errors.
    let (status, body) = http(endpoint, "POST", "/metrics");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("message"), "{body}");

    let store = create_store(endpoint);
    let before = scrape(endpoint);
    let reads = fastq(31, 3000, 120, None);
    let path = root.join("m.fq");
    std::fs::write(&path, &reads).expect("write");
    let args = ["import", "--store", &store, "--role-arn", ROLE, "--type", "FASTQ", "--sample", "m", "--subject", "p"];
    let out = cli(endpoint, &[&args[..], &["--wait", "--json", path.to_str().expect("utf-8")]].concat()).json();
    assert_eq!(out["readSet"]["status"], "ACTIVE", "{out}");
    let after = scrape(endpoint);

    let delta = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
    let started = [("operation", "StartReadSetImportJob"), ("status", "200")];
    assert_eq!(delta("seqstore_requests_total", &started), 1.0);
    assert!(delta("seqstore_requests_total", &[("operation", "GetReadSetImportJob"), ("status", "200")]) >= 1.0);
    assert_eq!(delta("seqstore_request_duration_seconds", &[("operation", "StartReadSetImportJob")]), 1.0);
    assert_eq!(delta("seqstore_imported_bytes_total", &[]), reads.len() as f64);
    assert_eq!(delta("seqstore_imported_records_total", &[]), 3000.0);
    let finished = [("kind", "readSet"), ("status", "FINISHED")];
    assert_eq!(delta("seqstore_import_sources_settled_total", &finished), 1.0);
    assert_eq!(delta("seqstore_import_sources", &finished), 1.0);
    assert_eq!(delta("seqstore_import_jobs", &[("kind", "readSet"), ("status", "COMPLETED")]), 1.0);
    assert_eq!(delta("seqstore_import_throughput_bytes_per_second", &[]), 1.0);
    assert_eq!(value(&after, "seqstore_import_queue_depth", &[]), 0.0);
    assert_eq!(value(&after, "seqstore_lease_takeovers_total", &[]), 0.0);
    assert_eq!(value(&after, "seqstore_database_up", &[]), 1.0);

    // One JSON line per request (id, operation, account, status, latency) and per state change.
    drop(server);
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(!lines.is_empty() && lines.len() == text.lines().count(), "every log line is JSON:\n{text}");
    let request = lines
        .iter()
        .find(|l| l["fields"]["operation"] == "StartReadSetImportJob")
        .unwrap_or_else(|| panic!("no request line:\n{text}"));
    assert_eq!(request["fields"]["account"], KEY_A.2);
    assert_eq!(request["fields"]["status"], 200);
    assert!(request["fields"]["latency_ms"].as_f64().is_some());
    assert!(request["span"]["request_id"].as_str().is_some_and(|id| id.len() == 36), "{request}");
    let set = out["readSet"]["id"].as_str().expect("id");
    let changes: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "source state change" && l["fields"]["read_set"] == set)
        .collect();
    let statuses: Vec<&str> = changes.iter().filter_map(|l| l["fields"]["status"].as_str()).collect();
    assert_eq!(statuses, ["IN_PROGRESS", "FINISHED"], "{text}");
    assert!(changes.iter().all(|l| l["fields"]["job"] == out["job"]["id"]));
}

fn samtools_available() -> bool {
    let found = Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || !in_ci(), "CI=true but samtools is not installed");
    found
}

#[test]
fn reference_import_and_cram_download_verified_against_the_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("files");
    std::fs::create_dir(&root).expect("root");
    let config = config(dir.path(), "");
    let server = serve(dir.path(), &config, &root);
    let endpoint = server.endpoint.as_str();
    let fasta = root.join("ce.fa");
    std::fs::copy(testdata("hts-specs/ref/ce.fa"), &fasta).expect("copy reference");
    let references =
        cli(endpoint, &["ref", "import", "--role-arn", ROLE, "--json", fasta.to_str().expect("utf-8")]).json();
    let reference = references[0]["arn"].as_str().expect("reference ARN").to_owned();
    assert_eq!(references[0]["name"], "ce.fa");
    let listed = cli(endpoint, &["ref", "ls"]);
    assert!(listed.stdout.contains(&reference), "{}", listed.stdout);

    let store = create_store(endpoint);
    let cram = root.join("1400_index_simple.cram");
    std::fs::copy(testdata("hts-specs/cram3.0/passed/1400_index_simple.cram"), &cram).expect("copy CRAM");
    let args = ["import", "--store", &store, "--role-arn", ROLE, "--type", "CRAM", "--sample", "c", "--subject", "p"];
    let extra = ["--reference", &reference, "--wait", "--json", cram.to_str().expect("utf-8")];
    let out = cli(endpoint, &[&args[..], &extra[..]].concat()).json();
    assert_eq!(out["readSet"]["status"], "ACTIVE", "{out}");
    let set = out["readSet"]["id"].as_str().expect("id").to_owned();

    let out_dir = tempfile::tempdir().expect("out");
    let path = out_dir.path().join("reads.cram");
    let run = cli(endpoint, &["download", "--store", &store, &set, "-o", path.to_str().expect("utf-8")]);
    assert!(run.ok, "{}", run.stderr);
    assert!(read(&path) == read(&cram));
    if samtools_available() {
        let viewed = Command::new("samtools")
            .args(["view", "-T"])
            .arg(&fasta)
            .arg(&path)
            .env("REF_PATH", "/nonexistent")
            .output()
            .expect("samtools");
        assert_eq!(out["readSet"]["etag"]["source1"].as_str(), Some(md5(&viewed.stdout).as_str()));
    }
    let index = out_dir.path().join("reads.cram.crai");
    let run =
        cli(endpoint, &["download", "--store", &store, &set, "--file", "INDEX", "-o", index.to_str().expect("utf-8")]);
    match out["readSet"]["files"]["index"]["contentLength"].as_u64() {
        Some(size) => assert!(run.ok && read(&index).len() as u64 == size, "{}", run.stderr),
        None => assert!(!run.ok && run.stderr.contains("has no INDEX file"), "{}", run.stderr),
    }

    // A flipped byte inside a CRAM block: decoding or the ETag fails, and nothing is left.
    let object = stored(dir.path(), &store, &set, "source1");
    let size = std::fs::metadata(&object).expect("stored").len() as usize;
    flip_byte(&object, size / 2);
    let corrupt = out_dir.path().join("corrupt.cram");
    let run = cli(endpoint, &["download", "--store", &store, &set, "-o", corrupt.to_str().expect("utf-8")]);
    assert!(!run.ok && run.stderr.contains("failed verification"), "{}", run.stderr);
    assert!(!corrupt.exists());
}

/// The status of read set `id` as `readsets show --json` gives it.
fn status_of(endpoint: &str, store: &str, id: &str) -> String {
    cli(endpoint, &["readsets", "show", "--store", store, id, "--json"]).json()["status"]
        .as_str()
        .expect("status")
        .to_owned()
}

/// Runs `readsets show` until every read set of `ids` has `status` (at most 60 s).
fn until_all(endpoint: &str, store: &str, ids: &[&str], status: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ids.iter().any(|id| status_of(endpoint, store, id) != status) {
        assert!(std::time::Instant::now() < deadline, "{ids:?} did not all become {status}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The line of `readsets ls` (a table) that lists read set `id`, split into its columns.
fn listed(endpoint: &str, store: &str, id: &str) -> Vec<String> {
    let run = cli(endpoint, &["readsets", "ls", "--store", store]);
    assert!(run.ok, "{}", run.stderr);
    let header = run.stdout.lines().next().expect("header");
    assert!(header.split_whitespace().any(|h| h == "TIER"), "{}", run.stdout);
    let line = run.stdout.lines().find(|l| l.starts_with(id)).unwrap_or_else(|| panic!("{id} in\n{}", run.stdout));
    line.split_whitespace().map(str::to_owned).collect()
}

/// `readsets archive` moves two read sets to the archive tier (and names, exiting 1, an id that
/// does not exist); `readsets ls` shows them ARCHIVED in tier `archive`, and `/metrics` counts
/// them and their bytes in the store's archive tier; `readsets activate --wait` brings them back:
/// hot again in the list and the gauges, and their download verifies.
#[test]
fn read_sets_are_archived_and_activated_and_the_tier_gauges_follow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("files");
    std::fs::create_dir(&root).expect("root");
    let config = config(dir.path(), "[worker]\ncount = 2\n");
    let server = serve(dir.path(), &config, &root);
    let endpoint = server.endpoint.as_str();
    let store = create_store(endpoint);
    let mut ids = Vec::new();
    let mut total = 0;
    for (seed, sample) in [(41, "t1"), (42, "t2")] {
        let reads = fastq(seed, 500, 100, None);
        total += reads.len();
        let path = root.join(format!("{sample}.fq"));
        std::fs::write(&path, &reads).expect("write");
        let args = ["import", "--store", &store, "--role-arn", ROLE, "--type", "FASTQ", "--subject", "p", "--wait"];
        let out = cli(endpoint, &[&args[..], &["--json", "--sample", sample, path.to_str().expect("utf-8")]].concat());
        ids.push(out.json()["readSet"]["id"].as_str().expect("id").to_owned());
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let gauge = |scrape: &prometheus_parse::Scrape, name: &str, tier: &str| {
        value(scrape, name, &[("store", store.as_str()), ("tier", tier)])
    };
    let hot = scrape(endpoint);
    assert_eq!(gauge(&hot, "seqstore_read_sets", "hot"), 2.0);
    assert_eq!(gauge(&hot, "seqstore_read_sets", "archive"), 0.0);
    assert_eq!(gauge(&hot, "seqstore_read_set_bytes", "hot"), total as f64);
    assert_eq!(listed(endpoint, &store, ids[0])[3..5], ["ACTIVE", "hot"]);

    let run = cli(endpoint, &["readsets", "archive", "--store", &store, ids[0], ids[1], "9999999999"]);
    assert!(!run.ok, "an id that cannot be archived fails the command:\n{}", run.stdout);
    assert!(run.stdout.contains("2 of 3 read sets"), "{}", run.stdout);
    assert!(
        run.stderr.contains("9999999999: ResourceNotFoundException: read set 9999999999 not found"),
        "{}",
        run.stderr
    );
    until_all(endpoint, &store, &ids, "ARCHIVED");
    for id in &ids {
        assert_eq!(listed(endpoint, &store, id)[3..5], ["ARCHIVED", "archive"]);
    }
    let shown = cli(endpoint, &["readsets", "show", "--store", &store, ids[0]]);
    assert!(shown.stdout.lines().any(|l| l.split_whitespace().eq(["tier:", "archive"])), "{}", shown.stdout);
    let archived = scrape(endpoint);
    assert_eq!(gauge(&archived, "seqstore_read_sets", "hot"), 0.0);
    assert_eq!(gauge(&archived, "seqstore_read_sets", "archive"), 2.0);
    assert_eq!(gauge(&archived, "seqstore_read_set_bytes", "hot"), 0.0);
    assert_eq!(gauge(&archived, "seqstore_read_set_bytes", "archive"), total as f64);
    let again = cli(endpoint, &["readsets", "archive", "--store", &store, ids[0], "--json"]);
    assert!(again.ok, "an ARCHIVED read set is left as it is: {}", again.stderr);
    assert_eq!(again.json()["errors"], serde_json::json!([]));

    let args = ["readsets", "activate", "--store", &store, ids[0], ids[1], ids[0], "--wait", "--progress", "always"];
    let run = cli(endpoint, &args);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.contains("COMPLETED") && run.stdout.matches("FINISHED").count() == 2, "{}", run.stdout);
    assert!(run.stderr.lines().any(|l| l.starts_with("activate ")), "a progress line: {}", run.stderr);
    for id in &ids {
        assert_eq!(listed(endpoint, &store, id)[3..5], ["ACTIVE", "hot"]);
    }
    let back = scrape(endpoint);
    assert_eq!(gauge(&back, "seqstore_read_sets", "hot"), 2.0);
    assert_eq!(gauge(&back, "seqstore_read_sets", "archive"), 0.0);
    assert_eq!(gauge(&back, "seqstore_read_set_bytes", "hot"), total as f64);
    let out = dir.path().join("back.fq");
    let run = cli(endpoint, &["download", "--store", &store, ids[1], "-o", out.to_str().expect("utf-8")]);
    assert!(run.ok, "the activated read set downloads and verifies: {}", run.stderr);

    let run = cli(endpoint, &["readsets", "activate", "--store", &store, ids[0]]);
    assert!(!run.ok && run.stderr.contains("StartReadSetActivationJob"), "{}", run.stderr);
    assert!(run.stderr.contains("only ARCHIVED read sets can be activated"), "{}", run.stderr);
}
