//! FASTQ read sets: validating, counting and hashing one file, or the two files of a pair, from
//! raw (plain, gzip or BGZF) streams in one pass with bounded memory.

mod error;
mod pair;
mod scanner;
mod source;
mod validator;

use std::fmt;
use std::io::Read;

pub use self::error::{Error, ErrorKind};
pub use self::pair::scan_pair;
use self::scanner::Scanner;
pub use self::validator::Validator;
use crate::digest::Algorithm;
use crate::qc::{Mate, QcCollector};
use crate::sniff::Compression;

/// Longest line accepted, in bytes without its `\n` (64 MiB: room for long reads).
pub const MAX_LINE: u64 = 64 << 20;

/// Which file of a read set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The first (or only) file; displays as `source1`.
    Source1,
    /// The mate file of a pair; displays as `source2`.
    Source2,
}

impl fmt::Display for Which {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Which::Source1 => "source1",
            Which::Source2 => "source2",
        })
    }
}

/// What a scan computes besides validating and counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Digest family of the ETag.
    pub algorithm: Algorithm,
    /// Count the quality-control statistics ([`Summary::qc`]).
    pub qc: bool,
}

impl From<Algorithm> for Options {
    /// The ETag in `algorithm`'s family, without statistics.
    fn from(algorithm: Algorithm) -> Self {
        Self { algorithm, qc: false }
    }
}

/// Result for one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Compression of the raw stream.
    pub compression: Compression,
    /// FASTQ records.
    pub records: u64,
    /// Sum of sequence lengths.
    pub bases: u64,
    /// Lowercase hex digest (the store's [`Algorithm`]) of the decompressed bytes, exactly as
    /// decompressed.
    pub etag: String,
    /// Lowercase hex SHA-256 of the raw bytes as read (compressed, as stored).
    pub stored_sha256: String,
    /// Lowercase hex MD5 of the raw bytes as read (compressed, as stored).
    pub stored_md5: String,
    /// Number of raw bytes read.
    pub stored_bytes: u64,
    /// Longest sequence.
    pub max_read_length: u64,
    /// The file's quality-control statistics, when [`Options::qc`] asked for them: counted as
    /// records of a single file ([`Mate::Single`](crate::qc::Mate::Single)) by [`scan`], as the
    /// first and last fragments of a pair by [`scan_pair`].
    pub qc: Option<Box<QcCollector>>,
}

