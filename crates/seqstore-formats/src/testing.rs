//! Helpers shared by the unit tests: compressing test input and scratch directories.

use std::io::{self, Write};
use std::path::PathBuf;
use std::{fs, process};

use flate2::write::GzEncoder;

/// `text` as one gzip member.
pub(crate) fn gzip(text: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text)?;
    encoder.finish()
}

/// `text` as BGZF, with the EOF marker block.
pub(crate) fn bgzf(text: &[u8]) -> io::Result<Vec<u8>> {
    let mut writer = noodles_bgzf::io::Writer::new(Vec::new());
    writer.write_all(text)?;
    writer.finish()
}

/// A directory under the system temporary directory, emptied on creation and removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// `seqstore-{name}-{pid}` under the temporary directory.
    pub(crate) fn new(name: &str) -> io::Result<Self> {
        let path = std::env::temp_dir().join(format!("seqstore-{name}-{}", process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    /// The path of `name` in the directory.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The path of `name` in the directory, as text for command lines.
    pub(crate) fn file_text(&self, name: &str) -> String {
        self.file(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A hand-made BAM record (SAM/BAM § 4.2), its fields stored exactly as given: what no SAM text
/// converted by samtools can hold (positions before 1, CIGAR codes 9 to 15, a name without its
/// NUL, optional fields of any bytes).
#[derive(Debug, Clone)]
pub(crate) struct RawRecord {
    pub(crate) reference_id: i32,
    pub(crate) position: i32,
    pub(crate) mapping_quality: u8,
    pub(crate) flags: u16,
    pub(crate) mate_reference_id: i32,
    pub(crate) mate_position: i32,
    pub(crate) template_length: i32,
    /// As stored: the NUL included unless it is to be missing.
    pub(crate) name: Vec<u8>,
    /// Operations as (length, code).
    pub(crate) cigar: Vec<(u32, u32)>,
    /// `l_seq`; the bases are all `A`, the scores all 40.
    pub(crate) sequence_len: usize,
    pub(crate) data: Vec<u8>,
}

impl Default for RawRecord {
    /// A mapped record `r1` on reference 0 at position 10 (0-based), `4M`, four bases.
    fn default() -> Self {
        Self {
            reference_id: 0,
            position: 10,
            mapping_quality: 60,
            flags: 0,
            mate_reference_id: -1,
            mate_position: -1,
            template_length: 0,
            name: b"r1\0".to_vec(),
            cigar: vec![(4, 0)],
            sequence_len: 4,
            data: Vec::new(),
        }
    }
}

impl RawRecord {
    /// The record's bytes after `block_size`.
    pub(crate) fn block(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&self.reference_id.to_le_bytes());
        b.extend_from_slice(&self.position.to_le_bytes());
        b.push(self.name.len() as u8);
        b.push(self.mapping_quality);
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&(self.cigar.len() as u16).to_le_bytes());
        b.extend_from_slice(&self.flags.to_le_bytes());
        b.extend_from_slice(&(self.sequence_len as u32).to_le_bytes());
        b.extend_from_slice(&self.mate_reference_id.to_le_bytes());
        b.extend_from_slice(&self.mate_position.to_le_bytes());
        b.extend_from_slice(&self.template_length.to_le_bytes());
        b.extend_from_slice(&self.name);
        for (len, op) in &self.cigar {
            b.extend_from_slice(&(len << 4 | op).to_le_bytes());
        }
        b.extend(std::iter::repeat_n(0x11, self.sequence_len.div_ceil(2)));
        b.extend(std::iter::repeat_n(40, self.sequence_len));
        b.extend_from_slice(&self.data);
        b
    }
}

/// A BAM file (BGZF, EOF marker included) of `text` as its SAM header, the binary reference
/// sequences `references` (name, length) and `records`.
pub(crate) fn raw_bam(text: &str, references: &[(&str, u32)], records: &[RawRecord]) -> io::Result<Vec<u8>> {
    let mut raw = b"BAM\x01".to_vec();
    raw.extend_from_slice(&(text.len() as u32).to_le_bytes());
    raw.extend_from_slice(text.as_bytes());
    raw.extend_from_slice(&(references.len() as u32).to_le_bytes());
    for (name, length) in references {
        raw.extend_from_slice(&(name.len() as u32 + 1).to_le_bytes());
        raw.extend_from_slice(name.as_bytes());
        raw.push(0);
        raw.extend_from_slice(&length.to_le_bytes());
    }
    for record in records {
        let block = record.block();
        raw.extend_from_slice(&(block.len() as u32).to_le_bytes());
        raw.extend_from_slice(&block);
    }
    bgzf(&raw)
}
