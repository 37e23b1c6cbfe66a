//! Record-by-record validation of decompressed FASTQ text, counting records and bases with
//! line-accurate errors and no allocation per record.

use std::io::{self, BufRead};

use super::{Error, ErrorKind, MAX_LINE, Which};
use crate::line::{self, Scanned, Table};
use crate::qc::{Mate, QcCollector};

/// IUPAC nucleotide letters of either case, and `.`.
const SEQUENCE: Table = line::allowing(b"ACGTUNRYKMSWBDHVacgtunrykmswbdhv.");

/// Phred+33 quality characters `!`..=`~`.
const QUALITY: Table = line::GRAPHIC;

/// Validates FASTQ text from a [`BufRead`], one four-line record per [`Validator::read_record`].
///
/// Rules: the header starts with `@`; the sequence is IUPAC letters of either case or `.`; the
/// third line starts with `+` (anything may follow); the quality has the sequence's length and
/// bytes in `!`..=`~`; no line exceeds [`MAX_LINE`](super::MAX_LINE) bytes; `\r\n` endings,
/// wrapped records and blank lines other than at the very end are rejected. A last line without
/// `\n` is accepted. Memory is the header of the current record and `inner`'s buffer (and, with
/// [`Validator::collect_qc`], the collector's fixed arrays).
#[derive(Debug)]
pub struct Validator<B> {
    inner: B,
    which: Which,
    line: u64,
    records: u64,
    bases: u64,
    max_read_length: u64,
    header: Vec<u8>,
    /// Statistics of the records read, counted from the bytes as they are validated.
    qc: Option<(Box<QcCollector>, Mate)>,
}

impl<B: BufRead> Validator<B> {
    /// Validates the text of `inner`, naming it `which` in errors.
    pub fn new(which: Which, inner: B) -> Self {
        Self { inner, which, line: 0, records: 0, bases: 0, max_read_length: 0, header: Vec::new(), qc: None }
    }

    /// Also counts the quality-control statistics of every valid record, as records of `mate`'s
    /// file ([`Validator::take_qc`]). Counting happens in the same pass over the bytes as the
    /// validation, chunk by chunk; a record that turns out invalid has been partly counted (the
    /// scan fails then, so its statistics are moot).
    pub fn collect_qc(mut self, mate: Mate) -> Self {
        self.qc = Some((Box::new(QcCollector::new(0)), mate));
        self
    }

    /// Reads and validates the next record; `Ok(false)` at a clean end of the text.
    ///
    /// # Errors
    ///
    /// The first rule broken, with record and line, or [`ErrorKind::Io`] (without position) when
    /// `inner` fails. After an error the validator must not be used again.
    pub fn read_record(&mut self) -> Result<bool, Error> {
        if !self.read_header()? {
            return Ok(false);
        }
        if let Some((qc, mate)) = &mut self.qc {
            qc.begin_fastq(*mate);
        }
        let sequence = self.read_sequence()?;
        self.read_plus()?;
        self.read_quality(sequence)?;
        if let Some((qc, _)) = &mut self.qc {
            qc.end_fastq();
        }
        self.records += 1;
        self.bases += sequence;
        self.max_read_length = self.max_read_length.max(sequence);
        Ok(true)
    }
}

impl<B> Validator<B> {
    /// Records read so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Sum of the sequence lengths of the records read so far.
    pub fn bases(&self) -> u64 {
        self.bases
    }

    /// Longest sequence read so far.
    pub fn max_read_length(&self) -> u64 {
        self.max_read_length
    }

    /// The read name of the last record read: its header without `@`, cut at the first space or
    /// tab, then without a trailing `/1` or `/2`.
    pub fn name(&self) -> &[u8] {
        let header = self.header.get(1..).unwrap_or_default();
        let end = header.iter().position(|&b| b == b' ' || b == b'\t').unwrap_or(header.len());
        let name = &header[..end];
        name.strip_suffix(b"/1").or_else(|| name.strip_suffix(b"/2")).unwrap_or(name)
    }

    /// The statistics counted so far with [`Validator::collect_qc`] (then no more are).
    pub fn take_qc(&mut self) -> Option<Box<QcCollector>> {
        self.qc.take().map(|(qc, _)| qc)
    }

