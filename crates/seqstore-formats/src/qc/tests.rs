use super::*;

const PAIRED: Flags = Flags::SEGMENTED;
const R1: Flags = Flags::SEGMENTED.union(Flags::FIRST_SEGMENT);
const R2: Flags = Flags::SEGMENTED.union(Flags::LAST_SEGMENT);

/// A mapped read on reference 0 at position 100 with `bases` as text, qualities 30, MAPQ 60.
fn read<'a>(flags: Flags, bases: &'a [u8], qualities: &'a [u8]) -> AlignedRead<'a> {
    AlignedRead {
        flags,
        reference_id: Some(0),
        position: Some(100),
        mate_reference_id: Some(0),
        mate_position: Some(100),
        mapping_quality: 60,
        template_length: 0,
        bases: Bases::Text(bases),
        qualities,
        cigar: CigarCounts { hard_clipped: 0, aligned: bases.len() as u64 },
        edit_distance: None,
    }
}

fn cycle_qualities(cycle: &Cycle) -> (Vec<u64>, u64) {
    (cycle.qualities.clone(), cycle.unusable)
}

/// `value` at `index`, zero elsewhere, `len` long.
fn one_at(len: usize, index: usize, value: u64) -> Vec<u64> {
    let mut v = vec![0; len];
    v[index] = value;
    v
}

#[test]
fn test_fastq_single_read() {
    let mut qc = QcCollector::new(0);
    qc.add_fastq(b"ACGTNacgRYM", b"!!5I~~~AAAA", Mate::Single);
    qc.add_fastq(b"", b"", Mate::Single);
    let report = qc.report();
    let t = report.totals;
    assert_eq!((t.records, t.sequences, t.first_fragments, t.last_fragments), (2, 1, 1, 0));
    assert_eq!((t.reads_unmapped, t.reads_mapped, t.reads_paired, t.total_length), (1, 0, 0, 11));
    assert_eq!(report.bases, BaseCounts { a: 2, c: 2, g: 2, t: 1, n: 1, other: 3 });
    assert_eq!(t.quality_sum, 20 + 40 + 93 * 3 + 32 * 4);
    assert_eq!(t.maximum_length, 11);
    assert_eq!(report.read_lengths, [LengthBin { from: 11, to: Some(11), reads: 1 }]);
    assert_eq!(report.first_fragment_lengths, report.read_lengths);
    assert!(report.last_fragment_lengths.is_empty() && report.last_fragment_cycles.is_empty());
    let cycles = &report.first_fragment_cycles;
    assert_eq!(cycles.len(), 11);
    assert_eq!(cycles[0].bases, BaseCounts { a: 1, ..BaseCounts::default() });
    assert_eq!(cycles[4].bases, BaseCounts { n: 1, ..BaseCounts::default() });
    assert_eq!(cycles[10].bases, BaseCounts { other: 1, ..BaseCounts::default() });
    assert_eq!(cycle_qualities(&cycles[0]), (vec![1], 0));
    assert_eq!(cycle_qualities(&cycles[4]), (one_at(94, 93, 1), 0));
    let summary = cycles[3].quality.expect("a quality at cycle 4");
    assert_eq!((summary.mean, summary.median), (40.0, 40));
    // GC 4 of 11: 36 %; samtools' bins 4 × 199 / 11 = 72 up to 5 × 199 / 11 = 90.
    assert_eq!(report.read_gc_percent, one_at(37, 36, 1));
    assert_eq!(report.first_fragment_gc, [vec![0; 72], vec![1; 18]].concat());
    // Mean quality (20 + 40 + 279 + 128) / 11 = 42.
    assert_eq!(report.read_mean_qualities, one_at(43, 42, 1));
    assert_eq!(report.mean_quality, Some(467.0 / 11.0));
    assert_eq!(report.references, [ReferenceCounts { reference_id: None, mapped: 0, unmapped: 2 }]);
    assert!(report.mapping_qualities.is_empty() && report.insert_sizes.bins.is_empty());
}

