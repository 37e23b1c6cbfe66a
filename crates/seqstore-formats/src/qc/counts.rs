//! The counting arrays and the per-base loops that fill them: base classes per cycle, quality
//! values per cycle, and the bins of lengths. The per-cycle rows grow to the cycles counted
//! ([`Rows`]); the joint counts are allocated once a collector has counted [`DIRECT_READS`] reads.

use super::rows::Rows;
use super::{MAX_CYCLES, MAX_QUALITY};

/// Cycle bins: cycles 1 to [`MAX_CYCLES`] each have their own, every later cycle shares the last.
pub(super) const CYCLE_BINS: usize = MAX_CYCLES + 1;
/// Quality bins: one per value 0 to [`MAX_QUALITY`], then [`UNUSABLE`].
pub(super) const QUALITY_BINS: usize = MAX_QUALITY as usize + 2;
/// The quality bin of values above [`MAX_QUALITY`] (which BAM can store but SAM and FASTQ cannot
/// print) and of bases whose read has no qualities (`*`).
pub(super) const UNUSABLE: usize = QUALITY_BINS - 1;

/// Base classes, samtools' `GCC` columns in order: A, C, G, T, N, other (`=` and the IUPAC
/// ambiguity codes but N); counted in rows of eight, the last two unused, so that a cycle's row
/// is one cache line and a class (masked with 7) indexes it without a bounds check.
pub(super) const CLASSES: usize = 8;
const A: u8 = 0;
const C: u8 = 1;
const G: u8 = 2;
const T: u8 = 3;
const N: u8 = 4;
const OTHER: u8 = 5;

/// The class of each 4-bit BAM base code (`=ACMGRSVTWYHKDBN`), as samtools stats counts it.
pub(super) const NT16_CLASS: [u8; 16] =
    [OTHER, A, C, OTHER, G, OTHER, OTHER, OTHER, T, OTHER, OTHER, OTHER, OTHER, OTHER, OTHER, N];

/// The class of each byte of a base as text: the class of the code htslib's `seq_nt16_table`
/// gives it (either case; `U` is T; `=` and the ambiguity codes are other; any other byte, `.`
/// included, is N), so FASTQ counts as it does once `samtools import` has made it BAM.
pub(super) const TEXT_CLASS: [u8; 256] = {
    let mut table = [N; 256];
    let classes: [(u8, u8); 17] = [
        (b'A', A),
        (b'C', C),
        (b'G', G),
        (b'T', T),
        (b'U', T),
        (b'M', OTHER),
        (b'R', OTHER),
        (b'S', OTHER),
        (b'V', OTHER),
        (b'W', OTHER),
        (b'Y', OTHER),
        (b'H', OTHER),
        (b'K', OTHER),
        (b'D', OTHER),
        (b'B', OTHER),
        (b'N', N),
        (b'=', OTHER),
    ];
    let mut i = 0;
    while i < classes.len() {
        let (byte, class) = classes[i];
        table[byte as usize] = class;
        table[byte.to_ascii_lowercase() as usize] = class;
        i += 1;
    }
    table
};

/// The code of each class in the joint counts: for A, C, G, T and N, bits 1 to 3 of their
/// letter (either case), which a loop the compiler vectorises computes ([`text_codes`]); the
/// other class and the two unused ones take the codes left.
const CODE_OF_CLASS: [u8; CLASSES] = [0, 1, 3, 2, 7, 5, 4, 6];
/// The class of each code ([`CODE_OF_CLASS`] inverted).
pub(super) const CLASS_OF_CODE: [u8; CLASSES] = {
    let mut table = [0; CLASSES];
    let mut class = 0;
    while class < CLASSES {
        table[CODE_OF_CLASS[class] as usize] = class as u8;
        class += 1;
    }
    table
};

