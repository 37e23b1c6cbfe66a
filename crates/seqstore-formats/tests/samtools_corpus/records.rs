//! The corpus as SAM text: one record per edge value of each field that the SAM specification
//! allows and `samtools view` accepts, on the reference `ce.fa` (`CHROMOSOME_I` of 1,009,800 bases,
//! `CHROMOSOME_II` to `CHROMOSOME_MtDNA` of 5,000).

use std::collections::HashMap;

/// Longest SAM QNAME (SAM § 1.4: `[!-?A-~]{1,254}`).
pub const MAX_NAME: usize = 254;
/// Most CIGAR operations BAM's `n_cigar_op` (u16) holds; one more goes to the `CG` tag.
pub const MAX_BAM_CIGAR_OPS: usize = 65_535;
/// Longest CIGAR operation (BAM packs the length in 28 bits).
pub const MAX_OP_LEN: u32 = (1 << 28) - 1;
/// Largest POS, PNEXT and TLEN (SAM § 1.4).
pub const MAX_POS: i64 = (1 << 31) - 1;

/// The characters a QNAME may hold (SAM § 1.4), in order.
fn name_chars() -> Vec<u8> {
    (b'!'..=b'~').filter(|&b| b != b'@').collect()
}

/// Deterministic bases, qualities and choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn bases(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b"ACGT"[self.next(4) as usize])).collect()
    }
}

/// One SAM line's fields, tab-joined.
fn line(fields: &[&str]) -> String {
    fields.join("\t")
}

/// Second characters of generated tags.
const TAG_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `n` floats across the magnitudes where `%g` and htslib's `kputd` switch notation, 9
/// significant digits each, either sign.
fn floats(rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let sign = if rng.next(2) == 0 { "" } else { "-" };
            let mantissa = 1_000_000_000 + rng.next(9_000_000_000);
            let exponent = rng.next(19) as i64 - 9;
            format!("{sign}{}.{}e{exponent}", mantissa / 1_000_000_000, mantissa % 1_000_000_000)
        })
        .collect()
}

/// The optional fields of the aux records: every type and B subtype at its extremes.
fn aux_fields(rng: &mut Rng) -> Vec<Vec<String>> {
    let printable: String = (b' '..=b'~').map(char::from).collect();
    vec![
        // A: the first and last printable characters.
        vec!["XA:A:!".into(), "XB:A:~".into()],
        // i: the bounds of each BAM integer type, which samtools chooses by value.
        [
            "-2147483648",
            "-32769",
            "-32768",
            "-129",
            "-128",
            "-1",
            "0",
            "127",
            "128",
            "255",
            "256",
            "32767",
            "32768",
            "65535",
            "65536",
            "2147483647",
            "2147483648",
            "4294967295",
        ]
        .iter()
        .enumerate()
        .map(|(i, n)| format!("I{}:i:{n}", char::from(b'a' + i as u8)))
        .collect(),
        // f: the largest and smallest normal, a subnormal, signed zeros, infinities, NaN, and
        // values at the edges of %g's notation.
        [
            "3.40282e+38",
            "-3.40282e+38",
            "1.17549e-38",
            "1.4013e-45",
            "0",
            "-0",
            "inf",
            "-inf",
            "nan",
            "999999.5",
            "100000",
            "0.0001",
            "1e-05",
            "0.1",
            "3.14159265",
        ]
        .iter()
        .enumerate()
        .map(|(i, n)| format!("F{}:f:{n}", char::from(b'a' + i as u8)))
        .collect(),
        // Z and H: empty, every printable character, long.
        vec![
            "ZA:Z:".into(),
            format!("ZB:Z:{printable}"),
            format!("ZC:Z:{}", "z".repeat(10_000)),
            "HA:H:".into(),
            "HB:H:0123456789ABCDEF".into(),
            format!("HC:H:{}", "AB".repeat(5_000)),
        ],
        // B: every subtype at its bounds, and empty.
        vec![
            "Bc:B:c,-128,0,127".into(),
            "BC:B:C,0,255".into(),
            "Bs:B:s,-32768,0,32767".into(),
            "BS:B:S,0,65535".into(),
            "Bi:B:i,-2147483648,0,2147483647".into(),
            "BI:B:I,0,4294967295".into(),
            "Bf:B:f,-3.40282e+38,1.4013e-45,-0,inf,-inf,nan,0.1".into(),
            "Ec:B:c".into(),
            "EC:B:C".into(),
            "Es:B:s".into(),
            "ES:B:S".into(),
            "Ei:B:i".into(),
            "EI:B:I".into(),
            "Ef:B:f".into(),
            format!("BL:B:i,{}", vec!["-7"; 20_000].join(",")),
        ],
        // f and B:f over many magnitudes: `%g` for the one, htslib's `kputd` for the other.
        floats(rng, 40).iter().zip(TAG_CHARS.chars()).map(|(f, c)| format!("G{c}:f:{f}")).collect(),
        vec![format!("BF:B:f,{}", floats(rng, 2000).join(","))],
        // MD and NM as stored, wrong on purpose: CRAM keeps them verbatim.
        vec!["MD:Z:0A0".into(), "NM:i:99".into()],
        // A read group of the header.
        vec!["RG:Z:grp1".into()],
    ]
}

