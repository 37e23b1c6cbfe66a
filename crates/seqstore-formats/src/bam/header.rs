//! The BAM header read within [`Limits`], and what it says: reference sequences checked against
//! a reference, and sort order.

use std::ffi::CStr;
use std::io::{self, BufReader, Read};
use std::num::NonZero;

use noodles_sam::{
    self as sam,
    header::{
        ReferenceSequences,
        record::value::{
            Map,
            map::{
                ReferenceSequence,
                header::{
                    sort_order::{COORDINATE, UNKNOWN},
                    tag::SORT_ORDER,
                },
                reference_sequence::tag::MD5_CHECKSUM,
            },
        },
    },
};

use super::ErrorKind;
use super::ReferenceSequence as Expected;
use crate::limits::{Exceeded, Limit, Limits};
use crate::sam_header;

/// Reads the header (SAM/BAM § 4.2: magic, `l_text` and the text, `n_ref` and the binary
/// reference sequences) as noodles' `bam::io::Reader::read_header` does, checking `l_text`, `n_ref`
/// and each `l_name` against `limits` before reading what they announce: the text is parsed line
/// by line, and reference names take at most what is left of `limits.header_bytes` after the
/// text.
///
/// # Errors
///
/// [`ErrorKind::Limit`] for a declared size beyond `limits`, else [`ErrorKind::InvalidHeader`]:
/// a failed read (the caller puts a BGZF fault in its place), bad magic, a line that does not
/// parse, a reference with an empty or unterminated name or length 0, or `@SQ` lines that differ
/// from the binary reference sequences.
pub(super) fn read<R: Read>(reader: &mut R, limits: &Limits) -> Result<sam::Header, ErrorKind> {
    let mut magic = [0; 4];
    reader.read_exact(&mut magic).map_err(ErrorKind::InvalidHeader)?;
    if magic != *b"BAM\x01" {
        return Err(ErrorKind::InvalidHeader(invalid("invalid BAM magic number")));
    }
    let text_len = read_u32(reader)?;
    limits.check(Limit::HeaderBytes, text_len).map_err(ErrorKind::Limit)?;
    let mut text = BufReader::new(reader.by_ref().take(text_len));
    let mut header = sam_header::parse(&mut text, limits).map_err(|e| match e {
        sam_header::Error::Read(e) => ErrorKind::InvalidHeader(e),
        sam_header::Error::Limit(e) => ErrorKind::Limit(e),
    })?;
    io::copy(&mut text, &mut io::sink()).map_err(ErrorKind::InvalidHeader)?;
    let count = read_u32(reader)?;
    limits.check(Limit::ReferenceSequences, count).map_err(ErrorKind::Limit)?;
    let names_budget = limits.header_bytes - text_len;
    let binary = read_reference_sequences(reader, count, names_budget, limits)?;
    if header.reference_sequences().is_empty() {
        *header.reference_sequences_mut() = binary;
    } else if !same_sequences(header.reference_sequences(), &binary) {
        return Err(ErrorKind::InvalidHeader(invalid(
            "SAM header and binary reference sequence dictionaries mismatch",
        )));
    }
    Ok(header)
}

/// `count` binary reference sequences (`l_name`, `name`, `l_ref` each), whose names take at most
/// `budget` bytes together. Like noodles, a repeated name keeps the last length.
fn read_reference_sequences<R: Read>(
    reader: &mut R,
    count: u64,
    mut budget: u64,
    limits: &Limits,
) -> Result<ReferenceSequences, ErrorKind> {
    let mut sequences = ReferenceSequences::default();
    let mut name = Vec::new();
    for _ in 0..count {
        let name_len = read_u32(reader)?;
        budget = budget
            .checked_sub(name_len)
            .ok_or(ErrorKind::Limit(Exceeded::holds_more(Limit::HeaderBytes, limits.header_bytes)))?;
        name.clear();
        reader.by_ref().take(name_len).read_to_end(&mut name).map_err(ErrorKind::InvalidHeader)?;
        if name.len() as u64 != name_len {
            return Err(ErrorKind::InvalidHeader(io::ErrorKind::UnexpectedEof.into()));
        }
        let name = CStr::from_bytes_with_nul(&name).map_err(|e| ErrorKind::InvalidHeader(invalid(e)))?;
        let length = usize::try_from(read_u32(reader)?)
            .ok()
            .and_then(NonZero::new)
            .ok_or_else(|| ErrorKind::InvalidHeader(invalid("reference sequence length is 0")))?;
        sequences.insert(name.to_bytes().to_vec().into(), Map::<ReferenceSequence>::new(length));
    }
    Ok(sequences)
}

