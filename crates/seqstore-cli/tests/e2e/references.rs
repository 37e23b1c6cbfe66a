//! Reference stores and references end to end with `aws-sdk-omics`: FASTA imports (plain, gzip,
//! BGZF, soft-masked) from `file://` and `s3://`, sequence MD5s and `.fai` checked against an
//! independent computation and against samtools, GetReference parts and ranges, bad FASTA,
//! referenceArn checks on read set imports, and conflicts on deletion.

use std::path::Path;
use std::process::Command;

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{
    ETagAlgorithmFamily, ReferenceFile, ReferenceImportJobItemStatus, ReferenceImportJobStatus,
    StartReferenceImportJobSourceItem,
};
use seqstore::config::Config;

use super::fastq_data::{Rng, bgzf, fastq, gzip, md5};
use super::imports::{ROLE_A, import_config, source, start, store, wait, write};
use super::s3::S3Server;
use super::support::{Backend, KEY_A, KEY_B, TestDb, TestServer, code, in_ci, sdk};

/// A FASTA with sequences of the given lengths and line widths, lowercase runs included.
pub fn fasta(seed: u64, sequences: &[(&str, usize, usize)]) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for (name, length, width) in sequences {
        out.extend_from_slice(format!(">{name} description of {name}\n").as_bytes());
        let bases: Vec<u8> = (0..*length)
            .map(|i| {
                let b = b"ACGTN"[(rng.next_u64() % 5) as usize];
                if (i / 97) % 3 == 1 { b.to_ascii_lowercase() } else { b }
            })
            .collect();
        for line in bases.chunks(*width) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

/// MD5 of each sequence's upper-cased bases, computed here from the FASTA text.
pub fn sequence_md5s(text: &[u8]) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<u8>)> = None;
    for line in text.split(|&b| b == b'\n') {
        if let Some(header) = line.strip_prefix(b">") {
            if let Some((name, bases)) = current.take() {
                out.push((name, bases.len() as u64, md5(&bases)));
            }
            let name = String::from_utf8_lossy(header).split_whitespace().next().unwrap_or("").to_owned();
            current = Some((name, Vec::new()));
        } else if let Some((_, bases)) = current.as_mut() {
            bases.extend(line.iter().map(u8::to_ascii_uppercase));
        }
    }
    if let Some((name, bases)) = current {
        out.push((name, bases.len() as u64, md5(&bases)));
    }
    out
}

fn samtools() -> bool {
    let found = Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || !in_ci(), "CI=true but samtools is not installed");
    found
}

pub async fn reference_store(client: &Client) -> String {
    client.create_reference_store().name("genomes").send().await.expect("reference store").id().to_owned()
}

pub fn ref_source(uri: &str, name: &str) -> StartReferenceImportJobSourceItem {
    StartReferenceImportJobSourceItem::builder()
        .source_file(uri)
        .name(name)
        .tags("genome", name)
        .build()
        .expect("source")
}

