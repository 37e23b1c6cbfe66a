//! Decoding one container on a worker thread: every record decoded against the reference,
//! adjusted to what htslib prints, rendered, counted, checked for coordinate order, and indexed.

use std::io;
use std::sync::Arc;

use noodles_cram::{self as cram, io::reader::Container};
use noodles_fasta as fasta;
use noodles_sam::{
    self as sam,
    alignment::{
        RecordBuf,
        record::{MappingQuality, data::field::Tag},
        record_buf::data::field::Value,
    },
};

use super::crai::Entry;
use super::framing::{Frame, SliceHeader, preservation, slice_header};
use super::{Error, ErrorKind, md, names};
use crate::flagstat::AlignmentStatistics;
use crate::qc::{AlignedRead, QcCollector};
use crate::sam_text;

/// One container to decode.
pub(super) struct Job {
    /// Position of the container among the data containers.
    pub(super) sequence: u64,
    /// 1-based number of the container's first record in the file.
    pub(super) first_record: u64,
    pub(super) frame: Frame,
    pub(super) repository: fasta::Repository,
}

/// Where a record sorts under `SO:coordinate`: reference index (unplaced last), then position.
pub(super) type SortKey = (usize, usize);

/// The first record out of coordinate order in a container.
#[derive(Debug)]
pub(super) struct Disorder {
    pub(super) record: u64,
    pub(super) name: String,
    pub(super) key: SortKey,
    pub(super) previous: SortKey,
}

/// What a container decoded to.
#[derive(Debug, Default)]
pub(super) struct Decoded {
    pub(super) sequence: u64,
    pub(super) first_record: u64,
    pub(super) text: Vec<u8>,
    pub(super) records: u64,
    pub(super) bases: u64,
    pub(super) statistics: AlignmentStatistics,
    pub(super) first: Option<(SortKey, String)>,
    pub(super) last: Option<SortKey>,
    pub(super) disorder: Option<Disorder>,
    pub(super) crai: Vec<Entry>,
}

/// Decodes `job` against `header`; records stored without a name are named after `name_prefix`
/// (see [`super::Options::name_prefix`]). Each record is counted into `qc` when given, as
/// printed (`MD`/`NM` regenerated); a container that fails has been partly counted (the scan
/// fails then).
pub(super) fn decode(
    header: &sam::Header,
    name_prefix: &str,
    job: &Job,
    mut qc: Option<&mut QcCollector>,
) -> Result<Decoded, Error> {
    let frame = &job.frame;
    let invalid = |source| ErrorKind::InvalidContainer { offset: frame.offset, source };
    let mut container = Container::default();
    cram::io::Reader::new(&frame.bytes[..]).read_container(&mut container).map_err(invalid)?;
    let compression_header = container.compression_header().map_err(invalid)?;
    let preservation = preservation(&frame.bytes[frame.header_len..]).map_err(invalid)?;
    let external_reference = preservation.reference_required;
    let mut state = State::new(job, preservation.stored_read_group);
    let data_len = frame.bytes.len() - frame.header_len;
    let mut record = RecordBuf::default();
    for (i, slice) in container.slices().enumerate() {
        let landmark = frame.landmarks[i];
        let slice_len = frame.landmarks.get(i + 1).copied().unwrap_or(data_len) - landmark;
        let slice_header = slice_header(&frame.bytes[frame.header_len + landmark..]).map_err(invalid)?;
        let slice = slice.map_err(invalid)?;
        let (core, external) = slice.decode_blocks().map_err(invalid)?;
        let records = slice
            .records(job.repository.clone(), header, &compression_header, &core, &external)
            .map_err(|e| state.slice_error(header, &slice_header, e, frame.offset))?;
        state.reference_available = external_reference || slice_header.embedded_reference;
        let names = names::generate(&records, preservation.read_names, slice_header.record_counter, name_prefix);
        let mut index = IndexBuilder::new(frame.offset, landmark as u64, slice_len as u64, slice_header);
        for (i, cram_record) in records.iter().enumerate() {
            // One buffer for every record: its name, CIGAR, bases, scores and data are reused.
            copy_record(header, cram_record, &mut record).map_err(|e| Error::at(invalid(e), state.next_record()))?;
            if let Some(Some(name)) = names.get(i) {
                *record.name_mut() = Some(name.as_slice().into());
            }
            state.add(header, &mut record, &mut index)?;
            if let Some(qc) = qc.as_deref_mut() {
                qc.add_alignment(&AlignedRead::from_record_buf(&record));
            }
        }
        index.finish(&mut state.decoded.crai);
    }
    Ok(state.decoded)
}

