//! What the samtools comparison tests share: the repository's test data, a scratch directory,
//! and samtools itself (required under `CI=true`, else the tests skip), run without ever fetching a
//! reference from the network.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use md5::{Digest as _, Md5};
use noodles_fasta as fasta;
use seqstore_formats::alignment::ReferenceSequence;
use seqstore_formats::cram;
use seqstore_formats::digest::Algorithm;
use seqstore_formats::limits::Limits;

/// `path` under the repository's `testdata/`.
pub fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

/// A scratch directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory for `name` under the system's temporary directory.
    pub fn new(name: &str) -> io::Result<Self> {
        let path = std::env::temp_dir().join(format!("seqstore-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    /// The path of `name` in it.
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// True when samtools runs; under `CI=true` its absence fails the test.
pub fn samtools_available() -> bool {
    let found = Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || std::env::var("CI").as_deref() != Ok("true"), "samtools is required under CI");
    if !found {
        eprintln!("samtools not found: skipped");
    }
    found
}

/// Runs samtools with `args`, never fetching a reference from the network; its stdout.
pub fn samtools(args: &[&std::ffi::OsStr]) -> io::Result<Vec<u8>> {
    let output = Command::new("samtools")
        .args(args)
        .env("REF_PATH", "/nonexistent")
        .env("REF_CACHE", "/nonexistent")
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!("samtools {args:?}: {}", String::from_utf8_lossy(&output.stderr))));
    }
    Ok(output.stdout)
}

/// `samtools!(arg, …)`: [`samtools`] with each argument as an `OsStr`.
macro_rules! samtools {
    ($($arg:expr),* $(,)?) => { tools::samtools(&[$(std::ffi::OsStr::new($arg)),*]) };
}

/// A reference FASTA (`ce.fa`) in memory, in file order, upper-cased.
pub struct Reference(pub Vec<(String, Vec<u8>)>);

#[allow(dead_code, reason = "each test crate including this module uses part of it")]
impl Reference {
    pub fn read(path: &Path) -> io::Result<Self> {
        let mut reader = fasta::io::reader::Builder.build_from_path(path)?;
        let mut sequences = Vec::new();
        for record in reader.records() {
            let record = record?;
            let name = String::from_utf8_lossy(record.name()).into_owned();
            sequences.push((name, record.sequence().as_ref().to_ascii_uppercase()));
        }
        Ok(Self(sequences))
    }

    pub fn md5s(&self) -> Vec<(String, u64, String)> {
        self.0.iter().map(|(name, bases)| (name.clone(), bases.len() as u64, hex::encode(Md5::digest(bases)))).collect()
    }

    pub fn sequences(&self) -> Vec<ReferenceSequence> {
        self.md5s().into_iter().map(|(name, length, md5)| ReferenceSequence { name, length, md5 }).collect()
    }

    pub fn cram_options(&self, algorithm: Algorithm, file: &Path) -> cram::Options {
        let reference = self.sequences();
        let name_prefix = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
        cram::Options { algorithm, reference, name_prefix, limits: Limits::default(), qc: false }
    }
}

impl cram::ReferenceSource for Reference {
    fn sequence(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.0.iter().find(|(n, _)| n == name).map(|(_, bases)| bases.clone()))
    }
}