/// Writes the joint code of each base of `text` (as its class: [`TEXT_CLASS`]) into `codes` (as
/// long): computed from the letters when they are all A, C, G, T or N (either case), looked up
/// otherwise.
pub(super) fn text_codes(codes: &mut [u8], text: &[u8]) {
    let unusual =
        text.iter().fold(0u8, |any, &b| any | u8::from(!matches!(b | 0x20, b'a' | b'c' | b'g' | b't' | b'n')));
    if unusual == 0 {
        codes.iter_mut().zip(text).for_each(|(code, &b)| *code = (b >> 1) & 7);
    } else {
        codes
            .iter_mut()
            .zip(text)
            .for_each(|(code, &b)| *code = CODE_OF_CLASS[usize::from(TEXT_CLASS[usize::from(b)])]);
    }
}

/// Joint cells: one per (quality bin, base class), quality-major.
const JOINT: usize = QUALITY_BINS * CLASSES;
/// Joint counts held: `JOINT` rows of `MAX_CYCLES` cycles.
const JOINT_COUNTS: usize = JOINT * MAX_CYCLES;
/// The length of the joint counts' vector: a power of two above [`JOINT_COUNTS`], so that an
/// index masked with `JOINT_CAPACITY - 1` is in bounds without a check in the counting loop (the
/// counts past [`JOINT_COUNTS`] stay zero, and their pages are never touched).
const JOINT_CAPACITY: usize = JOINT_COUNTS.next_power_of_two();

/// A joint count.
type Joint = u16;

/// Base classes per cycle bin.
pub(super) type BaseRows = Rows<CLASSES, CYCLE_BINS>;
/// Quality values per cycle bin.
pub(super) type QualityRows = Rows<QUALITY_BINS, CYCLE_BINS>;

/// Reads of one kind of fragment counted straight into the 64-bit counts before the joint ones
/// are allocated: zeroing [`JOINT_CAPACITY`] counts (1 MiB) costs about what counting a few
/// hundred reads the slower way does, and a store of many tiny files paid it for every one (#28).
const DIRECT_READS: u32 = 512;

/// Counts per cycle of one kind of fragment (first or last).
///
/// The one-pass loops ([`Cycles::count_joint`]) count a base and its quality with a single
/// increment, in 16-bit joint counts of the cycles counted one by one, held cell by cell (a row of
/// cycles for each (quality, code) pair): a read's bases then fall on the few pages of the
/// pairs it has rather than on a page for each cycle, which matters more to the counting loop
/// than the increments themselves, and on half the cache lines 32-bit counts would take. Each
/// read adds at most one to a joint count, so they are folded into the 64-bit counts before
/// [`Joint::MAX`] reads (a pass over them every 65,535 reads); [`Cycles::folded`] gives the sum.
#[derive(Clone)]
pub(super) struct Cycles {
    /// Base classes per cycle bin.
    pub(super) bases: BaseRows,
    /// Quality values per cycle bin.
    pub(super) qualities: QualityRows,
    /// Bases counted with their quality, per joint cell (`JOINT` rows of `MAX_CYCLES` cycles,
    /// see [`joint_index`]; [`JOINT_CAPACITY`] long), not yet in `bases` and `qualities`; empty
    /// until [`DIRECT_READS`] reads were counted without it (a collector of single-end reads never
    /// fills its last fragments', and a file of two reads must not pay for zeroing 1 MiB).
    joint: Vec<Joint>,
    /// Reads counted straight into `bases` and `qualities` while `joint` was empty.
    direct_reads: u32,
    /// Reads (at least) counted in `joint` since it was last folded.
    joint_reads: u32,
    /// Cycles of each row of `joint` touched since it was last folded (the longest read's end):
    /// folding reads and clears only those.
    joint_cycles: usize,
    /// Scratch: the indexes in `joint` of the read being counted.
    indexes: Box<[u32; MAX_CYCLES]>,
}

impl Cycles {
    pub(super) fn new() -> Self {
        Self {
            bases: Rows::new(),
            qualities: Rows::new(),
            joint: Vec::new(),
            direct_reads: 0,
            joint_reads: 0,
            joint_cycles: 0,
            indexes: zeroed(0),
        }
    }

