//! File names of read set files, as the dashboard's read set page shows them (through the same
//! service use case exports call): imports are named after their sources (a gzip FASTQ pair, a
//! BAM with its BAI; with samtools, a CRAM with its CRAI and a BAM whose reference is too long for
//! BAI with its CSI), equal source names fall back to the defaults, direct uploads get
//! `{readSetId}_1.{ext}`, and a read set recorded before names existed (its `files` rewritten
//! without them) gets the defaults, the compression of its FASTQ and index read from storage.

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType, ReadSetStatus};
use seqstore::db::Db;

use super::aligned_failures::import_references;
use super::fastq_data::{fastq, gzip};
use super::imports::{import_all, import_config, source, store, typed_source, write};
use super::support::{Backend, KEY_A, TestDb, TestServer, in_ci, on_both_backends, sdk};
use super::ui::{http, session};
use super::uploads::{settled, upload_files};

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

/// Copies a test file to `root/{name}` and returns its `file://` URI.
fn copy_in(root: &Path, from: &str) -> String {
    let from = testdata(from);
    let bytes = std::fs::read(&from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
    write(root, from.file_name().and_then(|n| n.to_str()).expect("name"), &bytes)
}

/// Whether samtools is installed (it must be under CI).
fn samtools_found() -> bool {
    let found = Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || !in_ci(), "CI=true but samtools is not installed");
    found
}

