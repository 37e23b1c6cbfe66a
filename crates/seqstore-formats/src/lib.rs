//! Pure, synchronous format code for seqstore: sniffing, FASTQ/BAM/CRAM/FASTA scanning, statistics,
//! ETag digests and index building. No async runtime, no database, no HTTP.

pub mod alignment;
pub mod bam;
pub mod cram;
pub mod digest;
pub mod fasta;
pub mod fastq;
pub mod htsget;
pub mod limits;
pub mod qc;
pub mod sam_text;
pub mod sniff;

mod bgzf;
mod counted;
mod flagstat;
mod inflate;
mod line;
mod quote;
mod sam_header;
#[cfg(test)]
mod testing;

pub use crate::inflate::GzipError;
