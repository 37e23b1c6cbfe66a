//! Pure, synchronous format code for seqstore: sniffing, FASTQ/BAM/CRAM/FASTA scanning, statistics,
//! ETag digests and index building. No async runtime, no database, no HTTP.
//!
//! The crate starts empty; the import issues fill it.
