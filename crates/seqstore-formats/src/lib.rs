//! Pure, synchronous format code for seqstore: sniffing, FASTQ/BAM/CRAM/FASTA scanning, statistics,
//! ETag digests and index building. No async runtime, no database, no HTTP.

pub mod digest;
pub mod fasta;
pub mod fastq;
pub mod sniff;
