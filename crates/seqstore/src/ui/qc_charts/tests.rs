use seqstore_formats::qc::{AlignedRead, Bases, CigarCounts, Mate, QcCollector};

use super::*;

/// The `<svg>` of chart `id` in `html` (panics when there is none).
fn svg<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("data-chart=\"{id}\"")).unwrap_or_else(|| panic!("no chart {id} in {html}"));
    let start = html[..at].rfind("<svg").expect("the chart's <svg");
    let end = at + html[at..].find("</svg>").expect("the chart's </svg>");
    &html[start..end]
}

/// The reading of chart `id`.
fn reading<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("data-reading=\"{id}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no reading of {id}")) + marker.len();
    &html[start..start + html[start..].find("</p>").expect("the reading's </p>")]
}

/// Elements (opening tags) in `markup`.
fn elements(markup: &str) -> usize {
    markup.matches('<').count() - markup.matches("</").count()
}

/// A FASTQ read of `len` bases, qualities `high` for its first `drop` cycles and `low` after.
fn fastq(qc: &mut QcCollector, bases: &[u8], drop: usize, (high, low): (u8, u8), mate: Mate) {
    let qualities: Vec<u8> = (0..bases.len()).map(|i| if i < drop { high } else { low }).collect();
    qc.add_fastq(bases, &qualities, mate);
}

/// 150 bases, 40 % GC, with an N (for an A) at cycle 10.
fn read_150() -> Vec<u8> {
    let mut bases: Vec<u8> = b"ACGTA".repeat(30);
    bases[9] = b'N';
    bases
}

