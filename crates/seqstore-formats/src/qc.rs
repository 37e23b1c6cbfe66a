//! Quality-control statistics of a read set, gathered in the import's single pass over its
//! records: [`QcCollector`] takes each record as the scanner already holds it (a FASTQ record's
//! text, in chunks if need be; an alignment record's fields and slices, [`AlignedRead`]) and
//! counts into bounded arrays (the per-cycle and insert-size rows grow to what was counted);
//! [`QcCollector::report`] derives the [`QcReport`].
//!
//! The sections `samtools stats` has are counted as samtools 1.16 counts them (`stats.c`, with its
//! default options: no filter, `-i 8000`), so that they are equal on the same file:
//! `SN` (the totals of [`Totals`]), `RL`/`FRL`/`LRL`, `FFQ`/`LFQ`, `GCF`/`GCL`, `GCC`/`FBC`/`LBC`,
//! `IS`, and `MAPQ` (samtools 1.17 and later). That means in particular:
//! - secondary alignments (0x100) count only as such, and so do records without bases (`SEQ`
//!   `*`); supplementary alignments (0x800) count in the maximum lengths and the totals of
//!   CIGAR-mapped bases, mismatches and duplicates, but not as reads: not in lengths, cycles, GC,
//!   qualities or insert sizes; duplicates and QC failures count everywhere but in `MAPQ`;
//! - a read is a first fragment when it is unpaired, or paired with 0x40 and not 0x80; a last
//!   fragment when paired with 0x80 and not 0x40; other paired reads count in no per-cycle
//!   section;
//! - cycles follow the sequencing: a read on the reverse strand (0x10) is counted from its last
//!   stored base, without complementing the bases;
//! - a read's length counts its hard clips (`H`), its total length does not;
//! - a pair whose mates start at the same position is inward or outward by the strand of its
//!   first fragment, as samtools 1.16 has it (samtools 1.22 makes every such pair inward).
//!
//! Where this differs from samtools, by design:
//! - cycles beyond [`MAX_CYCLES`] share one bin (samtools grows its arrays to the longest read);
//! - quality values above [`MAX_QUALITY`] and the bases of reads without qualities (`*`, which
//!   samtools counts as 255) share one "unusable" bin per cycle, and the per-cycle mean and
//!   quartiles leave them out;
//! - read lengths of 1,024 or more are binned, four bins per doubling (samtools lists each);
//! - `NM` values are added when they are 0 or more (samtools would add a negative one);
//! - the sum of qualities (samtools' "average quality") leaves out reads without qualities.
//!
//! Beyond samtools: per-read mean quality and GC percentage histograms, base totals (the N count),
//! the insert sizes of properly paired reads, and mapped and unmapped records per reference
//! (`samtools idxstats`).
//!
//! Nothing is allocated per record: the arrays are allocated once, in [`QcCollector::new`] (about
//! 1.1 MB plus 16 bytes per reference sequence), and every per-base loop indexes them directly.

mod bam;
mod counts;
mod read;
mod report;
mod rows;

use noodles_sam::alignment::record::Flags;

use self::counts::{
    CLASS_OF_CODE, CLASSES, Cycles, LENGTH_BINS, QUALITY_BINS, TEXT_CLASS, UNUSABLE, add, add_rows, count_bases,
    count_classes, count_missing, count_packed_read, count_qualities, count_text_qualities, count_text_read,
    gc_of_packed, gc_of_text, length_bin, text_codes, zeroed,
};
pub use self::read::{AlignedRead, Bases, CigarCounts};
pub use self::report::{
    BaseCounts, Cycle, InsertSizeBin, InsertSizes, LengthBin, QcReport, QualitySummary, ReferenceCounts, Totals,
};
use self::rows::Rows;

/// Cycles counted one by one; later cycles share one bin.
pub const MAX_CYCLES: usize = 500;
/// The highest quality value with a bin of its own (Phred+33 `~`, the highest FASTQ and SAM can
/// print).
pub const MAX_QUALITY: u8 = 93;
/// Bins of samtools' GC-content histograms (`GCF`/`GCL`): bin `i` is GC fraction `i / 199`.
pub const GC_BINS: usize = 200;
/// Insert sizes counted one by one (samtools stats `-i`); larger ones count as this one.
pub const MAX_INSERT_SIZE: usize = 8000;

