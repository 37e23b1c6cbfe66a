//! SAM header text inside BAM and CRAM headers, read within [`Limits`] and checked as htslib 1.16
//! checks it (`sam_hrecs_parse_lines`, `sam_hrecs_update_hashes` in `header.c`), no more: the text
//! never takes more than `header_bytes` of input, and at most `reference_sequences` `@SQ` lines
//! are kept, so a header bomb (gigabytes of `@CO` lines that compress to megabytes) is refused after
//! reading no more than the limit.
//!
//! What samtools reads is read: `@HD` without `VN` or not first, unknown line types, repeated
//! `@RG`/`@PG` ids, any `VN`, an `LN` that is not a number. Only what the scanners use is kept:
//! `@HD SO`, each `@SQ`'s `SN`, `LN` and `M5`, and the `@RG` ids in order.

use std::io::{self, BufRead, Read};

use crate::limits::{Exceeded, Limit, Limits};

/// Why header text could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// Reading failed.
    #[error("reading the SAM header text failed")]
    Read(#[source] io::Error),
    /// A line htslib refuses too.
    #[error("SAM header line {line}: {problem}")]
    Invalid {
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        problem: Problem,
    },
    /// The text goes beyond [`Limits`].
    #[error(transparent)]
    Limit(Exceeded),
}

/// What is wrong with a header line, as htslib words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Problem {
    /// Not `@` and two letters.
    #[error("does not start with '@' and a two-letter type")]
    Start,
    /// Something other than a tab after the type.
    #[error("missing tab after the type")]
    MissingTab,
    /// A field that is not `XX:value`.
    #[error("malformed key:value pair")]
    Field,
    /// `@SQ` without `SN`.
    #[error("@SQ line with no SN: tag")]
    NoName,
    /// `@SQ` without `LN`.
    #[error("@SQ line {name:?} with no LN: tag")]
    NoLength {
        /// Its `SN`.
        name: String,
    },
    /// Two `@SQ` lines with one `SN`.
    #[error("duplicate @SQ entry {name:?}")]
    Duplicate {
        /// The `SN`.
        name: String,
    },
    /// `@RG` without `ID`.
    #[error("@RG line with no ID: tag")]
    NoReadGroupId,
}

/// One `@SQ` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sequence {
    /// `SN`.
    pub(crate) name: Vec<u8>,
    /// `LN` as C's `strtoll` reads it (0 when it starts with no digits).
    pub(crate) length: i64,
    /// `M5`, when given.
    pub(crate) md5: Option<Vec<u8>>,
    /// Its 1-based line number.
    pub(crate) line: u64,
}

/// What the scanners use of the header text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Text {
    /// `SO` of the first `@HD` line that has one.
    pub(crate) sort_order: Option<Vec<u8>>,
    /// The `@SQ` lines in order.
    pub(crate) sequences: Vec<Sequence>,
    /// The `@RG` ids in order, each once (htslib keeps the first of repeated ids).
    pub(crate) read_groups: Vec<Vec<u8>>,
}