#[test]
fn single_end_fastq() {
    let mut qc = QcCollector::new(0);
    for _ in 0..98 {
        fastq(&mut qc, &read_150(), 128, (b'I', b'5'), Mate::Single);
    }
    fastq(&mut qc, &b"ACGTA".repeat(7), 35, (b'I', b'I'), Mate::Single);
    fastq(&mut qc, &b"ACGTA".repeat(7), 35, (b'#', b'#'), Mate::Single);
    let html = charts(&qc.report(), false).into_string();

    let quality = svg(&html, "quality-per-cycle-r1");
    assert!(quality.contains("<title id=\"qc-quality-per-cycle-r1-title\">Quality per cycle</title>"), "{quality}");
    // Cycle 1: 99 reads at 40, one at 2.
    assert!(quality.contains(
        r#"data-cycle="1" data-mean="39.62" data-p10="40" data-q1="40" data-median="40" data-q3="40" data-p90="40""#
    ));
    // Cycle 140: 98 reads, all at 20.
    assert!(quality.contains(r#"data-cycle="140" data-mean="20.00" data-p10="20" data-q1="20" data-median="20""#));
    assert_eq!(quality.matches("<rect class=\"box").count(), 150);
    assert!(quality.contains("Base quality (Phred)") && quality.contains("Cycle (position in the read, bases)"));
    assert!(quality.contains("class=\"band-poor\"") && quality.contains("class=\"band-fair\""));
    assert_eq!(reading(&html, "quality-per-cycle-r1"), "Mean quality drops below 30 after cycle 128");
    assert!(!html.contains("quality-per-cycle-r2") && !html.contains("base-composition-r2"));

    let lengths = svg(&html, "read-length");
    assert!(lengths.contains(r#"data-x="150" data-x-end="150" data-value="98""#), "{lengths}");
    assert!(lengths.contains(r#"data-x="35" data-x-end="35" data-value="2""#));
    assert_eq!(reading(&html, "read-length"), "Most reads are 150 bases long (98 %)");

    // ACGTA is 40 % GC.
    assert!(svg(&html, "gc-content").contains(r#"data-x="40" data-x-end="40" data-value="100""#));
    assert_eq!(reading(&html, "gc-content"), "Every read's GC content is 40 %; 40.0 % of all bases are G or C");

    let composition = svg(&html, "base-composition-r1");
    assert!(composition.contains(r#"data-base="A""#) && composition.contains(r#"data-base="N""#));
    // Cycle 1 is A in every read; cycle 10 is N in the 98 long reads, A in the two short ones.
    assert!(composition.contains(r#"data-values="1:100.00 2:0.00"#), "{composition}");
    assert!(composition.contains(" 10:98.00 11:0.00"));
    assert_eq!(reading(&html, "base-composition-r1"), "N bases: 0.66 % of all bases");

    assert!(svg(&html, "read-mean-quality").contains(r#"data-x="2" data-x-end="2" data-value="1""#));
    assert_eq!(reading(&html, "read-mean-quality"), "99 % of reads have a mean quality of 30 or more");
    // Not aligned: no MAPQ or insert sizes.
    assert!(!html.contains("data-chart=\"mapq\"") && !html.contains("data-chart=\"insert-size\""));
}

#[test]
fn paired_fastq_has_a_chart_per_mate() {
    let (mut r1, mut r2) = (QcCollector::new(0), QcCollector::new(0));
    for _ in 0..10 {
        fastq(&mut r1, &read_150(), 150, (b'I', b'I'), Mate::First);
        fastq(&mut r2, &b"GGCCA".repeat(20), 10, (b'5', b'+'), Mate::Last);
    }
    r1.merge(&r2);
    let html = charts(&r1.report(), false).into_string();
    assert!(svg(&html, "quality-per-cycle-r1").contains("Quality per cycle: first fragments (R1)</title>"));
    assert!(svg(&html, "quality-per-cycle-r2").contains("Quality per cycle: last fragments (R2)</title>"));
    assert_eq!(
        reading(&html, "quality-per-cycle-r1"),
        "Mean quality stays at 30 or above in every cycle (lowest 40.0 at cycle 1)"
    );
    assert_eq!(reading(&html, "quality-per-cycle-r2"), "Mean quality is below 30 in every cycle");
    assert_eq!(svg(&html, "quality-per-cycle-r2").matches("<rect class=\"box").count(), 100);
    assert_eq!(reading(&html, "base-composition-r1"), "N bases: 0.67 % of the bases of first fragments (R1)");
    assert_eq!(reading(&html, "base-composition-r2"), "No N bases among the bases of last fragments (R2)");
    assert!(svg(&html, "base-composition-r2").contains(r#"data-base="G" points="#));
    // Equally common lengths: the first is named.
    assert_eq!(reading(&html, "read-length"), "The commonest length is 100 bases (50 % of reads)");
}

/// A mapped read of a properly paired pair: R1 forward at 100 or R2 reverse at 100 + `size` - 4.
fn mate<'a>(first: bool, size: i32, mapping_quality: u8, bases: &'a [u8], qualities: &'a [u8]) -> AlignedRead<'a> {
    // Paired, properly, and first (0x40) with its mate reverse (0x20) or last (0x80) and reverse (0x10).
    let flags: u16 = if first { 0x1 | 0x2 | 0x20 | 0x40 } else { 0x1 | 0x2 | 0x10 | 0x80 };
    let (position, mate_position) = if first { (100, 100 + size as usize - 4) } else { (100 + size as usize - 4, 100) };
    AlignedRead {
        flags: flags.into(),
        reference_id: Some(0),
        position: Some(position),
        mate_reference_id: Some(0),
        mate_position: Some(mate_position),
        mapping_quality,
        template_length: if first { size } else { -size },
        bases: Bases::Text(bases),
        qualities,
        cigar: CigarCounts { hard_clipped: 0, aligned: bases.len() as u64 },
        edit_distance: Some(0),
    }
}

#[test]
fn aligned_read_set_adds_mapq_and_insert_sizes() {
    let mut qc = QcCollector::new(1);
    let q = [35; 4];
    for (pairs, size, mapping_quality) in [(16, 312, 60), (1, 250, 0)] {
        for _ in 0..pairs {
            qc.add_alignment(&mate(true, size, mapping_quality, b"ACGT", &q));
            qc.add_alignment(&mate(false, size, mapping_quality, b"ACGT", &q));
        }
    }
    let report = qc.report();
    let html = charts(&report, true).into_string();
    let mapq = svg(&html, "mapq");
    assert!(mapq.contains(r#"data-x="60" data-x-end="60" data-value="32""#), "{mapq}");
    assert!(mapq.contains(r#"data-x="0" data-x-end="0" data-value="2""#));
    assert!(mapq.contains("MAPQ (Phred; 255: unavailable)"));
    assert_eq!(reading(&html, "mapq"), "94 % of mapped reads have MAPQ 60");
    let inserts = svg(&html, "insert-size");
    assert!(inserts.contains(r#"data-x="312" data-x-end="312" data-value="16""#), "{inserts}");
    assert!(inserts.contains("Proper pairs (count)"));
    assert_eq!(reading(&html, "insert-size"), "Median insert size 312 (proper pairs)");
    // The same report of a read set not aligned leaves them out.
    assert!(!charts(&report, false).into_string().contains("data-chart=\"mapq\""));
}

#[test]
fn aligned_without_mapped_reads_says_so() {
    let mut qc = QcCollector::new(0);
    fastq(&mut qc, b"ACGT", 4, (b'I', b'I'), Mate::Single);
    let html = charts(&qc.report(), true).into_string();
    assert!(svg(&html, "mapq").contains(">no data</text>"));
    assert_eq!(reading(&html, "mapq"), "No mapped reads");
    assert_eq!(reading(&html, "insert-size"), "No pairs with both mates mapped");
}

#[test]
fn empty_report_says_no_reads() {
    for aligned in [false, true] {
        let html = charts(&QcCollector::new(0).report(), aligned).into_string();
        assert!(html.contains("No reads"), "{html}");
        assert!(!html.contains("<svg"));
    }
}

#[test]
fn one_read() {
    let mut qc = QcCollector::new(0);
    fastq(&mut qc, b"ACGT", 4, (b'I', b'I'), Mate::Single);
    let html = charts(&qc.report(), false).into_string();
    assert_eq!(reading(&html, "read-length"), "The only read is 4 bases long");
    assert_eq!(reading(&html, "gc-content"), "The only read's GC content is 50 %");
    assert_eq!(reading(&html, "read-mean-quality"), "The only read with qualities has a mean quality of 40");
    assert_eq!(
        reading(&html, "quality-per-cycle-r1"),
        "Mean quality stays at 30 or above in every cycle (lowest 40.0 at cycle 1)"
    );
    assert_eq!(reading(&html, "base-composition-r1"), "No N bases among all bases");
    // Every quartile is 40: a box of no height, its median line still drawn.
    assert!(html.contains(r#"height="0" data-cycle="4" data-mean="40.00""#), "{html}");
}

#[test]
fn reads_without_qualities() {
    let mut qc = QcCollector::new(0);
    qc.add_fastq(b"ACGTN", b"", Mate::Single);
    qc.add_fastq(b"ACGTN", b"", Mate::Single);
    let html = charts(&qc.report(), false).into_string();
    assert!(svg(&html, "quality-per-cycle-r1").contains(">no data</text>"));
    assert_eq!(reading(&html, "quality-per-cycle-r1"), "No base qualities to plot: the reads have none");
    assert_eq!(reading(&html, "read-mean-quality"), "No read has usable base qualities");
    assert_eq!(reading(&html, "base-composition-r1"), "N bases: 20 % of all bases");
}

#[test]
fn long_reads_and_wide_inserts_stay_bounded() {
    let mut qc = QcCollector::new(1);
    // Reads of every length from 1 to 1,300: 501 cycles (the last the tail), lengths merged.
    for len in 1..=1300 {
        let bases = b"ACGT".repeat(len / 4 + 1);
        fastq(&mut qc, &bases[..len], 600, (b'I', b'+'), Mate::Single);
    }
    // Pairs of every insert size up to 8,000 and beyond.
    let q = [30; 4];
    for size in (4..=9000).step_by(3) {
        qc.add_alignment(&mate(true, size, 60, b"ACGT", &q));
        qc.add_alignment(&mate(false, size, 60, b"ACGT", &q));
    }
    let html = charts(&qc.report(), true).into_string();
    let quality = svg(&html, "quality-per-cycle-r1");
    assert_eq!(quality.matches("<rect class=\"box").count(), 501);
    assert!(quality.contains(r#"data-cycle="501" data-tail="true""#));
    assert_eq!(reading(&html, "quality-per-cycle-r1"), "Mean quality drops below 30 after cycle 500");
    for id in ["quality-per-cycle-r1", "read-length", "base-composition-r1", "insert-size", "mapq", "gc-content"] {
        let n = elements(svg(&html, id));
        assert!(n <= 1100, "{id}: {n} elements");
    }
    let lengths = svg(&html, "read-length");
    assert!(lengths.matches("<rect class=\"col\"").count() <= histogram::MAX_BARS);
    // 1 to 1,300 in bars of 10 (the first with the 5,998 aligned reads of 4 bases); the report's
    // bins 1,024 to 1,279 and 1,280 to 1,535 are not split.
    assert!(lengths.contains(r#"data-x="0" data-x-end="9" data-value="6007""#), "{lengths}");
    assert!(lengths.contains(r#"data-x="1020" data-x-end="1279" data-value="260""#), "{lengths}");
    assert!(lengths.contains(r#"data-x="1280" data-x-end="1535" data-value="21""#), "{lengths}");
    let inserts = svg(&html, "insert-size");
    assert!(inserts.matches("<rect class=\"col\"").count() <= histogram::MAX_BARS);
}
