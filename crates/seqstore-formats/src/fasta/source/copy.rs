//! A BGZF re-compression of decompressed text, written as it streams past, with the `.gzi` of the
//! blocks written, so a plain gzip reference can be stored in a form readable at random.

use std::io::{self, Write};

use noodles_bgzf::io::Writer;

use crate::fasta::Gzi;

/// Writes BGZF blocks (SAM/BAM specification § 4.1) to a sink and notes where each starts.
pub(super) struct BgzfCopy<'a> {
    writer: Writer<&'a mut dyn Write>,
    /// Uncompressed bytes written.
    written: u64,
    /// Compressed bytes written, as of the last block.
    position: u64,
    /// `(compressed, uncompressed)` start of each block after the first.
    starts: Vec<(u64, u64)>,
}

impl<'a> BgzfCopy<'a> {
    /// Starts an empty copy into `sink`.
    pub(super) fn new(sink: &'a mut dyn Write) -> Self {
        Self { writer: Writer::new(sink), written: 0, position: 0, starts: Vec::new() }
    }

    /// Appends `bytes`.
    pub(super) fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            // Each `write` fills the staged block at most, and writes it out when full.
            let n = self.writer.write(bytes)?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.written += n as u64;
            bytes = &bytes[n..];
            let position = self.writer.position();
            if position != self.position {
                self.position = position;
                let staged = u64::from(self.writer.virtual_position().uncompressed());
                self.starts.push((position, self.written - staged));
            }
        }
        Ok(())
    }

    /// Writes the last block and the EOF marker block, and returns the `.gzi` of the copy: the
    /// start of every block holding data but the first, as `bgzip -r` would list them.
    pub(super) fn finish(mut self) -> io::Result<Gzi> {
        self.writer.try_finish()?;
        // The block begun after the last full one is empty when the text ended there.
        if self.starts.last().is_some_and(|&(_, uncompressed)| uncompressed == self.written) {
            self.starts.pop();
        }
        Ok(Gzi::from_entries(self.starts))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn blocks(bgzf: &[u8]) -> Vec<(u64, u64, u64)> {
        // (compressed start, uncompressed start, ISIZE) of each block, from BSIZE and ISIZE.
        let (mut at, mut uncompressed, mut blocks) = (0, 0, Vec::new());
        while at < bgzf.len() {
            let bsize = usize::from(u16::from_le_bytes([bgzf[at + 16], bgzf[at + 17]])) + 1;
            let end = at + bsize;
            let isize = u32::from_le_bytes([bgzf[end - 4], bgzf[end - 3], bgzf[end - 2], bgzf[end - 1]]);
            blocks.push((at as u64, uncompressed, u64::from(isize)));
            uncompressed += u64::from(isize);
            at += bsize;
        }
        blocks
    }

    #[test]
    fn test_copy_lists_blocks() -> io::Result<()> {
        let text: Vec<u8> = (0..200_000u32).map(|i| b"ACGT\n"[(i % 5) as usize]).collect();
        for len in [0, 10, 65_495, 2 * 65_495, text.len()] {
            let mut sink = Vec::new();
            let mut copy = BgzfCopy::new(&mut sink);
            for chunk in text[..len].chunks(1000) {
                copy.write_all(chunk)?;
            }
            let gzi = copy.finish()?;
            let mut decoded = Vec::new();
            noodles_bgzf::io::Reader::new(&sink[..]).read_to_end(&mut decoded)?;
            assert_eq!(decoded, &text[..len]);
            let expected: Vec<(u64, u64)> =
                blocks(&sink).into_iter().filter(|b| b.2 > 0).skip(1).map(|(c, u, _)| (c, u)).collect();
            assert_eq!(gzi.entries(), expected, "{len}");
        }
        Ok(())
    }
}
