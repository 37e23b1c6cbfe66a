//! Scanning one line of a [`BufRead`] in place: bytes are classified by a 256-entry table as they
//! pass, so finding the newline and validating the line are one pass without copying.

use std::io::{self, BufRead};

use super::super::MAX_LINE;

/// Byte classes: 0 passes, anything else stops the scan ([`NEWLINE`] ends the line).
pub(super) type Table = [u8; 256];

const PASS: u8 = 0;
const STOP: u8 = 1;
const NEWLINE: u8 = 2;

/// Any byte but `\n`.
pub(super) const ANY: Table = {
    let mut table = [PASS; 256];
    table[b'\n' as usize] = NEWLINE;
    table
};

/// IUPAC nucleotide letters of either case, and `.`.
pub(super) const SEQUENCE: Table = {
    let mut table = [STOP; 256];
    let allowed = b"ACGTUNRYKMSWBDHVacgtunrykmswbdhv.";
    let mut i = 0;
    while i < allowed.len() {
        table[allowed[i] as usize] = PASS;
        i += 1;
    }
    table[b'\n' as usize] = NEWLINE;
    table
};

/// Phred+33 quality characters `!`..=`~`.
pub(super) const QUALITY: Table = {
    let mut table = [STOP; 256];
    let mut b = b'!';
    while b <= b'~' {
        table[b as usize] = PASS;
        b += 1;
    }
    table[b'\n' as usize] = NEWLINE;
    table
};

/// How a line scan ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Scanned {
    /// End of input before any byte of the line.
    Eof,
    /// A whole line of `len` bytes, its `\n` consumed.
    Line { len: u64 },
    /// End of input after `len` bytes and no `\n`.
    Unterminated { len: u64 },
    /// A byte the table stops at, left unconsumed; `position` is 0-based within the line.
    Stopped { position: u64, byte: u8 },
    /// More than [`MAX_LINE`] bytes without `\n`.
    TooLong,
}

/// Consumes bytes of the current line that `table` passes, appending them to `sink` if given, up
/// to and including its `\n` or up to (not including) the first byte the table stops at.
pub(super) fn scan<B: BufRead>(reader: &mut B, table: &Table, mut sink: Option<&mut Vec<u8>>) -> io::Result<Scanned> {
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
        if let Some(sink) = sink.as_deref_mut() {
            sink.extend_from_slice(&buf[..passed]);
        }
        let byte = stop.map(|i| buf[i]);
        len += passed as u64;
        if len > MAX_LINE {
            return Ok(Scanned::TooLong);
        }
        match byte {
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
pub(super) fn peek<B: BufRead>(reader: &mut B) -> io::Result<Option<u8>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_scan() -> io::Result<()> {
        let mut reader = &b"ACGTNacgtn.\nAXG\nAC"[..];
        assert_eq!(scan(&mut reader, &SEQUENCE, None)?, Scanned::Line { len: 11 });
        assert_eq!(scan(&mut reader, &SEQUENCE, None)?, Scanned::Stopped { position: 1, byte: b'X' });
        assert_eq!(reader, b"XG\nAC");
        assert_eq!(scan(&mut reader, &ANY, None)?, Scanned::Line { len: 2 });
        assert_eq!(scan(&mut reader, &SEQUENCE, None)?, Scanned::Unterminated { len: 2 });
        assert_eq!(scan(&mut reader, &SEQUENCE, None)?, Scanned::Eof);
        Ok(())
    }

    #[test]
    fn test_scan_across_buffers_and_blocks() -> io::Result<()> {
        let mut text = vec![b'!'; 100];
        text[70] = b' ';
        text.extend_from_slice(b"\n");
        let mut reader = io::BufReader::with_capacity(7, &text[..]);
        let mut sink = Vec::new();
        assert_eq!(scan(&mut reader, &QUALITY, Some(&mut sink))?, Scanned::Stopped { position: 70, byte: b' ' });
        assert_eq!(sink.len(), 70);
        assert_eq!(scan(&mut reader, &ANY, Some(&mut sink))?, Scanned::Line { len: 30 });
        assert_eq!(sink.len(), 100);
        assert_eq!(peek(&mut reader)?, None);
        Ok(())
    }

    #[test]
    fn test_first_stop() {
        assert_eq!(first_stop(b"", &QUALITY), None);
        assert_eq!(first_stop(&[b'I'; 64], &QUALITY), None);
        for at in [0, 31, 32, 63, 64, 70] {
            let mut bytes = [b'I'; 71];
            bytes[at] = b'\n';
            assert_eq!(first_stop(&bytes, &QUALITY), Some(at));
        }
        assert_eq!(first_stop(b"acgu-", &SEQUENCE), Some(4));
    }
}
