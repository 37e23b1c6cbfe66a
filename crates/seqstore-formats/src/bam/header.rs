//! The BAM header read within [`Limits`] as htslib 1.16 reads it (`bam_hdr_read`), and what it
//! says: the reference sequences, checked against a reference, and the sort order.
//!
//! Records name reference sequences by their index in the binary list, whose names and lengths
//! are what samtools prints (the `@SQ` lines of the text only when the binary list is empty).
//! The text is checked as htslib checks it (`sam_header`), and may disagree with the binary list,
//! as samtools lets it; its `M5` tags are matched by name.

use std::collections::HashSet;
use std::io::{self, BufReader, Read};

use super::ErrorKind;
use super::ReferenceSequence as Expected;
use crate::limits::{Exceeded, Limit, Limits};
use crate::sam_header;

/// A reference sequence records may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reference {
    /// Its name as htslib keeps it: up to the first NUL.
    pub(super) name: Vec<u8>,
    /// Its length (0 when the file says so: htslib accepts it).
    pub(super) length: u64,
    /// `M5` of the `@SQ` line of this name, when there is one with `M5`.
    pub(super) md5: Option<Vec<u8>>,
}

/// What the scanner uses of the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// The reference sequences, by id.
    pub(super) references: Vec<Reference>,
    /// What `@HD SO` says of the record order.
    pub(super) sort_order: SortOrder,
}

/// Reads the header (SAM/BAM § 4.2: magic, `l_text` and the text, `n_ref` and the binary
/// reference sequences), checking `l_text`, `n_ref` and each `l_name` against `limits` before
/// reading what they announce: the text is parsed line by line, and reference names take at most
/// what is left of `limits.header_bytes` after the text.
///
/// # Errors
///
/// [`ErrorKind::Limit`] for a declared size beyond `limits`, else [`ErrorKind::InvalidHeader`]:
/// a failed read (the caller puts a BGZF fault in its place), bad magic, a text line htslib
/// refuses, an `l_name` of 0, or a name repeated in the binary list (htslib refuses those too).
pub(super) fn read<R: Read>(reader: &mut R, limits: &Limits) -> Result<Header, ErrorKind> {
    let mut magic = [0; 4];
    reader.read_exact(&mut magic).map_err(ErrorKind::InvalidHeader)?;
    if magic != *b"BAM\x01" {
        return Err(ErrorKind::InvalidHeader(invalid("invalid BAM magic number".into())));
    }
    let text_len = read_u32(reader)?;
    limits.check(Limit::HeaderBytes, text_len).map_err(ErrorKind::Limit)?;
    let mut text = BufReader::new(reader.by_ref().take(text_len));
    let parsed = sam_header::parse(&mut text, limits).map_err(|e| match e {
        sam_header::Error::Read(e) => ErrorKind::InvalidHeader(e),
        sam_header::Error::Limit(e) => ErrorKind::Limit(e),
        e @ sam_header::Error::Invalid { .. } => ErrorKind::InvalidHeader(invalid(e.to_string())),
    })?;
    io::copy(&mut text, &mut io::sink()).map_err(ErrorKind::InvalidHeader)?;
    let count = read_u32(reader)?;
    limits.check(Limit::ReferenceSequences, count).map_err(ErrorKind::Limit)?;
    let names_budget = limits.header_bytes - text_len;
    let mut references = read_reference_sequences(reader, count, names_budget, limits)?;
    if references.is_empty() {
        references = parsed
            .sequences
            .iter()
            .map(|sq| Reference { name: sq.name.clone(), length: sq.length.max(0) as u64, md5: None })
            .collect();
    }
    for reference in &mut references {
        reference.md5 = parsed.sequences.iter().find(|sq| sq.name == reference.name).and_then(|sq| sq.md5.clone());
    }
    let sort_order = match parsed.sort_order.as_deref() {
        Some(b"coordinate") => SortOrder::Coordinate,
        None | Some(b"unknown") => SortOrder::Unspecified,
        Some(_) => SortOrder::Other,
    };
    Ok(Header { references, sort_order })
}

