//! The CRAI index: one line per slice and reference, gzip-compressed text (CRAM index § 1).

use std::io::{self, Write as _};

use flate2::{Compression, write::GzEncoder};

/// One CRAI line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    /// Reference index, -1 for unmapped records.
    pub(super) reference_sequence_id: i64,
    /// 1-based first aligned base (0 when unmapped).
    pub(super) alignment_start: i64,
    /// Aligned bases covered.
    pub(super) alignment_span: i64,
    /// Byte offset of the container in the file.
    pub(super) container_offset: u64,
    /// Byte offset of the slice from the end of the container header.
    pub(super) landmark: u64,
    /// Length of the slice in bytes.
    pub(super) slice_len: u64,
}

/// The gzip-compressed text of `entries`.
pub(super) fn encode(entries: &[Entry]) -> io::Result<Vec<u8>> {
    let mut text = Vec::new();
    for e in entries {
        writeln!(
            text,
            "{}\t{}\t{}\t{}\t{}\t{}",
            e.reference_sequence_id, e.alignment_start, e.alignment_span, e.container_offset, e.landmark, e.slice_len
        )?;
    }
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&text)?;
    encoder.finish()
}
