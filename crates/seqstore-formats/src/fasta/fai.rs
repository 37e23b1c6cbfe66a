//! The `.fai` text of a FASTA file as `samtools faidx` writes it: one line per sequence of name,
//! length, offset of the first base, bases per line and bytes per line, tab-separated.

use std::fmt::Write as _;

use super::{Error, ErrorKind, Sequence};

/// The `.fai` text of `sequences`, in their order.
pub(super) fn write(sequences: &[Sequence]) -> Vec<u8> {
    let mut text = String::new();
    for s in sequences {
        writeln!(text, "{}\t{}\t{}\t{}\t{}", s.name, s.length, s.offset, s.line_bases, s.line_width)
            .expect("writing to a String cannot fail");
    }
    text.into_bytes()
}

/// Parses a `.fai` text back into sequences, with `md5` left empty.
///
/// Accepts what [`Summary::fai`](super::Summary::fai) holds and `samtools faidx` writes for
/// FASTA: lines of five tab-separated fields, the name non-empty UTF-8 and the others decimal
/// numbers, bases per line at least 1 and less than bytes per line; the last line may lack its
/// `\n`.
///
/// # Errors
///
/// [`ErrorKind::FaiFields`], [`ErrorKind::FaiField`] or [`ErrorKind::LineLayout`], with the
/// 1-based `.fai` line.
pub fn parse_fai(text: &[u8]) -> Result<Vec<Sequence>, Error> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(|&b| b == b'\n').zip(1..).map(|(line, n)| parse_line(line).map_err(|kind| Error::at(kind, n))).collect()
}

fn parse_line(line: &[u8]) -> Result<Sequence, ErrorKind> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
    let [name, length, offset, line_bases, line_width] = fields[..] else {
        return Err(ErrorKind::FaiFields { found: fields.len() });
    };
    let name = match std::str::from_utf8(name) {
        Ok(name) if !name.is_empty() => name.to_owned(),
        _ => return Err(ErrorKind::FaiField { field: 1 }),
    };
    let sequence = Sequence {
        length: number(length, 2)?,
        md5: String::new(),
        refget: String::new(),
        offset: number(offset, 3)?,
        line_bases: number(line_bases, 4)?,
        line_width: number(line_width, 5)?,
        name,
    };
    check_layout(&sequence)?;
    Ok(sequence)
}

/// Checks that `sequence` has a line layout a file can have: bases per line at least 1 and less
/// than bytes per line.
pub(super) fn check_layout(sequence: &Sequence) -> Result<(), ErrorKind> {
    if sequence.line_bases == 0 || sequence.line_width <= sequence.line_bases {
        return Err(ErrorKind::LineLayout {
            name: sequence.name.clone(),
            line_bases: sequence.line_bases,
            line_width: sequence.line_width,
        });
    }
    Ok(())
}

fn number(field: &[u8], n: usize) -> Result<u64, ErrorKind> {
    let invalid = || ErrorKind::FaiField { field: n };
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    std::str::from_utf8(field).map_err(|_| invalid())?.parse().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence(name: &str, length: u64, offset: u64, line_bases: u64) -> Sequence {
        Sequence {
            name: name.to_owned(),
            length,
            md5: String::new(),
            refget: String::new(),
            offset,
            line_bases,
            line_width: line_bases + 1,
        }
    }

    #[test]
    fn test_write_and_parse() -> Result<(), Error> {
        let sequences = vec![sequence("chr1", 248_956_422, 112, 60), sequence("chrM", 16569, 253_105_752, 70)];
        let text = write(&sequences);
        assert_eq!(text, b"chr1\t248956422\t112\t60\t61\nchrM\t16569\t253105752\t70\t71\n");
        assert_eq!(parse_fai(&text)?, sequences);
        assert_eq!(parse_fai(&text[..text.len() - 1])?, sequences);
        assert_eq!(parse_fai(b"")?, vec![]);
        Ok(())
    }

    #[test]
    fn test_parse_errors() {
        let cases: [(&[u8], &str); 7] = [
            (b"chr1\t10\t6\t10\n\n", "reference .fai line 1: expected 5 tab-separated fields, found 4"),
            (b"chr1\t10\t6\t10\t11\n\n", "reference .fai line 2: expected 5 tab-separated fields, found 1"),
            (b"\t10\t6\t10\t11\n", "reference .fai line 1: field 1 (name) is invalid"),
            (b"chr1\t-10\t6\t10\t11\n", "reference .fai line 1: field 2 (length) is invalid"),
            (b"chr1\t10\t6\t10\t11\r\n", "reference .fai line 1: field 5 (line width) is invalid"),
            (b"chr1\t10\t6\t10\t99999999999999999999\n", "reference .fai line 1: field 5 (line width) is invalid"),
            (b"chr1\t10\t6\t10\t10\n", "reference .fai line 1: sequence 'chr1' has 10 bases in lines of 10 bytes"),
        ];
        for (text, expected) in cases {
            let message = parse_fai(text).map_or_else(|e| e.to_string(), |s| format!("valid {s:?}"));
            assert_eq!(message, expected, "for {:?}", String::from_utf8_lossy(text));
        }
    }
}
