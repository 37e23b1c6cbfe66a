//! The record loop over the decompressed stream: header checks, then per record the
//! statistics, checks, SAM text for the ETag and index entry. Records are read as htslib reads
//! them ([`Record`]), not through noodles' decoder.

use std::io::Read;

use noodles_csi::binning_index::index::reference_sequence::bin::Chunk;
use noodles_sam::alignment::record::Flags;

use super::bgzf::Blocks;
use super::etag::TextDigest;
use super::header::{self, SortOrder};
use super::record::{FIXED, Record};
use super::{AlignmentStatistics, Error, ErrorKind, IndexKind, Options, RecordFault, RecordId, index};
use crate::qc::{AlignedRead, QcCollector};
use crate::sam_text;
use crate::sniff::{self, Content};

/// What the record loop found.
pub(super) struct Scanned {
    pub(super) records: u64,
    pub(super) bases: u64,
    pub(super) aligned: bool,
    pub(super) statistics: AlignmentStatistics,
    pub(super) etag: String,
    pub(super) sorted: bool,
    pub(super) index: Option<(IndexKind, Vec<u8>)>,
    pub(super) unindexed: Option<String>,
    pub(super) qc: Option<Box<QcCollector>>,
}

/// Coordinate order as htslib sorts: reference id as unsigned (unplaced last), then the 1-based
/// position (0 when absent).
type SortKey = (u32, i64);

/// Reads the BAM header and every record from `blocks`.
pub(super) fn scan(blocks: &mut Blocks, options: &Options) -> Result<Scanned, Error> {
    check_content(blocks)?;
    let header = header::read(blocks, &options.limits).map_err(|kind| match kind {
        ErrorKind::InvalidHeader(_) => fault(blocks, kind),
        kind => kind,
    })?;
    if let Some(reference) = &options.reference {
        header::check_reference(&header, reference)?;
    }
    let names: Vec<Vec<u8>> = header.references.iter().map(|r| r.name.clone()).collect();
    let order = header.sort_order;
    // Records in coordinate order get an index unless the header says they are in another
    // order, as `samtools index` accepts them.
    let mut sorted = order != SortOrder::Other && !names.is_empty();
    let mut index = if sorted {
        let longest = header.references.iter().map(|r| r.length).max().unwrap_or(0);
        Some(index::Builder::new(longest, names.len())?)
    } else {
        None
    };
    let mut unindexed = None;
    let mut text = TextDigest::new(options.algorithm);
    let mut block = Vec::new();
    let (mut records, mut bases, mut any_mapped) = (0, 0, false);
    let mut statistics = AlignmentStatistics::default();
    let mut previous: Option<SortKey> = None;
    let mut qc = options.qc.then(|| Box::new(QcCollector::new(names.len())));
    let mut start = blocks.virtual_position();
    loop {
        let id = |name| Some(RecordId { number: records + 1, name });
        match read_block(blocks, &mut block) {
            Ok(true) => {}
            Ok(false) => break,
            Err(Failure::File(kind)) => return Err(Error::from(kind)),
            Err(Failure::Record(kind)) => return Err(Error::at(id(None))(kind)),
        }
        let record = Record::parse(&block, names.len())
            .map_err(|fault| Error::at(id(stored_name(&block)))(ErrorKind::InvalidRecord(fault)))?;
        records += 1;
        let end = blocks.virtual_position();
        let name = (record.name != b"*").then(|| record.name.to_vec());
        let at = |kind| Error::at(Some(RecordId { number: records, name: name.clone() }))(kind);
        statistics.add(Flags::from(record.flags));
        if let Some(qc) = &mut qc {
            qc.add_alignment(&AlignedRead::from_bam(&record));
        }
        bases += record.sequence_len as u64;
        if !record.is_unmapped() {
            any_mapped = true;
            if options.unaligned_only {
                return Err(at(ErrorKind::MappedInUbam));
            }
        }
        if sorted {
            let key = sort_key(&record);
            match previous {
                Some(previous) if key < previous && order == SortOrder::Coordinate => {
                    let (locus, previous) = (locus(&names, key), locus(&names, previous));
                    return Err(at(ErrorKind::Unsorted { locus, previous }));
                }
                Some(previous) if key < previous => {
                    sorted = false;
                    index = None;
                    unindexed = None;
                }
                _ => {}
            }
            previous = Some(key);
        }
        if let Some(builder) = &mut index
            && let Err(kind) = builder.add(&record, Chunk::new(start, end))
        {
            index = None;
            unindexed = Some(at(kind).to_string());
        }
        sam_text::bam::write(text.buffer(), &names, &record).map_err(|fault| at(ErrorKind::InvalidRecord(fault)))?;
        text.flush();
        start = end;
    }
    Ok(Scanned {
        records,
        bases,
        aligned: any_mapped && !names.is_empty(),
        statistics,
        etag: text.finish(),
        sorted,
        index: index.map(index::Builder::finish).transpose()?,
        unindexed,
        qc,
    })
}