    /// Moves the joint counts into `bases` and `qualities`.
    fn fold(&mut self) {
        let cycles = self.joint_cycles;
        add_joint((&mut self.bases, &mut self.qualities), &self.joint, cycles);
        self.joint.chunks_exact_mut(MAX_CYCLES).take(JOINT).for_each(|row| row[..cycles].fill(0));
        self.joint_reads = 0;
        self.joint_cycles = 0;
    }

    /// These counts with the joint ones folded in.
    pub(super) fn folded(&self) -> Cycles {
        let mut folded = Cycles::new();
        folded.bases.clone_from(&self.bases);
        folded.qualities.clone_from(&self.qualities);
        add_joint((&mut folded.bases, &mut folded.qualities), &self.joint, self.joint_cycles);
        folded
    }

    pub(super) fn merge(&mut self, other: &Cycles) {
        self.bases.add(&other.bases);
        self.qualities.add(&other.qualities);
        add_joint((&mut self.bases, &mut self.qualities), &other.joint, other.joint_cycles);
    }
}

/// Adds `joint` counts (the first `cycles` of each of its first `JOINT` rows; the others are
/// zero) to the 64-bit ones.
fn add_joint((bases, qualities): (&mut BaseRows, &mut QualityRows), joint: &[Joint], cycles: usize) {
    if joint.is_empty() {
        return;
    }
    let (bases, qualities) = (bases.reach(cycles), qualities.reach(cycles));
    for (cell, row) in joint.chunks_exact(MAX_CYCLES).take(JOINT).enumerate() {
        let (quality, class) = (cell / CLASSES, usize::from(CLASS_OF_CODE[cell % CLASSES]));
        for (cycle, &n) in row[..cycles].iter().enumerate().filter(|&(_, &n)| n > 0) {
            bases[cycle][class] += u64::from(n);
            qualities[cycle][quality] += u64::from(n);
        }
    }
}

/// A boxed array of `N` copies of `value`, built on the heap (the arrays are too large for the
/// stack of a test thread).
pub(super) fn zeroed<T: Clone, const N: usize>(value: T) -> Box<[T; N]> {
    match vec![value; N].into_boxed_slice().try_into() {
        Ok(array) => array,
        Err(_) => unreachable!("a vector of N elements is an array of N"),
    }
}

/// Adds `from` to `to`, element by element.
pub(super) fn add(to: &mut [u64], from: &[u64]) {
    to.iter_mut().zip(from).for_each(|(a, b)| *a += b);
}

/// Adds `from` to `to`, row by row.
pub(super) fn add_rows<const W: usize>(to: &mut [[u64; W]], from: &[[u64; W]]) {
    to.iter_mut().zip(from).for_each(|(a, b)| add(a, b));
}

/// Counts `classes` (one per base, in cycle order, the first at 0-based cycle `start`) into
/// `rows`.
pub(super) fn count_bases(rows: &mut BaseRows, start: usize, mut classes: impl ExactSizeIterator<Item = u8>) {
    let rows = rows.reach(start + classes.len());
    let (own, shared) = rows.split_at_mut(rows.len().min(MAX_CYCLES));
    for (row, class) in own.iter_mut().skip(start).zip(classes.by_ref()) {
        row[usize::from(class & 7)] += 1;
    }
    // Held whenever a class is left: the rows reach past MAX_CYCLES.
    if let Some(last) = shared.first_mut() {
        for class in classes {
            last[usize::from(class & 7)] += 1;
        }
    }
}

/// Counts `classes` into `totals`.
pub(super) fn count_classes(totals: &mut [u64; CLASSES], classes: impl Iterator<Item = u8>) {
    classes.for_each(|class| totals[usize::from(class & 7)] += 1);
}

/// The C and G bases of `text` (either case): counted in byte lanes, 255 bases at a time.
pub(super) fn gc_of_text(text: &[u8]) -> u64 {
    text.chunks(255)
        .map(|chunk| chunk.iter().fold(0u8, |n, &b| n + u8::from(matches!(b | 0x20, b'c' | b'g'))))
        .map(u64::from)
        .sum()
}

