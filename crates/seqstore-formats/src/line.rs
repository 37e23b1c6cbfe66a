//! Scanning one line of a [`BufRead`] in place: bytes are classified by a 256-entry table as they
//! pass and handed to a sink chunk by chunk, so finding the newline and validating the line are
//! one pass, and a line of any length is validated (and digested) without being held.

use std::io::{self, BufRead};

/// Byte classes: 0 passes, anything else stops the scan ([`NEWLINE`] ends the line).
pub(crate) type Table = [u8; 256];

const PASS: u8 = 0;
const STOP: u8 = 1;
const NEWLINE: u8 = 2;

/// Any byte but `\n`.
pub(crate) const ANY: Table = {
    let mut table = [PASS; 256];
    table[b'\n' as usize] = NEWLINE;
    table
};

/// Printable ASCII but space, `!`..=`~`.
pub(crate) const GRAPHIC: Table = {
    let mut table = [STOP; 256];
    let mut b = b'!';
    while b <= b'~' {
        table[b as usize] = PASS;
        b += 1;
    }
    table[b'\n' as usize] = NEWLINE;
    table
};

/// The table passing exactly the bytes of `allowed` (which must not hold `\n`).
pub(crate) const fn allowing(allowed: &[u8]) -> Table {
    let mut table = [STOP; 256];
    let mut i = 0;
    while i < allowed.len() {
        table[allowed[i] as usize] = PASS;
        i += 1;
    }
    table[b'\n' as usize] = NEWLINE;
    table
}

/// Whether `table` passes `byte`.
pub(crate) fn passes(table: &Table, byte: u8) -> bool {
    table[usize::from(byte)] == PASS
}

/// How a line scan ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// End of input before any byte of the line.
    Eof,
    /// A whole line of `len` bytes, its `\n` consumed.
    Line { len: u64 },
    /// End of input after `len` bytes and no `\n`.
    Unterminated { len: u64 },
    /// A byte the table stops at, left unconsumed; `position` is 0-based within the line.
    Stopped { position: u64, byte: u8 },
    /// More than `limit` bytes passed without `\n`.
    TooLong,
}

/// Consumes bytes of the current line that `table` passes, handing them to `sink` in chunks, up
/// to and including its `\n` or up to (not including) the first byte the table stops at.
pub(crate) fn scan<B: BufRead>(
    reader: &mut B,
    table: &Table,
    limit: u64,
    mut sink: impl FnMut(&[u8]),
) -> io::Result<Scanned> {
    let mut len: u64 = 0;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(if len == 0 { Scanned::Eof } else { Scanned::Unterminated { len } });
        }
        let stop = first_stop(buf, table);
        let passed = stop.unwrap_or(buf.len());
        len += passed as u64;
        if len > limit {
            return Ok(Scanned::TooLong);
        }
        sink(&buf[..passed]);
        match stop.map(|i| buf[i]) {
            None => reader.consume(passed),
            Some(b'\n') => {
                reader.consume(passed + 1);
                return Ok(Scanned::Line { len });
            }
            Some(byte) => {
                reader.consume(passed);
                return Ok(Scanned::Stopped { position: len, byte });
            }
        }
    }
}

