//! Fuzz harnesses for the scanners of `seqstore-formats`, one plain function per fuzz target.
//!
//! Shared, not copied: each `fuzz/fuzz_targets/<name>.rs` includes this file and calls
//! `<name>(data)` under libFuzzer (nightly), and `crates/seqstore-formats/tests/fuzz_regressions.rs`
//! includes it too and replays every file of `fuzz/regressions/<name>/` and `fuzz/seeds/<name>/`
//! through the same function on stable. A harness may return early on input it cannot use, and
//! any `Err` of the code under test is a pass; a panic, a hang or an unbounded allocation is a
//! bug. Some harnesses also assert a documented contract (e.g. what a successful FASTA scan
//! indexed can be read back), so a broken contract is a crash too.

use std::io;
use std::sync::LazyLock;

use seqstore_formats::digest::{Algorithm, Digest};
use seqstore_formats::fasta::{self, Gzi, Sequence};
use seqstore_formats::limits::Limits;
use seqstore_formats::sniff::{self, Compression};
use seqstore_formats::{bam, cram, fastq};

/// The reference the BAM and CRAM seeds were made against (`fuzz/make-seeds`): name, length and
/// seed of [`bases`].
const REFERENCE: [(&str, usize, u64); 2] = [("ref1", 700, 1), ("ref2", 300, 2)];

/// One reference sequence, its bases and MD5.
struct Fixed {
    name: &'static str,
    bases: Vec<u8>,
    md5: String,
}

static FIXED: LazyLock<Vec<Fixed>> = LazyLock::new(|| {
    REFERENCE
        .iter()
        .map(|&(name, len, seed)| {
            let bases = bases(len, seed);
            let mut md5 = Digest::new(Algorithm::Md5);
            md5.update(&bases);
            Fixed { name, bases, md5: md5.finalize_hex() }
        })
        .collect()
});

/// Deterministic pseudo-random bases (a 64-bit LCG; `fuzz/make-seeds` computes the same).
fn bases(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            b"ACGT"[(state >> 62) as usize]
        })
        .collect()
}

fn u16_at(data: &[u8], at: usize) -> usize {
    data.get(at..at + 2).map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])))
}

/// `sniff::compression` and `sniff::content` on any prefix.
pub fn sniff(data: &[u8]) {
    let _ = sniff::compression(data);
    let _ = sniff::content(data);
}

/// `fastq::scan` of one raw (plain, gzip or BGZF) file, as the import worker calls it.
pub fn fastq(data: &[u8]) {
    let _ = fastq::scan(fastq::Which::Source1, data, fastq::Options { algorithm: Algorithm::Md5, qc: true });
}

/// `fastq::scan_pair` of two files: a little-endian `u16` length of the first, the first, then the
/// second.
pub fn fastq_pair(data: &[u8]) {
    let rest = data.get(2..).unwrap_or_default();
    let (one, two) = rest.split_at(u16_at(data, 0).min(rest.len()));
    let _ = fastq::scan_pair(one, two, fastq::Options { algorithm: Algorithm::Md5, qc: true });
}

/// `fasta::scan` with a BGZF copy, as the reference import calls it. When the scan succeeds, its
/// `.fai` must parse back to the same sequences, and the first and last bases of each sequence
/// must read back through `read_bases` from the stored file (or, for plain gzip, the copy).
pub fn fasta(data: &[u8]) {
    let mut copy = Vec::new();
    let Ok(summary) = fasta::scan(data, Some(&mut copy as &mut dyn io::Write)) else { return };
    let parsed = fasta::parse_fai(&summary.fai).expect("the .fai of a scan parses");
    let unhashed: Vec<Sequence> =
        summary.sequences.iter().map(|s| Sequence { md5: String::new(), refget: String::new(), ..s.clone() }).collect();
    assert_eq!(parsed, unhashed, "the .fai of a scan parses to its sequences");
    let (stored, compression) = match summary.compression {
        Compression::Gzip => (copy, Compression::Bgzf),
        compression => (data.to_vec(), compression),
    };
    let gzi = summary.gzi.as_deref().map(|bytes| Gzi::parse(bytes).expect("the .gzi of a scan parses"));
    for sequence in summary.sequences.iter().take(4) {
        let len = sequence.length.min(100);
        for start in [0, sequence.length - len] {
            let bases = fasta::read_bases(&stored, compression, gzi.as_ref(), sequence, start, len)
                .unwrap_or_else(|e| panic!("bases {start}+{len} of {} read back: {e}", sequence.name));
            assert_eq!(bases.len() as u64, len);
        }
    }
}

/// `fasta::parse_fai` of any text.
pub fn fai(data: &[u8]) {
    let _ = fasta::parse_fai(data);
}

