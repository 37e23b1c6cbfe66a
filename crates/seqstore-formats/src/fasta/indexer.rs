//! Line-by-line validation of decompressed FASTA text into `.fai` entries, with per-sequence MD5
//! and GA4GH refget identifier of the upper-cased bases, line-accurate errors and no sequence held
//! in memory.

use std::collections::HashMap;
use std::io::{self, BufRead};

use super::{Error, ErrorKind, MAX_NAME, Sequence};
use crate::counted::Counted;
use crate::digest::{Algorithm, Digest};
use crate::line::{self, Scanned, Table};

/// Upper-cased bases gathered before each MD5 update.
const BATCH: usize = 64 * 1024;

/// Bytes of a sequence name: printable ASCII but space (a name ends at a space or tab).
const NAME: Table = line::GRAPHIC;

/// IUPAC nucleotide letters of either case, `*` and `-`.
const BASES: Table = line::allowing(b"ACGTUNRYKMSWBDHVacgtunrykmswbdhv*-");

/// Whether `byte` may be a base of a sequence line.
pub(super) fn is_base(byte: u8) -> bool {
    line::passes(&BASES, byte)
}

/// Validates FASTA text from a [`BufRead`] and collects one [`Sequence`] per record.
///
/// Rules: the first non-empty line is a `>` header; a name follows `>` directly, is printable
/// ASCII up to the first space or tab, at most [`MAX_NAME`] bytes, and unique; sequence lines
/// hold IUPAC nucleotide letters of either case, `*` or `-`; every line of a sequence but its
/// last has the bases of its first line and the last has no more; every sequence has bases; `\r`
/// and blank lines other than at the very end are rejected. A last line without `\n` is
/// accepted. Memory is the names, one batch of upper-cased bases and `inner`'s buffer.
pub(super) struct Indexer<B> {
    inner: Counted<B>,
    line: u64,
    sequences: Vec<Sequence>,
    first_lines: HashMap<String, u64>,
    current: Option<Current>,
    upper: Vec<u8>,
    name: Vec<u8>,
}

/// The sequence being read.
struct Current {
    name: String,
    header_line: u64,
    offset: u64,
    length: u64,
    line_bases: u64,
    /// Line and bases of a line shorter than the first: only the end of the sequence may follow.
    short: Option<(u64, u64)>,
    /// MD5 and SHA-512 of the upper-cased bases.
    digests: [Digest; 2],
}

impl<B: BufRead> Indexer<B> {
    /// Validates the text of `inner`, counting offsets from its current position.
    pub(super) fn new(inner: B) -> Self {
        Self {
            inner: Counted::new(inner),
            line: 0,
            sequences: Vec::new(),
            first_lines: HashMap::new(),
            current: None,
            upper: Vec::with_capacity(BATCH + BATCH / 2),
            name: Vec::new(),
        }
    }

    /// Reads the text to its end.
    ///
    /// # Errors
    ///
    /// The first rule broken, with its line (and sequence), [`ErrorKind::Empty`] when there is
    /// no header at all, or [`ErrorKind::Io`] (without position) when `inner` fails. After an
    /// error the indexer must not be used again.
    pub(super) fn run(&mut self) -> Result<(), Error> {
        loop {
            match self.peek()? {
                None => break,
                Some(b'>') => self.read_header()?,
                Some(b'\n') => {
                    self.read_blank_lines()?;
                    break;
                }
                Some(_) if self.current.is_none() => return Err(Error::at(ErrorKind::MissingHeader, self.line + 1)),
                Some(_) => self.read_bases()?,
            }
        }
        self.end_sequence()?;
        if self.sequences.is_empty() {
            return Err(Error::new(ErrorKind::Empty));
        }
        Ok(())
    }
}

impl<B> Indexer<B> {
    /// The wrapped reader.
    pub(super) fn inner(&self) -> &B {
        self.inner.inner()
    }

    /// The sequences read, in file order, and the wrapped reader.
    pub(super) fn into_parts(self) -> (Vec<Sequence>, B) {
        (self.sequences, self.inner.into_inner())
    }
}

impl<B: BufRead> Indexer<B> {
    fn read_header(&mut self) -> Result<(), Error> {
        self.end_sequence()?;
        self.line += 1;
        self.inner.consume(1);
        let name = self.read_name()?;
        if let Some(&first_line) = self.first_lines.get(&name) {
            let kind = ErrorKind::DuplicateName { name: name.clone(), first_line };
            return Err(Error::at(kind, self.line).of(&name));
        }
        self.first_lines.insert(name.clone(), self.line);
        self.current = Some(Current {
            name,
            header_line: self.line,
            offset: self.inner.taken(),
            length: 0,
            line_bases: 0,
            short: None,
            digests: [Digest::new(Algorithm::Md5), Digest::new(Algorithm::Sha512)],
        });
        Ok(())
    }

