//! Alignment records rendered as SAM text exactly as `samtools view` (htslib 1.16,
//! `sam_format1`) prints them, for the semantic ETags of BAM, uBAM and CRAM read sets.
//!
//! Entry points: [`write_record`] appends one record's line ([`write_record_buf`] the same for a
//! `RecordBuf`, faster; `bam::write` for a BAM record read as htslib reads it, which is what the
//! BAM scanner uses), [`write_g`] formats a float as C's `%g` (how htslib prints `f` values, where
//! noodles' own SAM writer differs) and [`write_kputd`] as htslib's `kputd` (`B:f` elements).
//!
//! Hand-written for a measured reason: `benches/scanners.rs` (`render`) shows noodles' iterators
//! for SEQ and CIGAR alone taking 2.4× the time of the whole line rendered here, and noodles' SAM
//! writer not byte-identical to htslib (`benches/README.md`, "Scanners").

pub(crate) mod bam;
mod data;
mod float;

use std::io;

use noodles_sam::{
    self as sam,
    alignment::RecordBuf,
    alignment::record::{CigarRef, QualityScoresRef, SequenceRef, cigar::op::Kind},
};

pub use self::float::{write_g, write_kputd};

/// Printed for a missing QNAME, RNAME, RNEXT, CIGAR, SEQ or QUAL.
const MISSING: u8 = b'*';
/// Printed for MAPQ when the record has none (SAM § 1.4).
const MISSING_MAPPING_QUALITY: u8 = 255;
/// htslib prints QUAL as `*` when the first score is this (SAM/BAM § 4.2.3).
const MISSING_SCORE: u8 = 0xff;

/// Appends `record` to `buf` as one line of SAM text, `\n` included, byte for byte as
/// `samtools view` prints it; `header` names the reference sequences.
///
/// `buf` is only appended to, so one buffer can collect many records; on error it is left as it
/// was.
///
/// # Errors
///
/// A field does not decode (e.g. a reference sequence id missing from `header`, an invalid
/// CIGAR operation or data field).
pub fn write_record<R>(buf: &mut Vec<u8>, header: &sam::Header, record: &R) -> io::Result<()>
where
    R: sam::alignment::Record + ?Sized,
{
    write_with_scores(buf, header, record, record.quality_scores_ref())
}

/// [`write_record`] for a [`RecordBuf`], whose quality scores are read as the slice they are:
/// through the `Record` trait they come one at a time from a boxed iterator.
///
/// # Errors
///
/// As [`write_record`].
pub fn write_record_buf(buf: &mut Vec<u8>, header: &sam::Header, record: &RecordBuf) -> io::Result<()> {
    write_with_scores(buf, header, record, QualityScoresRef::Raw(record.quality_scores().as_ref()))
}

fn write_with_scores<R>(
    buf: &mut Vec<u8>,
    header: &sam::Header,
    record: &R,
    scores: QualityScoresRef<'_>,
) -> io::Result<()>
where
    R: sam::alignment::Record + ?Sized,
{
    let start = buf.len();
    let result = write_fields(buf, header, record, scores);
    if result.is_err() {
        buf.truncate(start);
    }
    result
}

fn write_fields<R>(buf: &mut Vec<u8>, header: &sam::Header, record: &R, scores: QualityScoresRef<'_>) -> io::Result<()>
where
    R: sam::alignment::Record + ?Sized,
{
    match record.name() {
        Some(name) => buf.extend_from_slice(name),
        None => buf.push(MISSING),
    }
    buf.push(b'\t');
    write_int(buf, i64::from(u16::from(record.flags()?)));
    buf.push(b'\t');
    let reference = record.reference_sequence_id(header).transpose()?;
    write_reference_name(buf, header, reference)?;
    buf.push(b'\t');
    write_position(buf, record.alignment_start().transpose()?);
    buf.push(b'\t');
    let mapping_quality = record.mapping_quality().transpose()?;
    write_int(buf, i64::from(mapping_quality.map_or(MISSING_MAPPING_QUALITY, u8::from)));
    buf.push(b'\t');
    write_cigar(buf, record)?;
    buf.push(b'\t');
    // htslib: `=` whenever the mate's reference id equals the record's.
    match record.mate_reference_sequence_id(header).transpose()? {
        Some(mate) if Some(mate) == reference => buf.push(b'='),
        mate => write_reference_name(buf, header, mate)?,
    }
    buf.push(b'\t');
    write_position(buf, record.mate_alignment_start().transpose()?);
    buf.push(b'\t');
    write_int(buf, i64::from(record.template_length()?));
    buf.push(b'\t');
    write_sequence(buf, record.sequence_ref());
    buf.push(b'\t');
    write_quality_scores(buf, scores)?;
    data::write_data(buf, record.data_ref())?;
    buf.push(b'\n');
    Ok(())
}

fn write_reference_name(buf: &mut Vec<u8>, header: &sam::Header, id: Option<usize>) -> io::Result<()> {
    match id {
        Some(id) => {
            let (name, _) = header.reference_sequences().get_index(id).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, format!("reference sequence id {id} is not in the header"))
            })?;
            buf.extend_from_slice(name);
        }
        None => buf.push(MISSING),
    }
    Ok(())
}