/// Largest `block_size` read into a buffer of that size at once; a larger record's buffer grows
/// only as data arrives: a corrupt `block_size` costs what the file holds, not 2 GiB.
const DIRECT_RECORD: usize = 1 << 20;

/// Why the next record could not be read.
enum Failure {
    /// A fault of the file (BGZF framing, the source), not of the record being read.
    File(ErrorKind),
    /// The record is cut short or declares an invalid size.
    Record(ErrorKind),
}

/// Reads the next record's block (the bytes after its `block_size`) into `block`; false at the
/// end of the data. As htslib's `bam_read1`: a `block_size` below 32 (0 included) or of 2^31 or
/// more is invalid.
fn read_block(blocks: &mut Blocks, block: &mut Vec<u8>) -> Result<bool, Failure> {
    // A failed read is the file's fault when the blocks hold one.
    let failed = |blocks: &mut Blocks, otherwise| match blocks.take_error() {
        Some(kind) => Failure::File(kind),
        None => Failure::Record(otherwise),
    };
    let mut size = [0; 4];
    let mut filled = 0;
    while filled < size.len() {
        match blocks.read(&mut size[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(blocks, ErrorKind::Io(e))),
        }
    }
    match filled {
        0 => return Ok(false),
        4 => {}
        _ => return Err(failed(blocks, ErrorKind::TruncatedRecord)),
    }
    let size = u32::from_le_bytes(size);
    if (size as usize) < FIXED || size >= 1 << 31 {
        return Err(Failure::Record(ErrorKind::InvalidRecord(RecordFault::BlockSize { size: u64::from(size) })));
    }
    block.clear();
    let read = if size as usize <= DIRECT_RECORD {
        block.resize(size as usize, 0);
        blocks.read_exact(block)
    } else {
        blocks.take(u64::from(size)).read_to_end(block).map(|_| ())
    };
    match read {
        Ok(()) if block.len() == size as usize => Ok(true),
        Ok(()) => Err(failed(blocks, ErrorKind::TruncatedRecord)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(failed(blocks, ErrorKind::TruncatedRecord)),
        Err(e) => Err(failed(blocks, ErrorKind::Io(e))),
    }
}

/// The read name of a record that did not parse, when its block holds one.
fn stored_name(block: &[u8]) -> Option<Vec<u8>> {
    let len = usize::from(*block.get(8)?);
    let name = block.get(FIXED..FIXED + len)?;
    let name = name.strip_suffix(&[0]).unwrap_or(name);
    (!name.is_empty() && name != b"*").then(|| name.to_vec())
}

/// Requires the decompressed stream to start with the BAM magic.
fn check_content(blocks: &mut Blocks) -> Result<(), ErrorKind> {
    let prefix = match blocks.fill() {
        Ok(prefix) => prefix,
        Err(e) => return Err(fault(blocks, ErrorKind::Io(e))),
    };
    match sniff::content(prefix) {
        Content::Bam => Ok(()),
        Content::Empty => Err(ErrorKind::Empty),
        Content::Unknown => Err(ErrorKind::NotBam { magic: prefix[..prefix.len().min(4)].to_vec() }),
        content @ (Content::Fastq | Content::Cram | Content::Fasta | Content::Sam) => {
            Err(ErrorKind::WrongFormat { content })
        }
    }
}

/// The BGZF or source fault behind a failed read, else `otherwise`.
fn fault(blocks: &mut Blocks, otherwise: ErrorKind) -> ErrorKind {
    blocks.take_error().unwrap_or(otherwise)
}

fn sort_key(record: &Record<'_>) -> SortKey {
    (record.reference_id as u32, i64::from(record.position) + 1)
}

/// `name:position`, or `*` for an unplaced record.
fn locus(names: &[Vec<u8>], (id, position): SortKey) -> String {
    match names.get(id as usize) {
        Some(name) => format!("{}:{position}", String::from_utf8_lossy(name)),
        None => "*".to_owned(),
    }
}