#[test]
fn test_fastq_pair_and_merge() {
    let (mut one, mut two) = (QcCollector::new(0), QcCollector::new(0));
    one.add_fastq(b"ACGT", b"IIII", Mate::First);
    two.add_fastq(b"GA", b"##", Mate::Last);
    one.merge(&two);
    let report = one.report();
    let t = report.totals;
    assert_eq!((t.first_fragments, t.last_fragments, t.reads_paired, t.reads_unmapped), (1, 1, 2, 2));
    assert_eq!((t.first_fragment_length, t.last_fragment_length, t.maximum_last_fragment_length), (4, 2, 2));
    assert_eq!(report.last_fragment_cycles.len(), 2);
    assert_eq!(cycle_qualities(&report.last_fragment_cycles[1]), (one_at(3, 2, 1), 0));
    // GC 1 of 2: samtools' bins 99 up to 199.
    assert_eq!(report.last_fragment_gc, [vec![0; 99], vec![1; 100]].concat());
}

#[test]
fn test_fastq_in_chunks_counts_as_whole() {
    let records: [(&[u8], &[u8], Mate); 4] = [
        (b"ACGTACGTACGTNNNN", b"IIIIHHHHGGGG!!!!", Mate::First),
        (b"ggccaattRY", b"~~~~~#####", Mate::Last),
        (b"A", b"5", Mate::Single),
        (b"ACGTAC", b"", Mate::First),
    ];
    let mut whole = QcCollector::new(0);
    let mut chunked = QcCollector::new(0);
    for (sequence, quality, mate) in records {
        whole.add_fastq(sequence, quality, mate);
        chunked.begin_fastq(mate);
        sequence.chunks(3).for_each(|chunk| chunked.fastq_bases(chunk));
        quality.chunks(5).for_each(|chunk| chunked.fastq_qualities(chunk));
        chunked.end_fastq();
    }
    assert_eq!(whole.report(), chunked.report());
    // The record without qualities.
    assert_eq!(whole.report().totals.reads_without_quality, 1);
    // Chunks outside a record count nothing.
    chunked.fastq_bases(b"ACGT");
    chunked.end_fastq();
    assert_eq!(whole.report(), chunked.report());
}

#[test]
fn test_reverse_read_counts_from_its_last_base() {
    let mut qc = QcCollector::new(1);
    qc.add_alignment(&read(Flags::REVERSE_COMPLEMENTED, b"AACG", &[10, 20, 30, 40]));
    let report = qc.report();
    let cycles = &report.first_fragment_cycles;
    // Not complemented: cycle 1 is the stored last base, G, with its quality.
    assert_eq!(cycles[0].bases, BaseCounts { g: 1, ..BaseCounts::default() });
    assert_eq!(cycles[3].bases, BaseCounts { a: 1, ..BaseCounts::default() });
    assert_eq!(cycle_qualities(&cycles[0]), (one_at(41, 40, 1), 0));
    assert_eq!(cycle_qualities(&cycles[3]), (one_at(11, 10, 1), 0));
}

#[test]
fn test_packed_bases_count_as_text() {
    // =ACMGRSVTWYHKDBN, then an odd length.
    let text = b"=ACMGRSVTWYHKDBNA";
    let codes: Vec<u8> = (0..16u8).collect::<Vec<_>>().chunks(2).map(|p| p[0] << 4 | p[1]).chain([0x10]).collect();
    let qualities: Vec<u8> = (0..17).collect();
    for flags in [R1, R2 | Flags::REVERSE_COMPLEMENTED, PAIRED] {
        let (mut packed, mut as_text) = (QcCollector::new(1), QcCollector::new(1));
        as_text.add_alignment(&read(flags, text, &qualities));
        packed.add_alignment(&AlignedRead {
            bases: Bases::Packed { codes: &codes, len: 17 },
            ..read(flags, text, &qualities)
        });
        assert_eq!(packed.report(), as_text.report(), "{flags:?}");
        assert_eq!(packed.report().bases, BaseCounts { a: 2, c: 1, g: 1, t: 1, n: 1, other: 11 });
    }
}