/// `Gzi::parse` of any bytes; what parses writes back to bytes that parse to the same index.
pub fn gzi(data: &[u8]) {
    let Ok(gzi) = Gzi::parse(data) else { return };
    assert_eq!(Gzi::parse(&gzi.to_bytes()).ok().as_ref(), Some(&gzi), "a parsed .gzi round-trips");
}

/// `fasta::read_bases` with an untrusted `.fai`, `.gzi` and stored file. Layout: a mode byte
/// (bits 0-1 compression plain/BGZF/gzip, bit 2 no `.gzi`, bits 3-7 which `.fai` line), `u16`
/// start, `u16` length, `u16` `.fai` length, `u16` `.gzi` length (all little-endian), the `.fai`
/// text, the `.gzi` bytes, then the stored file.
pub fn fasta_read(data: &[u8]) {
    const HEADER: usize = 9;
    let Some(&mode) = data.first() else { return };
    let (start, len) = (u16_at(data, 1) as u64, u16_at(data, 3) as u64);
    let rest = data.get(HEADER..).unwrap_or_default();
    let (fai, rest) = rest.split_at(u16_at(data, 5).min(rest.len()));
    let (gzi, stored) = rest.split_at(u16_at(data, 7).min(rest.len()));
    let compression =
        [Compression::Plain, Compression::Bgzf, Compression::Gzip, Compression::Bgzf][usize::from(mode & 3)];
    let gzi = match mode & 4 {
        0 => match Gzi::parse(gzi) {
            Ok(gzi) => Some(gzi),
            Err(_) => return,
        },
        _ => None,
    };
    let Ok(sequences) = fasta::parse_fai(fai) else { return };
    let Some(sequence) = sequences.get(usize::from(mode >> 3) % sequences.len().max(1)) else { return };
    let _ = fasta::read_bases(&stored.to_vec(), compression, gzi.as_ref(), sequence, start, len);
}

/// `bam::scan` of one raw file, as the import worker calls it for BAM and uBAM. A selector byte
/// comes first: bit 0 declares UBAM (`unaligned_only`), bit 1 checks `@SQ` against the fixed
/// reference (`ref1`, `ref2`).
pub fn bam(data: &[u8]) {
    let Some((&selector, raw)) = data.split_first() else { return };
    let reference = (selector & 2 != 0).then(|| {
        FIXED
            .iter()
            .map(|f| bam::ReferenceSequence {
                name: f.name.to_owned(),
                length: f.bases.len() as u64,
                md5: f.md5.clone(),
            })
            .collect()
    });
    let options = bam::Options {
        algorithm: Algorithm::Md5,
        unaligned_only: selector & 1 != 0,
        reference,
        limits: Limits::default(),
        qc: true,
    };
    let _ = bam::scan(raw, &options);
}

/// How the in-memory reference of [`cram`] answers.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// The fixed bases.
    Exact,
    /// The fixed bases cut to half their length (records then reach past its end).
    Short,
    /// `ref2` is missing (`None`); `ref1` is exact.
    Missing,
    /// Every fetch fails.
    Failing,
}

/// The fixed reference, answering as told.
struct Reference(Answer);

impl cram::ReferenceSource for Reference {
    fn sequence(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(fixed) = FIXED.iter().find(|f| f.name == name) else { return Ok(None) };
        match self.0 {
            Answer::Exact => Ok(Some(fixed.bases.clone())),
            Answer::Short => Ok(Some(fixed.bases[..fixed.bases.len() / 2].to_vec())),
            Answer::Missing if name == "ref2" => Ok(None),
            Answer::Missing => Ok(Some(fixed.bases.clone())),
            Answer::Failing => Err(io::Error::other("reference unavailable")),
        }
    }
}

/// `cram::scan` of one raw file against the fixed reference (`ref1`, `ref2`), as the import
/// worker calls it. A selector byte comes first: its value modulo 4 picks how the reference
/// source answers ([`Answer`]); the header is always checked against the fixed names, lengths and
/// MD5s.
pub fn cram(data: &[u8]) {
    let Some((&selector, raw)) = data.split_first() else { return };
    let answer = [Answer::Exact, Answer::Short, Answer::Missing, Answer::Failing][usize::from(selector % 4)];
    let options = cram::Options {
        algorithm: Algorithm::Md5,
        reference: FIXED
            .iter()
            .map(|f| cram::ReferenceSequence {
                name: f.name.to_owned(),
                length: f.bases.len() as u64,
                md5: f.md5.clone(),
            })
            .collect(),
        name_prefix: "fuzz.cram".to_owned(),
        limits: Limits::default(),
        qc: true,
    };
    let _ = cram::scan(raw, &Reference(answer), &options);
}