// 1-based, 0 when absent.
fn write_position(buf: &mut Vec<u8>, position: Option<noodles_core::Position>) {
    write_int(buf, position.map_or(0, |p| usize::from(p) as i64));
}

// The `_ref` views are noodles' own fast paths (what its BAM encoder and SAM writer use): for a
// BAM record the CIGAR is its packed bytes, read without the two boxes of `Record::cigar`.
fn write_cigar<R>(buf: &mut Vec<u8>, record: &R) -> io::Result<()>
where
    R: sam::alignment::Record + ?Sized,
{
    match record.cigar_ref() {
        CigarRef::FourBytePacked(src) => write_packed_cigar(buf, src),
        CigarRef::Cigar(cigar) => write_generic_cigar(buf, &*cigar),
    }
}

// SAM/BAM § 4.2: each op a little-endian u32, length << 4 | op.
fn write_packed_cigar(buf: &mut Vec<u8>, src: &[u8]) -> io::Result<()> {
    let (ops, _) = src.as_chunks::<4>();
    if ops.is_empty() {
        buf.push(MISSING);
    }
    for op in ops {
        let n = u32::from_le_bytes(*op);
        write_int(buf, i64::from(n >> 4));
        buf.push(CIGAR_OPS[(n & 0x0f) as usize]);
    }
    Ok(())
}

/// CIGAR op characters by BAM op code (SAM/BAM § 4.2), as htslib prints them
/// (`bam_cigar_opchr`): codes 9 to 15, which no specification defines, as `B` and `?`.
const CIGAR_OPS: &[u8; 16] = b"MIDNSHP=XB??????";

fn write_generic_cigar(buf: &mut Vec<u8>, cigar: &dyn sam::alignment::record::Cigar) -> io::Result<()> {
    if cigar.is_empty() {
        buf.push(MISSING);
    }
    for op in cigar.iter() {
        let op = op?;
        write_int(buf, op.len() as i64);
        buf.push(match op.kind() {
            Kind::Match => b'M',
            Kind::Insertion => b'I',
            Kind::Deletion => b'D',
            Kind::Skip => b'N',
            Kind::SoftClip => b'S',
            Kind::HardClip => b'H',
            Kind::Pad => b'P',
            Kind::SequenceMatch => b'=',
            Kind::SequenceMismatch => b'X',
        });
    }
    Ok(())
}

// Bases need no check here: htslib prints whatever the 4-bit codes decode to.
fn write_sequence(buf: &mut Vec<u8>, sequence: SequenceRef<'_>) {
    if sequence.is_empty() {
        buf.push(MISSING);
        return;
    }
    match sequence {
        SequenceRef::FourBitPacked(bases) => write_packed_bases(buf, bases.as_ref(), bases.len()),
        SequenceRef::Raw(bases) => buf.extend_from_slice(bases),
        SequenceRef::Sequence(bases) => buf.extend(bases.iter()),
    }
}

/// Two bases per byte, high nibble first (SAM/BAM § 4.2.3), decoded through [`BASE_PAIRS`]; a
/// `src` shorter than `len` bases yields what it holds, as noodles' iterator does.
fn write_packed_bases(buf: &mut Vec<u8>, src: &[u8], len: usize) {
    let src = &src[..src.len().min(len.div_ceil(2))];
    let start = buf.len();
    buf.resize(start + 2 * src.len(), 0);
    for (out, &pair) in buf[start..].chunks_exact_mut(2).zip(src) {
        out.copy_from_slice(&BASE_PAIRS[usize::from(pair)]);
    }
    buf.truncate(start + len.min(2 * src.len()));
}