#[test]
fn test_which_records_count_where() {
    let mut qc = QcCollector::new(2);
    let bases = b"ACGTACGTAC";
    let q = [30; 10];
    // Counted as a read: a primary duplicate, QC-failed and MAPQ 0 read.
    qc.add_alignment(&AlignedRead {
        mapping_quality: 0,
        edit_distance: Some(2),
        ..read(Flags::DUPLICATE | Flags::QC_FAIL, bases, &q)
    });
    // Secondary: counted as such and on its reference only.
    qc.add_alignment(&AlignedRead {
        reference_id: Some(1),
        edit_distance: Some(5),
        ..read(Flags::SECONDARY, bases, &q)
    });
    // Supplementary, hard-clipped: mapped bases, mismatches and the maximum length only.
    qc.add_alignment(&AlignedRead {
        cigar: CigarCounts { hard_clipped: 90, aligned: 8 },
        edit_distance: Some(1),
        ..read(Flags::SUPPLEMENTARY | Flags::DUPLICATE, bases, &q)
    });
    // Without bases: counted nowhere but on its reference.
    qc.add_alignment(&read(Flags::empty(), b"", &[]));
    // An unmapped read with MAPQ 7, unplaced.
    qc.add_alignment(&AlignedRead { reference_id: None, mapping_quality: 7, ..read(Flags::UNMAPPED, bases, &q) });
    // A mapped read with MAPQ 255 (unavailable).
    qc.add_alignment(&AlignedRead { mapping_quality: 255, ..read(Flags::empty(), bases, &q) });
    let report = qc.report();
    let t = report.totals;
    assert_eq!((t.records, t.sequences, t.secondary, t.supplementary), (6, 3, 1, 1));
    assert_eq!((t.reads_mapped, t.reads_unmapped, t.reads_mq0, t.reads_qc_failed), (2, 1, 1, 1));
    assert_eq!((t.reads_duplicated, t.bases_duplicated), (2, 20));
    assert_eq!((t.total_length, t.bases_mapped, t.bases_mapped_cigar, t.mismatches), (30, 20, 28, 3));
    assert_eq!(t.maximum_length, 100);
    assert_eq!(report.read_lengths, [LengthBin { from: 10, to: Some(10), reads: 3 }]);
    // MAPQ: only the last read (neither duplicate, QC-failed, supplementary nor unmapped).
    assert_eq!(report.mapping_qualities, one_at(256, 255, 1));
    assert_eq!(
        report.references,
        [
            ReferenceCounts { reference_id: Some(0), mapped: 4, unmapped: 0 },
            ReferenceCounts { reference_id: Some(1), mapped: 1, unmapped: 0 },
            ReferenceCounts { reference_id: None, mapped: 0, unmapped: 1 },
        ]
    );
}

#[test]
fn test_fragment_order() {
    let mut qc = QcCollector::new(1);
    let q = [30; 4];
    // Unpaired with 0x80: first. Paired with both or neither of 0x40 and 0x80: other.
    qc.add_alignment(&read(Flags::LAST_SEGMENT, b"ACGT", &q));
    qc.add_alignment(&read(R1 | Flags::LAST_SEGMENT, b"ACGT", &q));
    qc.add_alignment(&read(PAIRED, b"ACGTACGT", &[30; 8]));
    qc.add_alignment(&read(R2, b"AC", &[30; 2]));
    let report = qc.report();
    let t = report.totals;
    assert_eq!((t.first_fragments, t.last_fragments, t.other_fragments, t.sequences), (1, 1, 2, 4));
    assert_eq!((t.maximum_length, t.maximum_first_fragment_length, t.maximum_last_fragment_length), (8, 4, 2));
    // Other fragments count in lengths but not in cycles or the quality sum.
    assert_eq!(report.read_lengths.len(), 3);
    assert_eq!(report.first_fragment_cycles.len(), 4);
    assert_eq!(t.quality_sum, 30 * 6);
    assert_eq!(report.read_mean_qualities[30], 4);
}

