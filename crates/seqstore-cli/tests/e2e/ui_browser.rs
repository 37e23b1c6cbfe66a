//! The dashboard in a real browser: headless Chromium driven over WebDriver (chromedriver and
//! the `fantoccini` client). It opens the URL `serve` prints and lands on the sign-in page, signs
//! in, watches a throttled import's progress bar move through intermediate values to 100 %,
//! follows the link to the read set and checks the statistics shown (with thousands separators)
//! and its file links; a second import of the same content shows its note styled as information,
//! and a 404 page keeps the navigation. Screenshots go to `target/ui-screenshots/`.
//!
//! Chromium and chromedriver come from Debian's `chromium` and `chromium-driver`; without them
//! the test is skipped, unless `CI=true`, where it fails.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_omics::types::ETagAlgorithmFamily;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use super::fastq_data::{counts, fastq};
use super::imports::{import_config, source, start, store, wait, write};
use super::support::{BIN, Backend, KEY_A, TestDb, TestServer, in_ci, sdk};

pub(super) const CHROMIUM: &str = "/usr/bin/chromium";
pub(super) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process, killed on drop.
pub(super) struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub(super) fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/ui-screenshots`, next to the binary under test.
pub(super) fn screenshots() -> PathBuf {
    let target = Path::new(BIN).parent().and_then(Path::parent).expect("target directory");
    let dir = target.join("ui-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

pub(super) async fn shoot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("write screenshot");
}

pub(super) async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    let args = ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"];
    caps.insert("goog:chromeOptions".into(), json!({ "binary": CHROMIUM, "args": args }));
    ClientBuilder::new(HttpConnector::new()).capabilities(caps).connect(&driver.url).await.expect("WebDriver session")
}

/// Signs in as account A on the sign-in page the browser shows; waits for the stores page.
pub(super) async fn sign_in(browser: &Client) {
    browser
        .find(Locator::Css("input[name=access_key_id]"))
        .await
        .expect("key field")
        .send_keys(KEY_A.0)
        .await
        .expect("type");
    browser
        .find(Locator::Css("input[name=secret_access_key]"))
        .await
        .expect("secret")
        .send_keys(KEY_A.1)
        .await
        .expect("type");
    browser.find(Locator::Css("button[type=submit]")).await.expect("button").click().await.expect("submit");
    browser.wait().for_element(Locator::Id("stores")).await.expect("stores page after login");
}

/// Whether Chromium and chromedriver are installed (required under `CI=true`).
pub(super) fn chromium_available() -> bool {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        assert!(!in_ci(), "CI needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)");
        eprintln!("skipping: {CHROMIUM} or {CHROMEDRIVER} missing (apt-get install chromium chromium-driver)");
        return false;
    }
    true
}

/// The values of every source's progress bar, and the job's status, as the page shows them.
async fn shown(browser: &Client) -> (Vec<i64>, String) {
    let value = browser
        .execute(
            "return [Array.from(document.querySelectorAll('#sources .bar')).map(b => Number(b.getAttribute('aria-valuenow'))), \
             document.querySelector('[data-job-status]').textContent];",
            vec![],
        )
        .await
        .expect("read the page");
    let bars = value[0].as_array().expect("bars").iter().map(|v| v.as_i64().expect("number")).collect();
    (bars, value[1].as_str().expect("status").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_bar_moves_and_read_set_shows_statistics() {
    if !chromium_available() {
        return;
    }
    let db = TestDb::new(Backend::Sqlite).await.expect("sqlite");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    // About 1.6 MB per file at 256 KiB/s: some six seconds of progress.
    config.worker.throttle_bytes_per_sec = 262_144;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store_id = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let (r1, r2) = (fastq(21, 5000, 150, Some(1)), fastq(22, 5000, 150, Some(2)));
    let (u1, u2) = (write(root.path(), "r1.fq", &r1), write(root.path(), "r2.fq", &r2));

    let driver = Driver::start();
    let browser = browser(&driver).await;
    // The URL `serve` prints, as a newcomer opens it.
    browser.goto(&server.endpoint).await.expect("open");
    browser.wait().for_element(Locator::Css("input[name=access_key_id]")).await.expect("the sign-in form");
    let landed = browser.current_url().await.expect("url");
    assert_eq!(landed.path(), "/ui/login", "the root leads to the dashboard, which asks to sign in");
    shoot(&browser, "1-login").await;
    sign_in(&browser).await;
    shoot(&browser, "2-stores").await;
    browser.goto(&format!("{}/ui/stores/{store_id}", server.endpoint)).await.expect("the empty store");
    let advice = browser.find(Locator::Id("import-cli")).await.expect("how to import").text().await.expect("text");
    assert!(advice.contains(&format!("seqstore import --store {store_id} ")), "{advice}");
    shoot(&browser, "2b-empty-store").await;

    let job = start(&client, &store_id, vec![source(&u1, Some(&u2))]).await;
    browser.goto(&format!("{}/ui/stores/{store_id}/jobs/{job}", server.endpoint)).await.expect("job page");
    let mut seen = BTreeSet::new();
    let mut shot_midway = false;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (bars, status) = shown(&browser).await;
        assert_eq!(bars.len(), 1, "one source");
        seen.insert(bars[0]);
        if !shot_midway && bars[0] > 0 && bars[0] < 100 {
            shoot(&browser, "3-import-in-progress").await;
            shot_midway = true;
        }
        if bars[0] == 100 && status == "COMPLETED" {
            break;
        }
        assert!(Instant::now() < deadline, "the import did not reach 100 % in the page: saw {seen:?}, status {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shoot(&browser, "4-import-done").await;
    let intermediate = seen.iter().filter(|v| **v > 0 && **v < 100).count();
    assert!(intermediate >= 2, "the bar should show at least two values between 0 and 100, saw {seen:?}");

    let link = browser.wait().for_element(Locator::Css("#sources .read-set a")).await.expect("read set link");
    link.click().await.expect("follow");
    let reads = browser.wait().for_element(Locator::Id("total-read-count")).await.expect("statistics");
    let (n1, b1) = counts(&r1);
    let (n2, b2) = counts(&r2);
    assert_eq!((n1 + n2, b1 + b2), (10_000, 1_500_000));
    assert_eq!(reads.text().await.expect("text"), "10,000");
    let bases = browser.find(Locator::Id("total-base-count")).await.expect("bases").text().await.expect("text");
    assert_eq!(bases, "1,500,000");
    let files = browser.find_all(Locator::Css("#files a.file")).await.expect("file links");
    let mut names = Vec::new();
    for link in files {
        names.push(link.text().await.expect("link text"));
    }
    assert_eq!(names, ["r1.fq", "r2.fq"], "a download link per file, named after it");
    shoot(&browser, "5-read-set").await;

    browser.goto(&format!("{}/ui/stores/{store_id}", server.endpoint)).await.expect("read sets");
    shoot(&browser, "6-read-sets").await;
    browser.goto(&format!("{}/ui/stores/{store_id}/jobs", server.endpoint)).await.expect("jobs");
    let samples = browser.find(Locator::Css("#jobs td.samples")).await.expect("samples").text().await.expect("text");
    assert_eq!(samples, "sample");
    shoot(&browser, "6b-jobs").await;
    browser.goto(&format!("{}/ui/throughput?hours=1", server.endpoint)).await.expect("throughput");
    let summary = browser.find(Locator::Id("throughput-summary")).await.expect("summary").text().await.expect("text");
    assert!(summary.starts_with("1 sources finished"), "{summary}");
    shoot(&browser, "7-throughput").await;

    // The same small file twice: the second source's "same content" note is information.
    let small = write(root.path(), "small.fq", &fastq(23, 50, 100, None));
    let first = start(&client, &store_id, vec![source(&small, None)]).await;
    wait(&client, &store_id, &first).await;
    let second = start(&client, &store_id, vec![source(&small, None)]).await;
    wait(&client, &store_id, &second).await;
    browser.goto(&format!("{}/ui/stores/{store_id}/jobs/{second}", server.endpoint)).await.expect("job page");
    let message = browser.wait().for_element(Locator::Css("#sources .message")).await.expect("message cell");
    assert!(message.text().await.expect("text").starts_with("same content as read set "));
    let looks = browser
        .execute(
            "const m = document.querySelector('#sources .message'), f = document.createElement('span'); \
             f.className = 'failed'; document.body.appendChild(f); \
             return [m.className, getComputedStyle(m).color, getComputedStyle(f).color];",
            vec![],
        )
        .await
        .expect("styles");
    assert_eq!(looks[0], "message note", "{looks}");
    assert_ne!(looks[1], looks[2], "the note is not in the error colour: {looks}");
    shoot(&browser, "8-same-content-note").await;
    browser.goto(&format!("{}/ui/stores/{store_id}/readsets/0000000000", server.endpoint)).await.expect("404");
    browser.find(Locator::Id("not-found")).await.expect("the 404 page");
    browser.find(Locator::Css("nav a[href='/ui/references']")).await.expect("with the navigation");
    shoot(&browser, "9-not-found").await;
    browser.close().await.expect("close browser");
    server.stop().await;
    eprintln!("screenshots in {}", screenshots().display());
}
