//! SAM header text inside BAM and CRAM headers, parsed line by line within [`Limits`]: the text
//! never takes more than `header_bytes` of input, and at most `reference_sequences` `@SQ` lines are
//! parsed, so a header bomb (gigabytes of `@CO` lines that compress to megabytes) is refused after
//! reading no more than the limit.

use std::io::{self, BufRead, Read};

use noodles_sam as sam;

use crate::limits::{Exceeded, Limit, Limits};

/// Why header text could not be parsed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// Reading failed, or a line does not parse (as [`io::ErrorKind::InvalidData`]).
    #[error("invalid SAM header text")]
    Read(#[source] io::Error),
    /// The text goes beyond [`Limits`].
    #[error(transparent)]
    Limit(Exceeded),
}

/// Parses the text of `reader` as noodles' BAM and CRAM header readers do: line by line (`\n` or
/// `\r\n`), ending at the end of the input or at a NUL that starts a line (padding).
///
/// # Errors
///
/// [`Error::Limit`] once more than `limits.header_bytes` bytes of text or more than
/// `limits.reference_sequences` `@SQ` lines are found (nothing past the limit is read); otherwise
/// [`Error::Read`] for a failed read or a line that does not parse.
pub(crate) fn parse<R: BufRead>(reader: &mut R, limits: &Limits) -> Result<sam::Header, Error> {
    let mut parser = sam::header::Parser::default();
    let mut line = Vec::new();
    let mut remaining = limits.header_bytes;
    let mut references = 0u64;
    loop {
        if reader.fill_buf().map_err(Error::Read)?.first().is_none_or(|&b| b == 0) {
            return Ok(parser.finish());
        }
        line.clear();
        // One byte more than the text allowed tells that there is more.
        let n = (&mut *reader).take(remaining.saturating_add(1)).read_until(b'\n', &mut line).map_err(Error::Read)?;
        remaining = remaining.checked_sub(n as u64).ok_or(Error::Limit(too_much_text(limits)))?;
        if line.ends_with(b"\n") {
            line.pop();
            if line.ends_with(b"\r") {
                line.pop();
            }
        }
        if line.starts_with(b"@SQ") {
            references += 1;
            if references > limits.reference_sequences {
                return Err(Error::Limit(Exceeded::holds_more(Limit::ReferenceSequences, limits.reference_sequences)));
            }
        }
        parser.parse_partial(&line).map_err(|e| Error::Read(io::Error::new(io::ErrorKind::InvalidData, e)))?;
    }
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
        let text = b"@HD\tVN:1.6\tSO:coordinate\r\n@SQ\tSN:chr1\tLN:10\n@CO\tx\n\0\0\0";
        let header = parse(&mut &text[..], &Limits::default())?;
        assert_eq!(header.reference_sequences().len(), 1);
        assert_eq!(header.comments().len(), 1);
        // Exactly at both limits.
        let header = parse(&mut &text[..text.len() - 3], &limits(text.len() as u64 - 3, 1))?;
        assert_eq!(header.reference_sequences().len(), 1);
        Ok(())
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
        assert!(matches!(parse(&mut &b"@XY\tno\n"[..], &Limits::default()), Err(Error::Read(_))));
    }
}