/// Bins of the per-read GC percentage histogram: 0 to 100 %.
const GC_PERCENT_BINS: usize = 101;
/// Columns of the insert size histogram: inward, outward, other orientation, properly paired.
const INSERT_COLUMNS: usize = 4;

/// Which file of a FASTQ read set a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mate {
    /// The only file: counted as samtools counts an unpaired read (a first fragment).
    Single,
    /// The first file of a pair (R1): a first fragment.
    First,
    /// The second file of a pair (R2): a last fragment.
    Last,
}

impl Mate {
    /// The flags `samtools import` gives such a record: unmapped, and paired with its mate
    /// unmapped and 0x40 or 0x80 for a pair's files.
    fn flags(self) -> Flags {
        let pair = Flags::SEGMENTED | Flags::UNMAPPED | Flags::MATE_UNMAPPED;
        match self {
            Mate::Single => Flags::UNMAPPED,
            Mate::First => pair | Flags::FIRST_SEGMENT,
            Mate::Last => pair | Flags::LAST_SEGMENT,
        }
    }
}

/// Which per-cycle arrays a read counts in (samtools' `READ_ORDER_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    First,
    Last,
    Other,
}

impl Order {
    fn of(flags: Flags) -> Self {
        if !flags.is_segmented() {
            return Order::First;
        }
        match (flags.is_first_segment(), flags.is_last_segment()) {
            (true, false) => Order::First,
            (false, true) => Order::Last,
            _ => Order::Other,
        }
    }
}

/// A FASTQ record being counted chunk by chunk.
#[derive(Debug, Clone, Copy)]
struct OpenRead {
    mate: Mate,
    bases: usize,
    /// Bases of the first [`MAX_CYCLES`] whose codes (held in [`QcCollector::codes`]) have
    /// been counted: counting waits for their qualities, to count both in one pass.
    flushed: usize,
    qualities: usize,
    quality_sum: u64,
    gc: u64,
}

/// Accumulates the statistics of one read set, or of one file of it ([`QcCollector::merge`]
/// joins them).
///
/// Records are counted as they come, with [`QcCollector::add_alignment`] (BAM, CRAM) or
/// [`QcCollector::add_fastq`] (FASTQ; or [`QcCollector::begin_fastq`] … [`QcCollector::end_fastq`]
/// for a record whose lines are read in chunks). Counting allocates nothing; only
/// [`QcCollector::new`], [`QcCollector::merge`] (with a collector of more reference sequences)
/// and [`QcCollector::report`] do.
#[derive(Clone)]
pub struct QcCollector {
    totals: Totals,
    first: Cycles,
    last: Cycles,
    /// Read lengths: of all reads, of first fragments, of last fragments.
    lengths: [Box<[u64; LENGTH_BINS]>; 3],
    /// samtools' `GCF` and `GCL`.
    gc: [[u64; GC_BINS]; 2],
    gc_percent: [u64; GC_PERCENT_BINS],
    mean_quality: [u64; QUALITY_BINS],
    mapping_quality: [u64; 256],
    /// Each pair's reads both count here: the report halves the counts, as samtools does.
    insert_sizes: Rows<INSERT_COLUMNS, { MAX_INSERT_SIZE + 1 }>,
    /// Mapped and unmapped records placed on each reference sequence.
    references: Vec<[u64; 2]>,
    /// Mapped and unmapped records placed on none (or on one beyond those of [`QcCollector::new`]).
    unplaced: [u64; 2],
    /// Bases of reads neither first nor last fragments, by class (those of first and last
    /// fragments are in their cycles).
    other_bases: [u64; CLASSES],
    open: Option<OpenRead>,
    /// The joint codes (`counts::text_codes`) of the open FASTQ record's first [`MAX_CYCLES`]
    /// bases.
    codes: Box<[u8; MAX_CYCLES]>,
}

impl std::fmt::Debug for QcCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QcCollector").field("totals", &self.totals).finish_non_exhaustive()
    }
}

/// Collectors are equal when their reports are (which builds both).
impl PartialEq for QcCollector {
    fn eq(&self, other: &Self) -> bool {
        self.report() == other.report()
    }
}