    /// The wrapped reader.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// Unwraps into the wrapped reader.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B: BufRead> Validator<B> {
    fn read_header(&mut self) -> Result<bool, Error> {
        match self.peek()? {
            None => return Ok(false),
            Some(b'\n') => return self.read_final_blank_lines().map(|()| false),
            Some(b'@') => {}
            Some(found) => return Err(self.invalid(ErrorKind::MissingHeader { found }, self.line + 1)),
        }
        self.line += 1;
        self.header.clear();
        let scanned = line::scan(&mut self.inner, &line::ANY, MAX_LINE, |chunk| self.header.extend_from_slice(chunk))
            .map_err(|e| self.io(e))?;
        match scanned {
            Scanned::Line { .. } if self.header.ends_with(b"\r") => Err(self.unplaced(ErrorKind::Crlf)),
            Scanned::Line { .. } => self.check_name().map(|()| true),
            Scanned::Unterminated { .. } => Err(self.invalid(ErrorKind::Truncated, self.line + 1)),
            Scanned::TooLong => Err(self.unplaced(ErrorKind::LineTooLong)),
            Scanned::Eof | Scanned::Stopped { .. } => unreachable!("a peeked '@' starts the line; ANY stops at '\\n'"),
        }
    }

    /// The read name (after `@`, up to the first space or tab) is 1+ printable ASCII bytes.
    fn check_name(&self) -> Result<(), Error> {
        let name = self.header[1..].split(|b| *b == b' ' || *b == b'\t').next().unwrap_or_default();
        if name.is_empty() {
            return Err(self.invalid(ErrorKind::EmptyName, self.line));
        }
        match name.iter().position(|b| !(b'!'..=b'~').contains(b)) {
            Some(i) => Err(self.invalid(ErrorKind::InvalidName { byte: name[i], position: i as u64 + 1 }, self.line)),
            None => Ok(()),
        }
    }

    fn read_sequence(&mut self) -> Result<u64, Error> {
        self.line += 1;
        let qc = &mut self.qc;
        let sink = |chunk: &[u8]| {
            if let Some((qc, _)) = qc {
                qc.fastq_bases(chunk);
            }
        };
        match line::scan(&mut self.inner, &SEQUENCE, MAX_LINE, sink).map_err(|e| self.io(e))? {
            Scanned::Line { len } => Ok(len),
            Scanned::Eof => Err(self.invalid(ErrorKind::Truncated, self.line)),
            Scanned::Unterminated { .. } => Err(self.invalid(ErrorKind::Truncated, self.line + 1)),
            Scanned::Stopped { byte: b'\r', .. } => Err(self.unplaced(ErrorKind::Crlf)),
            Scanned::Stopped { position, byte } => {
                Err(self.invalid(ErrorKind::InvalidSequence { byte, position: position + 1 }, self.line))
            }
            Scanned::TooLong => Err(self.unplaced(ErrorKind::LineTooLong)),
        }
    }

    fn read_plus(&mut self) -> Result<(), Error> {
        self.line += 1;
        match self.peek()? {
            None => Err(self.invalid(ErrorKind::Truncated, self.line)),
            Some(b'+') => match line::scan(&mut self.inner, &line::ANY, MAX_LINE, |_| {}).map_err(|e| self.io(e))? {
                Scanned::Line { .. } => Ok(()),
                Scanned::Unterminated { .. } => Err(self.invalid(ErrorKind::Truncated, self.line + 1)),
                Scanned::TooLong => Err(self.unplaced(ErrorKind::LineTooLong)),
                Scanned::Eof | Scanned::Stopped { .. } => {
                    unreachable!("a peeked '+' starts the line; ANY stops at '\\n'")
                }
            },
            // Not '+': if the line is more sequence, the record is wrapped.
            Some(_) => match line::scan(&mut self.inner, &SEQUENCE, MAX_LINE, |_| {}).map_err(|e| self.io(e))? {
                Scanned::Line { len } | Scanned::Unterminated { len } if len > 0 => {
                    Err(self.unplaced(ErrorKind::MultiLine))
                }
                Scanned::TooLong => Err(self.unplaced(ErrorKind::LineTooLong)),
                Scanned::Line { .. } | Scanned::Unterminated { .. } | Scanned::Stopped { .. } | Scanned::Eof => {
                    Err(self.invalid(ErrorKind::MissingPlus, self.line))
                }
            },
        }
    }