/// Runs `samtools ARGS`, which must succeed.
fn samtools(args: &[&str]) {
    let out = Command::new("samtools").args(args).env("REF_PATH", "/nonexistent").output().expect("samtools");
    assert!(out.status.success(), "samtools {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// A coordinate-sorted CRAM of a conformance SAM on `ce.fa` (`reference`), so it is indexed:
/// `root/sorted.cram`'s URI.
fn sorted_cram(root: &Path, reference: &Path) -> String {
    let (sam, cram) = (testdata("hts-specs/cram3.0/passed/1406_index_long.sam"), root.join("sorted.cram"));
    samtools(&["sort", "-O", "cram", "--reference", utf8(reference), "-o", utf8(&cram), utf8(&sam)]);
    format!("file://{}", cram.display())
}

/// A coordinate-sorted BAM with a record beyond BAI's reach (2^29 - 1), so its index is a CSI:
/// `root/long.bam`'s URI.
fn long_bam(root: &Path) -> String {
    let sam = "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:600000000\n\
               r1\t0\tchr1\t100\t60\t10M\t*\t0\t0\tACGTACGTAC\tIIIIIIIIII\n\
               r2\t0\tchr1\t580000000\t60\t10M\t*\t0\t0\tACGTACGTAC\tIIIIIIIIII\n";
    let (sam_path, bam) = (root.join("long.sam"), root.join("long.bam"));
    std::fs::write(&sam_path, sam).expect("write SAM");
    samtools(&["view", "-b", "-o", utf8(&bam), utf8(&sam_path)]);
    format!("file://{}", bam.display())
}

/// `(file, name)` of each row of the read set page's files table: `[("source1", "r1.fq.gz"), …]`.
async fn shown_names(endpoint: &str, cookie: &str, store: &str, id: &str) -> Vec<(String, String)> {
    let page = http(endpoint, "GET", &format!("/ui/stores/{store}/readsets/{id}"), Some(cookie), &[], "").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    let rows = text.split("<tr data-file=\"").skip(1);
    rows.map(|row| {
        let file = row.split('"').next().expect("file");
        let name = row.split("file-name\">").nth(1).and_then(|n| n.split('<').next()).expect("name cell");
        (file.to_owned(), name.to_owned())
    })
    .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(f, n)| ((*f).to_owned(), (*n).to_owned())).collect()
}

/// `pairs` of read set `id`'s default names: `("source1", "_1.bam")` → `("source1", "{id}_1.bam")`.
fn defaults(id: &str, suffixes: &[(&str, &str)]) -> Vec<(String, String)> {
    suffixes.iter().map(|(f, suffix)| ((*f).to_owned(), format!("{id}{suffix}"))).collect()
}

/// Rewrites read set `id`'s `files` as a read set committed before names were recorded.
async fn forget_names(db: &Db, id: &str) {
    use sqlx::Row;
    let row = sqlx::query("SELECT files FROM read_sets WHERE id = $1").bind(id).fetch_one(db.pool()).await;
    let mut files: serde_json::Value = serde_json::from_str(row.expect("files").get::<&str, _>(0)).expect("JSON");
    for file in files.as_object_mut().expect("files object").values_mut() {
        if let Some(file) = file.as_object_mut() {
            assert!(file.remove("name").is_some(), "a recorded name: {file:?}");
        }
    }
    let update = sqlx::query("UPDATE read_sets SET files = $1 WHERE id = $2").bind(files.to_string()).bind(id);
    update.execute(db.pool()).await.expect("rewrite files");
}

on_both_backends!(imports_uploads_and_older_read_sets_are_named_as_the_layout_says);

async fn imports_uploads_and_older_read_sets_are_named_as_the_layout_says(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let endpoint = server.endpoint.as_str();
    let client = sdk(endpoint, KEY_A);
    let cookie = session(endpoint, KEY_A).await;
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;

    let (r1, r2) = (gzip(&fastq(1, 200, 100, Some(1))), gzip(&fastq(2, 200, 100, Some(2))));
    let pair = (write(root.path(), "HG00405_R1.fastq.gz", &r1), write(root.path(), "HG00405_R2.fastq.gz", &r2));
    for dir in ["run1", "run2"] {
        std::fs::create_dir(root.path().join(dir)).expect("mkdir");
    }
    let same = (
        write(root.path(), "run1/reads.fq", &fastq(3, 50, 100, Some(1))),
        write(root.path(), "run2/reads.fq", &fastq(4, 50, 100, Some(2))),
    );
    let bam = copy_in(root.path(), "hts-specs/bam/level-1.bam");
    let ids = import_all(
        &client,
        &store,
        vec![source(&pair.0, Some(&pair.1)), source(&same.0, Some(&same.1)), typed_source(&bam, None, FileType::Bam)],
    )
    .await;
    let (fastq_id, same_id, bam_id) = (&ids[0], &ids[1], &ids[2]);
    let expected = pairs(&[("source1", "HG00405_R1.fastq.gz"), ("source2", "HG00405_R2.fastq.gz")]);
    assert_eq!(shown_names(endpoint, &cookie, &store, fastq_id).await, expected, "named after the sources");
    let expected = defaults(same_id, &[("source1", "_1.fastq"), ("source2", "_2.fastq")]);
    assert_eq!(shown_names(endpoint, &cookie, &store, same_id).await, expected, "equal names: defaults for both");
    let expected = pairs(&[("source1", "level-1.bam"), ("index", "level-1.bam.bai")]);
    assert_eq!(shown_names(endpoint, &cookie, &store, bam_id).await, expected, "the index beside its file");

    let uploaded = upload_files(&client, &store, FileType::Fastq, None, &[&r1, &r2], 2).await;
    assert_eq!(settled(&client, &store, &uploaded).await.status(), &ReadSetStatus::Active);
    let expected = defaults(&uploaded, &[("source1", "_1.fastq.gz"), ("source2", "_2.fastq.gz")]);
    assert_eq!(shown_names(endpoint, &cookie, &store, &uploaded).await, expected, "an upload has the defaults");
    let bam_bytes = std::fs::read(testdata("hts-specs/bam/level-1.bam")).expect("bam");
    let uploaded_bam = upload_files(&client, &store, FileType::Bam, None, &[&bam_bytes], 1).await;
    assert_eq!(settled(&client, &store, &uploaded_bam).await.status(), &ReadSetStatus::Active);
    let expected = defaults(&uploaded_bam, &[("source1", "_1.bam"), ("index", "_1.bam.bai")]);
    assert_eq!(shown_names(endpoint, &cookie, &store, &uploaded_bam).await, expected);

    let mut legacy = vec![
        (fastq_id.clone(), defaults(fastq_id, &[("source1", "_1.fastq.gz"), ("source2", "_2.fastq.gz")])),
        (bam_id.clone(), defaults(bam_id, &[("source1", "_1.bam"), ("index", "_1.bam.bai")])),
    ];
    if samtools_found() {
        let ce = root.path().join("ce.fa");
        std::fs::copy(testdata("hts-specs/ref/ce.fa"), &ce).expect("copy ce.fa");
        let arn = import_references(&client, &[("ce-reference", &format!("file://{}", ce.display()))]).await.remove(0);
        let mut cram = typed_source(&sorted_cram(root.path(), &ce), None, FileType::Cram);
        cram.reference_arn = Some(arn);
        let long = typed_source(&long_bam(root.path()), None, FileType::Bam);
        let ids = import_all(&client, &store, vec![cram, long]).await;
        let (cram_id, long_id) = (&ids[0], &ids[1]);
        let expected = pairs(&[("source1", "sorted.cram"), ("index", "sorted.cram.crai")]);
        assert_eq!(shown_names(endpoint, &cookie, &store, cram_id).await, expected);
        let expected = pairs(&[("source1", "long.bam"), ("index", "long.bam.csi")]);
        assert_eq!(shown_names(endpoint, &cookie, &store, long_id).await, expected, "a CSI is named .csi");
        legacy.push((cram_id.clone(), defaults(cram_id, &[("source1", "_1.cram"), ("index", "_1.cram.crai")])));
        legacy.push((long_id.clone(), defaults(long_id, &[("source1", "_1.bam"), ("index", "_1.bam.csi")])));
    }

    let database = Db::connect(&db.url).await.expect("database");
    for (id, _) in &legacy {
        forget_names(&database, id).await;
    }
    for (id, expected) in &legacy {
        let shown = shown_names(endpoint, &cookie, &store, id).await;
        assert_eq!(&shown, expected, "read set {id} as recorded before names");
    }
    database.close().await;
    server.stop().await;
}
