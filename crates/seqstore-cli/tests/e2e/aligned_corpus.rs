//! What samtools reads, seqstore imports: the corpus of `seqstore-formats`
//! (`tests/samtools_corpus/records.rs`: the edge value of every SAM field, a CIGAR in the `CG`
//! tag, every optional field type) converted by samtools to BAM (unsorted and sorted), uBAM and
//! CRAM 3.0/3.1, imported with `ce.fa` as their reference through `aws-sdk-omics`: every source
//! FINISHES, with `totalReadCount` and the ETag of `samtools view [-T ce.fa]`.

#[path = "../../../seqstore-formats/tests/samtools_corpus/records.rs"]
mod records;

use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType, ReadSetImportJobItemStatus, ReadSetImportJobStatus};

use super::aligned_failures::{
    aligned_source, copy_in, import_references, samtools, samtools_available, samtools_count, testdata,
};
use super::fastq_data::md5;
use super::imports::{import_config, start, store, wait};
use super::support::{Backend, KEY_A, TestDb, TestServer, sdk};

/// `ce.fa`'s sequences, upper-cased, in file order.
fn ce_sequences() -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read(testdata("hts-specs/ref/ce.fa")).expect("ce.fa");
    let mut sequences: Vec<(String, Vec<u8>)> = Vec::new();
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match line.strip_prefix(b">") {
            Some(name) => {
                let name = name.split(|b| b.is_ascii_whitespace()).next().unwrap_or_default();
                sequences.push((String::from_utf8_lossy(name).into_owned(), Vec::new()));
            }
            None => sequences.last_mut().expect("a sequence").1.extend(line.to_ascii_uppercase()),
        }
    }
    sequences
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samtools_corpus_imports_as_samtools_reads_it() {
    if !samtools_available() {
        return;
    }
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let (reference, reference_uri) = copy_in(root.path(), "hts-specs/ref/ce.fa", "ce.fa");
    let reference = reference.to_str().expect("utf-8").to_owned();
    let arn = import_references(&client, &[("ce-corpus", &reference_uri)]).await.remove(0);

    let path = |name: &str| root.path().join(name).to_str().expect("utf-8").to_owned();
    let corpus = records::corpus(&ce_sequences());
    std::fs::write(path("corpus.sam"), &corpus).expect("write");
    std::fs::write(path("for_cram.sam"), records::for_cram(&corpus)).expect("write");
    std::fs::write(path("unaligned.sam"), records::unaligned(&corpus)).expect("write");
    samtools(&["view", "-b", "-o", &path("corpus.bam"), &path("corpus.sam")]);
    samtools(&["sort", "-o", &path("sorted.bam"), &path("corpus.sam")]);
    samtools(&["view", "-b", "-o", &path("unaligned.bam"), &path("unaligned.sam")]);
    for version in ["3.0", "3.1"] {
        let option = format!("version={version}");
        let cram = path(&format!("corpus{version}.cram"));
        samtools(&["view", "-C", "-T", &reference, "--output-fmt-option", &option, "-o", &cram, &path("for_cram.sam")]);
    }
    let files = [
        ("corpus.bam", FileType::Bam),
        ("sorted.bam", FileType::Bam),
        ("unaligned.bam", FileType::Ubam),
        ("corpus3.0.cram", FileType::Cram),
        ("corpus3.1.cram", FileType::Cram),
    ];

    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let sources = files
        .iter()
        .map(|(name, file_type)| {
            let arn = (*file_type != FileType::Ubam).then_some(arn.as_str());
            aligned_source(&format!("file://{}", path(name)), file_type.clone(), arn)
        })
        .collect();
    let job = wait(&client, &store, &start(&client, &store, sources).await).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    for (item, (name, file_type)) in job.sources().iter().zip(&files) {
        assert_eq!(item.status(), &ReadSetImportJobItemStatus::Finished, "{name}: {item:?}");
        let id = item.read_set_id().expect("read set");
        let file = path(name);
        let mut args = vec!["view"];
        if *file_type == FileType::Cram {
            args.extend(["-T", &reference]);
        }
        let text = samtools(&[args.as_slice(), &[file.as_str()]].concat());
        let count = samtools_count(&[args.as_slice(), &["-c", file.as_str()]].concat());
        assert!(count > 40, "{name}: {count} records");
        let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("metadata");
        let info = meta.sequence_information().expect("sequenceInformation");
        assert_eq!(info.total_read_count(), Some(count), "{name}: totalReadCount = samtools view -c");
        let etag = meta.etag().and_then(|e| e.source1()).expect("etag");
        assert_eq!(etag, md5(&text), "{name}: ETag = MD5 of samtools view");
        if *name == "sorted.bam" {
            // samtools index fails on the record at POS 2^31 - 1; the read set says why it has none.
            let note = item.status_message().or(meta.status_message()).unwrap_or_default().to_owned();
            assert!(meta.files().and_then(|f| f.index()).is_none(), "{name}: no index");
            assert!(note.starts_with("imported without index: source1 record "), "{note}");
            assert!(note.contains("(read 'pos_max') cannot be indexed"), "{note}");
            assert!(note.chars().count() <= 127, "within the model's statusMessage: {note}");
        }
    }
    server.stop().await;
}