/// The text's `@SQ` lines name the binary reference sequences, in order, with the same lengths.
fn same_sequences(text: &ReferenceSequences, binary: &ReferenceSequences) -> bool {
    text.len() == binary.len()
        && text.iter().zip(binary).all(|((a, a_map), (b, b_map))| a == b && a_map.length() == b_map.length())
}

fn read_u32<R: Read>(reader: &mut R) -> Result<u64, ErrorKind> {
    let mut buf = [0; 4];
    reader.read_exact(&mut buf).map_err(ErrorKind::InvalidHeader)?;
    Ok(u64::from(u32::from_le_bytes(buf)))
}

fn invalid<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Checks every `@SQ` against `reference`: present by name, same length, same MD5 when `M5`
/// is given (compared without regard to case).
///
/// # Errors
///
/// The first `@SQ` that does not match, as [`ErrorKind::NotInReference`],
/// [`ErrorKind::LengthMismatch`] or [`ErrorKind::Md5Mismatch`].
pub(super) fn check_reference(header: &sam::Header, reference: &[Expected]) -> Result<(), ErrorKind> {
    for (name, map) in header.reference_sequences() {
        let name = String::from_utf8_lossy(name).into_owned();
        let Some(expected) = reference.iter().find(|sequence| sequence.name == name) else {
            return Err(ErrorKind::NotInReference { name });
        };
        let length = map.length().get() as u64;
        if length != expected.length {
            return Err(ErrorKind::LengthMismatch { name, length, reference_length: expected.length });
        }
        if let Some(md5) = map.other_fields().get(&MD5_CHECKSUM)
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
    /// `SO:unsorted` or `SO:queryname`.
    Other,
}

/// The sort order of the `@HD` line.
pub(super) fn sort_order(header: &sam::Header) -> SortOrder {
    match header.header().and_then(|hd| hd.other_fields().get(&SORT_ORDER)) {
        Some(order) if order == COORDINATE => SortOrder::Coordinate,
        None => SortOrder::Unspecified,
        Some(order) if order == UNKNOWN => SortOrder::Unspecified,
        Some(_) => SortOrder::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn header(text: &str) -> Result<sam::Header, Box<dyn std::error::Error>> {
        Ok(text.parse()?)
    }

    fn sequence(name: &str, length: u64, md5: &str) -> Expected {
        Expected { name: name.into(), length, md5: md5.into() }
    }

    #[test]
    fn test_check_reference() -> TestResult {
        let md5 = "0123456789abcdef0123456789abcdef";
        let reference = [sequence("chr1", 1000, md5), sequence("chr2", 20, "ffffffffffffffffffffffffffffffff")];
        let ok = header(&format!("@SQ\tSN:chr1\tLN:1000\tM5:{}\n@SQ\tSN:chr2\tLN:20\n", md5.to_uppercase()))?;
        check_reference(&ok, &reference)?;
        check_reference(&header("@HD\tVN:1.6\n")?, &reference)?;

        let cases = [
            ("@SQ\tSN:chrX\tLN:5\n", "@SQ chrX is not in the reference"),
            ("@SQ\tSN:chr1\tLN:1200\n", "@SQ chr1 has length 1200 but the reference has 1000"),
            (
                "@SQ\tSN:chr2\tLN:20\tM5:00000000000000000000000000000000\n",
                "@SQ chr2 M5 00000000000000000000000000000000 differs from the reference's ffffffffffffffffffffffffffffffff",
            ),
        ];
        for (text, expected) in cases {
            let error = check_reference(&header(text)?, &reference).err().ok_or("no error")?;
            assert_eq!(error.to_string(), expected);
        }
        Ok(())
    }

    #[test]
    fn test_sort_order() -> TestResult {
        assert_eq!(sort_order(&header("@HD\tVN:1.6\tSO:coordinate\n")?), SortOrder::Coordinate);
        assert_eq!(sort_order(&header("@HD\tVN:1.6\tSO:queryname\n")?), SortOrder::Other);
        assert_eq!(sort_order(&header("@HD\tVN:1.6\tSO:unknown\n")?), SortOrder::Unspecified);
        assert_eq!(sort_order(&header("@SQ\tSN:chr1\tLN:10\n")?), SortOrder::Unspecified);
        Ok(())
    }
}