pub async fn import(
    client: &Client,
    store: &str,
    sources: Vec<StartReferenceImportJobSourceItem>,
) -> aws_sdk_omics::operation::get_reference_import_job::GetReferenceImportJobOutput {
    let job = client
        .start_reference_import_job()
        .reference_store_id(store)
        .role_arn(ROLE_A)
        .set_sources(Some(sources))
        .send()
        .await
        .expect("start reference import");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = client.get_reference_import_job().reference_store_id(store).id(job.id()).send().await.expect("get");
        if !matches!(out.status(), ReferenceImportJobStatus::Submitted | ReferenceImportJobStatus::InProgress) {
            return out;
        }
        assert!(std::time::Instant::now() < deadline, "reference job did not settle");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn get_part(
    client: &Client,
    store: &str,
    id: &str,
    file: ReferenceFile,
    part: i32,
    range: Option<&str>,
) -> Vec<u8> {
    let out = client
        .get_reference()
        .reference_store_id(store)
        .id(id)
        .file(file)
        .part_number(part)
        .set_range(range.map(str::to_owned))
        .send()
        .await
        .expect("get reference");
    out.payload.collect().await.expect("payload").into_bytes().to_vec()
}

fn config_with_parts(db: &TestDb, root: &Path) -> Config {
    let mut config = import_config(db, root);
    config.storage.part_size = 1024 * 1024;
    config
}

/// Plain, gzip and BGZF FASTA from `file://`: sequences and MD5s, `.fai` equal to samtools',
/// parts and ranges byte-exact, 416 past the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fasta_imports_and_downloads() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let config = config_with_parts(&db, root.path());
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = reference_store(&client).await;
    let text = fasta(1, &[("chr1", 1_500_000, 60), ("chr2", 700_000, 70), ("chrM", 16_569, 80), ("exact", 600, 60)]);
    let plain = write(root.path(), "genome.fa", &text);
    let gz = write(root.path(), "genome.fa.gz", &gzip(&text));
    let bgz = write(root.path(), "genome.fa.bgz", &bgzf(&text));
    let job =
        import(&client, &store, vec![ref_source(&plain, "plain"), ref_source(&gz, "gzip"), ref_source(&bgz, "bgzf")])
            .await;
    assert_eq!(job.status(), &ReferenceImportJobStatus::Completed, "{job:?}");
    let expected = sequence_md5s(&text);
    let samtools_fai = samtools().then(|| {
        let status = Command::new("samtools").arg("faidx").arg(root.path().join("genome.fa")).status().expect("faidx");
        assert!(status.success());
        std::fs::read(root.path().join("genome.fa.fai")).expect("fai")
    });
    for (item, raw) in job.sources().iter().zip([text.clone(), gzip(&text), bgzf(&text)]) {
        assert_eq!(item.status(), &ReferenceImportJobItemStatus::Finished, "{item:?}");
        let id = item.reference_id().expect("referenceId");
        let meta = client.get_reference_metadata().reference_store_id(&store).id(id).send().await.expect("metadata");
        assert_eq!(meta.md5(), md5(&text), "md5 of the uncompressed FASTA");
        let raw_meta =
            super::imports::raw_get(&server.endpoint, &format!("/referencestore/{store}/reference/{id}/metadata"))
                .await;
        let sequences: Vec<(String, u64, String)> = raw_meta["sequences"]
            .as_array()
            .expect("sequences")
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_owned(),
                    s["length"].as_u64().unwrap(),
                    s["md5"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(sequences, expected);
        let index = get_part(&client, &store, id, ReferenceFile::Index, 1, None).await;
        if let Some(fai) = &samtools_fai {
            assert_eq!(&index, fai, ".fai equals samtools faidx's");
        }
        let files = meta.files().and_then(|f| f.source()).expect("source file");
        let parts = files.total_parts().expect("parts");
        assert_eq!(files.content_length(), Some(raw.len() as i64));
        let mut whole = Vec::new();
        for part in 1..=parts {
            whole.extend(get_part(&client, &store, id, ReferenceFile::Source, part, None).await);
        }
        assert!(whole == raw, "parts concatenate to the stored bytes");
        let (part, base) = if parts >= 2 { (2, 1024 * 1024) } else { (1, 0) };
        let ranged = get_part(&client, &store, id, ReferenceFile::Source, part, Some("10-1033")).await;
        assert!(ranged[..] == raw[base + 10..base + 1034], "a range within part {part}");
        let past = client.get_reference().reference_store_id(&store).id(id).part_number(parts + 1).send().await;
        assert_eq!(code(&past.expect_err("past the end")), "RangeNotSatisfiableException");
    }
    if samtools() {
        let dict = Command::new("samtools").arg("dict").arg(root.path().join("genome.fa")).output().expect("dict");
        let dict = String::from_utf8_lossy(&dict.stdout);
        for (name, _, m5) in &expected {
            assert!(
                dict.contains(&format!("SN:{name}\t")) && dict.contains(&format!("M5:{m5}")),
                "{name} {m5}\n{dict}"
            );
        }
    }
    server.stop().await;
}

/// GetReference's `Range` follows the model's pattern (digits and punctuation): the HTTP form
/// `bytes=0-99` is a 400 whose message shows the form it takes (#20).
#[tokio::test]
async fn a_range_with_the_bytes_unit_is_refused_with_the_expected_form() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let server = TestServer::start(&super::support::config(&db)).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = reference_store(&client).await;
    let get = |range: &str| {
        client.get_reference().reference_store_id(&store).id("1234567890").part_number(1).range(range).send()
    };
    let error = get("bytes=0-99").await.expect_err("the bytes= unit is refused");
    assert_eq!(code(&error), "ValidationException");
    let message = aws_sdk_omics::error::ProvideErrorMetadata::message(&error).unwrap_or_default().to_owned();
    assert!(message.contains("Value at 'range'"), "{message}");
    assert!(message.contains("range must look like 0-99 (first-last byte"), "{message}");
    assert!(message.contains("without bytes="), "{message}");
    let missing = get("0-99").await.expect_err("no such reference");
    assert_eq!(code(&missing), "ResourceNotFoundException", "0-99 passes validation");
    server.stop().await;
}

