//! FASTA references: validating, hashing and indexing one file (`.fai`, `.gzi`, per-sequence MD5)
//! from a raw (plain, gzip or BGZF) stream in one pass with bounded memory, re-compressing plain
//! gzip to BGZF on the way, and reading bases back at random from the stored file.

mod error;
mod fai;
mod gzi;
mod indexer;
mod read;
mod source;

#[cfg(test)]
mod conformance;

use std::io::{Read, Write};

pub use self::error::{Error, ErrorKind};
pub use self::fai::parse_fai;
pub use self::gzi::Gzi;
use self::indexer::Indexer;
pub use self::indexer::refget_id;
pub use self::read::{ReadAt, read_bases};
use crate::sniff::Compression;

/// Longest sequence name accepted, in bytes.
pub const MAX_NAME: u64 = 64 * 1024;

/// One sequence of a reference, with what its `.fai` line holds and its MD5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    /// The header from after `>` up to the first space or tab (or the end of the line).
    pub name: String,
    /// Number of bases.
    pub length: u64,
    /// Lowercase hex MD5 of the bases upper-cased, without line breaks: SAM `@SQ` `M5`, as
    /// `samtools dict` computes it. Empty when parsed from a `.fai`.
    pub md5: String,
    /// The GA4GH refget identifier of the same bytes, `SQ.` and the first 24 bytes of their
    /// SHA-512 in URL-safe base64 without padding (the `sha512t24u` digest). Empty when parsed
    /// from a `.fai`.
    pub refget: String,
    /// Byte offset of the first base in the uncompressed file (`.fai` column 3).
    pub offset: u64,
    /// Bases per full line (`.fai` column 4).
    pub line_bases: u64,
    /// Bytes per full line, newline included (`.fai` column 5).
    pub line_width: u64,
}

/// Result of scanning one reference file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Compression of the raw stream.
    pub compression: Compression,
    /// The sequences, in file order.
    pub sequences: Vec<Sequence>,
    /// Lowercase hex MD5 of the uncompressed FASTA bytes.
    pub md5: String,
    /// Lowercase hex SHA-256 of the raw bytes as read (compressed, as stored).
    pub stored_sha256: String,
    /// Lowercase hex MD5 of the raw bytes as read (compressed, as stored).
    pub stored_md5: String,
    /// Number of raw bytes read.
    pub stored_bytes: u64,
    /// The `.fai` text, byte-identical to what `samtools faidx` writes for the same file.
    pub fai: Vec<u8>,
    /// The `.gzi` bytes, as `bgzip -r` and `samtools faidx` write them: of the stored file when it
    /// is BGZF; of the BGZF copy when it is plain gzip and a copy was asked for; else `None`.
    pub gzi: Option<Vec<u8>>,
}

