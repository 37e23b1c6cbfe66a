//! `seqstore readsets qc` (issue #27) against a real server on the chosen backend and storage: a
//! FASTQ pair and a BAM imported with `aws-sdk-omics`, their statistics read with the binary as
//! text and as `--json` (the server's answer as is): the report's reads are the read set's read
//! count, and the text shows the report's figures (reads, GC, mapped, insert size, references); an
//! unknown read set fails like `readsets show`; with `[qc] enabled = false` the statistics are
//! PENDING and the command fails saying why and what to do.

use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType};
use serde_json::Value;

use super::aligned::copy_in;
use super::cli::{Run, cli};
use super::fastq_data::fastq;
use super::imports::{import_all, import_config, source, store, typed_source, write};
use super::qc::imported_with_statistics_off;
use super::support::{Backend, KEY_A, TestDb, TestServer, sdk};

/// Runs `seqstore ARGS` against `endpoint` on a blocking thread (the server shares this runtime).
async fn run(endpoint: &str, args: &[&str]) -> Run {
    let endpoint = endpoint.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&endpoint, &args)
    })
    .await
    .expect("cli")
}

/// The value of the `name:` field of the text output.
fn field<'a>(run: &'a Run, name: &str) -> &'a str {
    let prefix = format!("{name}:");
    let line = run.stdout.lines().find(|l| l.starts_with(&prefix));
    line.unwrap_or_else(|| panic!("no {name} in\n{}", run.stdout))[prefix.len()..].trim()
}

/// `value` (a JSON number) as a `u64`.
fn number(value: &Value) -> u64 {
    value.as_u64().unwrap_or_else(|| panic!("not a count: {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readsets_qc_shows_the_statistics_of_fastq_and_bam() {
    let Some(db) = TestDb::new(Backend::chosen()).await else { return };
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let r1 = write(root.path(), "qc_1.fq", &fastq(51, 300, 100, Some(1)));
    let r2 = write(root.path(), "qc_2.fq", &fastq(52, 300, 120, Some(2)));
    let (_, bam) = copy_in(root.path(), "hts-specs/bam/level-1.bam");
    let sources = vec![source(&r1, Some(&r2)), typed_source(&bam, None, FileType::Bam)];
    let ids = import_all(&client, &store, sources).await;
    let endpoint = server.endpoint.as_str();

    for (id, aligned) in ids.iter().zip([false, true]) {
        let answer = run(endpoint, &["readsets", "qc", "--store", &store, id, "--json"]).await.json();
        assert_eq!(answer["status"], "AVAILABLE", "{answer}");
        assert_eq!((answer["readSetId"].as_str(), answer["aligned"].as_bool()), (Some(id.as_str()), Some(aligned)));
        let set = run(endpoint, &["readsets", "show", "--store", &store, id, "--json"]).await.json();
        let report = &answer["report"];
        let totals = &report["totals"];
        let reads = number(&set["sequenceInformation"]["totalReadCount"]);
        assert_eq!(number(&totals["sequences"]), reads, "{totals}");

        let text = run(endpoint, &["readsets", "qc", "--store", &store, id]).await;
        assert!(text.ok, "{}", text.stderr);
        assert_eq!(field(&text, "reads"), reads.to_string(), "{}", text.stdout);
        assert_eq!(field(&text, "bases"), totals["totalLength"].to_string());
        let gc = report["gcPercent"].as_f64().expect("gcPercent");
        assert_eq!(field(&text, "GC"), format!("{gc:.2}%"));
        assert!(field(&text, "read set").starts_with(id.as_str()), "{}", text.stdout);
        if !aligned {
            // 300 pairs of 100 and 120 bases; Illumina-like qualities of mean 22.4.
            assert_eq!(reads, 600);
            assert_eq!((field(&text, "1st fragments"), field(&text, "last fragments")), ("300", "300"));
            assert_eq!(field(&text, "read length"), "100–120, most common 100 (300 reads)");
            assert!(
                field(&text, "quality by cycle, last").starts_with("mean below 30 from cycle 1"),
                "{}",
                text.stdout
            );
            assert!(!text.stdout.contains("mapped:") && !text.stdout.contains("REFERENCE"), "{}", text.stdout);
            continue;
        }
        // level-1.bam: 20,000 reads of 101 bases, 18,822 mapped (samtools stats and flagstat).
        assert_eq!(reads, 20_000);
        assert_eq!(number(&totals["readsMapped"]), 18_822);
        assert_eq!(field(&text, "mapped"), "18822 (94.11%)", "{}", text.stdout);
        assert_eq!(field(&text, "properly paired"), "8890 (44.45%)");
        assert_eq!(field(&text, "read length"), "101");
        let sizes = &report["insertSizes"];
        let (mean, sd) = (sizes["mean"].as_f64().expect("mean"), sizes["standardDeviation"].as_f64().expect("sd"));
        assert!(field(&text, "insert size").starts_with(&format!("{mean:.1} ± {sd:.1} (")), "{}", text.stdout);
        assert!(field(&text, "mismatches").starts_with(&totals["mismatches"].to_string()), "{}", text.stdout);
        assert!(field(&text, "MAPQ").starts_with("median "), "{}", text.stdout);
        let table: Vec<&str> = text.stdout.lines().skip_while(|l| !l.starts_with("REFERENCE")).collect();
        assert!(table.len() >= 2 && table[1].starts_with("@SQ "), "{}", text.stdout);
    }

    // An unknown read set fails as `readsets show` does.
    let missing = run(endpoint, &["readsets", "qc", "--store", &store, "9999999999"]).await;
    let shown = run(endpoint, &["readsets", "show", "--store", &store, "9999999999"]).await;
    assert!(!missing.ok && !shown.ok);
    assert_eq!(missing.stderr, shown.stderr.replace("GetReadSetMetadata", "GetReadSetQc"));
    assert!(missing.stderr.contains("ResourceNotFoundException: read set 9999999999 not found"), "{}", missing.stderr);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readsets_qc_of_pending_statistics_fails_saying_why_and_what_to_do() {
    let Some(off) = imported_with_statistics_off(53).await else { return };
    let (store, ids) = (off.store.as_str(), [off.id.as_str()]);
    let endpoint = off.server.endpoint.as_str();

    let text = run(endpoint, &["readsets", "qc", "--store", store, ids[0]]).await;
    assert!(!text.ok && text.stdout.is_empty(), "{}", text.stdout);
    let expected = format!(
        "error: the statistics of read set {} are PENDING: statistics are off on this server ([qc] enabled = \
         false). Run this command again later; a server with `[qc] enabled = false` collects no statistics (ask \
         its operator).\n",
        ids[0]
    );
    assert_eq!(text.stderr, expected);

    // `--json` prints the answer as is, and fails all the same.
    let json = run(endpoint, &["readsets", "qc", "--store", store, ids[0], "--json"]).await;
    assert!(!json.ok && json.stderr == expected, "{}", json.stderr);
    let answer: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(answer["status"], "PENDING");
    assert_eq!(answer["statusMessage"], "statistics are off on this server ([qc] enabled = false)");
    assert!(answer.get("report").is_none(), "{answer}");
    off.server.stop().await;
}