    fn read_quality(&mut self, sequence: u64) -> Result<(), Error> {
        self.line += 1;
        let qc = &mut self.qc;
        let sink = |chunk: &[u8]| {
            if let Some((qc, _)) = qc {
                qc.fastq_qualities(chunk);
            }
        };
        match line::scan(&mut self.inner, &QUALITY, MAX_LINE, sink).map_err(|e| self.io(e))? {
            Scanned::Line { len: quality } | Scanned::Unterminated { len: quality } if quality == sequence => Ok(()),
            Scanned::Line { len: quality } | Scanned::Unterminated { len: quality } => {
                Err(self.invalid(ErrorKind::LengthMismatch { sequence, quality }, self.line))
            }
            Scanned::Eof => Err(self.invalid(ErrorKind::Truncated, self.line)),
            Scanned::Stopped { byte: b'\r', .. } => Err(self.unplaced(ErrorKind::Crlf)),
            Scanned::Stopped { position, byte } => {
                Err(self.invalid(ErrorKind::InvalidQuality { byte, position: position + 1 }, self.line))
            }
            Scanned::TooLong => Err(self.unplaced(ErrorKind::LineTooLong)),
        }
    }

    // Blank lines are accepted only if nothing but blank lines follows.
    fn read_final_blank_lines(&mut self) -> Result<(), Error> {
        let first = self.line + 1;
        loop {
            match self.peek()? {
                None => return Ok(()),
                Some(b'\n') => {
                    self.inner.consume(1);
                    self.line += 1;
                }
                Some(_) => {
                    self.line = first;
                    return Err(self.unplaced(ErrorKind::BlankLine));
                }
            }
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, Error> {
        line::peek(&mut self.inner).map_err(|e| self.io(e))
    }

    fn invalid(&self, kind: ErrorKind, line: u64) -> Error {
        Error { which: self.which, kind, record: Some(self.records + 1), line: Some(line) }
    }

    fn unplaced(&self, kind: ErrorKind) -> Error {
        Error { which: self.which, kind, record: None, line: Some(self.line) }
    }

    fn io(&self, e: io::Error) -> Error {
        Error::new(self.which, ErrorKind::Io(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(text: &[u8]) -> Result<(u64, u64, u64), Error> {
        let mut validator = Validator::new(Which::Source1, text);
        while validator.read_record()? {}
        Ok((validator.records(), validator.bases(), validator.max_read_length()))
    }

    fn message(text: &[u8]) -> String {
        validate(text).map_or_else(|e| e.to_string(), |counts| format!("valid {counts:?}"))
    }

    #[test]
    fn test_read_record() -> Result<(), Error> {
        let mut validator =
            Validator::new(Which::Source1, &b"@r1/1 c\nACGT\n+r1\nIIII\n@r2\tx\n\n+\n\n@r3/2\nn.\n+\n!~"[..]);
        assert!(validator.read_record()?);
        assert_eq!(validator.name(), b"r1");
        assert!(validator.read_record()?);
        assert_eq!(validator.name(), b"r2");
        assert!(validator.read_record()?);
        assert_eq!(validator.name(), b"r3");
        assert!(!validator.read_record()?);
        assert_eq!((validator.records(), validator.bases(), validator.max_read_length()), (3, 6, 4));
        Ok(())
    }

    #[test]
    fn test_read_record_accepts_edges() -> Result<(), Error> {
        assert_eq!(validate(b"")?, (0, 0, 0));
        assert_eq!(validate(b"@r\nACGTURYKMSWBDHVN\n+\nIIIIIIIIIIIIIIII\n\n\n")?, (1, 16, 16));
        assert_eq!(validate(b"@r\n\n+\n\n")?, (1, 0, 0));
        assert_eq!(validate(b"@r\nA\n+\nI")?, (1, 1, 1));
        Ok(())
    }

    #[test]
    fn test_read_record_errors() {
        let cases: [(&[u8], &str); 19] = [
            (
                b"@r1\r\nACGT\r\n+\r\nIIII\r\n",
                "source1 line 1: CRLF line endings; convert with dos2unix or tr -d '\\r'",
            ),
            (b"@r1\nACGT\r\n+\nIIII\n", "source1 line 2: CRLF line endings; convert with dos2unix or tr -d '\\r'"),
            (
                b"@r1\nACGT\n+\nIIII\n@r2\nACGTACGT\nACGT\n+\nIIIIIIII\nIIII\n",
                "source1 line 7: multi-line FASTQ; unwrap it, e.g. seqkit seq -w 0",
            ),
            (
                b"@r1\nACGT\n+\nIIII\nr2\n",
                "source1 record 2 (line 5): header line must start with '@', found 'r' (0x72)",
            ),
            (b"@r1\nACGT\n@r2\n", "source1 record 1 (line 3): missing '+' line"),
            (b"@r1\nACGT\n\n", "source1 record 1 (line 3): missing '+' line"),
            (
                b"@r1\nACGTACGTACGX\n+\nIIIIIIIIIIII\n",
                "source1 record 1 (line 2): sequence contains 'X' (0x58) at position 12; \
                 allowed: IUPAC letters of either case and '.'",
            ),
            (
                b"@r1\nAC-T\n+\nIIII\n",
                "source1 record 1 (line 2): sequence contains '-' (0x2d) at position 3; \
                 allowed: IUPAC letters of either case and '.'",
            ),
            (
                b"@r1\nACGT\n+\nII I\n",
                "source1 record 1 (line 4): quality contains ' ' (0x20) at position 3; allowed '!'..'~'",
            ),
            (b"@r1\nACGT\n+\nIII\n", "source1 record 1 (line 4): sequence length 4 but quality length 3"),
            (b"@r1\n\n+\nI\n", "source1 record 1 (line 4): sequence length 0 but quality length 1"),
            (b"@r1\nACGT\n+\nIIII\n@r2\n", "source1 record 2 (line 6): truncated: file ends inside a record"),
            (b"@r1\nACGT\n+\nIIII\n@r2", "source1 record 2 (line 6): truncated: file ends inside a record"),
            (b"@r1\nACGT\n+\n", "source1 record 1 (line 4): truncated: file ends inside a record"),
            (b"@r1\nACGT\n+\nIIII\n\n\n@r2\nA\n+\nI\n", "source1 line 5: blank line before the end of the file"),
            (b"@r1\nACGT\n+", "source1 record 1 (line 4): truncated: file ends inside a record"),
            (
                b"@r\xc3\xa9ad comment\nACGT\n+\nIIII\n",
                "source1 record 1 (line 1): read name contains '\\xc3' (0xc3) at position 2; allowed: printable ASCII '!'..'~'",
            ),
            (b"@\nACGT\n+\nIIII\n", "source1 record 1 (line 1): header line has no read name"),
            (b"@ r1\nACGT\n+\nIIII\n", "source1 record 1 (line 1): header line has no read name"),
        ];
        for (text, expected) in cases {
            assert_eq!(message(text), expected, "for {:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn test_read_record_line_too_long() {
        let mut text = b"@r1\n".to_vec();
        text.resize(text.len() + MAX_LINE as usize + 1, b'A');
        text.push(b'\n');
        assert_eq!(message(&text), "source1 line 2: line longer than 64 MiB");
    }

    #[test]
    fn test_sequence_and_quality_tables() -> io::Result<()> {
        let mut reader = &b"ACGTNacgtn.\nAXG\n!~\n \n"[..];
        assert_eq!(line::collect(&mut reader, &SEQUENCE, MAX_LINE)?.0, Scanned::Line { len: 11 });
        assert_eq!(line::collect(&mut reader, &SEQUENCE, MAX_LINE)?.0, Scanned::Stopped { position: 1, byte: b'X' });
        line::collect(&mut reader, &line::ANY, MAX_LINE)?;
        assert_eq!(line::collect(&mut reader, &QUALITY, MAX_LINE)?.0, Scanned::Line { len: 2 });
        assert_eq!(line::collect(&mut reader, &QUALITY, MAX_LINE)?.0, Scanned::Stopped { position: 0, byte: b' ' });
        assert!(!line::passes(&SEQUENCE, b'-') && !line::passes(&SEQUENCE, b'*'));
        Ok(())
    }
}
