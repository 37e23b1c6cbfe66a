//! Micro-benchmarks of the BAM and CRAM scanners on inputs generated in memory (a coordinate-sorted
//! BAM of Illumina-like 150 bp pairs and the same records as CRAM 3.0), and of the pieces of the
//! BAM scan that replace library code or choose between libraries: BGZF inflate (libdeflate
//! against flate2 with zlib-rs), SAM text rendering against noodles' own field iterators, and the
//! digests. Run with `cargo bench -p seqstore-formats --bench scanners`; figures are kept in
//! `benches/README.md`.

use std::hint::black_box;
use std::io;
use std::sync::LazyLock;

use divan::{Bencher, counter::BytesCount};
use noodles_bam as bam;
use noodles_core::Position;
use noodles_fasta as fasta;
use noodles_sam::{
    self as sam,
    alignment::{
        RecordBuf,
        io::Write as _,
        record::{
            Flags, MappingQuality,
            cigar::{Op, op::Kind},
            data::field::Tag,
        },
        record_buf::{Cigar, Data, QualityScores, Sequence, data::field::Value},
    },
};
use seqstore_formats::digest::{Algorithm, Digest};
use seqstore_formats::limits::Limits;
use seqstore_formats::{bam as bam_scan, cram, sam_text};

/// Read pairs generated: 80,000 records, ≈ 34 MB of SAM text, ≈ 9 MB of BAM.
const PAIRS: usize = 40_000;
const READ_LENGTH: usize = 150;
const REFERENCE_LENGTH: usize = 4_000_000;
const SAMPLES: u32 = 10;

fn main() {
    divan::main();
}

/// The generated inputs, built once.
struct Inputs {
    header: sam::Header,
    reference: Vec<u8>,
    bam: Vec<u8>,
    cram: Vec<u8>,
    /// What `samtools view` prints for the records: the bytes the ETag digests.
    text: Vec<u8>,
}

static INPUTS: LazyLock<Inputs> = LazyLock::new(|| generate().expect("generated inputs"));

/// With the QC statistics counted (`qc = true`) and without.
#[divan::bench(sample_count = SAMPLES, args = [false, true])]
fn bam_scan(bencher: Bencher, qc: bool) {
    let bam = &INPUTS.bam;
    let options = bam_scan::Options {
        algorithm: Algorithm::Md5,
        unaligned_only: false,
        reference: None,
        limits: Limits::default(),
        qc,
    };
    bencher
        .counter(BytesCount::new(bam.len()))
        .bench(|| black_box(bam_scan::scan(&bam[..], &options).expect("valid BAM")));
}

/// With the QC statistics counted (`qc = true`) and without.
#[divan::bench(sample_count = SAMPLES, args = [false, true])]
fn cram_scan(bencher: Bencher, qc: bool) {
    let inputs = &*INPUTS;
    let source = Reference(inputs.reference.clone());
    let options = cram::Options {
        algorithm: Algorithm::Md5,
        reference: vec![cram::ReferenceSequence {
            name: "chr1".into(),
            length: inputs.reference.len() as u64,
            md5: md5_hex(&inputs.reference),
        }],
        name_prefix: "bench.cram".into(),
        limits: Limits::default(),
        qc,
    };
    bencher
        .counter(BytesCount::new(inputs.cram.len()))
        .bench(|| black_box(cram::scan(&inputs.cram[..], &source, &options).expect("valid CRAM")));
}

/// BGZF blocks of the BAM inflated and CRC-checked, one thread: the library choice of
/// `bam::bgzf`. Counted in compressed bytes.
mod inflate {
    use super::*;

    #[divan::bench(sample_count = SAMPLES)]
    fn libdeflate(bencher: Bencher) {
        let blocks = blocks(&INPUTS.bam);
        bencher.counter(BytesCount::new(INPUTS.bam.len())).bench(|| {
            let mut inflater = libdeflater::Decompressor::new();
            let mut out = vec![0; 1 << 16];
            for (cdata, isize, crc) in &blocks {
                let n = inflater.deflate_decompress(cdata, &mut out).expect("valid deflate");
                assert_eq!((n, libdeflater::crc32(&out[..n])), (*isize, *crc));
            }
        });
    }