/// A FASTA from S3, and boto-style listing and deletion rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fasta_from_s3_listing_and_conflicts() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket("genomes");
    let text = fasta(2, &[("chrA", 10_000, 60), ("chrB", 5_000, 60)]);
    s3.put("genomes", "hg/ref.fa.gz", gzip(&text)).await;
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.sources.s3_endpoint = Some(s3.endpoint.clone());
    config.roles = vec![seqstore::config::Role {
        arn: ROLE_A.into(),
        locations: vec![
            seqstore::config::Location {
                uri: "s3://genomes/".into(),
                access: Default::default(),
                endpoint: Some(s3.endpoint.clone()),
                region: Some("us-east-1".into()),
                path_style: true,
                access_key_id: Some("test".into()),
                secret_access_key: Some("test".into()),
            },
            seqstore::config::Location {
                uri: format!("file://{}/", root.path().display()),
                access: Default::default(),
                endpoint: None,
                region: None,
                path_style: false,
                access_key_id: None,
                secret_access_key: None,
            },
        ],
    }];
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let ref_store = reference_store(&client).await;
    let job = import(&client, &ref_store, vec![ref_source("s3://genomes/hg/ref.fa.gz", "hg38")]).await;
    assert_eq!(job.status(), &ReferenceImportJobStatus::Completed, "{job:?}");
    let ref_id = job.sources()[0].reference_id().expect("reference").to_owned();
    let listed = client.list_references().reference_store_id(&ref_store).send().await.expect("list");
    assert_eq!(listed.references().len(), 1);
    assert_eq!(listed.references()[0].md5(), md5(&text));
    let jobs = client.list_reference_import_jobs().reference_store_id(&ref_store).send().await.expect("jobs");
    assert_eq!(jobs.import_jobs().len(), 1);
    let arn = client
        .get_reference_metadata()
        .reference_store_id(&ref_store)
        .id(&ref_id)
        .send()
        .await
        .expect("meta")
        .arn()
        .to_owned();
    let tags = client.list_tags_for_resource().resource_arn(&arn).send().await.expect("tags");
    assert_eq!(tags.tags().get("genome").map(String::as_str), Some("hg38"));

    // A read set naming the reference blocks its deletion; the store holding it cannot be deleted.
    let seq_store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let reads = write(root.path(), "r.fq", &fastq(3, 10, 20, None));
    let mut item = source(&reads, None);
    item.reference_arn = Some(arn.clone());
    let import_job = start(&client, &seq_store, vec![item]).await;
    wait(&client, &seq_store, &import_job).await;
    let busy = client.delete_reference().reference_store_id(&ref_store).id(&ref_id).send().await.expect_err("in use");
    assert_eq!(code(&busy), "ConflictException");
    let holding = client.delete_reference_store().id(&ref_store).send().await.expect_err("holds references");
    assert_eq!(code(&holding), "ConflictException");
    server.stop().await;
}

