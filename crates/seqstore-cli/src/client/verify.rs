//! Verification of a downloaded read set file: its ETag recomputed with the scanner of its file
//! type (FASTQ: digest of the uncompressed bytes; BAM/uBAM/CRAM: digest of the records as SAM
//! text), in the digest family the read set's ETag names.

use std::fs::File;
use std::io::BufReader;
use std::os::unix::fs::FileExt;
use std::path::Path;

use seqstore::model::import::FileType;
use seqstore_formats::digest::Algorithm;
use seqstore_formats::fasta::{self, ReadAt, Sequence};
use seqstore_formats::limits::Limits;
use seqstore_formats::sniff::Compression;
use seqstore_formats::{bam, cram, fastq};
use serde_json::Value;

use aws_smithy_runtime_api::box_error::BoxError;

use super::Error;

/// How a downloaded file differs from its read set.
#[derive(Debug, thiserror::Error)]
pub enum Mismatch {
    /// Not as many bytes as the read set's `contentLength`.
    #[error("{actual} bytes instead of {expected}")]
    Size {
        /// `contentLength`.
        expected: u64,
        /// Bytes received.
        actual: u64,
    },
    /// The recomputed ETag differs.
    #[error("ETag {actual} instead of {expected}")]
    ETag {
        /// The read set's ETag.
        expected: String,
        /// Recomputed from the download.
        actual: String,
    },
    /// The scanner refused the content.
    #[error("the content does not scan as {file_type}")]
    Unreadable {
        /// The read set's file type.
        file_type: String,
        /// The scanner's error.
        #[source]
        source: BoxError,
    },
    /// The read set names an ETag algorithm or file type this client does not know.
    #[error("cannot verify ETag algorithm {algorithm:?} of file type {file_type:?}")]
    Unknown {
        /// `etag.algorithm`.
        algorithm: String,
        /// `fileType`.
        file_type: String,
    },
}

/// What the read set says about the file.
#[derive(Debug, Clone)]
pub struct Expected {
    /// `fileType`: FASTQ, BAM, UBAM or CRAM.
    pub file_type: String,
    /// `etag.algorithm`, e.g. `FASTQ_MD5up`.
    pub algorithm: String,
    /// `etag.source1` or `etag.source2`.
    pub etag: String,
    /// The file is SOURCE2 of a pair.
    pub second: bool,
}

/// Recomputes the ETag of the file at `path` and compares it with `expected`.
pub fn etag(path: &Path, expected: &Expected, reference: Option<&Reference>) -> Result<(), Mismatch> {
    let file_type = expected.file_type.as_str();
    let unreadable = |source: BoxError| Mismatch::Unreadable { file_type: file_type.to_owned(), source };
    let unknown = || Mismatch::Unknown { algorithm: expected.algorithm.clone(), file_type: expected.file_type.clone() };
    let algorithm = algorithm(&expected.algorithm).ok_or_else(unknown)?;
    let file = File::open(path).map_err(|e| unreadable(e.into()))?;
    let reader = BufReader::with_capacity(1 << 20, file);
    let actual = match FileType::parse(file_type).ok_or_else(unknown)? {
        FileType::Fastq => {
            let which = if expected.second { fastq::Which::Source2 } else { fastq::Which::Source1 };
            fastq::scan(which, reader, algorithm).map_err(|e| unreadable(e.into()))?.etag
        }
        FileType::Bam | FileType::Ubam => {
            // The user's own download: the server already held it to its limits.
            let options = bam::Options {
                algorithm,
                unaligned_only: false,
                reference: None,
                limits: Limits::UNBOUNDED,
                qc: false,
            };
            bam::scan(reader, &options).map_err(|e| unreadable(e.into()))?.etag
        }
        FileType::Cram => {
            let reference = reference.ok_or_else(|| unreadable("no reference to decode the CRAM against".into()))?;
            let options = cram::Options {
                algorithm,
                reference: reference.sequences(),
                name_prefix: reference.name_prefix.clone(),
                limits: Limits::UNBOUNDED,
                qc: false,
            };
            cram::scan(reader, reference, &options).map_err(|e| unreadable(e.into()))?.etag
        }
    };
    if actual == expected.etag { Ok(()) } else { Err(Mismatch::ETag { expected: expected.etag.clone(), actual }) }
}