/// The C and G bases of the first `len` packed `codes` (codes 2 and 4).
pub(super) fn gc_of_packed(codes: &[u8], len: usize) -> u64 {
    let is_gc = |code: u8| u64::from((code == 2) | (code == 4));
    let (pairs, odd) = (len / 2, len % 2 == 1);
    let whole: u64 = codes[..pairs].iter().map(|&b| is_gc(b >> 4) + is_gc(b & 0x0f)).sum();
    whole + if odd { is_gc(codes[pairs] >> 4) } else { 0 }
}

/// Counts quality `values` (one per base, in cycle order, the first at 0-based cycle `start`)
/// into `rows` when given; their sum.
pub(super) fn count_qualities(
    rows: Option<&mut QualityRows>,
    start: usize,
    mut values: impl ExactSizeIterator<Item = u8>,
) -> u64 {
    let bin = |value: u8| usize::from(value).min(UNUSABLE);
    let Some(rows) = rows else {
        return values.map(u64::from).sum();
    };
    let mut sum = 0;
    let rows = rows.reach(start + values.len());
    let (own, shared) = rows.split_at_mut(rows.len().min(MAX_CYCLES));
    for (row, value) in own.iter_mut().skip(start).zip(values.by_ref()) {
        row[bin(value)] += 1;
        sum += u64::from(value);
    }
    // Held whenever a value is left: the rows reach past MAX_CYCLES.
    if let Some(last) = shared.first_mut() {
        for value in values {
            last[bin(value)] += 1;
            sum += u64::from(value);
        }
    }
    sum
}