/// Submits a read set import naming `arn` (built from B's reference ARN) and returns the error.
async fn refused_reference(arn_of: impl Fn(&str) -> String) -> (String, String) {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let (a, b) = (sdk(&server.endpoint, KEY_A), sdk(&server.endpoint, KEY_B));
    let b_store = reference_store(&b).await;
    let fa = write(root.path(), "b.fa", &fasta(3, &[("c", 100, 50)]));
    let b_role = "arn:aws:iam::222222222222:role/Import";
    let job = b
        .start_reference_import_job()
        .reference_store_id(&b_store)
        .role_arn(b_role)
        .sources(ref_source(&fa, "genome-b"))
        .send()
        .await
        .expect("b import");
    let mut b_ref = None;
    for _ in 0..300 {
        let out = b.get_reference_import_job().reference_store_id(&b_store).id(job.id()).send().await.expect("get");
        if let Some(id) = out.sources().first().and_then(|s| s.reference_id()) {
            b_ref = Some(id.to_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let b_arn = format!(
        "arn:aws:omics:us-east-1:{}:referenceStore/{b_store}/reference/{}",
        KEY_B.2,
        b_ref.expect("b reference")
    );
    let seq_store = store(&a, ETagAlgorithmFamily::Md5Up).await;
    let reads = write(root.path(), "r.fq", &fastq(3, 10, 20, None));
    let mut item = source(&reads, None);
    item.reference_arn = Some(arn_of(&b_arn));
    let err = a.start_read_set_import_job().sequence_store_id(&seq_store).role_arn(ROLE_A).sources(item).send().await;
    let err = err.expect_err("refused");
    server.stop().await;
    (code(&err), format!("{err:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_arn_malformed_is_a_validation_error() {
    let (code, text) =
        refused_reference(|_| "arn:aws:omics:us-east-1:111111111111:sequenceStore/1234567890".into()).await;
    assert_eq!(code, "ValidationException");
    assert!(text.contains("sources.0.referenceArn"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_arn_missing_is_not_found() {
    let arn = "arn:aws:omics:us-east-1:111111111111:referenceStore/1234567890/reference/1234567891";
    let (code, text) = refused_reference(|_| arn.into()).await;
    assert_eq!(code, "ResourceNotFoundException");
    assert!(text.contains("sources.0.referenceArn"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_arn_of_another_account_is_not_found() {
    let (code, text) = refused_reference(str::to_owned).await;
    assert_eq!(code, "ResourceNotFoundException");
    assert!(text.contains("sources.0.referenceArn"), "{text}");
}

/// Bad FASTA: each source FAILED with its specific message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_fasta_fails_with_specific_messages() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = reference_store(&client).await;
    let good = fasta(4, &[("c1", 1000, 60)]);
    let gz = gzip(&good);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("noheader.fa", b"ACGT\nACGT\n".to_vec(), "header"),
        ("dup.fa", b">a\nACGT\n>a\nACGT\n".to_vec(), "duplicate sequence name 'a'"),
        ("empty_seq.fa", b">a\n>b\nACGT\n".to_vec(), "has no bases"),
        ("garbage.fa", (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect(), "not FASTA"),
        ("ragged.fa", b">a\nACGTACGT\nACG\nACGTACGT\n".to_vec(), "line"),
        ("truncated.fa.gz", gz[..gz.len() / 2].to_vec(), "truncated"),
    ];
    let sources = cases.iter().map(|(name, bytes, _)| ref_source(&write(root.path(), name, bytes), name)).collect();
    let job = import(&client, &store, sources).await;
    assert_eq!(job.status(), &ReferenceImportJobStatus::Failed, "{job:?}");
    for (item, (name, _, expected)) in job.sources().iter().zip(&cases) {
        assert_eq!(item.status(), &ReferenceImportJobItemStatus::Failed, "{name}");
        let message = item.status_message().unwrap_or_default();
        assert!(message.contains(expected), "{name}: expected {expected:?} in {message:?}");
    }
    let listed = client.list_references().reference_store_id(&store).send().await.expect("list");
    assert!(listed.references().is_empty());
    server.stop().await;
}

/// Random access through the service's reference API: 1 kb from the middle of a 100 Mbp BGZF
/// sequence fetches only the blocks that hold it, and the bases equal the sequence's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_access_reads_only_the_needed_blocks() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = reference_store(&client).await;
    let length = 100_000_000;
    let text = fasta(9, &[("chrBig", length, 60), ("chrSmall", 1000, 60)]);
    let stored = bgzf(&text);
    let uri = write(root.path(), "big.fa.bgz", &stored);
    let job = import(&client, &store, vec![ref_source(&uri, "big")]).await;
    assert_eq!(job.status(), &ReferenceImportJobStatus::Completed, "{job:?}");
    let id = job.sources()[0].reference_id().expect("reference");
    let arn =
        client.get_reference_metadata().reference_store_id(&store).id(id).send().await.expect("meta").arn().to_owned();

    let database = seqstore::db::Db::connect(&config.database_url()).await.expect("db");
    let data = super::support::data_store(&config);
    let service = seqstore::service::Service::new(&config, database, data).await.expect("service");
    let caller = seqstore::service::Caller { account: KEY_A.2.to_owned() };
    let reference = service.reference_by_arn(&caller, &arn).await.expect("by arn");
    let start = 50_000_123;
    let read = service.reference_bases(&reference, "chrBig", start, 1000).await.expect("bases");
    let line = |i: u64| (i / 60) * 61 + i % 60; // offset of base i within chrBig's lines
    let header = b">chrBig description of chrBig\n".len() as u64;
    let expected: Vec<u8> = (start..start + 1000).map(|i| text[(header + line(i)) as usize]).collect();
    assert_eq!(read.bases, expected);
    assert!(read.bytes_read < 200 * 1024, "read {} bytes of a {} byte file", read.bytes_read, stored.len());
    let other = caller_b_cannot_read(&service, &arn).await;
    assert!(other, "another account cannot resolve the ARN");
    server.stop().await;
}

async fn caller_b_cannot_read(service: &seqstore::service::Service, arn: &str) -> bool {
    let caller = seqstore::service::Caller { account: KEY_B.2.to_owned() };
    service.reference_by_arn(&caller, arn).await.is_err()
}

/// A reference import records each sequence's GA4GH refget identifier (`SQ.` + `sha512t24u` of
/// the upper-cased bases) beside its MD5, on both backends; the refget specification's example
/// (`ACGT`) gives its published identifier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_imports_record_each_sequences_refget_id() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend).await else { continue };
        let root = tempfile::tempdir().expect("root");
        let config = import_config(&db, root.path());
        let server = TestServer::start(&config).await;
        let client = sdk(&server.endpoint, KEY_A);
        let uri = write(root.path(), "two.fa", b">a first\nAC\nGT\n>b\nacgtn\n");
        let store = reference_store(&client).await;
        let job = import(&client, &store, vec![ref_source(&uri, "two")]).await;
        let id = job.sources()[0].reference_id().expect("a reference").to_owned();
        let database = seqstore::db::Db::connect(&db.url).await.expect("database");
        let mut conn = database.pool().acquire().await.expect("connection");
        let reference = seqstore::db::references::get(&mut conn, KEY_A.2, &store, &id).await.expect("read");
        let sequences = reference.expect("the reference").sequences;
        assert_eq!(sequences[0].refget.as_deref(), Some("SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2"));
        assert_eq!(sequences[1].refget, Some(seqstore_formats::fasta::refget_id(b"ACGTN")));
        drop(conn);
        database.close().await;
        server.stop().await;
    }
}