impl QcCollector {
    /// An empty collector for records aligned to `references` reference sequences (their `@SQ`
    /// lines, in order; 0 for FASTQ and unaligned BAM).
    pub fn new(references: usize) -> Self {
        Self {
            totals: Totals::default(),
            first: Cycles::new(),
            last: Cycles::new(),
            lengths: [zeroed(0), zeroed(0), zeroed(0)],
            gc: [[0; GC_BINS]; 2],
            gc_percent: [0; GC_PERCENT_BINS],
            mean_quality: [0; QUALITY_BINS],
            mapping_quality: [0; 256],
            insert_sizes: Rows::new(),
            references: vec![[0; 2]; references],
            unplaced: [0; 2],
            other_bases: [0; CLASSES],
            open: None,
            codes: zeroed(0),
        }
    }

    /// Counts one FASTQ record: its sequence and quality lines (Phred+33), from `mate`'s file.
    /// Counted as `samtools stats` counts the record `samtools import` makes of it (flags 0x4 for
    /// a single file, 0x4D and 0x8D for a pair's files; bases as htslib codes them, where
    /// `samtools import` refuses `U`, `.` and `=`). A quality line of another length than the
    /// sequence counts as no qualities.
    pub fn add_fastq(&mut self, sequence: &[u8], quality: &[u8], mate: Mate) {
        self.begin_fastq(mate);
        self.fastq_bases(sequence);
        if quality.len() == sequence.len() {
            self.fastq_qualities(quality);
        }
        self.end_fastq();
    }

    /// Starts a FASTQ record from `mate`'s file whose lines come in chunks: then
    /// [`QcCollector::fastq_bases`] with each chunk of the sequence line,
    /// [`QcCollector::fastq_qualities`] with each chunk of the quality line, and
    /// [`QcCollector::end_fastq`]. A record begun and not ended is dropped by the next begin.
    pub fn begin_fastq(&mut self, mate: Mate) {
        self.open = Some(OpenRead { mate, bases: 0, flushed: 0, qualities: 0, quality_sum: 0, gc: 0 });
    }

    /// Counts the next bases of the record begun (nothing when none is).
    pub fn fastq_bases(&mut self, chunk: &[u8]) {
        let Some(read) = &mut self.open else { return };
        let rows = match Order::of(read.mate.flags()) {
            Order::First => &mut self.first.bases,
            Order::Last => &mut self.last.bases,
            Order::Other => {
                count_classes(&mut self.other_bases, chunk.iter().map(|&b| TEXT_CLASS[usize::from(b)]));
                read.gc += gc_of_text(chunk);
                read.bases += chunk.len();
                return;
            }
        };
        // The first cycles' codes wait for their qualities; later ones share one bin anyway.
        let held = chunk.len().min(MAX_CYCLES.saturating_sub(read.bases));
        let (first, rest) = chunk.split_at(held);
        let start = read.bases;
        if held > 0 {
            text_codes(&mut self.codes[start..start + held], first);
        }
        count_bases(rows, start + held, rest.iter().map(|&b| TEXT_CLASS[usize::from(b)]));
        read.gc += gc_of_text(chunk);
        read.bases += chunk.len();
    }

    /// Counts the next quality values (Phred+33 text; a byte below `!` counts as an unusable value)
    /// of the record begun (nothing when none is).
    pub fn fastq_qualities(&mut self, chunk: &[u8]) {
        let Some(read) = &mut self.open else { return };
        let cycles = match Order::of(read.mate.flags()) {
            Order::First => Some(&mut self.first),
            Order::Last => Some(&mut self.last),
            Order::Other => None,
        };
        // A byte below `!` wraps around to far above 93: unusable.
        let value = |q: u8| q.wrapping_sub(33);
        let mut rest = chunk;
        if let Some(cycles) = cycles {
            // The cycles whose codes are held: bases and qualities counted in one pass.
            let start = read.qualities;
            let fused = rest.len().min(read.bases.min(MAX_CYCLES).saturating_sub(start));
            if fused > 0 && read.flushed == start {
                let (now, later) = rest.split_at(fused);
                let codes = &self.codes[start..start + fused];
                read.quality_sum += count_text_qualities(cycles, start, codes, now);
                read.flushed = start + fused;
                read.qualities += fused;
                rest = later;
            }
            read.quality_sum +=
                count_qualities(Some(&mut cycles.qualities), read.qualities, rest.iter().map(|&q| value(q)));
        } else {
            read.quality_sum += count_qualities(None, read.qualities, rest.iter().map(|&q| value(q)));
        }
        read.qualities += rest.len();
    }