/// Scans one FASTA file from a raw (plain, gzip or BGZF) stream in one pass with bounded memory
/// (256 KiB buffers, 64 KiB of upper-cased bases, the names; no sequence is held), reading
/// `reader` to its end.
///
/// When the stream is plain gzip (not BGZF) and `bgzf_copy` is given, a BGZF re-compression of
/// the uncompressed bytes is written into it as the scan goes, and [`Summary::gzi`] is the `.gzi`
/// of that copy, so its bases can be read at random with [`read_bases`]; the `.fai` holds for the
/// copy too (offsets are uncompressed). Otherwise `bgzf_copy` is not written. After an error the
/// copy is incomplete.
///
/// # Errors
///
/// The first problem found: content that is not FASTA, invalid or truncated gzip data, text
/// breaking a rule of the format (see [`ErrorKind`]; each names its line), a failure of `reader`
/// ([`ErrorKind::Io`]) or of `bgzf_copy` ([`ErrorKind::Copy`]).
pub fn scan<R: Read>(reader: R, bgzf_copy: Option<&mut dyn Write>) -> Result<Summary, Error> {
    let (compression, text) = source::open(reader, bgzf_copy)?;
    let mut indexer = Indexer::new(text);
    indexer.run().map_err(|error| match error {
        Error { kind: ErrorKind::Io(e), .. } => Error::new(source::classify(indexer.inner(), e)),
        error => error,
    })?;
    let (sequences, text) = indexer.into_parts();
    let finished = source::finish(text)?;
    Ok(Summary {
        compression,
        fai: fai::write(&sequences),
        sequences,
        md5: finished.md5,
        stored_sha256: finished.stored_sha256,
        stored_md5: finished.stored_md5,
        stored_bytes: finished.stored_bytes,
        gzi: finished.gzi.map(|gzi| gzi.to_bytes()),
    })
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

    const TEXT: &[u8] = b">chr1 first\nACGTN\nacg\n>chr2\nRYKM*-\n";

    fn md5_hex(bytes: &[u8]) -> String {
        hex::encode(md5::Md5::digest(bytes))
    }

    fn sha256_hex(bytes: &[u8]) -> String {
        hex::encode(sha2::Sha256::digest(bytes))
    }

    fn message(raw: &[u8]) -> String {
        scan(raw, None).map_or_else(|e| e.to_string(), |s| format!("valid {s:?}"))
    }

    // ~400 KiB: several BGZF blocks and more than one 256 KiB buffer.
    fn large_text() -> Vec<u8> {
        let mut text = Vec::new();
        for i in 0..40 {
            text.extend_from_slice(format!(">seq{i} x\n").as_bytes());
            for j in 0..(100 + i) {
                text.extend_from_slice(&[b"ACGTacgtn"[(i + j) % 9]; 100][..60 + i % 3]);
                text.push(b'\n');
            }
        }
        text
    }

    #[test]
    fn test_scan() -> TestResult {
        let summary = scan(TEXT, None)?;
        let expected = Summary {
            compression: Compression::Plain,
            sequences: vec![
                Sequence {
                    name: "chr1".to_owned(),
                    length: 8,
                    md5: md5_hex(b"ACGTNACG"),
                    refget: indexer::refget_id(b"ACGTNACG"),
                    offset: 12,
                    line_bases: 5,
                    line_width: 6,
                },
                Sequence {
                    name: "chr2".to_owned(),
                    length: 6,
                    md5: md5_hex(b"RYKM*-"),
                    refget: indexer::refget_id(b"RYKM*-"),
                    offset: 28,
                    line_bases: 6,
                    line_width: 7,
                },
            ],
            md5: md5_hex(TEXT),
            stored_sha256: sha256_hex(TEXT),
            stored_md5: md5_hex(TEXT),
            stored_bytes: TEXT.len() as u64,
            fai: b"chr1\t8\t12\t5\t6\nchr2\t6\t28\t6\t7\n".to_vec(),
            gzi: None,
        };
        assert_eq!(summary, expected);
        Ok(())
    }

    #[test]
    fn test_scan_encodings() -> TestResult {
        let large = large_text();
        let mut multi_member = gzip(&large[..100_000])?;
        multi_member.extend(gzip(&large[100_000..])?);
        let plain = scan(&large[..], None)?;
        assert_eq!(plain.sequences.len(), 40);
        let cases =
            [(gzip(&large)?, Compression::Gzip), (multi_member, Compression::Gzip), (bgzf(&large)?, Compression::Bgzf)];
        for (raw, compression) in cases {
            let summary = scan(&raw[..], None)?;
            assert_eq!(summary.compression, compression);
            assert_eq!((&summary.sequences, &summary.fai, &summary.md5), (&plain.sequences, &plain.fai, &plain.md5));
            assert_eq!(summary.md5, md5_hex(&large));
            assert_eq!((summary.stored_sha256, summary.stored_bytes), (sha256_hex(&raw), raw.len() as u64));
            assert_eq!(summary.stored_md5, md5_hex(&raw));
            assert_eq!(summary.gzi.is_some(), compression == Compression::Bgzf);
        }
        Ok(())
    }

    #[test]
    fn test_scan_bgzf_copy() -> TestResult {
        let large = large_text();
        let raw = gzip(&large)?;
        let mut copy = Vec::new();
        let summary = scan(&raw[..], Some(&mut copy))?;
        let gzi = Gzi::parse(summary.gzi.as_deref().ok_or("no gzi")?)?;
        assert!(gzi.entries().len() >= 4, "several blocks");
        // The copy is BGZF of the same text, and its own scan finds the same .fai and .gzi.
        let rescanned = scan(&copy[..], None)?;
        assert_eq!(rescanned.compression, Compression::Bgzf);
        assert_eq!((&rescanned.fai, &rescanned.md5, &rescanned.gzi), (&summary.fai, &summary.md5, &summary.gzi));
        let sequence = &summary.sequences[7];
        let bases = read_bases(&copy, Compression::Bgzf, Some(&gzi), sequence, 10, 200)?;
        let first = sequence.offset as usize;
        let expected: Vec<u8> = large[first..].iter().copied().filter(|&b| b != b'\n').skip(10).take(200).collect();
        assert_eq!(bases, expected);

        // Not written for plain or BGZF input.
        for raw in [large.clone(), bgzf(&large)?] {
            let mut unused = Vec::new();
            scan(&raw[..], Some(&mut unused))?;
            assert!(unused.is_empty());
        }
        Ok(())
    }

    #[test]
    fn test_scan_other_content() -> TestResult {
        let cases = [
            (Vec::new(), "reference is empty"),
            (gzip(b"")?, "reference is empty"),
            (bgzf(b"")?, "reference is empty"),
            (b"\n\n\n".to_vec(), "reference is empty"),
            (bgzf(b"BAM\x01\x00\x00\x00\x00")?, "reference is BAM, not FASTA: import BAM as a read set"),
            (b"CRAM\x03\x00".to_vec(), "reference is CRAM, not FASTA: import CRAM as a read set"),
            (gzip(b"@r1\nACGT\n+\nIIII\n")?, "reference is FASTQ, not FASTA: import FASTQ as a read set"),
            (
                b"@HD\tVN:1.6\n".to_vec(),
                "reference is SAM, not FASTA: convert it to BAM (samtools view -b) and import it as a read set",
            ),
            (
                b"\x00\x01\x02\x03\x04\x05\x06\x07\x08".to_vec(),
                "reference is not FASTA: first bytes are 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07",
            ),
            (b"ACGT\nACGT\n".to_vec(), "reference line 1: missing '>' header; is this FASTA?"),
        ];
        for (raw, expected) in cases {
            assert_eq!(message(&raw), expected);
        }
        Ok(())
    }

    #[test]
    fn test_scan_invalid_text_through_gzip() -> TestResult {
        let text = b">chr1\nACGT\nACGJ\n";
        let expected = "reference line 3: sequence 'chr1' contains 'J' (0x4a) at column 4";
        for raw in [text.to_vec(), gzip(text)?, bgzf(text)?] {
            assert_eq!(message(&raw), expected);
        }
        let crlf = b">chr1\r\nACGT\r\n";
        assert_eq!(message(&gzip(crlf)?), "reference line 1: CRLF line endings; convert with dos2unix or tr -d '\\r'");
        Ok(())
    }

    #[test]
    fn test_scan_gzip_truncated() -> TestResult {
        let raw = gzip(&large_text())?;
        for len in [2, 9, raw.len() / 2, raw.len() - 4] {
            let error = scan(&raw[..len], None).err().ok_or("no error")?;
            assert!(
                matches!(error.kind, ErrorKind::Gzip(GzipError::Truncated { compressed_bytes }) if compressed_bytes == len as u64),
                "{error}"
            );
            assert_eq!(error.to_string(), format!("reference: gzip stream is truncated after {len} compressed bytes"));
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
            let error = scan(&corrupt[..], None).err().ok_or("no error")?;
            assert!(matches!(error.kind, ErrorKind::Gzip(GzipError::Checksum)));
            assert_eq!(error.to_string(), "reference: gzip data is corrupt (CRC or length check failed)");
        }
        Ok(())
    }

    #[test]
    fn test_scan_gzip_corrupt_and_trailing() -> TestResult {
        let raw = gzip(TEXT)?;
        let mut corrupt = raw.clone();
        corrupt[2] = 0x07; // CM: only 8 (deflate) is defined.
        let error = scan(&corrupt[..], None).err().ok_or("no error")?;
        assert!(matches!(error.kind, ErrorKind::Gzip(GzipError::Corrupt { .. })), "{error}");
        assert!(error.source().is_some());

        let mut trailing = bgzf(TEXT)?;
        let end = trailing.len();
        trailing.extend_from_slice(b"\0\0\0\0");
        let expected = format!("reference: data after the last gzip member, at compressed byte {end}, is not gzip");
        assert_eq!(message(&trailing), expected);
        Ok(())
    }

    struct Failing<'a>(&'a [u8]);

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::new(io::ErrorKind::ConnectionReset, "connection reset")),
                n => Ok(n),
            }
        }
    }

    struct FullDisk;

    impl Write for FullDisk {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn test_scan_io_and_copy_errors() -> TestResult {
        let raw = gzip(&large_text())?;
        for data in [TEXT, &raw[..]] {
            let error = scan(Failing(data), None).err().ok_or("no error")?;
            assert!(matches!(error.kind, ErrorKind::Io(_)));
            assert_eq!(error.to_string(), "reference: read failed");
            assert_eq!(error.source().map(ToString::to_string).as_deref(), Some("connection reset"));
        }
        let error = scan(&raw[..], Some(&mut FullDisk)).err().ok_or("no error")?;
        assert!(matches!(error.kind, ErrorKind::Copy(_)), "{error}");
        assert_eq!(error.to_string(), "reference: writing the BGZF copy failed");
        assert_eq!(error.source().map(ToString::to_string).as_deref(), Some("disk full"));
        Ok(())
    }
}