    // The name after `>`, then the rest of the header line is skipped.
    fn read_name(&mut self) -> Result<String, Error> {
        self.name.clear();
        let name = &mut self.name;
        let scanned =
            line::scan(&mut self.inner, &NAME, MAX_NAME, |chunk| name.extend_from_slice(chunk)).map_err(io_error)?;
        let kind = match scanned {
            Scanned::Eof | Scanned::Line { len: 0 } | Scanned::Stopped { position: 0, byte: b' ' | b'\t' } => {
                ErrorKind::MissingName
            }
            Scanned::Line { .. } | Scanned::Unterminated { .. } => return Ok(self.name_text()),
            Scanned::Stopped { byte: b' ' | b'\t', .. } => {
                self.skip_description()?;
                return Ok(self.name_text());
            }
            Scanned::Stopped { byte: b'\r', .. } => {
                self.inner.consume(1);
                match self.peek()? {
                    Some(b'\n') | None => ErrorKind::Crlf,
                    Some(_) => ErrorKind::InvalidName { byte: b'\r' },
                }
            }
            Scanned::Stopped { byte, .. } => ErrorKind::InvalidName { byte },
            Scanned::TooLong => ErrorKind::NameTooLong,
        };
        Err(Error::at(kind, self.line))
    }

    fn name_text(&self) -> String {
        // NAME passes printable ASCII only, so the bytes are one char each.
        self.name.iter().map(|&b| char::from(b)).collect()
    }

    // The rest of a header after its name: anything but a final `\r`.
    fn skip_description(&mut self) -> Result<(), Error> {
        let mut last = None;
        line::scan(&mut self.inner, &line::ANY, u64::MAX, |chunk| last = chunk.last().copied().or(last))
            .map_err(io_error)?;
        if last == Some(b'\r') {
            return Err(Error::at(ErrorKind::Crlf, self.line));
        }
        Ok(())
    }

    fn read_bases(&mut self) -> Result<(), Error> {
        self.line += 1;
        let Some(current) = self.current.as_mut() else { unreachable!("bases are read after a header") };
        let (upper, digests) = (&mut self.upper, &mut current.digests);
        let scanned = line::scan(&mut self.inner, &BASES, u64::MAX, |chunk| {
            upper.extend_from_slice(chunk);
            if upper.len() >= BATCH {
                digest_upper(upper, digests);
            }
        })
        .map_err(io_error)?;
        let len = match scanned {
            Scanned::Line { len } | Scanned::Unterminated { len } => len,
            Scanned::Stopped { byte: b'\r', .. } => return Err(Error::at(ErrorKind::Crlf, self.line)),
            Scanned::Stopped { position, byte } => {
                let kind = ErrorKind::InvalidBase { name: current.name.clone(), byte, column: position + 1 };
                return Err(Error::at(kind, self.line).of(&current.name));
            }
            Scanned::Eof | Scanned::TooLong => unreachable!("a peeked byte starts the line; there is no limit"),
        };
        current.check_line(self.line, len)
    }

    // Blank lines are accepted only if nothing but blank lines follows: `Ok` at the end.
    fn read_blank_lines(&mut self) -> Result<(), Error> {
        let first = self.line + 1;
        while self.peek()? == Some(b'\n') {
            self.inner.consume(1);
            self.line += 1;
        }
        match self.peek()? {
            None => Ok(()),
            Some(b'>') => Err(Error::at(ErrorKind::BlankLine, first)),
            Some(_) if self.current.is_none() => Err(Error::at(ErrorKind::MissingHeader, self.line + 1)),
            Some(_) => Err(Error::at(ErrorKind::BlankLine, first)),
        }
    }

    fn end_sequence(&mut self) -> Result<(), Error> {
        let Some(mut current) = self.current.take() else { return Ok(()) };
        if current.length == 0 {
            let kind = ErrorKind::NoBases { name: current.name.clone(), header_line: current.header_line };
            return Err(Error::at(kind, current.header_line).of(&current.name));
        }
        digest_upper(&mut self.upper, &mut current.digests);
        let [md5, sha512] = current.digests;
        self.sequences.push(Sequence {
            name: current.name,
            length: current.length,
            md5: md5.finalize_hex(),
            refget: refget_from_sha512_hex(&sha512.finalize_hex()),
            offset: current.offset,
            line_bases: current.line_bases,
            // `\r` is refused, so every line ends with exactly one byte, `\n` (or the end of the
            // file, which samtools counts the same).
            line_width: current.line_bases + 1,
        });
        Ok(())
    }