#[test]
fn test_insert_sizes_and_orientation() {
    let mut qc = QcCollector::new(2);
    let q = [30; 4];
    let pair = |flags: Flags, position: usize, mate_position: usize, template_length: i32| AlignedRead {
        position: Some(position),
        mate_position: Some(mate_position),
        template_length,
        ..read(flags, b"ACGT", &q)
    };
    let proper = Flags::PROPERLY_SEGMENTED;
    let (reverse, mate_reverse) = (Flags::REVERSE_COMPLEMENTED, Flags::MATE_REVERSE_COMPLEMENTED);
    // Inward: R1 forward at 100, R2 reverse at 300; properly paired.
    qc.add_alignment(&pair(R1 | proper | mate_reverse, 100, 300, 250));
    qc.add_alignment(&pair(R2 | proper | reverse, 300, 100, -250));
    // Outward: R1 reverse at 100, R2 forward at 300.
    qc.add_alignment(&pair(R1 | reverse, 100, 300, 250));
    qc.add_alignment(&pair(R2 | mate_reverse, 300, 100, -250));
    // Other: both forward; TLEN beyond the largest size.
    qc.add_alignment(&pair(R1, 100, 20_000, 20_000));
    qc.add_alignment(&pair(R2, 20_000, 100, -20_000));
    // Same start, R1 reverse: outward in samtools 1.16 (first × 0 ≥ 0, first fragment reverse).
    qc.add_alignment(&pair(R1 | reverse, 100, 100, 4));
    qc.add_alignment(&pair(R2 | mate_reverse, 100, 100, -4));
    // Not counted: mate unmapped; TLEN 0 across references; secondary; supplementary.
    qc.add_alignment(&pair(R1 | Flags::MATE_UNMAPPED, 100, 300, 250));
    qc.add_alignment(&AlignedRead { mate_reference_id: Some(1), ..pair(R1 | mate_reverse, 100, 300, 0) });
    qc.add_alignment(&pair(R1 | Flags::SECONDARY | mate_reverse, 100, 300, 250));
    qc.add_alignment(&pair(R1 | Flags::SUPPLEMENTARY | mate_reverse, 100, 300, 250));
    // Counted: TLEN 0 on one reference.
    qc.add_alignment(&AlignedRead { mate_position: None, ..pair(R1 | mate_reverse, 100, 300, 0) });
    let sizes = qc.report().insert_sizes;
    assert_eq!(sizes.bins.len(), MAX_INSERT_SIZE + 1);
    assert_eq!(sizes.bins[250], InsertSizeBin { pairs: 2, inward: 1, outward: 1, other: 0, proper: 1 });
    assert_eq!(sizes.bins[MAX_INSERT_SIZE], InsertSizeBin { pairs: 1, other: 1, ..InsertSizeBin::default() });
    assert_eq!(sizes.bins[4], InsertSizeBin { pairs: 1, outward: 1, ..InsertSizeBin::default() });
    // One read alone at 0 (forward R1 with its mate "before" it at -1: outward) is half a pair.
    assert_eq!(sizes.bins[0], InsertSizeBin::default());
    assert_eq!((sizes.inward_pairs, sizes.outward_pairs, sizes.other_pairs, sizes.proper_pairs), (1, 2, 1, 1));
    let t = qc.report().totals;
    assert_eq!((t.reads_mapped_and_paired, t.reads_properly_paired, t.reads_on_different_references), (10, 2, 1));
}

