//! Scanning one line of a [`BufRead`] in place: bytes are classified by a 256-entry table as they
//! pass and handed to a sink chunk by chunk, so a line of any length is validated and digested
//! without being held.

use std::io::{self, BufRead};

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

/// Bytes of a sequence name: printable ASCII but space (a name ends at a space or tab).
pub(super) const NAME: Table = {
    let mut table = [STOP; 256];
    let mut b = b'!';
    while b <= b'~' {
        table[b as usize] = PASS;
        b += 1;
    }
    table[b'\n' as usize] = NEWLINE;
    table
};

/// IUPAC nucleotide letters of either case, `*` and `-`.
pub(super) const BASES: Table = {
    let mut table = [STOP; 256];
    let allowed = b"ACGTUNRYKMSWBDHVacgtunrykmswbdhv*-";
    let mut i = 0;
    while i < allowed.len() {
        table[allowed[i] as usize] = PASS;
        i += 1;
    }
    table[b'\n' as usize] = NEWLINE;
    table
};

/// Whether `byte` may be a base of a sequence line.
pub(in crate::fasta) fn is_base(byte: u8) -> bool {
    BASES[usize::from(byte)] == PASS && byte != b'\n'
}

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
    /// More than `limit` bytes passed without `\n`.
    TooLong,
}

/// Consumes bytes of the current line that `table` passes, handing them to `sink` in chunks, up
/// to and including its `\n` or up to (not including) the first byte the table stops at.
pub(super) fn scan<B: BufRead>(
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

    fn collect<B: BufRead>(reader: &mut B, table: &Table, limit: u64) -> io::Result<(Scanned, Vec<u8>)> {
        let mut sink = Vec::new();
        let scanned = scan(reader, table, limit, |chunk| sink.extend_from_slice(chunk))?;
        Ok((scanned, sink))
    }

    #[test]
    fn test_scan() -> io::Result<()> {
        let mut reader = &b"ACGTNacgtn*-\nAJG\nchr1 x\nAC"[..];
        assert_eq!(collect(&mut reader, &BASES, u64::MAX)?, (Scanned::Line { len: 12 }, b"ACGTNacgtn*-".to_vec()));
        assert_eq!(
            collect(&mut reader, &BASES, u64::MAX)?,
            (Scanned::Stopped { position: 1, byte: b'J' }, b"A".to_vec())
        );
        assert_eq!(reader, b"JG\nchr1 x\nAC");
        assert_eq!(collect(&mut reader, &ANY, u64::MAX)?.0, Scanned::Line { len: 2 });
        assert_eq!(
            collect(&mut reader, &NAME, u64::MAX)?,
            (Scanned::Stopped { position: 4, byte: b' ' }, b"chr1".to_vec())
        );
        assert_eq!(collect(&mut reader, &ANY, u64::MAX)?.0, Scanned::Line { len: 2 });
        assert_eq!(collect(&mut reader, &BASES, u64::MAX)?.0, Scanned::Unterminated { len: 2 });
        assert_eq!(collect(&mut reader, &BASES, u64::MAX)?.0, Scanned::Eof);
        Ok(())
    }

    #[test]
    fn test_scan_across_buffers_and_limit() -> io::Result<()> {
        let mut text = vec![b'a'; 100];
        text[70] = b'.';
        text.extend_from_slice(b"\n");
        let mut reader = io::BufReader::with_capacity(7, &text[..]);
        let (scanned, sink) = collect(&mut reader, &BASES, u64::MAX)?;
        assert_eq!(scanned, Scanned::Stopped { position: 70, byte: b'.' });
        assert_eq!(sink.len(), 70);
        assert_eq!(collect(&mut reader, &ANY, u64::MAX)?, (Scanned::Line { len: 30 }, text[70..100].to_vec()));
        assert_eq!(peek(&mut reader)?, None);
        assert_eq!(collect(&mut &b"abcdef\n"[..], &NAME, 5)?.0, Scanned::TooLong);
        assert_eq!(collect(&mut &b"abcde\n"[..], &NAME, 5)?.0, Scanned::Line { len: 5 });
        Ok(())
    }

    #[test]
    fn test_first_stop() {
        assert_eq!(first_stop(b"", &BASES), None);
        assert_eq!(first_stop(&[b'A'; 64], &BASES), None);
        for at in [0, 31, 32, 63, 64, 70] {
            let mut bytes = [b'c'; 71];
            bytes[at] = b'\n';
            assert_eq!(first_stop(&bytes, &BASES), Some(at));
        }
        assert_eq!(first_stop(b"acgu.", &BASES), Some(4));
        assert_eq!(first_stop(b"chr1\t", &NAME), Some(4));
        assert!(is_base(b'*') && is_base(b'n') && !is_base(b'\n') && !is_base(b'X'));
    }
}