    fn peek(&mut self) -> Result<Option<u8>, Error> {
        line::peek(&mut self.inner).map_err(io_error)
    }
}

impl Current {
    // The rule of `.fai` (and of samtools faidx): lines as long as the first, then at most one
    // shorter line, last.
    fn check_line(&mut self, line: u64, bases: u64) -> Result<(), Error> {
        let unequal = |line, found| {
            let kind = ErrorKind::UnequalLines { name: self.name.clone(), expected: self.line_bases, found };
            Err(Error::at(kind, line).of(&self.name))
        };
        if let Some((short_line, short_bases)) = self.short {
            return unequal(short_line, short_bases);
        }
        if self.line_bases == 0 {
            self.line_bases = bases;
        } else if bases > self.line_bases {
            return unequal(line, bases);
        } else if bases < self.line_bases {
            self.short = Some((line, bases));
        }
        self.length += bases;
        Ok(())
    }
}

fn digest_upper(upper: &mut Vec<u8>, digests: &mut [Digest; 2]) {
    upper.make_ascii_uppercase();
    for digest in digests {
        digest.update(upper);
    }
    upper.clear();
}

/// The GA4GH refget identifier (`SQ.` + `sha512t24u`) of a sequence whose SHA-512 is `hex`.
fn refget_from_sha512_hex(hex: &str) -> String {
    use base64::Engine;
    let bytes = hex::decode(hex).expect("a digest's hex decodes");
    format!("SQ.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..24]))
}

/// The GA4GH refget identifier of `bases` as stored (upper-cased first, as the indexer does):
/// `SQ.` + URL-safe base64 of the first 24 bytes of their SHA-512.
pub fn refget_id(bases: &[u8]) -> String {
    let mut digest = Digest::new(Algorithm::Sha512);
    digest.update(&bases.to_ascii_uppercase());
    refget_from_sha512_hex(&digest.finalize_hex())
}

fn io_error(e: io::Error) -> Error {
    Error::new(ErrorKind::Io(e))
}

#[cfg(test)]
mod tests {
    use md5::Digest as _;

    use super::*;

    fn index(text: &[u8]) -> Result<Vec<Sequence>, Error> {
        let mut indexer = Indexer::new(text);
        indexer.run()?;
        Ok(indexer.into_parts().0)
    }

    fn message(text: &[u8]) -> String {
        index(text).map_or_else(|e| e.to_string(), |sequences| format!("valid {sequences:?}"))
    }

    fn md5_upper(bases: &[u8]) -> String {
        hex::encode(md5::Md5::digest(bases.to_ascii_uppercase()))
    }

    fn sequence(name: &str, bases: &[u8], offset: u64, line_bases: u64) -> Sequence {
        Sequence {
            name: name.to_owned(),
            length: bases.len() as u64,
            md5: md5_upper(bases),
            refget: refget_id(bases),
            offset,
            line_bases,
            line_width: line_bases + 1,
        }
    }

    /// The refget specification's example: `ACGT` is `SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2`.
    #[test]
    fn test_refget_id_matches_the_specification() -> Result<(), Error> {
        assert_eq!(refget_id(b"ACGT"), "SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2");
        assert_eq!(refget_id(b"acgt"), refget_id(b"ACGT"), "upper-cased first");
        let sequences = index(b">s desc\nAC\nGT\n")?;
        assert_eq!(sequences[0].refget, "SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2");
        assert_eq!(sequences[0].md5, "f1f8f4bf413b16ad135722aa4591043e");
        Ok(())
    }

    #[test]
    fn test_run() -> Result<(), Error> {
        let text = b">chr1 human chromosome 1\nACGTacgt\nNNNN\n>chr2\tx\nRYKM\nSWBD\nHV*-\n>chrM\nuu";
        let expected = vec![
            sequence("chr1", b"ACGTacgtNNNN", 25, 8),
            sequence("chr2", b"RYKMSWBDHV*-", 47, 4),
            sequence("chrM", b"uu", 68, 2),
        ];
        assert_eq!(index(text)?, expected);
        Ok(())
    }

    #[test]
    fn test_run_accepts_edges() -> Result<(), Error> {
        assert_eq!(index(b">a\nAC\nG\n\n\n")?, vec![sequence("a", b"ACG", 3, 2)]);
        assert_eq!(index(b">a\nACG\nACG\n")?, vec![sequence("a", b"ACGACG", 3, 3)]);
        assert_eq!(index(b">a\nACG")?, vec![sequence("a", b"ACG", 3, 3)]);
        assert_eq!(index(b">a|b:c=1;*\nA\n")?[0].name, "a|b:c=1;*");
        let long = [b'c'; 3 * BATCH + 5];
        let mut text = b">long\n".to_vec();
        text.extend_from_slice(&long);
        assert_eq!(index(&text)?, vec![sequence("long", &long, 6, long.len() as u64)]);
        Ok(())
    }

    #[test]
    fn test_run_errors() {
        let cases: [(&[u8], &str); 22] = [
            (b"", "reference is empty"),
            (b"\n\n", "reference is empty"),
            (b"ACGT\n", "reference line 1: missing '>' header; is this FASTA?"),
            (b"\n\nACGT\n", "reference line 3: missing '>' header; is this FASTA?"),
            (b"\n>a\nACGT\n", "reference line 1: blank line before the end of the file"),
            (b">a\nAC\n\nGT\n", "reference line 3: blank line before the end of the file"),
            (b">a\nAC\n\n>b\nGT\n", "reference line 3: blank line before the end of the file"),
            (b">\nACGT\n", "reference line 1: header has no sequence name: the name must follow '>' directly"),
            (b"> chr1\nACGT\n", "reference line 1: header has no sequence name: the name must follow '>' directly"),
            (b">a\nA\n>", "reference line 3: header has no sequence name: the name must follow '>' directly"),
            (b">a\x01b\nA\n", "reference line 1: sequence name contains '\\x01' (0x01); allowed: printable ASCII"),
            (b">a\r\nA\r\n", "reference line 1: CRLF line endings; convert with dos2unix or tr -d '\\r'"),
            (b">a desc\r\nA\r\n", "reference line 1: CRLF line endings; convert with dos2unix or tr -d '\\r'"),
            (b">a\nACGT\r\n", "reference line 2: CRLF line endings; convert with dos2unix or tr -d '\\r'"),
            (
                b">chr1\nACGT\n>chr2\nA\n>chr1\nA\n",
                "reference line 5: duplicate sequence name 'chr1' (first at line 1)",
            ),
            (b">chr1\nACGT\nACGJ\n", "reference line 3: sequence 'chr1' contains 'J' (0x4a) at column 4"),
            (b">chr1\nAC.T\n", "reference line 2: sequence 'chr1' contains '.' (0x2e) at column 3"),
            (b">chr1\nA\n>chr2\n>chr3\nA\n", "reference sequence 'chr2' (line 3) has no bases"),
            (b">chr1\nA\n>chr2", "reference sequence 'chr2' (line 3) has no bases"),
            (
                b">chr1\nACG\nACGT\n",
                "reference line 3: sequence 'chr1' has lines of 3 and 4 bases; .fai needs equal line lengths: \
                 reformat with samtools faidx or seqkit seq -w 3",
            ),
            (
                b">chr1\nACG\nAC\nACG\n",
                "reference line 3: sequence 'chr1' has lines of 3 and 2 bases; .fai needs equal line lengths: \
                 reformat with samtools faidx or seqkit seq -w 3",
            ),
            (b">a\nA\n;comment\n", "reference line 3: sequence 'a' contains ';' (0x3b) at column 1"),
        ];
        for (text, expected) in cases {
            assert_eq!(message(text), expected, "for {:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn test_run_error_fields() -> Result<(), Box<dyn std::error::Error>> {
        let error = index(b">a\nAC\n>b\nAZ\n").err().ok_or("no error")?;
        assert!(matches!(error.kind, ErrorKind::InvalidBase { byte: b'Z', column: 2, .. }));
        assert_eq!((error.line, error.sequence.as_deref()), (Some(4), Some("b")));
        Ok(())
    }

    #[test]
    fn test_run_name_too_long() {
        let mut text = b">".to_vec();
        text.resize(MAX_NAME as usize + 2, b'n');
        text.extend_from_slice(b"\nA\n");
        assert_eq!(message(&text), format!("reference line 1: sequence name longer than {MAX_NAME} bytes"));
    }

    #[test]
    fn test_name_and_bases_tables() -> io::Result<()> {
        let mut reader = &b"ACGTNacgtn*-\nAJG\nchr1 x\n"[..];
        let (scanned, bases) = line::collect(&mut reader, &BASES, u64::MAX)?;
        assert_eq!((scanned, bases), (Scanned::Line { len: 12 }, b"ACGTNacgtn*-".to_vec()));
        assert_eq!(line::collect(&mut reader, &BASES, u64::MAX)?.0, Scanned::Stopped { position: 1, byte: b'J' });
        line::collect(&mut reader, &line::ANY, u64::MAX)?;
        assert_eq!(line::collect(&mut reader, &NAME, u64::MAX)?.0, Scanned::Stopped { position: 4, byte: b' ' });
        assert!(is_base(b'*') && is_base(b'n') && !is_base(b'\n') && !is_base(b'X') && !is_base(b'.'));
        Ok(())
    }
}
