//! The QC charts and the store's comparison view (issue #27) in headless Chromium: a BAM and a
//! FASTQ pair imported, each read set's page shows its charts as SVG whose data attributes carry
//! the values GetReadSetQc answers (boxes per cycle with their median, read length and MAPQ bars
//! summing to the reads, R1 and R2 charts for the pair, MAPQ and insert size only for the BAM),
//! each with a reading; the comparison view lists the read sets, sorts by mean quality and
//! highlights the worst. Screenshots go to `target/ui-screenshots/` (`qc-*.png`).

use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType};
use fantoccini::{Client, Locator};
use serde_json::Value;

use super::aligned::copy_in;
use super::fastq_data::fastq;
use super::imports::{import_all, import_config, raw_get, source, store, typed_source, write};
use super::support::{Backend, KEY_A, TestDb, TestServer, sdk};
use super::ui_browser::{Driver, browser, chromium_available, shoot, sign_in};

/// Every `attribute` of the elements `css` selects, as numbers.
async fn numbers(browser: &Client, css: &str, attribute: &str) -> Vec<f64> {
    let script = format!(
        "return Array.from(document.querySelectorAll('{css}')).map(e => Number(e.getAttribute('{attribute}')));"
    );
    let found = browser.execute(&script, vec![]).await.expect("script");
    found.as_array().expect("array").iter().map(|v| v.as_f64().expect("number")).collect()
}

/// The charts present on the page, by `data-chart`.
async fn charts(browser: &Client) -> Vec<String> {
    let found = browser
        .execute("return Array.from(document.querySelectorAll('svg[data-chart]')).map(e => e.dataset.chart);", vec![])
        .await
        .expect("script");
    found.as_array().expect("array").iter().map(|v| v.as_str().expect("id").to_owned()).collect()
}

/// The sum of a report histogram.
fn total(values: &Value) -> f64 {
    values.as_array().expect("histogram").iter().map(|v| v.as_f64().expect("count")).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qc_charts_and_the_comparison_view_in_a_browser() {
    if !chromium_available() {
        return;
    }
    let db = TestDb::new(Backend::Sqlite).await.expect("sqlite");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store_id = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let (_, bam) = copy_in(root.path(), "hts-specs/bam/level-1.bam");
    let r1 = write(root.path(), "q_1.fq", &fastq(51, 400, 150, Some(1)));
    let r2 = write(root.path(), "q_2.fq", &fastq(52, 400, 150, Some(2)));
    let ids =
        import_all(&client, &store_id, vec![typed_source(&bam, None, FileType::Bam), source(&r1, Some(&r2))]).await;

    let driver = Driver::start();
    let browser = browser(&driver).await;
    browser.goto(&server.endpoint).await.expect("open");
    sign_in(&browser).await;

    // The BAM's page: every chart, aligned ones included, with the API's values.
    let api = raw_get(&server.endpoint, &format!("/sequencestore/{store_id}/readset/{}/qc", ids[0])).await;
    let report = &api["report"];
    browser.goto(&format!("{}/ui/stores/{store_id}/readsets/{}", server.endpoint, ids[0])).await.expect("page");
    browser.wait().for_element(Locator::Css("svg[data-chart=quality-per-cycle-r1]")).await.expect("charts");
    let shown = charts(&browser).await;
    for id in ["quality-per-cycle-r1", "read-length", "gc-content", "base-composition-r1", "read-mean-quality", "mapq"]
    {
        assert!(shown.iter().any(|s| s == id), "chart {id} missing: {shown:?}");
    }
    let cycles = report["firstFragmentCycles"].as_array().expect("cycles");
    let with_quality: Vec<&Value> = cycles.iter().filter(|c| !c["quality"].is_null()).collect();
    let medians = numbers(&browser, "svg[data-chart=quality-per-cycle-r1] rect.box", "data-median").await;
    assert_eq!(medians.len(), with_quality.len(), "a box per cycle with qualities");
    assert_eq!(medians[0], with_quality[0]["quality"]["median"].as_f64().expect("median"));
    let sequences = report["totals"]["sequences"].as_f64().expect("sequences");
    let lengths = numbers(&browser, "svg[data-chart=read-length] rect.col", "data-value").await;
    assert_eq!(lengths.iter().sum::<f64>(), sequences, "the length bars count every read");
    let mapq = numbers(&browser, "svg[data-chart=mapq] rect.col", "data-value").await;
    assert_eq!(mapq.iter().sum::<f64>(), total(&report["mappingQualities"]), "the MAPQ bars");
    let readings = browser.find_all(Locator::Css("p.reading")).await.expect("readings");
    assert!(readings.len() >= shown.len(), "a reading under every chart");
    let mapped = browser.find(Locator::Id("qc-mapped")).await.expect("mapped").text().await.expect("text");
    assert!(mapped.ends_with('%'), "{mapped}");
    browser.execute("document.getElementById('quality').scrollIntoView();", vec![]).await.expect("scroll");
    shoot(&browser, "qc-1-bam").await;

    // The pair's page: R1 and R2, nothing aligned.
    browser.goto(&format!("{}/ui/stores/{store_id}/readsets/{}", server.endpoint, ids[1])).await.expect("page");
    browser.wait().for_element(Locator::Css("svg[data-chart=quality-per-cycle-r2]")).await.expect("R2 chart");
    let shown = charts(&browser).await;
    assert!(shown.iter().any(|s| s == "base-composition-r2"), "{shown:?}");
    assert!(!shown.iter().any(|s| s == "mapq" || s == "insert-size"), "{shown:?}");
    let boxes = numbers(&browser, "svg[data-chart=quality-per-cycle-r2] rect.box", "data-cycle").await;
    assert_eq!(boxes.len(), 150, "a box per cycle of R2");
    browser.execute("document.getElementById('quality').scrollIntoView();", vec![]).await.expect("scroll");
    shoot(&browser, "qc-2-pair").await;

    // The comparison view, sorted by mean quality: lowest first, highlighted.
    browser.goto(&format!("{}/ui/stores/{store_id}", server.endpoint)).await.expect("store");
    browser.find(Locator::Id("compare")).await.expect("link").click().await.expect("follow");
    browser.wait().for_element(Locator::Id("qc-compare")).await.expect("comparison");
    let coverage = browser.find(Locator::Id("qc-coverage")).await.expect("coverage").text().await.expect("text");
    assert!(coverage.starts_with("Statistics for 2 of 2 read sets"), "{coverage}");
    browser.find(Locator::Css("a.sort[data-sort=meanQuality]")).await.expect("header").click().await.expect("sort");
    browser.wait().for_element(Locator::Css("a.sort[data-sort=meanQuality]")).await.expect("sorted");
    let values = browser
        .execute("return Array.from(document.querySelectorAll('#qc-compare td.mean-quality')).map(e => Number(e.textContent));", vec![])
        .await
        .expect("script");
    let values: Vec<f64> = values.as_array().expect("array").iter().map(|v| v.as_f64().expect("number")).collect();
    assert_eq!(values.len(), 2);
    assert!(values[0] <= values[1], "ascending: {values:?}");
    let worst = browser.find_all(Locator::Css("#qc-compare td.mean-quality.worst")).await.expect("worst");
    assert_eq!(worst.len(), 1, "the lowest mean quality is highlighted");
    assert_eq!(worst[0].text().await.expect("text").parse::<f64>().expect("number"), values[0]);
    shoot(&browser, "qc-3-compare").await;
    browser.close().await.expect("close browser");
    server.stop().await;
}