    /// Ends the record begun (nothing when none is). Its quality values must have been as many as
    /// its bases; none at all counts as a read without qualities.
    pub fn end_fastq(&mut self) {
        let Some(read) = self.open.take() else { return };
        let flags = read.mate.flags();
        // Held codes not counted with qualities (a record without them).
        let held = read.bases.min(MAX_CYCLES);
        if read.flushed < held {
            let rows = match Order::of(flags) {
                Order::First => Some(&mut self.first.bases),
                Order::Last => Some(&mut self.last.bases),
                Order::Other => None,
            };
            if let Some(rows) = rows {
                let codes = self.codes[read.flushed..held].iter();
                count_bases(rows, read.flushed, codes.map(|&code| CLASS_OF_CODE[usize::from(code & 7)]));
            }
        }
        self.totals.records += 1;
        self.unplaced[1] += 1;
        if read.bases == 0 {
            return;
        }
        let len = read.bases as u64;
        self.count_lengths(Order::of(flags), len, len);
        let quality_sum = match read.qualities {
            0 => {
                self.count_missing_qualities(Order::of(flags), read.bases);
                None
            }
            _ => Some(read.quality_sum),
        };
        let facts = ReadFacts { flags, bases: len, gc: read.gc, quality_sum, mapping_quality: 0 };
        self.count_original(&facts, None, None);
    }

    /// Counts one alignment record (BAM, CRAM).
    pub fn add_alignment(&mut self, read: &AlignedRead<'_>) {
        let flags = read.flags;
        self.totals.records += 1;
        let unmapped = usize::from(flags.is_unmapped());
        match read.reference_id.and_then(|id| self.references.get_mut(id)) {
            Some(counts) => counts[unmapped] += 1,
            None => self.unplaced[unmapped] += 1,
        }
        if flags.is_secondary() {
            self.totals.secondary += 1;
            return;
        }
        let original = !flags.is_supplementary();
        if !original {
            self.totals.supplementary += 1;
        }
        let len = read.bases.len();
        if len == 0 {
            return;
        }
        let bases = len as u64;
        if flags.is_duplicate() {
            self.totals.reads_duplicated += 1;
            self.totals.bases_duplicated += bases;
        }
        let order = Order::of(flags);
        let read_length = bases + read.cigar.hard_clipped;
        self.count_lengths(order, read_length, if original { read_length } else { 0 });
        let excluded = Flags::UNMAPPED | Flags::SUPPLEMENTARY | Flags::QC_FAIL | Flags::DUPLICATE;
        if !flags.intersects(excluded) {
            self.mapping_quality[usize::from(read.mapping_quality)] += 1;
        }
        if original {
            let (gc, quality_sum) = self.count_cycles(order, read, len);
            let mapping_quality = read.mapping_quality;
            let facts = ReadFacts { flags, bases, gc, quality_sum, mapping_quality };
            self.count_original(&facts, read.reference_id, read.mate_reference_id);
        }
        if flags.is_unmapped() {
            return;
        }
        if original && is_paired_and_mapped(flags) {
            self.count_insert_size(read);
        }
        if let Some(nm) = read.edit_distance {
            self.totals.mismatches += u64::from(nm);
        }
        self.totals.bases_mapped_cigar += read.cigar.aligned;
    }

    /// Adds the counts of `other` (the other file of a FASTQ pair, or records counted on another
    /// thread). Reference sequences are matched by index.
    pub fn merge(&mut self, other: &QcCollector) {
        self.totals.merge(&other.totals);
        self.first.merge(&other.first);
        self.last.merge(&other.last);
        for (to, from) in self.lengths.iter_mut().zip(&other.lengths) {
            add(&mut to[..], &from[..]);
        }
        add_rows(&mut self.gc, &other.gc);
        add(&mut self.gc_percent, &other.gc_percent);
        add(&mut self.mean_quality, &other.mean_quality);
        add(&mut self.mapping_quality, &other.mapping_quality);
        self.insert_sizes.add(&other.insert_sizes);
        if self.references.len() < other.references.len() {
            self.references.resize(other.references.len(), [0; 2]);
        }
        add_rows(&mut self.references, &other.references);
        add(&mut self.unplaced, &other.unplaced);
        add(&mut self.other_bases, &other.other_bases);
    }

    /// The statistics so far, with the values derived from them.
    pub fn report(&self) -> QcReport {
        report::build(self)
    }