/// The corpus: header and records as SAM text (unsorted). `reference` maps sequence names to
/// their bases.
pub fn corpus(reference: &[(String, Vec<u8>)]) -> String {
    let bases: HashMap<&str, &[u8]> = reference.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let at = |name: &str, pos: usize, len: usize| -> String {
        let seq = bases[name];
        (0..len).map(|i| char::from(seq.get(pos - 1 + i).copied().unwrap_or(b'A'))).collect()
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut text = String::from("@HD\tVN:1.6\tSO:unsorted\n");
    for (name, seq) in reference {
        text.push_str(&format!("@SQ\tSN:{name}\tLN:{}\n", seq.len()));
    }
    text.push_str("@RG\tID:grp1\tSM:sample\n@PG\tID:corpus\tPN:corpus\n");
    let (one, two) = ("CHROMOSOME_I", "CHROMOSOME_II");
    let two_len = bases[two].len() as i64;
    let q20 = "I".repeat(20);
    let s20 = at(two, 100, 20);
    let mut lines = Vec::new();
    let mapped = |name: &str, flag: u16, rname: &str, pos: i64, cigar: &str, seq: &str, qual: &str| {
        line(&[name, &flag.to_string(), rname, &pos.to_string(), "60", cigar, "*", "0", "0", seq, qual])
    };

    // Positions: the first base, the last base, reads running past the end, starting past the
    // end, and the largest POS.
    lines.push(mapped("pos_first", 0, two, 1, "20M", &at(two, 1, 20), &q20));
    lines.push(mapped("pos_last", 0, two, two_len, "1M", &at(two, two_len as usize, 1), "I"));
    lines.push(mapped("overhang", 0, two, two_len - 9, "20M", &at(two, two_len as usize - 9, 20), &q20));
    lines.push(mapped("pos_past", 0, two, two_len + 1, "20M", &rng.bases(20), &q20));
    lines.push(mapped("pos_far_past", 16, two, 1_000_000, "20M", &rng.bases(20), &q20));
    lines.push(mapped("pos_max", 0, one, MAX_POS, "1M", "A", "I"));
    lines.push(mapped("pos_end_of_one", 0, one, bases[one].len() as i64, "1M5S", &rng.bases(6), "IIIIII"));
    // POS 0 of a mapped record: htslib makes it unmapped.
    lines.push(mapped("pos_zero", 0, two, 0, "20M", &s20, &q20));

    // Mates: PNEXT past the end of the reference and at its largest, RNEXT on another sequence,
    // TLEN at its extremes.
    let pair = |name: &str, flag: u16, rnext: &str, pnext: i64, tlen: i64| {
        line(&[
            name,
            &flag.to_string(),
            two,
            "100",
            "60",
            "20M",
            rnext,
            &pnext.to_string(),
            &tlen.to_string(),
            &s20,
            &q20,
        ])
    };
    lines.push(pair("pnext_past", 65, "=", two_len + 1000, 0));
    lines.push(pair("pnext_max", 129, "=", MAX_POS, 0));
    lines.push(pair("rnext_other", 97, "CHROMOSOME_III", 6000, 0));
    lines.push(pair("rnext_one", 161, one, MAX_POS, 0));
    lines.push(pair("tlen_max", 99, "=", 200, MAX_POS));
    lines.push(pair("tlen_min", 147, "=", 200, -MAX_POS));
    lines.push(pair("tlen_no_mate", 0, "*", 0, MAX_POS));

    // SEQ and QUAL missing.
    lines.push(mapped("seq_star", 256, two, 100, "20M", "*", "*"));
    lines.push(mapped("qual_star", 0, two, 100, "20M", &s20, "*"));
    // Every base symbol (SAM § 1.4: `[A-Za-z=.]`), and every quality character.
    let symbols = "=ACMGRSVTWYHKDBNacgtn.";
    lines.push(mapped("seq_symbols", 0, two, 100, &format!("{}M", symbols.len()), symbols, &"#".repeat(symbols.len())));
    let quals: String = (b'!'..=b'~').map(char::from).collect();
    lines.push(mapped("qual_all", 0, one, 5000, &format!("{}M", quals.len()), &at(one, 5000, quals.len()), &quals));
    lines.push(mapped("qual_one_base", 0, two, 100, "1M", "A", "~"));

    // CIGAR: missing (htslib makes the record unmapped), every operation, the longest operation,
    // the most operations BAM stores, and more (the CG tag).
    lines.push(mapped("cigar_star", 0, two, 100, "*", &s20, &q20));
    lines.push(mapped("cigar_all_ops", 0, two, 100, "3H2S3M1I2D1N2=1X1P2M4S2H", &at(two, 98, 15), &"5".repeat(15)));
    lines.push(mapped("cigar_longest_op", 0, one, 1000, &format!("1M{MAX_OP_LEN}N1M"), "AC", "II"));
    lines.push(mapped("cigar_long_deletion", 0, two, 4000, &format!("1M{MAX_OP_LEN}D1M"), "AC", "II"));
    lines.push(mapped("cigar_only_clip", 0, two, 100, "5S", "ACGTA", "IIIII"));
    for (name, ops) in
        [("cigar_most_ops", MAX_BAM_CIGAR_OPS), ("cigar_in_cg", MAX_BAM_CIGAR_OPS + 1), ("cigar_huge", 200_001)]
    {
        // Alternating 1M and 1I, ending with M: `ops` operations, `ops` bases.
        let cigar: String = (0..ops).map(|i| if i % 2 == 0 { "1M" } else { "1I" }).collect();
        let read = rng.bases(ops);
        lines.push(mapped(name, 0, one, 10_000, &cigar, &read, &"F".repeat(ops)));
    }

    // Names: the longest, every allowed character, one character.
    let chars = name_chars();
    let longest: String = (0..MAX_NAME).map(|i| char::from(chars[i % chars.len()])).collect();
    lines.push(mapped(&longest, 0, two, 100, "20M", &s20, &q20));
    lines.push(mapped(&String::from_utf8_lossy(&chars), 0, two, 100, "20M", &s20, &q20));
    lines.push(mapped("x", 0, two, 100, "20M", &s20, &q20));
    // QNAME `*`.
    lines.push(mapped("*", 0, two, 100, "20M", &s20, &q20));
    // Beyond the specification's QNAME, but read and printed by samtools: a space, `@` first,
    // UTF-8.
    for name in ["a space", "@at", "caf\u{e9}"] {
        lines.push(mapped(name, 0, two, 100, "20M", &s20, &q20));
    }

    // MAPQ and FLAG extremes.
    lines.push(line(&["mapq_0", "0", two, "100", "0", "20M", "*", "0", "0", &s20, &q20]));
    lines.push(line(&["mapq_255", "0", two, "100", "255", "20M", "*", "0", "0", &s20, &q20]));
    lines.push(line(&["flag_max", "65535", two, "100", "60", "20M", "=", "100", "0", &s20, &q20]));
    lines.push(line(&["flag_all_mapped", "4091", two, "100", "60", "20M", "=", "300", "220", &s20, &q20]));
    lines.push(line(&["flag_high_bits", "61440", two, "100", "60", "20M", "*", "0", "0", &s20, &q20]));

    // Unmapped records: placed (beside a mapped mate), placed past the end, unplaced, and an
    // unmapped record that keeps a CIGAR and a MAPQ.
    lines.push(line(&["unmapped_placed", "73", two, "100", "0", "*", "=", "100", "0", &s20, &q20]));
    lines.push(line(&["unmapped_placed", "133", two, "100", "0", "*", "=", "100", "0", &s20, &q20]));
    lines.push(line(&["unmapped_past", "4", two, &(two_len + 50).to_string(), "0", "*", "*", "0", "0", &s20, &q20]));
    lines.push(line(&["unmapped_unplaced", "4", "*", "0", "0", "*", "*", "0", "0", &s20, &q20]));
    lines.push(line(&["unmapped_pair", "77", "*", "0", "0", "*", "*", "0", "0", &s20, &q20]));
    lines.push(line(&["unmapped_pair", "141", "*", "0", "0", "*", "*", "0", "0", "*", "*"]));
    lines.push(line(&["unmapped_cigar", "4", two, "100", "37", "20M", "*", "0", "0", &s20, &q20]));

    // Every optional field type at its extremes.
    for (i, fields) in aux_fields(&mut rng).into_iter().enumerate() {
        let mut record = mapped(&format!("aux_{i}"), 0, two, 100, "20M", &s20, &q20);
        for field in fields {
            record.push('\t');
            record.push_str(&field);
        }
        lines.push(record);
    }
    for l in lines {
        text.push_str(&l);
        text.push('\n');
    }
    text
}

/// Records samtools 1.16 writes to CRAM but cannot read back (`samtools view -T REF` fails on the
/// slice holding them), by QNAME, with htslib's complaint: left out of the CRAM files, as no
/// CRAM that holds them is read by samtools.
pub const NOT_IN_CRAM: &[(&str, &str)] = &[
    ("pos_far_past", "Unable to fetch reference #1:1000000-999999"),
    ("pos_max", "Unable to fetch reference #0:2147483647-2147483646"),
    ("cigar_long_deletion", "CRAM CIGAR extends beyond slice reference extents"),
    ("unmapped_past", "MD5 checksum reference mismatch at CHROMOSOME_II:5050-5000"),
];

/// [`corpus`] without the records of [`NOT_IN_CRAM`].
pub fn for_cram(corpus: &str) -> String {
    let mut text = String::new();
    for l in corpus.lines() {
        let name = l.split('\t').next().unwrap_or_default();
        if !l.starts_with('@') && NOT_IN_CRAM.iter().any(|(n, _)| *n == name) {
            continue;
        }
        text.push_str(l);
        text.push('\n');
    }
    text
}

/// Every record of [`corpus`] made unmapped and unplaced (flag `0x4`, and `0x8` when paired; no
/// RNAME, POS, MAPQ, CIGAR, RNEXT, PNEXT or TLEN), under a header without `@SQ` lines: a uBAM's
/// content with the corpus' names, bases, scores and optional fields.
pub fn unaligned(corpus: &str) -> String {
    let mut text = String::from("@HD\tVN:1.6\tSO:unsorted\n@RG\tID:grp1\tSM:sample\n");
    for l in corpus.lines().filter(|l| !l.starts_with('@')) {
        let mut fields: Vec<String> = l.split('\t').map(str::to_owned).collect();
        let flag: u16 = fields[1].parse().unwrap_or(0);
        let flag = flag | 0x4 | if flag & 0x1 != 0 { 0x8 } else { 0 };
        fields[1] = flag.to_string();
        for (i, value) in [(2, "*"), (3, "0"), (4, "0"), (5, "*"), (6, "*"), (7, "0"), (8, "0")] {
            fields[i] = value.to_owned();
        }
        text.push_str(&fields.join("\t"));
        text.push('\n');
    }
    text
}