/// Reads the text of `reader` line by line (`\n` or `\r\n`), ending at the end of the input or at
/// a NUL (padding), and checks each line as htslib does.
///
/// # Errors
///
/// [`Error::Limit`] once more than `limits.header_bytes` bytes of text or more than
/// `limits.reference_sequences` `@SQ` lines are found (nothing past the limit is read);
/// [`Error::Invalid`] for a line htslib refuses; [`Error::Read`] for a failed read.
pub(crate) fn parse<R: BufRead>(reader: &mut R, limits: &Limits) -> Result<Text, Error> {
    let mut text = Text::default();
    let mut line = Vec::new();
    let mut remaining = limits.header_bytes;
    let mut number = 0;
    loop {
        if reader.fill_buf().map_err(Error::Read)?.first().is_none_or(|&b| b == 0) {
            return Ok(text);
        }
        line.clear();
        // One byte more than the text allowed tells that there is more.
        let n = (&mut *reader).take(remaining.saturating_add(1)).read_until(b'\n', &mut line).map_err(Error::Read)?;
        remaining = remaining.checked_sub(n as u64).ok_or(Error::Limit(too_much_text(limits)))?;
        number += 1;
        if line.ends_with(b"\n") {
            line.pop();
            if line.ends_with(b"\r") {
                line.pop();
            }
        }
        // htslib's text is a C string: a NUL inside a line ends it, and the text.
        let ends = line.iter().position(|&b| b == 0);
        let content = &line[..ends.unwrap_or(line.len())];
        add_line(&mut text, content, number).map_err(|problem| Error::Invalid { line: number, problem })?;
        if text.sequences.len() as u64 > limits.reference_sequences {
            return Err(Error::Limit(Exceeded::holds_more(Limit::ReferenceSequences, limits.reference_sequences)));
        }
        if ends.is_some() {
            return Ok(text);
        }
    }
}

/// Checks one line (without its end) as `sam_hrecs_parse_lines` does and keeps what [`Text`]
/// holds of it.
fn add_line(text: &mut Text, line: &[u8], number: u64) -> Result<(), Problem> {
    let [b'@', a, b, rest @ ..] = line else { return Err(Problem::Start) };
    if !a.is_ascii_alphabetic() || !b.is_ascii_alphabetic() {
        return Err(Problem::Start);
    }
    // A type alone is skipped.
    if rest.is_empty() {
        return Ok(());
    }
    let Some(fields) = rest.strip_prefix(b"\t") else { return Err(Problem::MissingTab) };
    let kind = [*a, *b];
    if &kind == b"CO" {
        return Ok(());
    }
    let mut pairs: Vec<(&[u8], &[u8])> = Vec::new();
    for field in fields.split(|&c| c == b'\t') {
        match field {
            [_, _, b':', value @ ..] => pairs.push((&field[..2], value)),
            _ => return Err(Problem::Field),
        }
    }
    let get = |tag: &[u8]| pairs.iter().find(|(t, _)| *t == tag).map(|(_, v)| v.to_vec());
    match &kind {
        b"HD" if text.sort_order.is_none() => text.sort_order = get(b"SO"),
        b"SQ" => {
            let name = get(b"SN").ok_or(Problem::NoName)?;
            let display = || String::from_utf8_lossy(&name).into_owned();
            let length = get(b"LN").ok_or_else(|| Problem::NoLength { name: display() })?;
            if text.sequences.iter().any(|s| s.name == name) {
                return Err(Problem::Duplicate { name: display() });
            }
            let length = strtoll(&length);
            text.sequences.push(Sequence { name, length, md5: get(b"M5"), line: number });
        }
        b"RG" => {
            let id = get(b"ID").ok_or(Problem::NoReadGroupId)?;
            if !text.read_groups.contains(&id) {
                text.read_groups.push(id);
            }
        }
        _ => {}
    }
    Ok(())
}

/// C's `strtoll(s, NULL, 10)`: leading blanks, a sign, then digits as far as they go (0 when there
/// are none; saturated at the bounds of `i64`).
fn strtoll(s: &[u8]) -> i64 {
    let s = s.trim_ascii_start();
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        let d = i64::from(d - b'0');
        n = if negative { n.saturating_mul(10).saturating_sub(d) } else { n.saturating_mul(10).saturating_add(d) };
    }
    n
}