/// The two bases of every packed byte: noodles decodes one nibble at a time through a boxed
/// iterator, which made this the costliest field of a BAM record (see `benches/README.md`).
const BASE_PAIRS: [[u8; 2]; 256] = {
    const BASES: &[u8; 16] = b"=ACMGRSVTWYHKDBN";
    let mut pairs = [[0; 2]; 256];
    let mut i = 0;
    while i < 256 {
        pairs[i] = [BASES[i >> 4], BASES[i & 0x0f]];
        i += 1;
    }
    pairs
};

fn write_quality_scores(buf: &mut Vec<u8>, scores: QualityScoresRef<'_>) -> io::Result<()> {
    let start = buf.len();
    match scores {
        QualityScoresRef::Raw(scores) => {
            buf.resize(start + scores.len(), 0);
            for (out, q) in buf[start..].iter_mut().zip(scores) {
                *out = q.wrapping_add(b'!');
            }
        }
        QualityScoresRef::Offset(scores, offset) => {
            buf.extend(scores.iter().map(|q| q.wrapping_sub(offset).wrapping_add(b'!')));
        }
        QualityScoresRef::QualityScores(scores) => {
            for q in scores.iter() {
                buf.push(q?.wrapping_add(b'!'));
            }
        }
    }
    if buf.len() == start || buf[start] == MISSING_SCORE.wrapping_add(b'!') {
        buf.truncate(start);
        buf.push(MISSING);
    }
    Ok(())
}

fn write_int(buf: &mut Vec<u8>, n: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn test_write_packed_bases() {
        let cases: [(&[u8], usize, &[u8]); 4] =
            [(&[0x12, 0x48, 0xf0], 5, b"ACGTN"), (&[0x12, 0x48], 4, b"ACGT"), (&[0x12], 5, b"AC"), (&[], 0, b"")];
        for (src, len, expected) in cases {
            let mut buf = b">".to_vec();
            write_packed_bases(&mut buf, src, len);
            assert_eq!(&buf[1..], expected, "{src:?} {len}");
        }
    }

    #[test]
    fn test_write_packed_cigar() -> io::Result<()> {
        let mut buf = Vec::new();
        let ops: Vec<u8> =
            [2 << 4 | 4, 3 << 4, 1 << 4 | 1, 70_000 << 4 | 8].iter().flat_map(|n: &u32| n.to_le_bytes()).collect();
        write_packed_cigar(&mut buf, &ops)?;
        assert_eq!(buf, b"2S3M1I70000X");
        buf.clear();
        write_packed_cigar(&mut buf, &[])?;
        assert_eq!(buf, b"*");
        buf.clear();
        write_packed_cigar(
            &mut buf,
            &[1u32 << 4 | 9, 2 << 4 | 15].iter().flat_map(|n| n.to_le_bytes()).collect::<Vec<_>>(),
        )?;
        assert_eq!(buf, b"1B2?");
        Ok(())
    }

    #[test]
    fn test_write_record() -> TestResult {
        let header: sam::Header = "@SQ\tSN:chr1\tLN:100\n@SQ\tSN:chr2\tLN:100\n".parse()?;
        let lines = [
            "r1\t99\tchr1\t10\t60\t2S3M1I2M\t=\t20\t15\tACGTACGT\tIIIIIIII\tNM:i:1\tXF:f:0.1\tXB:B:f,1.5,1e-06,1e+20\n",
            "r2\t65\tchr1\t10\t255\t4M\tchr2\t5\t0\tACGT\t*\tXA:A:c\tRG:Z:rg 1\tXC:B:C,1,255\n",
            "*\t4\t*\t0\t0\t*\t*\t0\t0\t*\t*\n",
        ];
        for line in lines {
            let mut reader = sam::io::Reader::new(line.as_bytes());
            let mut record = RecordBuf::default();
            reader.read_record_buf(&header, &mut record)?;
            let mut buf = b"before\n".to_vec();
            write_record(&mut buf, &header, &record)?;
            assert_eq!(String::from_utf8_lossy(&buf[7..]), line);
            buf.truncate(7);
            write_record_buf(&mut buf, &header, &record)?;
            assert_eq!(String::from_utf8_lossy(&buf[7..]), line);
        }
        Ok(())
    }
}
