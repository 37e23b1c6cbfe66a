//! CRAMs written by htsjdk (cramtools), from the htslib test suite (Debian package
//! `htslib-test`): `scan` must decode them and agree with `samtools view -T REF` on the record
//! count and the ETag. Skipped when the files or samtools are missing, unless `CI=true`, where
//! that fails.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use md5::{Digest as _, Md5};
use noodles_fasta as fasta;
use seqstore_formats::cram::{Options, ReferenceSequence, ReferenceSource, scan};
use seqstore_formats::digest::Algorithm;
use seqstore_formats::limits::Limits;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const HTSLIB_TEST: &str = "/usr/share/htslib-test/test";

/// A whole FASTA held in memory, upper-cased, in file order.
struct FastaSource {
    names: Vec<String>,
    sequences: HashMap<String, Vec<u8>>,
}

impl FastaSource {
    fn read(path: &Path) -> io::Result<Self> {
        let mut reader = fasta::io::reader::Builder.build_from_path(path)?;
        let (mut names, mut sequences) = (Vec::new(), HashMap::new());
        for record in reader.records() {
            let record = record?;
            let name = String::from_utf8_lossy(record.name()).into_owned();
            let bases = record.sequence().as_ref().to_ascii_uppercase();
            names.push(name.clone());
            sequences.insert(name, bases);
        }
        Ok(Self { names, sequences })
    }

    /// Options to scan `cram`: the `@SQ` list of the reference (name, length and MD5 of the
    /// upper-cased bases), and the CRAM's file name to name records as samtools does.
    fn options(&self, cram: &Path) -> Options {
        let reference = self
            .names
            .iter()
            .map(|name| {
                let bases = &self.sequences[name];
                ReferenceSequence {
                    name: name.clone(),
                    length: bases.len() as u64,
                    md5: hex::encode(Md5::digest(bases)),
                }
            })
            .collect();
        let name_prefix = cram.file_name().unwrap_or_default().to_string_lossy().into_owned();
        Options { algorithm: Algorithm::Md5, reference, name_prefix, limits: Limits::default(), qc: false }
    }
}

impl ReferenceSource for FastaSource {
    fn sequence(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.sequences.get(name).cloned())
    }
}

fn under_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The CRAM and its reference, or `None` (skip) when the test data or samtools are missing.
fn inputs(cram: &str, reference: &str) -> Option<(PathBuf, PathBuf)> {
    let dir = Path::new(HTSLIB_TEST);
    let (cram, reference) = (dir.join(cram), dir.join(reference));
    let files = cram.is_file() && reference.is_file();
    let samtools = Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    if files && samtools {
        return Some((cram, reference));
    }
    assert!(!under_ci(), "CI=true needs samtools and {} (package htslib-test)", cram.display());
    eprintln!("skipped: samtools or {} missing", cram.display());
    None
}

/// `samtools view -T reference file [args]`, never going to the network for a reference.
fn samtools_view(reference: &Path, file: &Path, args: &[&str]) -> io::Result<Vec<u8>> {
    let output = Command::new("samtools")
        .arg("view")
        .arg("-T")
        .arg(reference)
        .args(args)
        .arg(file)
        .env("REF_PATH", "/nonexistent")
        .env("REF_CACHE", "/nonexistent")
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    Ok(output.stdout)
}

fn check(cram: &str, reference: &str) -> TestResult {
    let Some((cram, reference)) = inputs(cram, reference) else {
        return Ok(());
    };
    let source = FastaSource::read(&reference)?;
    let summary = scan(fs::File::open(&cram)?, &source, &source.options(&cram))?;

    let count: u64 = String::from_utf8(samtools_view(&reference, &cram, &["-c"])?)?.trim().parse()?;
    let text = samtools_view(&reference, &cram, &[])?;
    assert_eq!(summary.records, count, "{}: record count", cram.display());
    assert_eq!(summary.etag, hex::encode(Md5::digest(&text)), "{}: ETag", cram.display());
    Ok(())
}

#[test]
fn test_ce_5b_java_matches_samtools() -> TestResult {
    check("ce#5b_java.cram", "ce.fa")
}

#[test]
fn test_auxf_values_java_matches_samtools() -> TestResult {
    check("auxf#values_java.cram", "auxf.fa")
}
