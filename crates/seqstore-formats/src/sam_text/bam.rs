//! A BAM record, as [`crate::bam::record::Record`] reads it, rendered as htslib 1.16's
//! `sam_format1` prints it: every field from its stored value (all 16 flag bits, positions
//! before 1, CIGAR codes 9 to 15), the CIGAR from a `CG` tag, and that tag left out.

use super::{MISSING, data, write_int, write_packed_bases, write_packed_cigar};
use crate::bam::error::RecordFault;
use crate::bam::record::Record;

/// htslib prints QUAL as `*` when the first score is this (SAM/BAM § 4.2.3).
const MISSING_SCORE: u8 = 0xff;

/// Appends `record` as one line of SAM text, `\n` included; `names` are the header's reference
/// sequence names, by id (the record's ids were checked against them).
///
/// `buf` is only appended to; on error it is left as it was.
///
/// # Errors
///
/// [`RecordFault::CorruptData`]: an optional field that samtools cannot print either.
pub(crate) fn write(buf: &mut Vec<u8>, names: &[Vec<u8>], record: &Record<'_>) -> Result<(), RecordFault> {
    let start = buf.len();
    let result = write_fields(buf, names, record);
    if result.is_err() {
        buf.truncate(start);
    }
    result
}

fn write_fields(buf: &mut Vec<u8>, names: &[Vec<u8>], record: &Record<'_>) -> Result<(), RecordFault> {
    buf.extend_from_slice(record.name);
    buf.push(b'\t');
    write_int(buf, i64::from(record.flags));
    buf.push(b'\t');
    write_reference(buf, names, record.reference_id);
    buf.push(b'\t');
    write_int(buf, i64::from(record.position) + 1);
    buf.push(b'\t');
    write_int(buf, i64::from(record.mapping_quality));
    buf.push(b'\t');
    // Whole operations only: the record's CIGAR bytes are a multiple of 4.
    write_packed_cigar(buf, record.cigar).map_err(|_| RecordFault::CorruptData)?;
    buf.push(b'\t');
    if record.mate_reference_id >= 0 && record.mate_reference_id == record.reference_id {
        buf.push(b'=');
    } else {
        write_reference(buf, names, record.mate_reference_id);
    }
    buf.push(b'\t');
    write_int(buf, i64::from(record.mate_position) + 1);
    buf.push(b'\t');
    write_int(buf, i64::from(record.template_length));
    buf.push(b'\t');
    if record.sequence_len == 0 {
        buf.extend_from_slice(b"*\t*");
    } else {
        write_packed_bases(buf, record.sequence, record.sequence_len);
        buf.push(b'\t');
        if record.qualities[0] == MISSING_SCORE {
            buf.push(MISSING);
        } else {
            buf.extend(record.qualities.iter().map(|q| q.wrapping_add(b'!')));
        }
    }
    for run in record.data {
        data::write_encoded(buf, run).map_err(|_| RecordFault::CorruptData)?;
    }
    buf.push(b'\n');
    Ok(())
}

fn write_reference(buf: &mut Vec<u8>, names: &[Vec<u8>], id: i32) {
    match usize::try_from(id).ok().and_then(|id| names.get(id)) {
        Some(name) => buf.extend_from_slice(name),
        None => buf.push(MISSING),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::RawRecord;

    #[test]
    fn test_write_as_htslib() -> Result<(), RecordFault> {
        let names = vec![b"chr1".to_vec(), b"chr2".to_vec()];
        let cases = [
            // Every flag bit, a position before 1, mate on the same sequence, TLEN at its minimum,
            // CIGAR code 9.
            (
                RawRecord {
                    position: -6,
                    mapping_quality: 255,
                    flags: 0xffff,
                    mate_reference_id: 0,
                    mate_position: 2_000_000_000,
                    template_length: i32::MIN,
                    name: b"r\0".to_vec(),
                    cigar: vec![(2, 0), (1, 9), (1, 15)],
                    sequence_len: 2,
                    ..RawRecord::default()
                },
                "r\t65535\tchr1\t-5\t255\t2M1B1?\t=\t2000000001\t-2147483648\tAA\tII\n",
            ),
            // A name without its NUL; unplaced with a mate elsewhere.
            (
                RawRecord {
                    reference_id: -1,
                    position: -1,
                    flags: 4,
                    mate_reference_id: 1,
                    mate_position: 9,
                    name: b"ab".to_vec(),
                    cigar: Vec::new(),
                    sequence_len: 3,
                    ..RawRecord::default()
                },
                "ab\t4\t*\t0\t60\t*\tchr2\t10\t0\tAAA\tIII\n",
            ),
            // No bases; QNAME `*`.
            (
                RawRecord {
                    name: b"*\0".to_vec(),
                    flags: 4,
                    cigar: Vec::new(),
                    sequence_len: 0,
                    ..RawRecord::default()
                },
                "*\t4\tchr1\t11\t60\t*\t*\t0\t0\t*\t*\n",
            ),
        ];
        for (raw, expected) in cases {
            let block = raw.block();
            let record = Record::parse(&block, 2)?;
            let mut buf = b"before".to_vec();
            write(&mut buf, &names, &record)?;
            assert_eq!(String::from_utf8_lossy(&buf[6..]), expected);
        }
        // Missing qualities: the first score 0xff.
        let block = RawRecord::default().block();
        let mut block = block.clone();
        let scores = block.len() - 4;
        block[scores] = 0xff;
        let mut buf = Vec::new();
        write(&mut buf, &names, &Record::parse(&block, 2)?)?;
        assert_eq!(String::from_utf8_lossy(&buf), "r1\t0\tchr1\t11\t60\t4M\t*\t0\t0\tAAAA\t*\n");
        // Corrupt data: nothing appended.
        let block = RawRecord { data: b"XBBA\x01\0\0\0a".to_vec(), ..RawRecord::default() }.block();
        let mut buf = b"kept".to_vec();
        assert_eq!(write(&mut buf, &names, &Record::parse(&block, 2)?), Err(RecordFault::CorruptData));
        assert_eq!(buf, b"kept");
        Ok(())
    }
}