#[test]
fn test_reads_without_qualities() {
    let mut qc = QcCollector::new(1);
    qc.add_alignment(&read(R1, b"ACGT", &[0xff; 4]));
    qc.add_alignment(&read(R1, b"ACGT", &[]));
    // Of another length: taken as none.
    qc.add_alignment(&read(R1, b"ACGT", &[30; 3]));
    // Above 93: counted, but unusable.
    qc.add_alignment(&read(R1, b"ACGT", &[94, 100, 30, 30]));
    let report = qc.report();
    assert_eq!((report.totals.reads_without_quality, report.totals.quality_sum), (3, 254));
    let first = &report.first_fragment_cycles;
    assert_eq!(cycle_qualities(&first[0]), (vec![], 4));
    assert_eq!(cycle_qualities(&first[2]), (one_at(31, 30, 1), 3));
    assert!(first[0].quality.is_none());
    assert_eq!(report.mean_quality, Some(30.0));
    assert_eq!((report.read_mean_qualities.iter().sum::<u64>(), report.read_mean_quality_unusable), (1, 3));
}

#[test]
fn test_cycles_after_500_share_a_bin() {
    let mut qc = QcCollector::new(1);
    let bases = vec![b'C'; 650];
    let qualities: Vec<u8> = (0..650).map(|i| (i % 40) as u8).collect();
    qc.add_alignment(&read(Flags::empty(), &bases, &qualities));
    qc.add_alignment(&read(Flags::REVERSE_COMPLEMENTED, &bases[..501], &qualities[..501]));
    let report = qc.report();
    let cycles = &report.first_fragment_cycles;
    assert_eq!(cycles.len(), MAX_CYCLES + 1);
    assert_eq!((cycles[MAX_CYCLES - 1].cycle, cycles[MAX_CYCLES].cycle), (500, 501));
    assert_eq!(cycles[MAX_CYCLES].bases.c, 150 + 1);
    assert_eq!(cycles[MAX_CYCLES].qualities.iter().sum::<u64>(), 151);
    // The reverse read's cycle 501 is its first stored base, quality 0.
    assert_eq!(cycles[MAX_CYCLES].qualities[0], 4 + 1);
    assert_eq!(
        report.read_lengths,
        [LengthBin { from: 501, to: Some(501), reads: 1 }, LengthBin { from: 650, to: Some(650), reads: 1 },]
    );
    // All C: GC 100 %; samtools' bin for 650 of 650 is 199 to 199, none.
    assert_eq!(report.read_gc_percent, one_at(101, 100, 2));
    assert!(report.first_fragment_gc.is_empty());
}

#[test]
fn test_long_reads_lengths_are_binned() {
    let mut qc = QcCollector::new(0);
    for len in [1023, 1024, 1300, 5000] {
        qc.add_fastq(&vec![b'A'; len], &vec![b'I'; len], Mate::Single);
    }
    let lengths = qc.report().read_lengths;
    assert_eq!(
        lengths,
        [
            LengthBin { from: 1023, to: Some(1023), reads: 1 },
            LengthBin { from: 1024, to: Some(1279), reads: 1 },
            LengthBin { from: 1280, to: Some(1535), reads: 1 },
            LengthBin { from: 4096, to: Some(5119), reads: 1 },
        ]
    );
}

#[test]
fn test_gc_bins_as_samtools() {
    let mut bins = [0; GC_BINS];
    // 2 of 4: 99 up to 149.
    count_gc(&mut bins, 2, 4);
    assert_eq!(bins.iter().sum::<u64>(), 50);
    assert_eq!((bins[98], bins[99], bins[148], bins[149]), (0, 1, 1, 0));
    // All of 1: 199 up to 199 (capped): none. None of 300: 0 up to 0: none. 1 of 300: 0.
    let mut bins = [0; GC_BINS];
    count_gc(&mut bins, 1, 1);
    count_gc(&mut bins, 0, 300);
    assert_eq!(bins.iter().sum::<u64>(), 0);
    count_gc(&mut bins, 1, 150);
    assert_eq!(bins[1], 1);
}