    /// Counts a read's length (`read_length`, with hard clips) among the maxima, and, unless
    /// `histogram_length` is 0, in the length histograms.
    fn count_lengths(&mut self, order: Order, read_length: u64, histogram_length: u64) {
        let t = &mut self.totals;
        t.maximum_length = t.maximum_length.max(read_length);
        let fragment = match order {
            Order::First => Some((&mut t.maximum_first_fragment_length, 1)),
            Order::Last => Some((&mut t.maximum_last_fragment_length, 2)),
            Order::Other => None,
        };
        let bin = length_bin(histogram_length);
        if let Some((maximum, lengths)) = fragment {
            *maximum = (*maximum).max(read_length);
            if histogram_length > 0 {
                self.lengths[lengths][bin] += 1;
            }
        }
        if histogram_length > 0 {
            self.lengths[0][bin] += 1;
        }
    }

    /// Counts an alignment record's bases and qualities per cycle (for first and last
    /// fragments; the classes of other reads' bases): its C and G bases and the sum of its
    /// qualities (`None` without qualities).
    fn count_cycles(&mut self, order: Order, read: &AlignedRead<'_>, len: usize) -> (u64, Option<u64>) {
        let reverse = read.flags.is_reverse_complemented();
        let mut cycles = match order {
            Order::First => Some(&mut self.first),
            Order::Last => Some(&mut self.last),
            Order::Other => None,
        };
        // The common case in one pass: a whole read of a first or last fragment, with qualities,
        // no longer than the cycles counted one by one.
        if let (Some(cycles), Some(values)) = (cycles.as_deref_mut(), read.usable_qualities())
            && len <= MAX_CYCLES
        {
            let (gc, sum) = match read.bases {
                // `len` (the values' length) is at most what the codes hold: see `Bases::len`.
                Bases::Packed { codes, .. } => count_packed_read(cycles, codes, values, reverse),
                Bases::Text(text) => count_text_read(cycles, text, values, reverse),
            };
            return (gc, Some(sum));
        }
        let (base_rows, quality_rows) = match cycles {
            Some(c) => (Some(&mut c.bases), Some(&mut c.qualities)),
            None => (None, None),
        };
        let other = &mut self.other_bases;
        let gc = match read.bases {
            Bases::Packed { codes, .. } => {
                let classes = (0..len).map(|i| packed_class(codes, i));
                match (base_rows, reverse) {
                    (Some(rows), false) => count_bases(rows, 0, classes),
                    (Some(rows), true) => count_bases(rows, 0, classes.rev()),
                    (None, _) => count_classes(other, classes),
                }
                gc_of_packed(codes, len)
            }
            Bases::Text(text) => {
                let classes = text.iter().map(|&b| TEXT_CLASS[usize::from(b)]);
                match (base_rows, reverse) {
                    (Some(rows), false) => count_bases(rows, 0, classes),
                    (Some(rows), true) => count_bases(rows, 0, classes.rev()),
                    (None, _) => count_classes(other, classes),
                }
                gc_of_text(text)
            }
        };
        let quality_sum = match (read.usable_qualities(), reverse) {
            (Some(values), false) => Some(count_qualities(quality_rows, 0, values.iter().copied())),
            (Some(values), true) => Some(count_qualities(quality_rows, 0, values.iter().rev().copied())),
            (None, _) => {
                self.count_missing_qualities(order, len);
                None
            }
        };
        (gc, quality_sum)
    }

    /// Counts `len` bases of a read without qualities in the unusable bins of its cycles.
    fn count_missing_qualities(&mut self, order: Order, len: usize) {
        match order {
            Order::First => count_missing(&mut self.first.qualities, 0, len),
            Order::Last => count_missing(&mut self.last.qualities, 0, len),
            Order::Other => {}
        }
    }