    #[divan::bench(sample_count = SAMPLES)]
    fn flate2_zlib_rs(bencher: Bencher) {
        let blocks = blocks(&INPUTS.bam);
        bencher.counter(BytesCount::new(INPUTS.bam.len())).bench(|| {
            let mut inflater = flate2::Decompress::new(false);
            let mut out = Vec::with_capacity(1 << 16);
            for (cdata, isize, crc) in &blocks {
                out.clear();
                inflater.reset(false);
                inflater.decompress_vec(cdata, &mut out, flate2::FlushDecompress::Finish).expect("valid deflate");
                let mut check = flate2::Crc::new();
                check.update(&out);
                assert_eq!((out.len(), check.sum()), (*isize, *crc));
            }
        });
    }

    /// Each block's deflate data, ISIZE and CRC-32 (SAM/BAM § 4.1).
    fn blocks(mut raw: &[u8]) -> Vec<(&[u8], usize, u32)> {
        let mut blocks = Vec::new();
        while raw.len() >= 18 {
            let xlen = usize::from(u16::from_le_bytes([raw[10], raw[11]]));
            let bsize = usize::from(u16::from_le_bytes([raw[16], raw[17]])) + 1;
            let (block, rest) = raw.split_at(bsize);
            let trailer = &block[bsize - 8..];
            let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
            let isize = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]) as usize;
            blocks.push((&block[12 + xlen..bsize - 8], isize, crc));
            raw = rest;
        }
        blocks
    }
}

/// SAM text of every BAM record, counted in bytes of text.
mod render {
    use super::*;

    /// seqstore's renderer, as the BAM scan calls it.
    #[divan::bench(sample_count = SAMPLES)]
    fn write_record(bencher: Bencher) {
        let records = bam_records();
        let header = &INPUTS.header;
        bencher.counter(BytesCount::new(INPUTS.text.len())).bench(|| {
            let mut text = Vec::with_capacity(INPUTS.text.len());
            for record in &records {
                sam_text::write_record(&mut text, header, record).expect("renders");
            }
            assert_eq!(text.len(), INPUTS.text.len());
        });
    }

    /// Only SEQ and CIGAR, through noodles' own iterators (`Sequence::iter`, the boxed
    /// `Record::cigar().iter()`), integers with `write!`: what `sam_text` did before it read the
    /// packed bytes itself.
    #[divan::bench(sample_count = SAMPLES)]
    fn noodles_iterators_seq_and_cigar_only(bencher: Bencher) {
        use std::io::Write as _;
        let records = bam_records();
        bencher.counter(BytesCount::new(INPUTS.text.len())).bench(|| {
            let mut text = Vec::with_capacity(INPUTS.text.len());
            for record in &records {
                text.extend(record.sequence().iter());
                for op in sam::alignment::Record::cigar(record).iter() {
                    let op = op.expect("valid op");
                    let _ = write!(text, "{}", op.len());
                    text.push(if op.kind() == Kind::Match { b'M' } else { b'?' });
                }
            }
            black_box(text);
        });
    }

    /// noodles' SAM writer (not byte-identical to htslib: floats, `=`): the library alternative.
    #[divan::bench(sample_count = SAMPLES)]
    fn noodles_sam_writer(bencher: Bencher) {
        let records = bam_records();
        let header = &INPUTS.header;
        bencher.counter(BytesCount::new(INPUTS.text.len())).bench(|| {
            let mut writer = sam::io::Writer::new(Vec::with_capacity(INPUTS.text.len()));
            for record in &records {
                writer.write_alignment_record(header, record).expect("renders");
            }
            black_box(writer.into_inner());
        });
    }

    fn bam_records() -> Vec<bam::Record> {
        let mut reader = bam::io::Reader::new(&INPUTS.bam[..]);
        reader.read_header().expect("header");
        reader.records().collect::<io::Result<_>>().expect("records")
    }
}

/// The ETag digests over the SAM text, one thread.
mod digest {
    use super::*;

    #[divan::bench(args = [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512], sample_count = SAMPLES)]
    fn text(bencher: Bencher, algorithm: Algorithm) {
        let text = &INPUTS.text;
        bencher.counter(BytesCount::new(text.len())).bench(|| {
            let mut digest = Digest::new(algorithm);
            for chunk in text.chunks(256 * 1024) {
                digest.update(chunk);
            }
            black_box(digest.finalize_hex())
        });
    }
}

/// The md-5 crate over the same text: what `digest::md5` replaces.
#[divan::bench(sample_count = SAMPLES)]
fn md5_crate(bencher: Bencher) {
    use md5::Digest as _;
    let text = &INPUTS.text;
    bencher.counter(BytesCount::new(text.len())).bench(|| {
        let mut digest = md5::Md5::new();
        for chunk in text.chunks(256 * 1024) {
            digest.update(chunk);
        }
        black_box(digest.finalize())
    });
}

struct Reference(Vec<u8>);

