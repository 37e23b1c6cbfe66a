//! The record loop over the decompressed stream: header checks, then per record the
//! statistics, checks, SAM text for the ETag and index entry.

use noodles_bam as bam;
use noodles_csi::binning_index::index::reference_sequence::bin::Chunk;
use noodles_sam as sam;

use super::bgzf::Blocks;
use super::etag::TextDigest;
use super::header::{self, SortOrder};
use super::{AlignmentStatistics, Error, ErrorKind, IndexKind, Options, RecordId, index};
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
}

/// Coordinate order as htslib sorts: reference id as unsigned (unplaced last), then position.
type SortKey = (u32, usize);

/// Reads the BAM header and every record from `blocks`.
pub(super) fn scan(blocks: &mut Blocks, options: &Options) -> Result<Scanned, Error> {
    check_content(blocks)?;
    let header = header::read(blocks, &options.limits).map_err(|kind| match kind {
        ErrorKind::InvalidHeader(_) => fault(blocks, kind),
        kind => kind,
    })?;
    let mut reader = bam::io::Reader::from(blocks);
    if let Some(reference) = &options.reference {
        header::check_reference(&header, reference)?;
    }
    let order = header::sort_order(&header);
    // Records in coordinate order get an index unless the header says they are in another
    // order, as `samtools index` accepts them.
    let mut sorted = order != SortOrder::Other && !header.reference_sequences().is_empty();
    let mut index = if sorted { Some(index::Builder::new(&header)?) } else { None };
    let mut text = TextDigest::spawn(options.algorithm).map_err(ErrorKind::Io)?;
    let mut record = bam::Record::default();
    let mut large = Vec::new();
    let (mut records, mut bases, mut any_mapped) = (0, 0, false);
    let mut statistics = AlignmentStatistics::default();
    let mut previous: Option<SortKey> = None;
    let mut start = reader.get_ref().virtual_position();
    loop {
        let size =
            read_record(&mut reader, &mut record, &mut large).map_err(|e| match reader.get_mut().take_error() {
                // A fault of the file, not of the record being read.
                Some(kind) => Error::from(kind),
                None if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    Error::at(Some(RecordId { number: records + 1, name: None }))(ErrorKind::TruncatedRecord)
                }
                None => Error::at(Some(RecordId { number: records + 1, name: None }))(ErrorKind::InvalidRecord(e)),
            })?;
        if size == 0 {
            // noodles takes a block_size of 0 for the end of the data: accept it only there.
            match std::io::Read::read(reader.get_mut(), &mut [0; 1]) {
                Ok(0) => break,
                Ok(_) => {
                    let zero = std::io::Error::new(std::io::ErrorKind::InvalidData, "block_size is 0");
                    let id = RecordId { number: records + 1, name: None };
                    return Err(Error::at(Some(id))(ErrorKind::InvalidRecord(zero)));
                }
                Err(e) => return Err(Error::from(fault(reader.get_mut(), ErrorKind::Io(e)))),
            }
        }
        records += 1;
        let end = reader.get_ref().virtual_position();
        let at = |kind| Error::at(Some(RecordId { number: records, name: record.name().map(|n| n.to_vec()) }))(kind);
        if let Some(name) = record.name()
            && let Some(i) = name.iter().position(|b| !(b'!'..=b'~').contains(b))
        {
            return Err(at(ErrorKind::InvalidName { byte: name[i], position: i as u64 + 1 }));
        }
        let flags = record.flags();
        statistics.add(flags);
        bases += record.sequence().len() as u64;
        if !flags.is_unmapped() {
            any_mapped = true;
            if options.unaligned_only {
                return Err(at(ErrorKind::MappedInUbam));
            }
        }
        if sorted {
            let key = sort_key(&record).map_err(|e| at(ErrorKind::InvalidRecord(e)))?;
            match previous {
                Some(previous) if key < previous && order == SortOrder::Coordinate => {
                    let (locus, previous) = (locus(&header, key), locus(&header, previous));
                    return Err(at(ErrorKind::Unsorted { locus, previous }));
                }
                Some(previous) if key < previous => {
                    sorted = false;
                    index = None;
                }
                _ => {}
            }
            previous = Some(key);
        }
        if let Some(index) = &mut index {
            index.add(&record, Chunk::new(start, end)).map_err(at)?;
        }
        sam_text::write_record(text.buffer(), &header, &record).map_err(|e| at(ErrorKind::InvalidRecord(e)))?;
        text.flush();
        start = end;
    }
    Ok(Scanned {
        records,
        bases,
        aligned: any_mapped && !header.reference_sequences().is_empty(),
        statistics,
        etag: text.finish(),
        sorted,
        index: index.map(index::Builder::finish).transpose()?,
    })
}

/// Largest `block_size` handed to noodles as is: it allocates the declared size before reading.
const DIRECT_RECORD: usize = 1 << 20;

/// Reads the next record like [`bam::io::Reader::read_record`] (0 at the end), except that a
/// record declaring more than [`DIRECT_RECORD`] bytes is first copied into `large`, which grows
/// only as data arrives: a corrupt 4 GB `block_size` costs what the file holds, not 4 GB.
fn read_record(
    reader: &mut bam::io::Reader<&mut Blocks>,
    record: &mut bam::Record,
    large: &mut Vec<u8>,
) -> std::io::Result<usize> {
    use std::io::Read;
    let peeked = reader.get_mut().fill()?.get(..4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
    if peeked.is_some_and(|size| size as usize <= DIRECT_RECORD) {
        return reader.read_record(record);
    }
    large.clear();
    let blocks: &mut Blocks = reader.get_mut();
    blocks.take(4).read_to_end(large)?;
    let declared = match large[..] {
        [] => return Ok(0),
        [a, b, c, d] => u32::from_le_bytes([a, b, c, d]),
        _ => return Err(std::io::ErrorKind::UnexpectedEof.into()),
    };
    blocks.take(u64::from(declared)).read_to_end(large)?;
    if large.len() < 4 + declared as usize {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    bam::io::Reader::from(&large[..]).read_record(record)
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

fn sort_key(record: &bam::Record) -> std::io::Result<SortKey> {
    let id = match record.reference_sequence_id().transpose()? {
        Some(id) => u32::try_from(id).unwrap_or(u32::MAX),
        None => u32::MAX,
    };
    let position = record.alignment_start().transpose()?.map_or(0, usize::from);
    Ok((id, position))
}

/// `name:position`, or `*` for an unplaced record.
fn locus(header: &sam::Header, (id, position): SortKey) -> String {
    match header.reference_sequences().get_index(id as usize) {
        Some((name, _)) => format!("{}:{position}", String::from_utf8_lossy(name)),
        None => "*".to_owned(),
    }
}