/// `count` binary reference sequences (`l_name`, `name`, `l_ref` each), whose names take at most
/// `budget` bytes together. As htslib: a name ends at its first NUL (a missing NUL is tolerated),
/// and a name may not repeat.
fn read_reference_sequences<R: Read>(
    reader: &mut R,
    count: u64,
    mut budget: u64,
    limits: &Limits,
) -> Result<Vec<Reference>, ErrorKind> {
    let mut references = Vec::new();
    let mut seen = HashSet::new();
    let mut name = Vec::new();
    for _ in 0..count {
        let name_len = read_u32(reader)?;
        budget = budget
            .checked_sub(name_len)
            .ok_or(ErrorKind::Limit(Exceeded::holds_more(Limit::HeaderBytes, limits.header_bytes)))?;
        if name_len == 0 || name_len > i32::MAX as u64 {
            return Err(ErrorKind::InvalidHeader(invalid(format!("reference sequence name length {name_len}"))));
        }
        name.clear();
        reader.by_ref().take(name_len).read_to_end(&mut name).map_err(ErrorKind::InvalidHeader)?;
        if name.len() as u64 != name_len {
            return Err(ErrorKind::InvalidHeader(io::ErrorKind::UnexpectedEof.into()));
        }
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        let length = read_u32(reader)?;
        if !seen.insert(name[..end].to_vec()) {
            let name = String::from_utf8_lossy(&name[..end]);
            return Err(ErrorKind::InvalidHeader(invalid(format!("duplicate entry {name:?} in the target list"))));
        }
        references.push(Reference { name: name[..end].to_vec(), length, md5: None });
    }
    Ok(references)
}