/// noodles' `RecordBuf::try_clone_from_alignment_record`, with the bases and quality scores
/// appended in bulk through the patched noodles-cram (`patches/README.md`): through the `Record`
/// trait they come one boxed-iterator call at a time, which made this copy the costliest step.
fn copy_record(header: &sam::Header, src: &cram::Record<'_>, dst: &mut RecordBuf) -> io::Result<()> {
    use sam::alignment::Record as _;

    let name = dst.name_mut().take();
    *dst.name_mut() = src.name().map(|src_name| match name {
        Some(mut name) => {
            name.clear();
            name.extend_from_slice(src_name);
            name
        }
        None => src_name.into(),
    });
    *dst.flags_mut() = src.flags()?;
    *dst.reference_sequence_id_mut() = src.reference_sequence_id(header).transpose()?;
    *dst.alignment_start_mut() = src.alignment_start().transpose()?;
    *dst.mapping_quality_mut() = src.mapping_quality().transpose()?;
    let cigar = dst.cigar_mut().as_mut();
    cigar.clear();
    for op in src.cigar().iter() {
        cigar.push(op?);
    }
    *dst.mate_reference_sequence_id_mut() = src.mate_reference_sequence_id(header).transpose()?;
    *dst.mate_alignment_start_mut() = src.mate_alignment_start().transpose()?;
    *dst.template_length_mut() = src.template_length()?;
    let sequence = dst.sequence_mut().as_mut();
    sequence.clear();
    src.extend_sequence(sequence);
    let scores = dst.quality_scores_mut().as_mut();
    scores.clear();
    src.extend_quality_scores(scores)?;
    let data = dst.data_mut();
    data.clear();
    for field in src.data().iter() {
        let (tag, value) = field?;
        data.insert(tag, value.try_into()?);
    }
    Ok(())
}

struct State<'a> {
    job: &'a Job,
    decoded: Decoded,
    md: Vec<u8>,
    reference: Option<(usize, Arc<fasta::record::Sequence>)>,
    reference_available: bool,
    stored_read_group: bool,
}

impl<'a> State<'a> {
    fn new(job: &'a Job, stored_read_group: bool) -> Self {
        let decoded = Decoded { sequence: job.sequence, first_record: job.first_record, ..Decoded::default() };
        Self { job, decoded, md: Vec::new(), reference: None, reference_available: false, stored_read_group }
    }

    fn next_record(&self) -> u64 {
        self.job.first_record + self.decoded.records
    }

    fn slice_error(&self, header: &sam::Header, slice: &SliceHeader, e: std::io::Error, offset: u64) -> Error {
        // noodles reports a slice whose reference MD5 differs only by this message.
        let kind = if e.to_string().starts_with("reference sequence checksum mismatch") {
            let name = usize::try_from(slice.reference_sequence_id)
                .ok()
                .and_then(|id| header.reference_sequences().get_index(id))
                .map(|(name, _)| name.to_string())
                .unwrap_or_default();
            let start = slice.alignment_start.max(0) as u64;
            let end = (slice.alignment_start + slice.alignment_span - 1).max(0) as u64;
            ErrorKind::ReferenceMismatch { name, start, end }
        } else {
            ErrorKind::InvalidContainer { offset, source: e }
        };
        Error::at(kind, self.next_record())
    }

    fn add(&mut self, header: &sam::Header, record: &mut RecordBuf, index: &mut IndexBuilder) -> Result<(), Error> {
        let number = self.next_record();
        // CRAM stores no MAPQ for unmapped records; htslib prints 0 where noodles has none.
        if record.flags().is_unmapped() && record.mapping_quality().is_none() {
            *record.mapping_quality_mut() = MappingQuality::new(0);
        }
        self.regenerate_md_nm(header, record, number)?;
        sam_text::write_record_buf(&mut self.decoded.text, header, record).map_err(|source| {
            Error::at(ErrorKind::InvalidContainer { offset: self.job.frame.offset, source }, number)
        })?;
        let flags = record.flags();
        self.decoded.records += 1;
        self.decoded.bases += record.sequence().len() as u64;
        self.decoded.statistics.add(flags);
        let key = sort_key(record);
        if let Some(previous) = self.decoded.last
            && key < previous
            && self.decoded.disorder.is_none()
        {
            let name = record.name().map(|n| n.to_string()).unwrap_or_else(|| "*".into());
            self.decoded.disorder = Some(Disorder { record: number, name, key, previous });
        }
        if self.decoded.first.is_none() {
            let name = record.name().map(|n| n.to_string()).unwrap_or_else(|| "*".into());
            self.decoded.first = Some((key, name));
        }
        self.decoded.last = Some(key);
        index.add(record);
        Ok(())
    }

