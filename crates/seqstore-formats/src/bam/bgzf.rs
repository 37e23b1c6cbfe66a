//! BGZF (SAM/BAM § 4.1) inflated on worker threads: every block's CRC-32 and ISIZE checked, the
//! stream required to end with the EOF marker block, and virtual positions for indexing.
//!
//! noodles' readers neither report which block is bad nor notice a missing EOF marker, and its
//! multithreaded reader needs a `'static` source, so blocks are framed and inflated here, on
//! scoped threads: one reads frames from the source, [`WORKERS`] inflate them, and the calling
//! thread reads the data in order through [`Blocks`]. Blocks travel in batches of [`BATCH`], so
//! the threads hand work to each other (and wake each other) once per batch, not per block.
//!
//! Measured: `benches/scanners.rs` (`bam_scan`, `inflate::libdeflate` 1.2× `inflate::flate2_zlib_rs`;
//! `benches/README.md`, "Scanners") and the A/B of the batches in `bench/README.md` ("What limits
//! the import": 314k → 88k context switches, 0.93 of the BAM import's CPU).

use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use libdeflater::Decompressor;
use noodles_bgzf::VirtualPosition;

use super::ErrorKind;
use crate::bgzf::{self as block, BLOCK_START, BlockFault, HEADER, TRAILER};

/// The 28-byte empty block that ends every BGZF file (SAM/BAM § 4.1.2).
pub(super) const EOF_MARKER: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00, 0x1b, 0x00, 0x03,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// Threads inflating blocks.
const WORKERS: usize = 2;
/// Blocks handed from thread to thread at once.
const BATCH: usize = 8;
/// Batches read ahead of the consumer: memory is about twice `AHEAD * BATCH` 64 KiB blocks (raw
/// and inflated), plus the batches being inflated and read.
const AHEAD: usize = 4;

/// One raw block as read from the source.
struct Frame {
    offset: u64,
    raw: Vec<u8>,
}

/// One inflated block.
#[derive(Default)]
struct Block {
    offset: u64,
    size: u64,
    data: Vec<u8>,
}

/// The blocks of one batch in order; an error ends it (nothing after the error is inflated).
type Inflated = Vec<Result<Block, ErrorKind>>;
type Pending = Receiver<Inflated>;
type Job = (Vec<Frame>, SyncSender<Inflated>);

