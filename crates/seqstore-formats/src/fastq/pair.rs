//! The two files of a paired read set, scanned in lockstep so mates can be compared record by
//! record without holding either file.

use std::io::Read;

use super::scanner::Scanner;
use super::{Error, ErrorKind, Summary, Which};
use crate::digest::Algorithm;

/// Scans a pair in lockstep, record by record, checking equal record counts and matching read
/// names (compared after dropping everything from the first space or tab, then a trailing `/1` or
/// `/2`).
///
/// Both readers are read alternately (a record of one, then of the other), so both producers
/// must be feeding concurrently. Both are read to their end unless an error stops the scan.
///
/// # Errors
///
/// Any error of [`scan`](super::scan) for either file; [`ErrorKind::NameMismatch`] at the first
/// pair of mates whose names differ (reported on `source2`); [`ErrorKind::RecordCountMismatch`]
/// on the longer file after it has been read to its end.
pub fn scan_pair<R1: Read, R2: Read>(r1: R1, r2: R2, algorithm: Algorithm) -> Result<(Summary, Summary), Error> {
    let mut one = Scanner::open(Which::Source1, r1, algorithm)?;
    let mut two = Scanner::open(Which::Source2, r2, algorithm)?;
    loop {
        match (one.read_record()?, two.read_record()?) {
            (true, true) if one.name() == two.name() => {}
            (true, true) => return Err(name_mismatch(&one, &two)),
            (false, false) => return Ok((one.finish(), two.finish())),
            (true, false) => return Err(count_mismatch(Which::Source1, one, Which::Source2, &two)),
            (false, true) => return Err(count_mismatch(Which::Source2, two, Which::Source1, &one)),
        }
    }
}

fn name_mismatch<R1, R2>(one: &Scanner<R1>, two: &Scanner<R2>) -> Error {
    let kind =
        ErrorKind::NameMismatch { name: two.name().to_vec(), other: Which::Source1, other_name: one.name().to_vec() };
    Error { which: Which::Source2, kind, record: Some(two.records()), line: None }
}

// `longer` has read one record more than `shorter` has in all; count the rest of it.
fn count_mismatch<R1: Read, R2>(which: Which, mut longer: Scanner<R1>, other: Which, shorter: &Scanner<R2>) -> Error {
    loop {
        match longer.read_record() {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => return error,
        }
    }
    let kind = ErrorKind::RecordCountMismatch { records: longer.records(), other, other_records: shorter.records() };
    Error::new(which, kind)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn message(r1: &[u8], r2: &[u8]) -> String {
        scan_pair(r1, r2, Algorithm::Md5).map_or_else(|e| e.to_string(), |_| "valid".to_owned())
    }

    #[test]
    fn test_scan_pair() -> TestResult {
        let r1 = b"@a/1 x:1\nACGT\n+\nIIII\n@b/1\nAC\n+\nII\n@c\tdesc\nA\n+\nI\n";
        let r2 = b"@a/2 x:2\nTT\n+\nII\n@b/2 extra words\nGGG\n+\nIII\n@c/2\nA\n+\nI\n";
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(r2)?;
        let r2_gz = encoder.finish()?;
        let (one, two) = scan_pair(&r1[..], &r2_gz[..], Algorithm::Sha256)?;
        assert_eq!((one.records, one.bases, one.max_read_length), (3, 7, 4));
        assert_eq!((two.records, two.bases, two.stored_bytes), (3, 6, r2_gz.len() as u64));
        Ok(())
    }

    #[test]
    fn test_scan_pair_mismatches() {
        let two = b"@a\nA\n+\nI\n@b\nA\n+\nI\n";
        let three = b"@a\nA\n+\nI\n@b\nA\n+\nI\n@c\nA\n+\nI\n";
        let renamed = b"@a\nA\n+\nI\n@x/2 b\nA\n+\nI\n";
        assert_eq!(message(two, three), "source2 has 3 records, source1 has 2");
        assert_eq!(message(three, two), "source1 has 3 records, source2 has 2");
        assert_eq!(message(two, renamed), "source2 record 2: read name 'x' does not match source1 read name 'b'");
        assert_eq!(message(two, b""), "source2 is empty");
        let invalid = b"@a\nA\n+\nI\n@b\nA\n+\n \n";
        assert_eq!(
            message(two, invalid),
            "source2 record 2 (line 8): quality contains ' ' (0x20) at position 1; allowed '!'..'~'"
        );
        // The longer file is validated to its end before its count is reported.
        assert_eq!(message(three, b"@a\nA\n+\nI\n"), "source1 has 3 records, source2 has 1");
        let bad_tail = b"@a\nA\n+\nI\n@b\nA\n+\nI\n@c\nA\n+\nII\n";
        assert_eq!(message(two, bad_tail), "source2 record 3 (line 12): sequence length 1 but quality length 2");
    }
}