    /// Counts a read that is neither secondary nor supplementary and has bases (samtools'
    /// `collect_orig_read_stats`), its cycles counted; `reference_id` and `mate_reference_id`
    /// as the record gives them.
    fn count_original(&mut self, read: &ReadFacts, reference_id: Option<usize>, mate_reference_id: Option<usize>) {
        let flags = read.flags;
        let order = Order::of(flags);
        let t = &mut self.totals;
        t.sequences += 1;
        t.total_length += read.bases;
        t.reads_qc_failed += u64::from(flags.is_qc_fail());
        t.reads_paired += u64::from(flags.is_segmented());
        let gc = read.gc;
        match order {
            Order::First => {
                t.first_fragments += 1;
                t.first_fragment_length += read.bases;
                count_gc(&mut self.gc[0], gc, read.bases);
            }
            Order::Last => {
                t.last_fragments += 1;
                t.last_fragment_length += read.bases;
                count_gc(&mut self.gc[1], gc, read.bases);
            }
            Order::Other => t.other_fragments += 1,
        }
        self.gc_percent[((200 * gc + read.bases) / (2 * read.bases)) as usize] += 1;
        match read.quality_sum {
            Some(sum) => {
                if order != Order::Other {
                    t.quality_sum += sum;
                }
                self.mean_quality[((sum / read.bases) as usize).min(UNUSABLE)] += 1;
            }
            None => {
                t.reads_without_quality += 1;
                self.mean_quality[UNUSABLE] += 1;
            }
        }
        if flags.is_unmapped() {
            t.reads_unmapped += 1;
            return;
        }
        t.reads_mapped += 1;
        t.bases_mapped += read.bases;
        t.reads_mq0 += u64::from(read.mapping_quality == 0);
        if is_paired_and_mapped(flags) {
            t.reads_mapped_and_paired += 1;
            t.reads_properly_paired += u64::from(flags.is_properly_segmented());
            t.reads_on_different_references += u64::from(reference_id != mate_reference_id);
        }
    }

    /// Counts the insert size of a mapped read of a pair with both mates mapped (samtools
    /// 1.16's orientation: a pair whose mates start at the same position is inward when the
    /// first fragment is forward).
    fn count_insert_size(&mut self, read: &AlignedRead<'_>) {
        let size = read.template_length.unsigned_abs().min(MAX_INSERT_SIZE as u32) as usize;
        if size == 0 && read.reference_id != read.mate_reference_id {
            return;
        }
        let flags = read.flags;
        let position = |p: Option<usize>| p.map_or(-1, |p| p as i64 - 1);
        let towards_mate = position(read.mate_position) - position(read.position);
        let first = if flags.is_first_segment() { 1 } else { -1 };
        let forward = if flags.is_reverse_complemented() { -1 } else { 1 };
        let mate_forward = if flags.is_mate_reverse_complemented() { -1 } else { 1 };
        const INWARD: usize = 0;
        const OUTWARD: usize = 1;
        const OTHER: usize = 2;
        const PROPER: usize = 3;
        let column = if forward * mate_forward > 0 {
            OTHER
        } else if (first * towards_mate >= 0) == (first * forward > 0) {
            INWARD
        } else {
            OUTWARD
        };
        let counts = self.insert_sizes.row(size);
        counts[column] += 1;
        counts[PROPER] += u64::from(flags.is_properly_segmented());
    }
}

/// What [`QcCollector::count_original`] needs of a read.
struct ReadFacts {
    flags: Flags,
    bases: u64,
    /// C and G bases.
    gc: u64,
    quality_sum: Option<u64>,
    mapping_quality: u8,
}

/// Paired (0x1), mapped, and its mate mapped (samtools' `IS_PAIRED_AND_MAPPED`).
fn is_paired_and_mapped(flags: Flags) -> bool {
    flags.is_segmented() && !flags.is_unmapped() && !flags.is_mate_unmapped()
}

/// samtools' GC histogram: a read of `len` bases with `gc` of them C or G counts in every bin from
/// `gc × 199 / len` up to, not including, `(gc + 1) × 199 / len` (so a read shorter than 199
/// bases counts in several bins, and a longer one in one or none).
fn count_gc(bins: &mut [u64; GC_BINS], gc: u64, len: u64) {
    let scale = GC_BINS as u64 - 1;
    let from = (gc * scale / len) as usize;
    let to = (((gc + 1) * scale / len) as usize).min(GC_BINS - 1);
    if from < to {
        bins[from..to].iter_mut().for_each(|bin| *bin += 1);
    }
}

/// The class of packed base `i` (which [`Bases::len`] bounds).
fn packed_class(codes: &[u8], i: usize) -> u8 {
    let byte = codes[i >> 1];
    let code = if i & 1 == 0 { byte >> 4 } else { byte & 0x0f };
    counts::NT16_CLASS[usize::from(code)]
}

#[cfg(test)]
mod tests;