    // htslib regenerates MD and NM from the reference for mapped records with a sequence when
    // the records do not store them (htslib `cram_decode_seq`); noodles does not.
    fn regenerate_md_nm(&mut self, header: &sam::Header, record: &mut RecordBuf, number: u64) -> Result<(), Error> {
        let has_md = record.data().get(&Tag::MISMATCHED_POSITIONS).is_some();
        let has_nm = record.data().get(&Tag::EDIT_DISTANCE).is_some();
        if (has_md && has_nm)
            || !self.reference_available
            || record.flags().is_unmapped()
            || record.sequence().is_empty()
        {
            return Ok(());
        }
        let (Some(id), Some(start)) = (record.reference_sequence_id(), record.alignment_start()) else { return Ok(()) };
        let reference = self.reference_sequence(header, id, number)?;
        let Some(nm) =
            md::calculate(record.cigar(), record.sequence().as_ref(), (*reference).as_ref(), start.get(), &mut self.md)
        else {
            return Ok(());
        };
        let data = record.data_mut();
        // A read group from the RG data series comes after MD and NM in htslib's output.
        let read_group = if self.stored_read_group { None } else { data.remove(&Tag::READ_GROUP) };
        if !has_md {
            data.insert(Tag::MISMATCHED_POSITIONS, Value::String(self.md.clone().into()));
        }
        if !has_nm {
            data.insert(Tag::EDIT_DISTANCE, Value::UInt32(nm));
        }
        if let Some((tag, value)) = read_group {
            data.insert(tag, value);
        }
        Ok(())
    }

    fn reference_sequence(
        &mut self,
        header: &sam::Header,
        id: usize,
        number: u64,
    ) -> Result<Arc<fasta::record::Sequence>, Error> {
        if let Some((cached, sequence)) = &self.reference
            && *cached == id
        {
            return Ok(Arc::clone(sequence));
        }
        let name = header.reference_sequences().get_index(id).map(|(name, _)| name.clone()).unwrap_or_default();
        let sequence = match self.job.repository.get(&name) {
            Some(Ok(sequence)) => sequence,
            Some(Err(e)) => {
                let kind = ErrorKind::Reference { name: name.to_string(), source: e };
                return Err(Error::at(kind, number));
            }
            None => return Err(Error::at(ErrorKind::MissingSequence { name: name.to_string() }, number)),
        };
        self.reference = Some((id, Arc::clone(&sequence)));
        Ok(sequence)
    }
}

fn sort_key(record: &RecordBuf) -> SortKey {
    match record.reference_sequence_id() {
        Some(id) => (id, record.alignment_start().map_or(0, usize::from)),
        None => (usize::MAX, 0),
    }
}

/// CRAI lines of one slice, as htslib's `cram_index_build` writes them.
struct IndexBuilder {
    container_offset: u64,
    landmark: u64,
    slice_len: u64,
    header: SliceHeader,
    // Multi-reference slices: the current run of one reference (id, start, end).
    run: Option<(i64, i64, i64)>,
    entries: Vec<Entry>,
}

impl IndexBuilder {
    fn new(container_offset: u64, landmark: u64, slice_len: u64, header: SliceHeader) -> Self {
        Self { container_offset, landmark, slice_len, header, run: None, entries: Vec::new() }
    }

    fn add(&mut self, record: &RecordBuf) {
        if self.header.reference_sequence_id != -2 {
            return;
        }
        let id = record.reference_sequence_id().map_or(-1, |id| id as i64);
        let start = record.alignment_start().map_or(0, |p| usize::from(p) as i64);
        let end = record.alignment_end().map_or(start, |p| usize::from(p) as i64);
        match &mut self.run {
            Some((run_id, run_start, run_end)) if *run_id == id => {
                *run_start = (*run_start).min(start);
                *run_end = (*run_end).max(end);
            }
            _ => {
                self.flush();
                self.run = Some((id, start, end));
            }
        }
    }

    fn flush(&mut self) {
        if let Some((id, start, end)) = self.run.take() {
            let (start, span) = if id < 0 { (0, 1) } else { (start, end - start + 1) };
            self.entries.push(self.entry(id, start, span));
        }
    }

    fn entry(&self, reference_sequence_id: i64, alignment_start: i64, alignment_span: i64) -> Entry {
        Entry {
            reference_sequence_id,
            alignment_start,
            alignment_span,
            container_offset: self.container_offset,
            landmark: self.landmark,
            slice_len: self.slice_len,
        }
    }

    fn finish(mut self, out: &mut Vec<Entry>) {
        match self.header.reference_sequence_id {
            -2 => self.flush(),
            id if id < 0 => self.entries.push(self.entry(-1, 0, 1)),
            id => {
                let entry = self.entry(i64::from(id), self.header.alignment_start, self.header.alignment_span);
                self.entries.push(entry);
            }
        }
        out.append(&mut self.entries);
    }
}