/// The next byte without consuming it; `None` at end of input.
pub(crate) fn peek<B: BufRead>(reader: &mut B) -> io::Result<Option<u8>> {
    loop {
        match reader.fill_buf() {
            Ok(buf) => return Ok(buf.first().copied()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

const BLOCK: usize = 32;

// Blocks are tested branch-free (OR of their classes) so the common all-pass case costs one
// branch per block; only a block that stops is searched byte by byte.
fn first_stop(bytes: &[u8], table: &Table) -> Option<usize> {
    let mut blocks = bytes.chunks_exact(BLOCK);
    for (i, block) in blocks.by_ref().enumerate() {
        let any = block.iter().fold(PASS, |acc, &b| acc | table[usize::from(b)]);
        if any != PASS {
            return block.iter().position(|&b| table[usize::from(b)] != PASS).map(|j| i * BLOCK + j);
        }
    }
    let tail = blocks.remainder();
    tail.iter().position(|&b| table[usize::from(b)] != PASS).map(|j| bytes.len() - tail.len() + j)
}

/// Scans one line into a new buffer (for tests).
#[cfg(test)]
pub(crate) fn collect<B: BufRead>(reader: &mut B, table: &Table, limit: u64) -> io::Result<(Scanned, Vec<u8>)> {
    let mut sink = Vec::new();
    let scanned = scan(reader, table, limit, |chunk| sink.extend_from_slice(chunk))?;
    Ok((scanned, sink))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGITS: Table = allowing(b"0123456789");

    #[test]
    fn test_scan() -> io::Result<()> {
        let mut reader = &b"0123\n12x4\nchr1 x\n56"[..];
        assert_eq!(collect(&mut reader, &DIGITS, u64::MAX)?, (Scanned::Line { len: 4 }, b"0123".to_vec()));
        assert_eq!(
            collect(&mut reader, &DIGITS, u64::MAX)?,
            (Scanned::Stopped { position: 2, byte: b'x' }, b"12".to_vec())
        );
        assert_eq!(reader, b"x4\nchr1 x\n56");
        assert_eq!(collect(&mut reader, &ANY, u64::MAX)?.0, Scanned::Line { len: 2 });
        assert_eq!(
            collect(&mut reader, &GRAPHIC, u64::MAX)?,
            (Scanned::Stopped { position: 4, byte: b' ' }, b"chr1".to_vec())
        );
        assert_eq!(collect(&mut reader, &ANY, u64::MAX)?.0, Scanned::Line { len: 2 });
        assert_eq!(collect(&mut reader, &DIGITS, u64::MAX)?.0, Scanned::Unterminated { len: 2 });
        assert_eq!(collect(&mut reader, &DIGITS, u64::MAX)?.0, Scanned::Eof);
        Ok(())
    }

    #[test]
    fn test_scan_limit() -> io::Result<()> {
        assert_eq!(collect(&mut &b"abcdef\n"[..], &GRAPHIC, 5)?.0, Scanned::TooLong);
        assert_eq!(collect(&mut &b"abcde\n"[..], &GRAPHIC, 5)?.0, Scanned::Line { len: 5 });
        assert_eq!(collect(&mut &b"abcde"[..], &ANY, 5)?.0, Scanned::Unterminated { len: 5 });
        Ok(())
    }

    #[test]
    fn test_scan_across_buffers_and_blocks() -> io::Result<()> {
        let mut text = vec![b'!'; 100];
        text[70] = b' ';
        text.extend_from_slice(b"\n");
        let mut reader = io::BufReader::with_capacity(7, &text[..]);
        let (scanned, sink) = collect(&mut reader, &GRAPHIC, u64::MAX)?;
        assert_eq!(scanned, Scanned::Stopped { position: 70, byte: b' ' });
        assert_eq!(sink.len(), 70);
        assert_eq!(collect(&mut reader, &ANY, u64::MAX)?, (Scanned::Line { len: 30 }, text[70..100].to_vec()));
        assert_eq!(peek(&mut reader)?, None);
        Ok(())
    }

    #[test]
    fn test_first_stop() {
        assert_eq!(first_stop(b"", &DIGITS), None);
        assert_eq!(first_stop(&[b'7'; 64], &DIGITS), None);
        for at in [0, 31, 32, 63, 64, 70] {
            let mut bytes = [b'1'; 71];
            bytes[at] = b'\n';
            assert_eq!(first_stop(&bytes, &DIGITS), Some(at));
        }
        assert_eq!(first_stop(b"0129.", &DIGITS), Some(4));
        assert_eq!(first_stop(b"chr1\t", &GRAPHIC), Some(4));
        assert!(passes(&GRAPHIC, b'~') && !passes(&GRAPHIC, b' ') && !passes(&ANY, b'\n') && passes(&ANY, 0));
    }
}