fn read_u32<R: Read>(reader: &mut R) -> Result<u64, ErrorKind> {
    let mut buf = [0; 4];
    reader.read_exact(&mut buf).map_err(ErrorKind::InvalidHeader)?;
    Ok(u64::from(u32::from_le_bytes(buf)))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Checks every reference sequence against `reference`: present by name, same length, same MD5
/// when its `@SQ` line gives `M5` (compared without regard to case).
///
/// # Errors
///
/// The first that does not match, as [`ErrorKind::NotInReference`],
/// [`ErrorKind::LengthMismatch`] or [`ErrorKind::Md5Mismatch`].
pub(super) fn check_reference(header: &Header, reference: &[Expected]) -> Result<(), ErrorKind> {
    for sequence in &header.references {
        let name = String::from_utf8_lossy(&sequence.name).into_owned();
        let Some(expected) = reference.iter().find(|expected| expected.name == name) else {
            return Err(ErrorKind::NotInReference { name });
        };
        if sequence.length != expected.length {
            return Err(ErrorKind::LengthMismatch { name, length: sequence.length, reference_length: expected.length });
        }
        if let Some(md5) = &sequence.md5
            && !md5.eq_ignore_ascii_case(expected.md5.as_bytes())
        {
            let md5 = String::from_utf8_lossy(md5).into_owned();
            return Err(ErrorKind::Md5Mismatch { name, md5, reference_md5: expected.md5.clone() });
        }
    }
    Ok(())
}

/// What the `@HD` line says of the record order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SortOrder {
    /// `SO:coordinate`.
    Coordinate,
    /// No `@HD`, no `SO`, or `SO:unknown`: the records may still be in coordinate order.
    Unspecified,
    /// Any other `SO` (`unsorted`, `queryname`, …).
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// The decompressed header of a BAM with `text` and binary `references`.
    fn raw(text: &str, references: &[(&[u8], u32)]) -> Vec<u8> {
        let mut raw = b"BAM\x01".to_vec();
        raw.extend_from_slice(&(text.len() as u32).to_le_bytes());
        raw.extend_from_slice(text.as_bytes());
        raw.extend_from_slice(&(references.len() as u32).to_le_bytes());
        for (name, length) in references {
            raw.extend_from_slice(&(name.len() as u32).to_le_bytes());
            raw.extend_from_slice(name);
            raw.extend_from_slice(&length.to_le_bytes());
        }
        raw
    }

    fn header(text: &str, references: &[(&[u8], u32)]) -> Result<Header, ErrorKind> {
        read(&mut &raw(text, references)[..], &Limits::default())
    }

    fn sequence(name: &str, length: u64, md5: &str) -> Expected {
        Expected { name: name.into(), length, md5: md5.into() }
    }

    #[test]
    fn test_read_as_htslib() -> TestResult {
        // The binary list names the sequences, whatever the text says; M5 by name.
        let parsed = header("@SQ\tSN:chr2\tLN:9\tM5:ab\n@SQ\tSN:chrX\tLN:1\n", &[(b"chr1\0", 10), (b"chr2\0", 0)])?;
        let chr1 = Reference { name: b"chr1".to_vec(), length: 10, md5: None };
        let chr2 = Reference { name: b"chr2".to_vec(), length: 0, md5: Some(b"ab".to_vec()) };
        assert_eq!(parsed.references, [chr1, chr2]);
        // A name ends at its first NUL, or where it ends.
        let parsed = header("", &[(b"ch\0r1\0", 10), (b"chr2", 5)])?;
        assert_eq!(parsed.references[0].name, b"ch");
        assert_eq!(parsed.references[1].name, b"chr2");
        // No binary list: the text's.
        let parsed = header("@HD\tSO:coordinate\n@SQ\tSN:chr1\tLN:10\n", &[])?;
        assert_eq!((parsed.references.len(), parsed.sort_order), (1, SortOrder::Coordinate));
        assert_eq!(header("@HD\tVN:1.6\tSO:queryname\n", &[])?.sort_order, SortOrder::Other);
        assert_eq!(header("@HD\tVN:1.6\tSO:unknown\n", &[])?.sort_order, SortOrder::Unspecified);
        assert_eq!(header("@CO\tx\n", &[])?.sort_order, SortOrder::Unspecified);
        // What htslib refuses.
        for (text, references, expected) in [
            ("", &[(&b"chr1\0"[..], 10), (b"chr1\0", 5)][..], "duplicate entry \"chr1\" in the target list"),
            ("", &[(b"", 10)], "reference sequence name length 0"),
            ("@RG\tSM:x\n", &[], "SAM header line 1: @RG line with no ID: tag"),
        ] {
            let error = header(text, references).err().ok_or("accepted")?;
            assert_eq!(error.to_string(), format!("invalid BAM header: {expected}"));
        }
        Ok(())
    }

    #[test]
    fn test_check_reference() -> TestResult {
        let md5 = "0123456789abcdef0123456789abcdef";
        let reference = [sequence("chr1", 1000, md5), sequence("chr2", 20, "ffffffffffffffffffffffffffffffff")];
        let text = format!("@SQ\tSN:chr1\tLN:1000\tM5:{}\n@SQ\tSN:chr2\tLN:20\n", md5.to_uppercase());
        check_reference(&header(&text, &[])?, &reference)?;
        check_reference(&header("@HD\tVN:1.6\n", &[])?, &reference)?;

        let cases = [
            ("@SQ\tSN:chrX\tLN:5\n", "@SQ chrX is not in the reference"),
            ("@SQ\tSN:chr1\tLN:1200\n", "@SQ chr1 has length 1200 but the reference has 1000"),
            (
                "@SQ\tSN:chr2\tLN:20\tM5:00000000000000000000000000000000\n",
                "@SQ chr2 M5 00000000000000000000000000000000 differs from the reference's ffffffffffffffffffffffffffffffff",
            ),
        ];
        for (text, expected) in cases {
            let error = check_reference(&header(text, &[])?, &reference).err().ok_or("no error")?;
            assert_eq!(error.to_string(), expected);
        }
        Ok(())
    }
}
