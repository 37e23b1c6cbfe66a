//! What the BAM header says: reference sequences checked against a reference, and sort order.

use noodles_sam::{
    self as sam,
    header::record::value::map::{
        header::{
            sort_order::{COORDINATE, UNKNOWN},
            tag::SORT_ORDER,
        },
        reference_sequence::tag::MD5_CHECKSUM,
    },
};

use super::{ErrorKind, ReferenceSequence};

/// Checks every `@SQ` against `reference`: present by name, same length, same MD5 when `M5`
/// is given (compared without regard to case).
///
/// # Errors
///
/// The first `@SQ` that does not match, as [`ErrorKind::NotInReference`],
/// [`ErrorKind::LengthMismatch`] or [`ErrorKind::Md5Mismatch`].
pub(super) fn check_reference(header: &sam::Header, reference: &[ReferenceSequence]) -> Result<(), ErrorKind> {
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

    fn sequence(name: &str, length: u64, md5: &str) -> ReferenceSequence {
        ReferenceSequence { name: name.into(), length, md5: md5.into() }
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