impl cram::ReferenceSource for Reference {
    fn sequence(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        Ok((name == "chr1").then(|| self.0.clone()))
    }
}

fn md5_hex(bases: &[u8]) -> String {
    let mut digest = Digest::new(Algorithm::Md5);
    digest.update(bases);
    digest.finalize_hex()
}

/// A fixed linear congruential generator, so every run benchmarks the same bytes.
struct Random(u64);

impl Random {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize % n
    }
}

fn generate() -> Result<Inputs, Box<dyn std::error::Error>> {
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let reference: Vec<u8> = (0..REFERENCE_LENGTH).map(|_| b"ACGT"[random.next(4)]).collect();
    let header: sam::Header =
        format!("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:{REFERENCE_LENGTH}\n@RG\tID:rg1\n").parse()?;
    let mut starts: Vec<usize> = (0..PAIRS).map(|_| 1 + random.next(REFERENCE_LENGTH - 600)).collect();
    starts.sort_unstable();
    let mut records = Vec::with_capacity(2 * PAIRS);
    for (i, &start) in starts.iter().enumerate() {
        let insert = 200 + random.next(380);
        let mate = start + insert - READ_LENGTH;
        let name = format!("A00123:8:H7KJ2DSXX:1:{}:{}:{}", 1101 + i % 50, 1000 + i % 30000, i);
        records.push(read(&mut random, &reference, &name, (start, mate), insert as i32, 99)?);
        records.push(read(&mut random, &reference, &name, (mate, start), -(insert as i32), 147)?);
    }
    records.sort_by_key(|record| record.alignment_start());

    let mut text = Vec::new();
    for record in &records {
        sam_text::write_record_buf(&mut text, &header, record)?;
    }

    let mut writer = bam::io::Writer::new(Vec::new());
    writer.write_header(&header)?;
    for record in &records {
        writer.write_alignment_record(&header, record)?;
    }
    let bam = writer.into_inner().finish()?;

    let repository = fasta::Repository::new(vec![fasta::Record::new(
        fasta::record::Definition::new("chr1", None),
        fasta::record::Sequence::from(reference.clone()),
    )]);
    let mut writer = noodles_cram::io::writer::Builder::default()
        .set_reference_sequence_repository(repository)
        .build_from_writer(Vec::new());
    writer.write_header(&header)?;
    for record in &records {
        writer.write_alignment_record(&header, record)?;
    }
    writer.try_finish(&header)?;
    let cram = writer.into_inner();
    Ok(Inputs { header, reference, bam, cram, text })
}

/// One read copied from the reference at `start` with about one substitution, Illumina-like
/// binned qualities, and the tags an aligner writes.
fn read(
    random: &mut Random,
    reference: &[u8],
    name: &str,
    (start, mate): (usize, usize),
    template_length: i32,
    flags: u16,
) -> Result<RecordBuf, Box<dyn std::error::Error>> {
    let mut bases = reference[start - 1..start - 1 + READ_LENGTH].to_vec();
    let mut md = READ_LENGTH.to_string();
    let mut nm = 0;
    if random.next(3) > 0 {
        let at = random.next(READ_LENGTH);
        let original = bases[at];
        bases[at] = if original == b'A' { b'C' } else { b'A' };
        md = format!("{at}{}{}", original as char, READ_LENGTH - at - 1);
        nm = 1;
    }
    let scores: Vec<u8> = (0..READ_LENGTH).map(|_| [37, 37, 37, 25, 11][random.next(5)]).collect();
    let data: Data = [
        (Tag::EDIT_DISTANCE, Value::from(nm as u8)),
        (Tag::MISMATCHED_POSITIONS, Value::from(md)),
        (Tag::ALIGNMENT_SCORE, Value::from((READ_LENGTH - 5 * nm) as u8)),
        (Tag::READ_GROUP, Value::from("rg1")),
    ]
    .into_iter()
    .collect();
    Ok(RecordBuf::builder()
        .set_name(name)
        .set_flags(Flags::from(flags))
        .set_reference_sequence_id(0)
        .set_alignment_start(Position::try_from(start)?)
        .set_mapping_quality(MappingQuality::new(60).ok_or("MAPQ")?)
        .set_cigar(Cigar::from(vec![Op::new(Kind::Match, READ_LENGTH)]))
        .set_mate_reference_sequence_id(0)
        .set_mate_alignment_start(Position::try_from(mate)?)
        .set_template_length(template_length)
        .set_sequence(Sequence::from(bases))
        .set_quality_scores(QualityScores::from(scores))
        .set_data(data)
        .build())
}