/// Scans one FASTQ file from a raw (plain, gzip or BGZF) stream, in one pass with bounded memory
/// (two 256 KiB buffers and the longest header line), reading `reader` to its end.
///
/// # Errors
///
/// The first problem found, as an [`Error`] naming `which`: content that is not FASTQ, invalid
/// or truncated gzip data, a record breaking the rules of [`Validator`], or a failure of `reader`
/// ([`ErrorKind::Io`]).
pub fn scan<R: Read>(which: Which, reader: R, options: impl Into<Options>) -> Result<Summary, Error> {
    let mut scanner = Scanner::open(which, reader, options.into(), Mate::Single)?;
    while scanner.read_record()? {}
    Ok(scanner.finish())
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::io;

    use md5::Digest as _;

    use super::*;
    use crate::GzipError;
    use crate::testing::{bgzf, gzip};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const TEXT: &[u8] = b"@r1 comment\nACGTN\n+\nIIIII\n@r2\nac\n+r2\n!~\n@r3\n\n+\n\n@r4\nNNN\n+\n###";

    fn expected_etag(algorithm: Algorithm, text: &[u8]) -> String {
        match algorithm {
            Algorithm::Md5 => hex::encode(md5::Md5::digest(text)),
            Algorithm::Sha256 => hex::encode(sha2::Sha256::digest(text)),
            Algorithm::Sha512 => hex::encode(sha2::Sha512::digest(text)),
        }
    }

    fn message(raw: &[u8]) -> String {
        scan(Which::Source1, raw, Algorithm::Md5).map_or_else(|e| e.to_string(), |s| format!("valid {s:?}"))
    }

    // ~330 KiB of records: several BGZF blocks and more than one 256 KiB buffer.
    fn large_text() -> Vec<u8> {
        let mut text = Vec::new();
        for i in 0..2000 {
            text.extend_from_slice(format!("@read{i} x\n").as_bytes());
            text.extend_from_slice(&[b"ACGT"[i % 4]; 80][..(i % 80) + 1]);
            text.extend_from_slice(b"\n+\n");
            text.extend_from_slice(&[b'F'; 80][..(i % 80) + 1]);
            text.push(b'\n');
        }
        text
    }

    #[test]
    fn test_scan_encodings() -> TestResult {
        let large = large_text();
        let mut multi_member = gzip(&TEXT[..30])?;
        multi_member.extend(gzip(&TEXT[30..])?);
        let cases = [
            (TEXT.to_vec(), TEXT, Compression::Plain, 4, 10, 5),
            (gzip(TEXT)?, TEXT, Compression::Gzip, 4, 10, 5),
            (multi_member, TEXT, Compression::Gzip, 4, 10, 5),
            (bgzf(TEXT)?, TEXT, Compression::Bgzf, 4, 10, 5),
            (large.clone(), &large[..], Compression::Plain, 2000, 81_000, 80),
            (bgzf(&large)?, &large[..], Compression::Bgzf, 2000, 81_000, 80),
        ];
        for (raw, text, compression, records, bases, max_read_length) in cases {
            for algorithm in [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512] {
                let summary = scan(Which::Source1, &raw[..], algorithm)?;
                let expected = Summary {
                    compression,
                    records,
                    bases,
                    etag: expected_etag(algorithm, text),
                    stored_sha256: expected_etag(Algorithm::Sha256, &raw),
                    stored_md5: expected_etag(Algorithm::Md5, &raw),
                    stored_bytes: raw.len() as u64,
                    max_read_length,
                    qc: None,
                };
                assert_eq!(summary, expected, "{compression:?} {algorithm:?}");
            }
            // The statistics, counted in the same pass, as of the records one by one.
            let summary = scan(Which::Source1, &raw[..], Options { algorithm: Algorithm::Md5, qc: true })?;
            assert_eq!(summary.qc, Some(Box::new(qc_of(text, Mate::Single))), "{compression:?}");
        }
        Ok(())
    }

    /// The collector fed with the records of FASTQ `text` one by one.
    fn qc_of(text: &[u8], mate: Mate) -> QcCollector {
        let mut qc = QcCollector::new(0);
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        for record in lines.chunks(4).filter(|r| r.len() == 4) {
            qc.add_fastq(record[1], record[3], mate);
        }
        qc
    }

    #[test]
    fn test_scan_pair_qc() -> TestResult {
        let r1 = b"@a/1\nACGT\n+\nIIII\n@b/1\nGG\n+\n#I\n";
        let r2 = b"@a/2\nTTN\n+\n!!!\n@b/2\nC\n+\nI\n";
        let (one, two) = scan_pair(&r1[..], &r2[..], Options { algorithm: Algorithm::Md5, qc: true })?;
        assert_eq!(one.qc, Some(Box::new(qc_of(r1, Mate::First))));
        assert_eq!(two.qc, Some(Box::new(qc_of(r2, Mate::Last))));
        let (one, _) = scan_pair(&r1[..], &r2[..], Algorithm::Md5)?;
        assert!(one.qc.is_none());
        Ok(())
    }

    #[test]
    fn test_scan_other_content() -> TestResult {
        let not_fastq = "source1 is not FASTQ: first bytes are 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07";
        let cases = [
            (Vec::new(), "source1 is empty"),
            (gzip(b"")?, "source1 is empty"),
            (bgzf(b"")?, "source1 is empty"),
            (bgzf(b"BAM\x01\x00\x00\x00\x00")?, "source1 is BAM, not FASTQ: declare sourceFileType BAM"),
            (b"CRAM\x03\x00".to_vec(), "source1 is CRAM, not FASTQ: declare sourceFileType CRAM"),
            (
                gzip(b">chr1\nACGT\n")?,
                "source1 is FASTA, not FASTQ: a read set needs base qualities; import FASTA as a reference",
            ),
            (
                b"@HD\tVN:1.6\n".to_vec(),
                "source1 is SAM, not FASTQ: convert it to BAM (samtools view -b) and declare sourceFileType BAM",
            ),
            (b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09".to_vec(), not_fastq),
        ];
        for (raw, expected) in cases {
            assert_eq!(message(&raw), expected);
        }
        Ok(())
    }

    #[test]
    fn test_scan_invalid_text_through_gzip() -> TestResult {
        let text = b"@r1\nACGT\n+\nIIII\n@r2\nACGT\n+\nIII\n";
        let expected = "source1 record 2 (line 8): sequence length 4 but quality length 3";
        assert_eq!(message(text), expected);
        assert_eq!(message(&gzip(text)?), expected);
        assert_eq!(message(&bgzf(text)?), expected);
        let crlf = b"@r1\r\nACGT\r\n+\r\nIIII\r\n";
        assert_eq!(message(&gzip(crlf)?), "source1 line 1: CRLF line endings; convert with dos2unix or tr -d '\\r'");
        let wrapped = b"@r1\nACGT\n+\nIIII\n@r2\nACGT\n+\nIIII\n@r3\nACGTACGT\nACGT\n+\nIIIIIIII\nIIII\n";
        assert_eq!(message(wrapped), "source1 line 11: multi-line FASTQ; unwrap it, e.g. seqkit seq -w 0");
        Ok(())
    }

    #[test]
    fn test_scan_gzip_truncated() -> TestResult {
        let raw = gzip(&large_text())?;
        for len in [2, 9, raw.len() / 2, raw.len() - 4] {
            let error = scan(Which::Source1, &raw[..len], Algorithm::Md5).err().ok_or("no error")?;
            assert!(
                matches!(error.kind, ErrorKind::Gzip(GzipError::Truncated { compressed_bytes }) if compressed_bytes == len as u64)
            );
            assert_eq!(error.to_string(), format!("source1: gzip stream is truncated after {len} compressed bytes"));
        }
        Ok(())
    }

    #[test]
    fn test_scan_gzip_checksum() -> TestResult {
        let raw = gzip(TEXT)?;
        // RFC 1952 § 2.2: the member ends with CRC32 then ISIZE, 4 bytes each.
        for at in [raw.len() - 8, raw.len() - 1] {
            let mut corrupt = raw.clone();
            corrupt[at] ^= 0x01;
            let error = scan(Which::Source1, &corrupt[..], Algorithm::Md5).err().ok_or("no error")?;
            assert!(matches!(error.kind, ErrorKind::Gzip(GzipError::Checksum)));
            assert_eq!(error.to_string(), "source1: gzip data is corrupt (CRC or length check failed)");
        }
        Ok(())
    }

    #[test]
    fn test_scan_gzip_corrupt_and_trailing() -> TestResult {
        let raw = gzip(TEXT)?;
        let mut corrupt = raw.clone();
        corrupt[2] = 0x07; // CM: only 8 (deflate) is defined.
        let error = scan(Which::Source1, &corrupt[..], Algorithm::Md5).err().ok_or("no error")?;
        assert!(matches!(error.kind, ErrorKind::Gzip(GzipError::Corrupt { .. })), "{error}");
        assert!(error.source().is_some());

        let mut trailing = raw.clone();
        trailing.extend_from_slice(b"\0\0\0\0");
        let expected =
            format!("source1: data after the last gzip member, at compressed byte {}, is not gzip", raw.len());
        assert_eq!(message(&trailing), expected);
        Ok(())
    }

    #[test]
    fn test_scan_bgzf_faults() -> TestResult {
        let raw = bgzf(&large_text())?;
        // BSIZE (SAM/BAM § 4.1) is the block size - 1.
        let first = usize::from(u16::from_le_bytes([raw[16], raw[17]])) + 1;
        // The first block's CRC-32, its ISIZE, then its deflate data (BTYPE 11, reserved).
        for (at, checksum) in [(first - 8, true), (first - 4, true), (18, false)] {
            let mut corrupt = raw.clone();
            if checksum {
                corrupt[at] ^= 0x10;
            } else {
                corrupt[at] |= 0x06;
            }
            let error = scan(Which::Source1, &corrupt[..], Algorithm::Md5).err().ok_or("no error")?;
            match error.kind {
                ErrorKind::Gzip(GzipError::Checksum) if checksum => {}
                ErrorKind::Gzip(GzipError::Corrupt { .. }) if !checksum => {}
                _ => return Err(format!("{error:?}").into()),
            }
        }
        let len = first + 100;
        let error = scan(Which::Source1, &raw[..len], Algorithm::Md5).err().ok_or("no error")?;
        assert!(
            matches!(error.kind, ErrorKind::Gzip(GzipError::Truncated { compressed_bytes }) if compressed_bytes == len as u64)
        );
        Ok(())
    }

    struct Failing<'a>(&'a [u8], io::ErrorKind);

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::new(self.1, "connection reset")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn test_scan_io_error() -> TestResult {
        let raw = gzip(TEXT)?;
        for (data, kind) in [(TEXT, io::ErrorKind::ConnectionReset), (&raw[..20], io::ErrorKind::UnexpectedEof)] {
            let error = scan(Which::Source2, Failing(data, kind), Algorithm::Md5).err().ok_or("no error")?;
            assert!(matches!(error.kind, ErrorKind::Io(_)));
            assert_eq!(error.to_string(), "source2: read failed");
            assert_eq!(error.source().map(ToString::to_string).as_deref(), Some("connection reset"));
        }
        Ok(())
    }
}