/// The joint code of each BAM byte's two packed bases (high nibble first).
const PACKED_PAIR_CODES: [[u8; 2]; 256] = {
    let mut table = [[0; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = [CODE_OF_CLASS[NT16_CLASS[byte >> 4] as usize], CODE_OF_CLASS[NT16_CLASS[byte & 0x0f] as usize]];
        byte += 1;
    }
    table
};

/// Counts a whole read in one pass (the common case, kept apart for speed): its `len` bases from
/// the packed `nt16` codes and their quality `values` (`values.len()` is `len`, at most
/// [`MAX_CYCLES`]) into `cycles` from cycle 1, in reverse order of cycles when `reverse`; the
/// read's C and G bases and the sum of its qualities. The bases are decoded into a buffer of
/// joint codes first, two a byte, so that the counting loop is plain.
pub(super) fn count_packed_read(cycles: &mut Cycles, nt16: &[u8], values: &[u8], reverse: bool) -> (u64, u64) {
    let len = values.len().min(MAX_CYCLES);
    let mut codes = [0u8; MAX_CYCLES + 1];
    for (pair, &byte) in codes.chunks_exact_mut(2).zip(nt16) {
        pair.copy_from_slice(&PACKED_PAIR_CODES[usize::from(byte)]);
    }
    count_read(cycles, &codes[..len], &values[..len], reverse)
}

/// Counts a whole read in one pass: its bases as text and their quality `values` (as long, at
/// most [`MAX_CYCLES`]) as [`count_packed_read`] does.
pub(super) fn count_text_read(cycles: &mut Cycles, text: &[u8], values: &[u8], reverse: bool) -> (u64, u64) {
    let len = values.len().min(text.len()).min(MAX_CYCLES);
    let mut codes = [0u8; MAX_CYCLES];
    text_codes(&mut codes[..len], &text[..len]);
    count_read(cycles, &codes[..len], &values[..len], reverse)
}

/// Counts bases given by joint `codes` and their raw quality `values` (as many, at most
/// [`MAX_CYCLES`]) from cycle 1 (backwards from cycle `len` when `reverse`): their C and G bases
/// and the sum of the values.
fn count_read(cycles: &mut Cycles, codes: &[u8], values: &[u8], reverse: bool) -> (u64, u64) {
    // In lanes the compiler vectorises: 16 bits for at most MAX_CYCLES ones, 32 for at most
    // MAX_CYCLES values of at most 255.
    let (c, g) = (CODE_OF_CLASS[usize::from(C)], CODE_OF_CLASS[usize::from(G)]);
    let gc: u16 = codes.iter().map(|&code| u16::from(code == c || code == g)).sum();
    let sum: u32 = values.iter().map(|&q| u32::from(q)).sum();
    cycles.count_joint(0, codes, values, reverse);
    (u64::from(gc), u64::from(sum))
}

/// Counts bases given by joint `codes` with their Phred+33 `text` qualities (as many) from 0-based
/// cycle `start` (their end at most [`MAX_CYCLES`]): the sum of the values (a byte below `!`
/// counts as unusable).
pub(super) fn count_text_qualities(cycles: &mut Cycles, start: usize, codes: &[u8], text: &[u8]) -> u64 {
    let mut values = [0u8; MAX_CYCLES];
    let values = &mut values[..text.len().min(MAX_CYCLES)];
    for (value, &q) in values.iter_mut().zip(text) {
        *value = q.wrapping_sub(33);
    }
    // In 32-bit lanes, which vectorise (at most MAX_CYCLES values of at most 255 each).
    let sum: u32 = values.iter().map(|&v| u32::from(v)).sum();
    cycles.count_joint(start, codes, values, false);
    u64::from(sum)
}

/// The index in the joint counts of a base of joint code `code` ([`CODE_OF_CLASS`]) with quality
/// `value` at 0-based `cycle` (below [`MAX_CYCLES`]).
#[inline(always)]
fn joint_index(code: u8, value: u8, cycle: usize) -> u32 {
    let cell = u32::from(value.min(UNUSABLE as u8)) * CLASSES as u32 + u32::from(code & 7);
    cell * MAX_CYCLES as u32 + cycle as u32
}

impl Cycles {
    /// Counts bases given by joint `codes` and their raw quality `values` (as many) in the joint
    /// counts from 0-based cycle `start` (their end at most [`MAX_CYCLES`]; backwards from there
    /// when `reverse`).
    /// The indexes are computed first, in a loop the compiler vectorises, so that the counting
    /// loop does little more than increment.
    fn count_joint(&mut self, start: usize, codes: &[u8], values: &[u8], reverse: bool) {
        let len = codes.len().min(values.len()).min(MAX_CYCLES.saturating_sub(start));
        let indexes = &mut self.indexes[..len];
        let bases = codes.iter().zip(values);
        match reverse {
            false => {
                for ((index, (&code, &value)), cycle) in indexes.iter_mut().zip(bases).zip(start..) {
                    *index = joint_index(code, value, cycle);
                }
            }
            true => {
                for ((index, (&code, &value)), cycle) in indexes.iter_mut().zip(bases).zip((start..start + len).rev()) {
                    *index = joint_index(code, value, cycle);
                }
            }
        }
        if self.joint.is_empty() {
            if self.direct_reads < DIRECT_READS {
                self.direct_reads += 1;
                self.count_direct(len, start + len);
                return;
            }
            self.joint = vec![0; JOINT_CAPACITY];
        }
        if self.joint_reads == u32::from(Joint::MAX) {
            self.fold();
        }
        self.joint_reads += 1;
        self.joint_cycles = self.joint_cycles.max(start + len);
        let Ok(joint) = <&mut [Joint; JOINT_CAPACITY]>::try_from(&mut self.joint[..]) else {
            unreachable!("the joint counts are allocated JOINT_CAPACITY long")
        };
        // Every index is below JOINT_COUNTS: the mask only spares the bounds check.
        for &index in &self.indexes[..len] {
            joint[index as usize & (JOINT_CAPACITY - 1)] += 1;
        }
    }

    /// Counts the read whose `len` joint indexes are in `indexes` (its cycles end by `end`)
    /// straight into `bases` and `qualities`, as folding their joint counts would.
    fn count_direct(&mut self, len: usize, end: usize) {
        let (bases, qualities) = (self.bases.reach(end), self.qualities.reach(end));
        for &index in &self.indexes[..len] {
            let (cell, cycle) = (index as usize / MAX_CYCLES, index as usize % MAX_CYCLES);
            bases[cycle][usize::from(CLASS_OF_CODE[cell % CLASSES])] += 1;
            qualities[cycle][cell / CLASSES] += 1;
        }
    }
}

/// Counts `len` bases without qualities, from 0-based cycle `start`, as [`UNUSABLE`].
pub(super) fn count_missing(rows: &mut QualityRows, start: usize, len: usize) {
    let end = start.saturating_add(len);
    let own_end = end.min(MAX_CYCLES);
    if start < own_end {
        rows.reach(own_end)[start..own_end].iter_mut().for_each(|row| row[UNUSABLE] += 1);
    }
    let shared = (end - own_end.max(start)) as u64;
    if shared > 0 {
        rows.row(MAX_CYCLES)[UNUSABLE] += shared;
    }
}

/// Lengths below this have a bin each.
pub(super) const EXACT_LENGTHS: u64 = 1024;
/// Bins per doubling of the length above [`EXACT_LENGTHS`].
const BINS_PER_OCTAVE: u32 = 4;
/// The octave of the last bin (lengths of 2^33 or more share it).
const LAST_OCTAVE: u32 = 33;
/// Length bins: exact ones, then quarters of each octave from 2^10 to 2^33.
pub(super) const LENGTH_BINS: usize =
    EXACT_LENGTHS as usize + ((LAST_OCTAVE - EXACT_LENGTHS.ilog2() + 1) * BINS_PER_OCTAVE) as usize;

/// The bin of a read of `length` bases.
pub(super) fn length_bin(length: u64) -> usize {
    if length < EXACT_LENGTHS {
        return length as usize;
    }
    let octave = length.ilog2().min(LAST_OCTAVE);
    let quarter = (length >> (octave - 2)).min(7) & 3;
    EXACT_LENGTHS as usize + ((octave - EXACT_LENGTHS.ilog2()) * BINS_PER_OCTAVE) as usize + quarter as usize
}

/// The lengths bin `bin` holds, first and last (inclusive); the last bin has no end.
pub(super) fn length_range(bin: usize) -> (u64, Option<u64>) {
    let bin = bin as u64;
    if bin < EXACT_LENGTHS {
        return (bin, Some(bin));
    }
    let above = bin - EXACT_LENGTHS;
    let octave = EXACT_LENGTHS.ilog2() + (above / u64::from(BINS_PER_OCTAVE)) as u32;
    let quarter = above % u64::from(BINS_PER_OCTAVE);
    let first = (4 + quarter) << (octave - 2);
    let last = ((5 + quarter) << (octave - 2)) - 1;
    (first, (bin + 1 < LENGTH_BINS as u64).then_some(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_text_class_matches_nt16() {
        // htslib's seq_nt16_str: the code of each letter.
        let nt16 = b"=ACMGRSVTWYHKDBN";
        for (code, &letter) in nt16.iter().enumerate() {
            assert_eq!(TEXT_CLASS[usize::from(letter)], NT16_CLASS[code], "{}", char::from(letter));
            assert_eq!(TEXT_CLASS[usize::from(letter.to_ascii_lowercase())], NT16_CLASS[code]);
        }
        assert_eq!(TEXT_CLASS[usize::from(b'U')], T);
        for byte in [b'.', b'X', b'*', b'-', 0, 0xff] {
            assert_eq!(TEXT_CLASS[usize::from(byte)], N, "{byte}");
        }
    }

    #[test]
    fn test_count_bases_bins_late_cycles() {
        let mut rows = BaseRows::new();
        count_bases(&mut rows, MAX_CYCLES - 2, [A, C, G, T, N].into_iter());
        assert_eq!(rows[MAX_CYCLES - 2], [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(rows[MAX_CYCLES - 1], [0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(rows[MAX_CYCLES], [0, 0, 1, 1, 1, 0, 0, 0]);
        // Starting beyond the last own bin: all in the shared one.
        count_bases(&mut rows, MAX_CYCLES + 7, [OTHER].into_iter());
        assert_eq!(rows[MAX_CYCLES], [0, 0, 1, 1, 1, 1, 0, 0]);
        let mut totals = [0; CLASSES];
        count_classes(&mut totals, [C, C, OTHER].into_iter());
        assert_eq!(totals, [0, 2, 0, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn test_text_codes() {
        // Computed (all A, C, G, T, N) and looked up (any byte): each code is its byte's class.
        let plain = b"ACGTNacgtn";
        let every: Vec<u8> = (0..=255).collect();
        for text in [&plain[..], &every[..]] {
            let mut codes = vec![0; text.len()];
            text_codes(&mut codes, text);
            for (&code, &b) in codes.iter().zip(text) {
                assert_eq!(CLASS_OF_CODE[usize::from(code)], TEXT_CLASS[usize::from(b)], "{b}");
            }
        }
        assert_eq!(CLASS_OF_CODE.map(|class| CODE_OF_CLASS[usize::from(class)]), [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn test_joint_counts_fold_and_merge() {
        let codes = |classes: &[u8]| classes.iter().map(|&c| CODE_OF_CLASS[usize::from(c)]).collect::<Vec<_>>();
        let mut cycles = Cycles::new();
        // Past the reads counted without joint counts.
        cycles.direct_reads = DIRECT_READS;
        cycles.count_joint(0, &codes(&[A, C, G]), &[10, 20, 30], false);
        // Backwards: the first base at the last cycle; a value above 93 is unusable.
        cycles.count_joint(0, &codes(&[T, N, OTHER]), &[200, 0, 5], true);
        let folded = cycles.folded();
        assert_eq!(folded.bases[0], [1, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(folded.bases[1], [0, 1, 0, 0, 1, 0, 0, 0]);
        assert_eq!(folded.bases[2], [0, 0, 1, 1, 0, 0, 0, 0]);
        assert_eq!((folded.qualities[0][10], folded.qualities[0][5]), (1, 1));
        assert_eq!((folded.qualities[1][20], folded.qualities[1][0]), (1, 1));
        assert_eq!((folded.qualities[2][30], folded.qualities[2][UNUSABLE]), (1, 1));
        assert_eq!(folded.qualities.iter().flatten().sum::<u64>(), 6);
        // Not yet folded: the 64-bit counts are untouched.
        assert_eq!(cycles.bases.iter().flatten().sum::<u64>(), 0);
        // A read more could overflow a 16-bit count: the joint counts are folded first.
        cycles.joint_reads = u32::from(Joint::MAX);
        cycles.count_joint(1, &codes(&[C]), &[40], false);
        assert_eq!(cycles.joint_reads, 1);
        assert_eq!(cycles.bases[0], [1, 0, 0, 0, 0, 1, 0, 0]);
        let refolded = cycles.folded();
        assert_eq!(refolded.bases[1], [0, 2, 0, 0, 1, 0, 0, 0]);
        assert_eq!((refolded.qualities[1][40], refolded.qualities[1][20]), (1, 1));
        // Merged: the other's joint and 64-bit counts both.
        let mut merged = Cycles::new();
        merged.merge(&cycles);
        merged.merge(&cycles);
        let merged = merged.folded();
        for cycle in 0..3 {
            assert_eq!(merged.bases[cycle].map(|n| n / 2), refolded.bases[cycle]);
            assert_eq!(merged.qualities[cycle].map(|n| n / 2), refolded.qualities[cycle]);
        }
    }

    #[test]
    fn test_reads_counted_direct_or_joint_alike() {
        // Reads of 1 to 150 bases, forwards and backwards, some values unusable: counted by one
        // collector (its first DIRECT_READS straight, the rest in joint counts, folded every 700
        // reads here) and by collectors that each count at most DIRECT_READS of them straight.
        let reads: Vec<(usize, Vec<u8>, Vec<u8>, bool)> = (0..3 * DIRECT_READS as usize)
            .map(|n| {
                let len = 1 + (n * 37) % 150;
                let codes = (0..len).map(|i| ((n + i * 7) % CLASSES) as u8).collect();
                let values = (0..len).map(|i| ((n * 13 + i * 5) % 100) as u8).collect();
                (n % 3, codes, values, n % 5 == 0)
            })
            .collect();
        let mut joint = Cycles::new();
        let mut direct = Cycles::new();
        for (k, chunk) in reads.chunks(DIRECT_READS as usize).enumerate() {
            let mut part = Cycles::new();
            for (n, (start, codes, values, reverse)) in chunk.iter().enumerate() {
                if (k * DIRECT_READS as usize + n) % 700 == 699 {
                    joint.joint_reads = u32::from(Joint::MAX);
                }
                joint.count_joint(*start, codes, values, *reverse);
                part.count_joint(*start, codes, values, *reverse);
            }
            assert!(part.joint.is_empty());
            direct.merge(&part);
        }
        assert!(!joint.joint.is_empty());
        let (joint, direct) = (joint.folded(), direct.folded());
        assert_eq!((&joint.bases, &joint.qualities), (&direct.bases, &direct.qualities));
        assert_eq!(direct.bases.len(), 152);
        assert!(Cycles::new().folded().qualities.is_empty());
    }

    #[test]
    fn test_gc() {
        let text = b"ACGTNacgtnSs=.\xc3\xc7";
        let classes = text.iter().map(|&b| TEXT_CLASS[usize::from(b)]);
        assert_eq!(gc_of_text(text), classes.filter(|&c| c == C || c == G).count() as u64);
        assert_eq!(gc_of_text(text), 4);
        // =ACMGRSVTWYHKDBN: C and G once each, then a C in an odd last base.
        let codes: Vec<u8> = (0..16u8).collect::<Vec<_>>().chunks(2).map(|p| p[0] << 4 | p[1]).chain([0x24]).collect();
        assert_eq!(gc_of_packed(&codes, 16), 2);
        assert_eq!(gc_of_packed(&codes, 17), 3);
        assert_eq!(gc_of_packed(&codes, 18), 4);
    }

    #[test]
    fn test_count_qualities_and_missing() {
        let mut rows = QualityRows::new();
        let sum = count_qualities(Some(&mut rows), 0, [0, 93, 94, 255].into_iter());
        assert_eq!(sum, 93 + 94 + 255);
        assert_eq!((rows[0][0], rows[1][93], rows[2][UNUSABLE], rows[3][UNUSABLE]), (1, 1, 1, 1));
        assert_eq!(count_qualities(None, 0, [1, 2].into_iter()), 3);
        let mut rows = QualityRows::new();
        count_missing(&mut rows, MAX_CYCLES - 1, 3);
        assert_eq!((rows[MAX_CYCLES - 2][UNUSABLE], rows[MAX_CYCLES - 1][UNUSABLE]), (0, 1));
        assert_eq!(rows[MAX_CYCLES][UNUSABLE], 2);
        count_missing(&mut rows, MAX_CYCLES + 5, 4);
        assert_eq!(rows[MAX_CYCLES][UNUSABLE], 6);
        count_missing(&mut rows, 0, 0);
        assert_eq!(rows.iter().map(|r| r[UNUSABLE]).sum::<u64>(), 7);
    }

    #[test]
    fn test_length_bins() {
        assert_eq!(LENGTH_BINS, 1024 + 24 * 4);
        for length in [0, 1, 150, 1023] {
            assert_eq!(length_bin(length), length as usize);
            assert_eq!(length_range(length as usize), (length, Some(length)));
        }
        assert_eq!(length_bin(1024), 1024);
        assert_eq!(length_range(1024), (1024, Some(1279)));
        assert_eq!(length_bin(1279), 1024);
        assert_eq!(length_bin(1280), 1025);
        assert_eq!(length_bin(2047), 1027);
        assert_eq!(length_bin(2048), 1028);
        assert_eq!(length_range(1028), (2048, Some(2559)));
        assert_eq!(length_bin(u64::MAX), LENGTH_BINS - 1);
        assert_eq!(length_range(LENGTH_BINS - 1).1, None);
        // Every length falls in the range of its bin.
        for length in (0..40).map(|k| 3u64.pow(k) / 2).chain([1 << 33, (1 << 34) - 1]) {
            let (first, last) = length_range(length_bin(length));
            assert!(first <= length && last.is_none_or(|last| length <= last), "{length}");
        }
    }
}
