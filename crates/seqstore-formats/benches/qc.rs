//! Throughput of `qc::QcCollector` alone, on 100,000 reads of 150 bases held in memory: FASTQ
//! records (`add_fastq`, one file's first fragments) and BAM records as stored (`add_alignment`
//! with packed bases, half of them on the reverse strand). Run with `cargo bench -p
//! seqstore-formats --bench qc`; figures are kept in `benches/README.md`. Bytes counted are those
//! of the records as text (FASTQ) or as stored (BAM, roughly). `tiny_file`: what a collector costs a
//! file of two reads, as each of many tiny imports pays it (new, two FASTQ records, the report).

use std::hint::black_box;

use divan::{Bencher, counter::BytesCount};
use noodles_sam::alignment::record::Flags;
use seqstore_formats::qc::{AlignedRead, Bases, CigarCounts, Mate, QcCollector};

const READS: usize = 100_000;
const LEN: usize = 150;

fn main() {
    divan::main();
}

/// Deterministic bases and qualities.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Bases (ACGT) and Phred+33 qualities (binned as Illumina's), `READS` × `LEN` of each.
fn reads() -> (Vec<u8>, Vec<u8>) {
    let mut rng = Rng(7);
    let bases: Vec<u8> = (0..READS * LEN).map(|_| b"ACGT"[(rng.next() % 4) as usize]).collect();
    let quals: Vec<u8> = (0..READS * LEN).map(|_| b"#,:FF"[(rng.next() % 5) as usize]).collect();
    (bases, quals)
}

#[divan::bench(sample_count = 10)]
fn fastq(bencher: Bencher) {
    let (bases, quals) = reads();
    bencher.counter(BytesCount::new(READS * (2 * LEN + 20))).bench_local(|| {
        let mut qc = QcCollector::new(0);
        for (s, q) in bases.chunks(LEN).zip(quals.chunks(LEN)) {
            qc.add_fastq(s, q, Mate::First);
        }
        black_box(qc);
    });
}

#[divan::bench(sample_count = 10)]
fn bam_packed(bencher: Bencher) {
    let (bases, quals) = reads();
    let code = |base: u8| match base {
        b'A' => 1,
        b'C' => 2,
        b'G' => 4,
        _ => 8,
    };
    let packed: Vec<u8> = bases.chunks(2).map(|p| code(p[0]) << 4 | code(p[1])).collect();
    let quals: Vec<u8> = quals.iter().map(|q| q - 33).collect();
    bencher.counter(BytesCount::new(READS * (LEN / 2 + LEN + 60))).bench_local(|| {
        let mut qc = QcCollector::new(1);
        for (i, (s, q)) in packed.chunks(LEN / 2).zip(quals.chunks(LEN)).enumerate() {
            let flags = if i % 2 == 0 { Flags::from(0x63) } else { Flags::from(0x93) };
            qc.add_alignment(&AlignedRead {
                flags,
                reference_id: Some(0),
                position: Some(1000 + i),
                mate_reference_id: Some(0),
                mate_position: Some(1300 + i),
                mapping_quality: 60,
                template_length: 450,
                bases: Bases::Packed { codes: s, len: LEN },
                qualities: q,
                cigar: CigarCounts { hard_clipped: 0, aligned: LEN as u64 },
                edit_distance: Some(1),
            });
        }
        black_box(qc);
    });
}

#[divan::bench(sample_count = 100)]
fn tiny_file(bencher: Bencher) {
    let (bases, quals) = reads();
    bencher.bench_local(|| {
        let mut qc = QcCollector::new(0);
        for (s, q) in bases.chunks(LEN).zip(quals.chunks(LEN)).take(2) {
            qc.add_fastq(s, q, Mate::First);
        }
        black_box(qc.report());
    });
}