/// The digest family of an ETag algorithm name (`FASTQ_MD5up`, `BAM_SHA256up`, …).
fn algorithm(name: &str) -> Option<Algorithm> {
    match name.rsplit('_').next()? {
        "MD5up" => Some(Algorithm::Md5),
        "SHA256up" => Some(Algorithm::Sha256),
        "SHA512up" => Some(Algorithm::Sha512),
        _ => None,
    }
}

/// A downloaded reference: its FASTA made plain, read at random through its `.fai`.
#[derive(Debug)]
pub struct Reference {
    _dir: tempfile::TempDir,
    plain: PlainFile,
    index: Vec<Sequence>,
    md5s: Vec<(String, u64, String)>,
    name_prefix: String,
}

impl Reference {
    /// Opens the downloaded `fasta` (plain, gzip or BGZF; decompressed into `dir` when
    /// compressed) with its `.fai`; `sequences` are the `sequences` extension member of
    /// GetReferenceMetadata (name, length, md5).
    pub fn open(
        dir: tempfile::TempDir,
        fasta: &Path,
        fai: &Path,
        sequences: &[Value],
        name_prefix: String,
    ) -> Result<Self, Error> {
        let read_err = |path: &Path| {
            let path = path.display().to_string();
            move |source| Error::File { action: "cannot read", path, source }
        };
        let index = std::fs::read(fai).map_err(read_err(fai))?;
        let index = fasta::parse_fai(&index)
            .map_err(|e| Error::Reference { problem: "its index does not parse", source: e.into() })?;
        let mut head = [0u8; 2];
        let file = File::open(fasta).map_err(read_err(fasta))?;
        let compressed = file.read_at(&mut head, 0).map_err(read_err(fasta))? == 2 && head == [0x1f, 0x8b];
        let plain = if compressed {
            let path = dir.path().join("plain.fa");
            let mut out = File::create_new(&path).map_err(read_err(&path))?;
            let mut decoder = flate2::read::MultiGzDecoder::new(BufReader::new(file));
            std::io::copy(&mut decoder, &mut out).map_err(read_err(fasta))?;
            File::open(&path).map_err(read_err(&path))?
        } else {
            file
        };
        let len = plain.metadata().map_err(read_err(fasta))?.len();
        let md5s = sequences
            .iter()
            .map(|s| {
                let name = s["name"].as_str().unwrap_or_default().to_owned();
                (name, s["length"].as_u64().unwrap_or_default(), s["md5"].as_str().unwrap_or_default().to_owned())
            })
            .collect();
        Ok(Self { _dir: dir, plain: PlainFile { file: plain, len }, index, md5s, name_prefix })
    }

    fn sequences(&self) -> Vec<cram::ReferenceSequence> {
        self.md5s
            .iter()
            .map(|(name, length, md5)| cram::ReferenceSequence {
                name: name.clone(),
                length: *length,
                md5: md5.clone(),
            })
            .collect()
    }
}

impl cram::ReferenceSource for Reference {
    fn sequence(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(sequence) = self.index.iter().find(|s| s.name == name) else { return Ok(None) };
        let mut bases = fasta::read_bases(&self.plain, Compression::Plain, None, sequence, 0, sequence.length)
            .map_err(std::io::Error::other)?;
        bases.make_ascii_uppercase();
        Ok(Some(bases))
    }
}

/// An uncompressed FASTA file read at random.
#[derive(Debug)]
struct PlainFile {
    file: File,
    len: u64,
}

impl ReadAt for PlainFile {
    fn read_at(&self, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
        let mut bytes = vec![0; usize::try_from(len).map_err(std::io::Error::other)?];
        self.file.read_exact_at(&mut bytes, offset)?;
        Ok(bytes)
    }

    fn len(&self) -> u64 {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_follow_the_etag_name() {
        assert_eq!(algorithm("FASTQ_MD5up"), Some(Algorithm::Md5));
        assert_eq!(algorithm("BAM_SHA256up"), Some(Algorithm::Sha256));
        assert_eq!(algorithm("CRAM_SHA512up"), Some(Algorithm::Sha512));
        assert_eq!(algorithm("FASTQ_CRC"), None);
    }
}