/// A mix of every kind of record, for the merge and the serialisation.
fn mixed(qc: &mut QcCollector, records: std::ops::Range<usize>) {
    let kinds = [
        R1 | Flags::PROPERLY_SEGMENTED | Flags::MATE_REVERSE_COMPLEMENTED,
        R2 | Flags::PROPERLY_SEGMENTED | Flags::REVERSE_COMPLEMENTED,
        Flags::UNMAPPED,
        Flags::SECONDARY,
        Flags::SUPPLEMENTARY | R1,
        Flags::DUPLICATE | R2,
        Flags::QC_FAIL | PAIRED,
        R1 | Flags::MATE_UNMAPPED,
    ];
    let bases = b"ACGTNNRYacgtACGTACGTGGGGCCCCAAAATTTT";
    let qualities: Vec<u8> = (0..bases.len()).map(|i| (i * 7 % 45) as u8).collect();
    for i in records {
        let len = 1 + i * 5 % bases.len();
        let reference_id = (i % 4 != 3).then_some(i % 3);
        qc.add_alignment(&AlignedRead {
            reference_id,
            mate_reference_id: (i % 5 != 0).then_some(i % 3),
            position: Some(1 + i),
            mate_position: Some(1 + i * 3),
            mapping_quality: (i * 11 % 70) as u8,
            template_length: i as i32 * 37 - 400,
            cigar: CigarCounts { hard_clipped: (i % 3) as u64, aligned: len as u64 },
            edit_distance: (i % 2 == 0).then_some(i as u32 % 4),
            ..read(kinds[i % kinds.len()], &bases[..len], &qualities[..len])
        });
        let mate = [Mate::Single, Mate::First, Mate::Last][i % 3];
        let quality: Vec<u8> = qualities[..len].iter().map(|q| q + 33).collect();
        qc.add_fastq(&bases[..len], &quality, mate);
    }
}

#[test]
fn test_merge_is_counting_together() {
    let mut together = QcCollector::new(3);
    mixed(&mut together, 0..400);
    let (mut one, mut two) = (QcCollector::new(3), QcCollector::new(3));
    mixed(&mut one, 0..150);
    mixed(&mut two, 150..400);
    let mut swapped = two.clone();
    swapped.merge(&one);
    one.merge(&two);
    assert_eq!(one.report(), together.report());
    assert_eq!(swapped.report(), together.report());
    // A collector of fewer references takes those of the other.
    let mut fewer = QcCollector::new(0);
    fewer.merge(&together);
    assert_eq!(fewer.report(), together.report());
    let t = together.report().totals;
    assert!(t.secondary > 0 && t.supplementary > 0 && t.reads_qc_failed > 0 && t.reads_duplicated > 0);
    assert!(t.reads_on_different_references > 0 && t.reads_without_quality == 0 && t.mismatches > 0);
}

#[test]
fn test_report_serialises() -> Result<(), serde_json::Error> {
    let mut qc = QcCollector::new(3);
    mixed(&mut qc, 0..100);
    let report = qc.report();
    assert_eq!(serde_json::from_value::<QcReport>(serde_json::to_value(&report)?)?, report);
    // As text (where a float may come back one unit off in its last place).
    let json = serde_json::to_string(&report)?;
    let parsed: QcReport = serde_json::from_str(&json)?;
    assert_eq!(
        (parsed.totals, &parsed.first_fragment_cycles.len()),
        (report.totals, &report.first_fragment_cycles.len())
    );
    assert!(json.contains("\"firstFragmentCycles\":[{\"cycle\":1,\"bases\":{\"a\":"), "{}", &json[..200]);
    let empty = QcCollector::new(0).report();
    assert_eq!((empty.mean_quality, empty.gc_percent), (None, None));
    assert_eq!(serde_json::from_str::<QcReport>(&serde_json::to_string(&empty)?)?, empty);
    assert!(serde_json::to_string(&empty)?.contains("\"standardDeviation\":0.0"));
    Ok(())
}
