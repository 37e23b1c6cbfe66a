//! Recognising a stream from its first bytes: how it is compressed, and what format the
//! (decompressed) content is.

use std::fmt;

/// How a raw stream is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed (or not gzip).
    Plain,
    /// gzip, one or more members (RFC 1952).
    Gzip,
    /// BGZF: gzip whose members carry the `BC` extra subfield (SAM/BAM specification § 4.1).
    Bgzf,
}

/// What the first bytes of a (decompressed where applicable) stream look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Starts with `@` and is not a SAM header.
    Fastq,
    /// Starts with the BAM magic `BAM\x01`.
    Bam,
    /// Starts with the CRAM magic `CRAM`.
    Cram,
    /// Starts with `>`.
    Fasta,
    /// Starts with a SAM header line (`@HD`, `@SQ`, `@RG`, `@PG` or `@CO` then a tab), or with an
    /// alignment line of at least 11 tab-separated fields.
    Sam,
    /// No bytes at all.
    Empty,
    /// Anything else.
    Unknown,
}

impl fmt::Display for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Content::Fastq => "FASTQ",
            Content::Bam => "BAM",
            Content::Cram => "CRAM",
            Content::Fasta => "FASTA",
            Content::Sam => "SAM",
            Content::Empty => "empty",
            Content::Unknown => "unknown",
        })
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const FEXTRA: u8 = 0x04;

/// Compression from the first bytes of the raw stream: gzip magic `1f 8b`; BGZF when the gzip
/// header has FEXTRA with a `BC` subfield. A prefix too short to see the extra field counts as gzip.
pub fn compression(prefix: &[u8]) -> Compression {
    if !prefix.starts_with(&GZIP_MAGIC) {
        return Compression::Plain;
    }
    if has_bgzf_subfield(prefix) { Compression::Bgzf } else { Compression::Gzip }
}

// RFC 1952 § 2.3: ID1 ID2 CM FLG MTIME(4) XFL OS, then with FEXTRA: XLEN(2) and XLEN bytes of
// subfields, each SI1 SI2 LEN(2) data.
fn has_bgzf_subfield(header: &[u8]) -> bool {
    let Some(&flags) = header.get(3) else { return false };
    if flags & FEXTRA == 0 {
        return false;
    }
    let Some(xlen) = header.get(10..12) else { return false };
    let xlen = usize::from(u16::from_le_bytes([xlen[0], xlen[1]]));
    let Some(mut extra) = header.get(12..12 + xlen) else { return false };
    while let [si1, si2, len0, len1, rest @ ..] = extra {
        if (*si1, *si2) == (b'B', b'C') {
            return true;
        }
        let len = usize::from(u16::from_le_bytes([*len0, *len1]));
        let Some(next) = rest.get(len..) else { return false };
        extra = next;
    }
    false
}

const SAM_HEADER_TAGS: [&[u8; 2]; 5] = [b"HD", b"SQ", b"RG", b"PG", b"CO"];
const SAM_FIELDS: usize = 11;

/// Content from the first decompressed bytes: `@` FASTQ (unless a tab-separated SAM header line),
/// `BAM\x01` BAM, `CRAM` CRAM, `>` FASTA, an 11-field tab-separated line SAM.
pub fn content(prefix: &[u8]) -> Content {
    match prefix {
        [] => Content::Empty,
        [b'B', b'A', b'M', 1, ..] => Content::Bam,
        [b'C', b'R', b'A', b'M', ..] => Content::Cram,
        [b'>', ..] => Content::Fasta,
        [b'@', a, b, b'\t', ..] if SAM_HEADER_TAGS.contains(&&[*a, *b]) => Content::Sam,
        [b'@', ..] => Content::Fastq,
        _ if is_sam_alignment_line(prefix) => Content::Sam,
        _ => Content::Unknown,
    }
}

fn is_sam_alignment_line(prefix: &[u8]) -> bool {
    let line = prefix.split(|&b| b == b'\n').next().unwrap_or_default();
    line.iter().all(|b| b.is_ascii_graphic() || *b == b'\t' || *b == b' ')
        && line.split(|&b| b == b'\t').count() >= SAM_FIELDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_compression() {
        assert_eq!(compression(b""), Compression::Plain);
        assert_eq!(compression(b"@r1\nACGT\n"), Compression::Plain);
        assert_eq!(compression(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), Compression::Gzip);
        // The BGZF header of SAM/BAM § 4.1, and its 28-byte EOF block.
        let bgzf = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00\x42\x43\x02\x00\x1b\x00";
        assert_eq!(compression(bgzf), Compression::Bgzf);
        // FEXTRA with another subfield first, then BC.
        let other_then_bc = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x0b\x00XY\x01\x00zBC\x02\x00\x1b\x00";
        assert_eq!(compression(other_then_bc), Compression::Bgzf);
        // FEXTRA without BC, and a header cut inside the extra field.
        let no_bc = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00XY\x02\x00\x1b\x00";
        assert_eq!(compression(no_bc), Compression::Gzip);
        assert_eq!(compression(&bgzf[..14]), Compression::Gzip);
    }

    #[test]
    fn test_content() {
        assert_eq!(content(b""), Content::Empty);
        assert_eq!(content(b"@r1\nACGT\n+\nIIII\n"), Content::Fastq);
        assert_eq!(content(b"@HDR\nACGT\n"), Content::Fastq);
        assert_eq!(content(b"@HD\tVN:1.6\n"), Content::Sam);
        assert_eq!(content(b"@SQ\tSN:chr1\tLN:10\n"), Content::Sam);
        assert_eq!(content(b"r1\t0\tchr1\t1\t60\t4M\t*\t0\t0\tACGT\tIIII\n"), Content::Sam);
        assert_eq!(content(b"BAM\x01\x00\x00"), Content::Bam);
        assert_eq!(content(b"CRAM\x03\x00"), Content::Cram);
        assert_eq!(content(b">chr1\nACGT\n"), Content::Fasta);
        assert_eq!(content(b"\x00\x01\x02"), Content::Unknown);
        assert_eq!(content(b"ACGT\n"), Content::Unknown);
    }
}