/// Runs `consume` over the data of the BGZF stream `source`, inflated on worker threads, and
/// returns its result with the source, read to its end unless `consume` stopped early. Every
/// thread has been joined when it returns.
pub(super) fn decode<I, T>(source: I, consume: impl FnOnce(&mut Blocks) -> T) -> (T, I)
where
    I: Read + Send,
{
    let (jobs, queue) = mpsc::sync_channel::<Job>(AHEAD);
    let queue = Mutex::new(queue);
    let (order, pending) = mpsc::sync_channel::<Pending>(AHEAD);
    // Consumed blocks' buffers go back to the workers, and inflated frames' buffers to the
    // reader: no allocation per block.
    let (recycle, free) = mpsc::channel::<Vec<u8>>();
    let free = Mutex::new(free);
    let (raw_recycle, raw_free) = mpsc::channel::<Vec<u8>>();
    thread::scope(|scope| {
        let reader = scope.spawn(move || read_frames(source, &jobs, &order, &raw_free));
        let workers: Vec<_> =
            (0..WORKERS).map(|_| scope.spawn(|| inflate_all(&queue, &free, raw_recycle.clone()))).collect();
        let mut blocks = Blocks {
            pending,
            recycle,
            batch: Vec::new().into_iter(),
            block: Block::default(),
            position: 0,
            error: None,
        };
        let result = consume(&mut blocks);
        // Dropping the receiving end stops the reader if `consume` stopped early; the reader's end
        // closes the job queue, which stops the workers.
        drop(blocks);
        let source = reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // Joined rather than left to the scope, which waits for their closures but not for the
        // threads themselves to exit.
        for worker in workers {
            worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        (result, source)
    })
}

/// Reads frames from `source` until its end, queueing them in batches for the workers and each
/// batch's pending result for the consumer, in order; a framing error or a missing EOF marker is
/// queued after the frames before it. Frame buffers come from `raw_free` when there are any.
fn read_frames<I: Read>(
    mut source: I,
    jobs: &SyncSender<Job>,
    order: &SyncSender<Pending>,
    raw_free: &Receiver<Vec<u8>>,
) -> I {
    let mut offset = 0;
    let mut last_is_eof_marker = false;
    let mut batch = Vec::with_capacity(BATCH);
    // Queues `batch` (when it holds frames); false once the consumer or the workers are gone.
    let send = |batch: &mut Vec<Frame>| {
        if batch.is_empty() {
            return true;
        }
        let (done, result) = mpsc::sync_channel(1);
        order.send(result).is_ok() && jobs.send((std::mem::replace(batch, Vec::with_capacity(BATCH)), done)).is_ok()
    };
    loop {
        let raw = raw_free.try_recv().unwrap_or_default();
        let failure = match read_frame(&mut source, offset, raw) {
            Ok(Some(frame)) => {
                offset += frame.raw.len() as u64;
                last_is_eof_marker = frame.raw == EOF_MARKER;
                batch.push(frame);
                if batch.len() == BATCH && !send(&mut batch) {
                    return source;
                }
                continue;
            }
            Ok(None) if last_is_eof_marker => {
                send(&mut batch);
                return source;
            }
            Ok(None) => ErrorKind::MissingEof,
            Err(kind) => kind,
        };
        // The consumer stops at the first error, so nothing is read after it.
        if send(&mut batch) {
            let (done, result) = mpsc::sync_channel(1);
            let _ = done.send(vec![Err(failure)]);
            let _ = order.send(result);
        }
        return source;
    }
}

/// Reads the block at `offset` into `raw` (cleared first): `None` at the end of the source.
fn read_frame<I: Read>(source: &mut I, offset: u64, mut raw: Vec<u8>) -> Result<Option<Frame>, ErrorKind> {
    raw.clear();
    raw.resize(HEADER, 0);
    match read_full(source, &mut raw) {
        Ok(0) => return Ok(None),
        Ok(n) if n < HEADER => return Err(ErrorKind::Truncated { offset }),
        Ok(_) => {}
        Err(e) => return Err(ErrorKind::Io(e)),
    }
    let corrupt = |reason| ErrorKind::CorruptBlock { offset, reason };
    if raw[..4] != BLOCK_START {
        return Err(corrupt("not a gzip header with extra fields"));
    }
    let xlen = block::xlen(&raw);
    fill(source, &mut raw, HEADER + xlen, offset)?;
    let block_size = block::block_size(&raw[HEADER..]).ok_or_else(|| corrupt("no BC field with the block size"))?;
    if block_size < HEADER + xlen + TRAILER {
        return Err(corrupt("block size smaller than its header"));
    }
    fill(source, &mut raw, block_size, offset)?;
    Ok(Some(Frame { offset, raw }))
}

/// Extends `raw` to `len` bytes from `source`.
fn fill<I: Read>(source: &mut I, raw: &mut Vec<u8>, len: usize, offset: u64) -> Result<(), ErrorKind> {
    let start = raw.len();
    raw.resize(len, 0);
    match read_full(source, &mut raw[start..]) {
        Ok(n) if n == len - start => Ok(()),
        Ok(_) => Err(ErrorKind::Truncated { offset }),
        Err(e) => Err(ErrorKind::Io(e)),
    }
}

/// Reads until `buf` is full or the source ends; returns the bytes read.
fn read_full<I: Read>(source: &mut I, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match source.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Inflates queued batches until the reader hangs up, into recycled buffers from `free` when
/// there are any; each frame's buffer goes back to the reader through `raw_recycle`.
fn inflate_all(queue: &Mutex<Receiver<Job>>, free: &Mutex<Receiver<Vec<u8>>>, raw_recycle: mpsc::Sender<Vec<u8>>) {
    let mut inflater = Decompressor::new();
    loop {
        // A poisoned lock means another worker panicked; its join re-raises that panic.
        let Ok(job) = queue.lock().map(|queue| queue.recv()) else { return };
        let Ok((frames, done)) = job else { return };
        let mut inflated = Vec::with_capacity(frames.len());
        for frame in frames {
            let data = free.lock().ok().and_then(|free| free.try_recv().ok()).unwrap_or_default();
            let block = inflate(&mut inflater, &frame, data);
            // The reader may have ended; the buffer is then freed.
            let _ = raw_recycle.send(frame.raw);
            let failed = block.is_err();
            inflated.push(block);
            if failed {
                break;
            }
        }
        // The consumer may have stopped; the blocks are then dropped.
        let _ = done.send(inflated);
    }
}

/// Inflates one frame and checks its CRC-32 and ISIZE (see [`block::inflate_into`]).
fn inflate(inflater: &mut Decompressor, frame: &Frame, mut data: Vec<u8>) -> Result<Block, ErrorKind> {
    let Frame { offset, ref raw } = *frame;
    let fault = |fault| match fault {
        BlockFault::Corrupt(reason) => ErrorKind::CorruptBlock { offset, reason },
        BlockFault::BadSize => ErrorKind::BadSize { offset },
        BlockFault::BadCrc => ErrorKind::BadCrc { offset },
    };
    let isize = block::uncompressed_size(raw).map_err(fault)?;
    // Only bytes the buffer never held are zeroed.
    data.resize(isize, 0);
    block::inflate_into(inflater, raw, &mut data).map_err(fault)?;
    Ok(Block { offset, size: raw.len() as u64, data })
}

/// The inflated data, in order, as a [`Read`] with virtual positions.
///
/// After a read fails, [`Blocks::take_error`] tells a fault of the BGZF stream from one of the
/// source.
pub(super) struct Blocks {
    pending: Receiver<Pending>,
    recycle: mpsc::Sender<Vec<u8>>,
    /// The rest of the batch `block` came from.
    batch: std::vec::IntoIter<Result<Block, ErrorKind>>,
    block: Block,
    position: usize,
    error: Option<ErrorKind>,
}

impl Blocks {
    /// Virtual position of the next byte: the next block's start once this one is consumed.
    pub(super) fn virtual_position(&self) -> VirtualPosition {
        let (offset, position) = if self.position < self.block.data.len() {
            (self.block.offset, self.position as u64)
        } else {
            (self.block.offset + self.block.size, 0)
        };
        VirtualPosition::from(offset << 16 | position)
    }

    /// The unread data of the current block, loading the next non-empty block when it is
    /// consumed; empty at the end of the stream.
    pub(super) fn fill(&mut self) -> io::Result<&[u8]> {
        while self.position == self.block.data.len() {
            let next = match self.batch.next() {
                Some(next) => next,
                None => {
                    let Ok(pending) = self.pending.recv() else { break };
                    // A closed result channel means its worker panicked; the scope re-raises that
                    // panic.
                    let batch = pending
                        .recv()
                        .unwrap_or_else(|_| vec![Err(ErrorKind::Io(io::Error::other("BGZF worker failed")))]);
                    self.batch = batch.into_iter();
                    continue;
                }
            };
            match next {
                Ok(block) => {
                    let used = std::mem::replace(&mut self.block, block);
                    // The workers may have ended (after an error); the buffer is then freed.
                    let _ = self.recycle.send(used.data);
                    self.position = 0;
                }
                Err(kind) => {
                    self.error = Some(kind);
                    return Err(io::Error::other("invalid BGZF stream"));
                }
            }
        }
        Ok(&self.block.data[self.position..])
    }

    /// The fault of the BGZF stream or source that made a read fail, if that was the cause.
    pub(super) fn take_error(&mut self) -> Option<ErrorKind> {
        self.error.take()
    }
}

impl Read for Blocks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let data = self.fill()?;
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        self.position += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::testing::bgzf;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn read_all(raw: &[u8]) -> Result<Vec<u8>, ErrorKind> {
        let (result, _) = decode(raw, |blocks| {
            let mut out = Vec::new();
            blocks.read_to_end(&mut out).map_err(|e| blocks.take_error().unwrap_or(ErrorKind::Io(e)))?;
            Ok(out)
        });
        result
    }

    #[test]
    fn test_decode() -> TestResult {
        let text: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let raw = bgzf(&text)?;
        assert_eq!(read_all(&raw)?, text);
        assert_eq!(read_all(&EOF_MARKER)?, b"");
        Ok(())
    }

    #[test]
    fn test_decode_faults() -> TestResult {
        let raw = bgzf(b"hello")?;
        assert!(matches!(read_all(&raw[..raw.len() - 28]), Err(ErrorKind::MissingEof)));
        assert!(matches!(read_all(&raw[..10]), Err(ErrorKind::Truncated { offset: 0 })));
        assert!(matches!(read_all(&raw[..20]), Err(ErrorKind::Truncated { offset: 0 })));
        let mut crc = raw.clone();
        crc[raw.len() - 28 - 8] ^= 1;
        assert!(matches!(read_all(&crc), Err(ErrorKind::BadCrc { offset: 0 })));
        let mut size = raw.clone();
        size[raw.len() - 28 - 4] ^= 1;
        assert!(matches!(read_all(&size), Err(ErrorKind::BadSize { offset: 0 })));
        let mut trailing = raw.clone();
        trailing.extend_from_slice(b"garbage, not BGZF");
        let first = raw.len() as u64;
        assert!(matches!(read_all(&trailing), Err(ErrorKind::CorruptBlock { offset, .. }) if offset == first));
        Ok(())
    }

    /// Offsets of the blocks of `raw`, in order.
    fn offsets(raw: &[u8]) -> Result<Vec<u64>, ErrorKind> {
        let (mut source, mut offsets, mut offset) = (raw, Vec::new(), 0);
        while let Some(frame) = read_frame(&mut source, offset, Vec::new())? {
            offsets.push(offset);
            offset += frame.raw.len() as u64;
        }
        Ok(offsets)
    }

    /// A fault in any block of a batch, or between batches: the blocks before it are read in
    /// full, then the fault is reported with that block's offset.
    #[test]
    fn test_decode_faults_across_batches() -> TestResult {
        let text: Vec<u8> = (0..1_500_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let raw = bgzf(&text)?;
        let offsets = offsets(&raw)?;
        assert!(offsets.len() > 2 * BATCH + 2, "{} blocks", offsets.len());
        for bad in [1, BATCH - 1, BATCH, BATCH + 3, 2 * BATCH] {
            let (start, end) = (offsets[bad] as usize, offsets[bad + 1] as usize);
            // The data of the blocks before `bad`: the text up to where block `bad` starts.
            let before = offsets[..bad].iter().zip(&offsets[1..]).map(|(a, b)| {
                let block = &raw[*a as usize..*b as usize];
                u32::from_le_bytes(block[block.len() - 4..].try_into().expect("4 bytes")) as usize
            });
            let before: usize = before.sum();
            let read_until_fault = |raw: &[u8]| {
                let (result, _) = decode(raw, |blocks| {
                    let mut out = Vec::new();
                    let e = blocks.read_to_end(&mut out).expect_err("a fault");
                    (out, blocks.take_error().unwrap_or(ErrorKind::Io(e)))
                });
                result
            };
            let mut crc = raw.clone();
            crc[end - 8] ^= 1;
            let (out, fault) = read_until_fault(&crc);
            assert_eq!(out, text[..before], "block {bad}");
            assert!(matches!(fault, ErrorKind::BadCrc { offset } if offset == start as u64), "block {bad}: {fault:?}");
            let (out, fault) = read_until_fault(&raw[..end - 1]);
            assert_eq!(out, text[..before], "block {bad}");
            assert!(
                matches!(fault, ErrorKind::Truncated { offset } if offset == start as u64),
                "block {bad}: {fault:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn test_virtual_position() -> TestResult {
        let raw = bgzf(b"hello")?;
        let (positions, _) = decode(&raw[..], |blocks| -> io::Result<_> {
            let start = blocks.virtual_position();
            blocks.read_exact(&mut [0; 2])?;
            let middle = blocks.virtual_position();
            blocks.read_exact(&mut [0; 3])?;
            Ok((start, middle, blocks.virtual_position()))
        });
        let block = (raw.len() - 28) as u64;
        assert_eq!(
            positions?,
            (VirtualPosition::from(0), VirtualPosition::from(2), VirtualPosition::from(block << 16))
        );
        Ok(())
    }
}