fn too_much_text(limits: &Limits) -> Exceeded {
    Exceeded::holds_more(Limit::HeaderBytes, limits.header_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn limits(header_bytes: u64, reference_sequences: u64) -> Limits {
        Limits { header_bytes, reference_sequences, ..Limits::default() }
    }

    #[test]
    fn test_parse() -> TestResult {
        let text = b"@HD\tVN:1.6\tSO:coordinate\r\n@SQ\tSN:chr1\tLN:10\tM5:ab\n@CO\tx\n\0\0\0";
        let parsed = parse(&mut &text[..], &Limits::default())?;
        assert_eq!(parsed.sort_order.as_deref(), Some(&b"coordinate"[..]));
        let chr1 = Sequence { name: b"chr1".to_vec(), length: 10, md5: Some(b"ab".to_vec()), line: 2 };
        assert_eq!(parsed.sequences, [chr1]);
        // Exactly at both limits.
        let parsed = parse(&mut &text[..text.len() - 3], &limits(text.len() as u64 - 3, 1))?;
        assert_eq!(parsed.sequences.len(), 1);
        Ok(())
    }

    #[test]
    fn test_parse_as_htslib() -> TestResult {
        // What samtools reads: @HD without VN and not first, unknown types, repeated ids, an LN
        // that is no number, a type alone.
        let text = b"@SQ\tSN:a\tLN:x1\n@HD\tSO:unsorted\n@XY\tab:cd\n@RG\tID:g\n@RG\tID:g\tSM:s\n@PG\tID:p\n\
                     @PG\tID:p\n@CO\n@SQ\tSN:b\tLN:-5\n";
        let parsed = parse(&mut &text[..], &Limits::default())?;
        assert_eq!(parsed.sort_order.as_deref(), Some(&b"unsorted"[..]));
        let lengths: Vec<(&[u8], i64)> = parsed.sequences.iter().map(|s| (&s.name[..], s.length)).collect();
        assert_eq!(lengths, [(&b"a"[..], 0), (&b"b"[..], -5)]);
        assert_eq!(parsed.read_groups, [b"g".to_vec()]);
        // What it refuses.
        let cases: [(&[u8], u64, Problem); 8] = [
            (b"@HD\tVN:1.6\n\n@CO\tx\n", 2, Problem::Start),
            (b"HD\tVN:1.6\n", 1, Problem::Start),
            (b"@H1\tVN:1.6\n", 1, Problem::Start),
            (b"@HDx\n", 1, Problem::MissingTab),
            (b"@SQ\tSN:a\tLN:1\tfoo\n", 1, Problem::Field),
            (b"@SQ\tLN:1\n", 1, Problem::NoName),
            (b"@SQ\tSN:a\tLN:1\n@SQ\tSN:a\tLN:1\n", 2, Problem::Duplicate { name: "a".into() }),
            (b"@RG\tSM:x\n", 1, Problem::NoReadGroupId),
        ];
        for (text, line, problem) in cases {
            match parse(&mut &text[..], &Limits::default()) {
                Err(Error::Invalid { line: l, problem: p }) => assert_eq!((l, p), (line, problem)),
                other => panic!("{}: {other:?}", String::from_utf8_lossy(text)),
            }
        }
        Ok(())
    }

    #[test]
    fn test_strtoll() {
        for (s, n) in
            [(&b"12"[..], 12), (b" +7x", 7), (b"-3", -3), (b"abc", 0), (b"", 0), (b"99999999999999999999", i64::MAX)]
        {
            assert_eq!(strtoll(s), n, "{s:?}");
        }
    }

    #[test]
    fn test_parse_limits() {
        let text = b"@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:10\n@SQ\tSN:chr2\tLN:10\n";
        let error = parse(&mut &text[..], &limits(text.len() as u64 - 1, 10)).err();
        let exceeded = Exceeded { limit: Limit::HeaderBytes, declared: None, allowed: text.len() as u64 - 1 };
        assert!(matches!(error, Some(Error::Limit(e)) if e == exceeded));
        let error = parse(&mut &text[..], &limits(1000, 1)).err();
        assert!(matches!(error, Some(Error::Limit(e)) if e.limit == Limit::ReferenceSequences));
        // One line without an end is read no further than the limit.
        let mut endless = io::repeat(b'C').take(1 << 40);
        let mut endless = io::BufReader::new(&mut endless);
        assert!(matches!(parse(&mut endless, &limits(1 << 20, 1)), Err(Error::Limit(_))));
    }
}
