//! CRAM 3.0/3.1 scanning: one pass that decodes every record against a reference, checks the
//! header against that reference, counts records, bases and flagstat-style statistics, digests
//! the records rendered as `samtools view -T REF` would print them (the ETag), digests the stored
//! bytes, and builds the CRAI index.
//!
//! Containers are framed on the reading thread and decoded in parallel on worker threads; the
//! rendered text is digested in container order. Reference sequences are fetched whole, one at a
//! time, through a [`ReferenceSource`].
//!
//! The rendered text matches `samtools view -T REF` (htslib 1.16) on all 62 CRAM 3.0 conformance
//! files, on CRAM 3.0/3.1 written by samtools (coordinate-sorted, and unsorted with read names
//! dropped), and on the htsjdk-written CRAMs of htslib's test suite. To get there:
//! - noodles-cram 0.102 carries fixes in `patches/` so that it decodes as htslib does: quality
//!   scores not stored as an array are missing (`*`); mates linked in a slice are paired and get
//!   htslib's TLEN, an unpaired record has no RNEXT, a detached record whose mate is on the reverse
//!   strand is paired; bases past the end of the reference are `N` instead of a panic; records stored
//!   without a name are left without one;
//! - those records are named as htslib names them, after the file name
//!   ([`Options::name_prefix`]) and their number in the file (`names`);
//! - `MD`/`NM` are regenerated as htslib does (`md`), and unmapped records print MAPQ 0.
//!
//! Known remaining differences: a read whose reference matches (rather than stored bases) run past
//! the end of the reference, which the CRAM specification does not permit, gets an `MD` that ends
//! there, where htslib counts the missing bases as matches; and a CRAM whose multi-reference
//! slices carry an embedded reference (samtools `embed_ref=1` with `multi_seq_per_slice=1`) is
//! decoded against the reference, where htslib 1.16 prints `=` for every matching base
//! (`tests/samtools_corpus.rs` asserts that difference as such).

mod crai;
mod decode;
mod error;
mod framing;
mod header;
mod md;
mod names;
mod reference;
mod scanner;

use std::io::Read;

pub use self::error::{Error, ErrorKind};
pub use crate::alignment::{AlignmentStatistics, IndexKind, ReferenceSequence, Summary};
use crate::digest::Algorithm;
use crate::limits::Limits;

/// Whole reference sequences by name, fetched one at a time (the service implements it over
/// stored references).
pub trait ReferenceSource: Send + Sync {
    /// The bases of the sequence `name` (any case, no line breaks), or `None` when the reference
    /// has no such sequence.
    ///
    /// # Errors
    ///
    /// The sequence could not be read.
    fn sequence(&self, name: &str) -> std::io::Result<Option<Vec<u8>>>;
}

/// What a scan checks the CRAM against, and how it digests the records.
#[derive(Debug, Clone)]
pub struct Options {
    /// ETag digest family.
    pub algorithm: Algorithm,
    /// The sequences of the reference the CRAM was compressed against, in any order.
    pub reference: Vec<ReferenceSequence>,
    /// The name samtools gives records stored without one starts with this: the name of the file
    /// it opened, without directories, so the last path segment of the source's URI
    /// (`reads.cram` for `s3://bucket/run1/reads.cram`). A record is then named
    /// `{name_prefix}:{n}`, `n` counting records from 1, unless its mate has a stored name.
    pub name_prefix: String,
    /// Bounds on the SAM header's text and `@SQ` lines, and on each container's length and the raw
    /// sizes its blocks declare.
    pub limits: Limits,
    /// Count the quality-control statistics of every record ([`Summary::qc`]) as it is decoded,
    /// `NM` as regenerated (one collector per decoding thread, merged at the end).
    pub qc: bool,
}

/// Reads a whole CRAM from `reader` and decodes every record against `reference`.
///
/// Fetches each reference sequence the records need through `reference`, holding at most one
/// whole sequence at a time (a container whose slices span several references holds the ones it
/// uses while it is decoded). Uses worker threads for decoding; returns when all have ended.
///
/// # Errors
///
/// The source is not CRAM 3.x, is truncated or corrupt, goes beyond [`Options::limits`], its
/// header disagrees with [`Options::reference`], a record does not decode against the reference,
/// records are out of order under `SO:coordinate`, or reading `reader` or `reference` failed.
pub fn scan<R: Read + Send>(reader: R, reference: &dyn ReferenceSource, options: &Options) -> Result<Summary, Error> {
    scanner::scan(reader, reference, options)
}

#[cfg(test)]
mod conformance;
