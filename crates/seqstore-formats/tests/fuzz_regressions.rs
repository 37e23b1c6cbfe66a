//! The fuzz targets of `fuzz/` replayed on stable, through the very harness functions the targets
//! call (`fuzz/harness/formats.rs`): every minimized crash kept in `fuzz/regressions/<target>/`
//! and every committed seed in `fuzz/seeds/<target>/`. See `fuzz/README.md`.

#[path = "../../../fuzz/harness/formats.rs"]
mod harness;
#[path = "../../../fuzz/replay/replay.rs"]
mod replay;

use replay::replay;

#[test]
fn sniff() {
    replay("sniff", harness::sniff);
}

#[test]
fn fastq() {
    replay("fastq", harness::fastq);
}

#[test]
fn fastq_pair() {
    replay("fastq_pair", harness::fastq_pair);
}

#[test]
fn fasta() {
    replay("fasta", harness::fasta);
}

#[test]
fn fai() {
    replay("fai", harness::fai);
}

#[test]
fn gzi() {
    replay("gzi", harness::gzi);
}

#[test]
fn fasta_read() {
    replay("fasta_read", harness::fasta_read);
}

#[test]
fn bam() {
    replay("bam", harness::bam);
}

#[test]
fn cram() {
    replay("cram", harness::cram);
}
