//! The two files of a paired read set, scanned concurrently, one thread each, with their read
//! names compared record by record on the calling thread, without holding either file.

use std::io::{self, Read};
use std::mem;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, Scope, ScopedJoinHandle};

use super::scanner::Scanner;
use super::{Error, ErrorKind, Options, Summary, Which};
use crate::qc::Mate;

/// Names per batch handed from a source's thread to the comparing thread.
const BATCH: usize = 4096;
/// Batches in flight per source: one source runs at most this many batches ahead of the other.
const BATCHES: usize = 4;

/// Scans a pair, checking equal record counts and matching read names (compared after dropping
/// everything from the first space or tab, then a trailing `/1` or `/2`).
///
/// Each file is inflated, parsed and hashed on a thread of its own (its ETag digest on another
/// helper), so a pair uses both cores; the names cross to the calling thread in batches, and
/// memory stays bounded: a source runs at most [`BATCHES`] × [`BATCH`] names ahead of the other.
/// Both are read to their end unless an error stops the scan; then each thread stops at its next
/// batch.
///
/// The result is the one a lockstep scan (a record of `source1`, then one of `source2`) would
/// give: the first problem in that order is reported. With [`Options::qc`], `source1`'s records
/// count as first fragments (R1) and `source2`'s as last fragments (R2); the caller merges the two
/// collectors.
///
/// # Errors
///
/// Any error of [`scan`](super::scan) for either file; [`ErrorKind::NameMismatch`] at the first
/// pair of mates whose names differ (reported on `source2`); [`ErrorKind::RecordCountMismatch`]
/// on the longer file after it has been read to its end; [`ErrorKind::Io`] when a thread cannot
/// be started.
pub fn scan_pair<R1: Read + Send, R2: Read + Send>(
    r1: R1,
    r2: R2,
    options: impl Into<Options>,
) -> Result<(Summary, Summary), Error> {
    let options = options.into();
    thread::scope(|scope| {
        let mut one = Mates::spawn(scope, Which::Source1, r1, options)?;
        let mut two = Mates::spawn(scope, Which::Source2, r2, options)?;
        loop {
            match (one.read_record()?, two.read_record()?) {
                (true, true) if one.name() == two.name() => {}
                (true, true) => return Err(name_mismatch(&one, &two)),
                (false, false) => return Ok((one.finish(), two.finish())),
                (true, false) => return Err(count_mismatch(Which::Source1, one, Which::Source2, &two)),
                (false, true) => return Err(count_mismatch(Which::Source2, two, Which::Source1, &one)),
            }
        }
        // Returning drops both `Mates`: each stops and joins its thread (see its `Drop`).
    })
}

/// Read names of consecutive records: `names[ends[i - 1]..ends[i]]` is the i-th.
#[derive(Default)]
struct Batch {
    names: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    fn push(&mut self, name: &[u8]) {
        self.names.extend_from_slice(name);
        self.ends.push(self.names.len());
    }

    fn name(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.names[start..self.ends[i]]
    }
}

/// Scans one source on its own thread, sending its read names in batches; the batch read before
/// an error is sent before the error is returned.
fn produce<R: Read>(which: Which, reader: R, options: Options, names: &SyncSender<Batch>) -> Result<Summary, Error> {
    let mate = match which {
        Which::Source1 => Mate::First,
        Which::Source2 => Mate::Last,
    };
    let mut scanner = Scanner::open(which, reader, options, mate)?;
    let mut batch = Batch::default();
    loop {
        match scanner.read_record() {
            Ok(true) => batch.push(scanner.name()),
            Ok(false) => break,
            Err(error) => {
                let _ = names.send(batch);
                return Err(error);
            }
        }
        if batch.ends.len() == BATCH && names.send(mem::take(&mut batch)).is_err() {
            let stopped = io::Error::other("the scan of the other source stopped this one");
            return Err(Error::new(which, ErrorKind::Io(stopped)));
        }
    }
    let _ = names.send(batch);
    Ok(scanner.finish())
}

/// The comparing thread's view of one source: its names, record by record, then how it ended.
struct Mates<'scope> {
    names: Receiver<Batch>,
    batch: Batch,
    /// Index in `batch` of the current record's name (`usize::MAX` before the first).
    current: usize,
    records: u64,
    thread: Option<ScopedJoinHandle<'scope, Result<Summary, Error>>>,
    summary: Option<Summary>,
}

impl<'scope> Mates<'scope> {
    fn spawn<'env, R: Read + Send + 'scope>(
        scope: &'scope Scope<'scope, 'env>,
        which: Which,
        reader: R,
        options: Options,
    ) -> Result<Self, Error> {
        let (sender, names) = mpsc::sync_channel(BATCHES);
        let thread = thread::Builder::new()
            .name(format!("seqstore-fastq-{which}"))
            .spawn_scoped(scope, move || produce(which, reader, options, &sender))
            .map_err(|e| Error::new(which, ErrorKind::Io(e)))?;
        Ok(Self {
            names,
            batch: Batch::default(),
            current: usize::MAX,
            records: 0,
            thread: Some(thread),
            summary: None,
        })
    }

    /// Moves to the next record; `Ok(false)` at the end of a source read without error, `Err`
    /// with the source's own error where it stopped.
    fn read_record(&mut self) -> Result<bool, Error> {
        loop {
            let next = self.current.wrapping_add(1);
            if next < self.batch.ends.len() {
                self.current = next;
                self.records += 1;
                return Ok(true);
            }
            match self.names.recv() {
                Ok(batch) => {
                    self.batch = batch;
                    self.current = usize::MAX;
                }
                Err(_) => return self.end(),
            }
        }
    }

    /// The source's thread has sent its last batch: its result.
    fn end(&mut self) -> Result<bool, Error> {
        if let Some(thread) = self.thread.take() {
            let result = thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            self.summary = Some(result?);
        }
        Ok(false)
    }

    /// Read name of the current record.
    fn name(&self) -> &[u8] {
        self.batch.name(self.current)
    }

    /// Records read so far.
    fn records(&self) -> u64 {
        self.records
    }

    /// The summary of a source read to its end.
    fn finish(mut self) -> Summary {
        self.summary.take().expect("finish follows read_record returning false")
    }
}

impl Drop for Mates<'_> {
    /// Stops and joins the source's thread when the scan ends early: dropping the receiver makes
    /// its next send fail. Joined explicitly, so the thread has exited (not only finished its
    /// closure, all `thread::scope` waits for) when [`scan_pair`] returns.
    fn drop(&mut self) {
        let (_, closed) = mpsc::sync_channel(0);
        drop(mem::replace(&mut self.names, closed));
        if let Some(thread) = self.thread.take()
            && let Err(panic) = thread.join()
            && !thread::panicking()
        {
            std::panic::resume_unwind(panic);
        }
    }
}

fn name_mismatch(one: &Mates<'_>, two: &Mates<'_>) -> Error {
    let kind =
        ErrorKind::NameMismatch { name: two.name().to_vec(), other: Which::Source1, other_name: one.name().to_vec() };
    Error { which: Which::Source2, kind, record: Some(two.records()), line: None }
}

// `longer` has read one record more than `shorter` has in all; count the rest of it.
fn count_mismatch(which: Which, mut longer: Mates<'_>, other: Which, shorter: &Mates<'_>) -> Error {
    loop {
        match longer.read_record() {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => return error,
        }
    }
    let kind = ErrorKind::RecordCountMismatch { records: longer.records(), other, other_records: shorter.records() };
    Error::new(which, kind)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;

    use super::*;
    use crate::digest::Algorithm;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn message(r1: &[u8], r2: &[u8]) -> String {
        scan_pair(r1, r2, Algorithm::Md5).map_or_else(|e| e.to_string(), |_| "valid".to_owned())
    }

    #[test]
    fn test_scan_pair() -> TestResult {
        let r1 = b"@a/1 x:1\nACGT\n+\nIIII\n@b/1\nAC\n+\nII\n@c\tdesc\nA\n+\nI\n";
        let r2 = b"@a/2 x:2\nTT\n+\nII\n@b/2 extra words\nGGG\n+\nIII\n@c/2\nA\n+\nI\n";
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(r2)?;
        let r2_gz = encoder.finish()?;
        let (one, two) = scan_pair(&r1[..], &r2_gz[..], Algorithm::Sha256)?;
        assert_eq!((one.records, one.bases, one.max_read_length), (3, 7, 4));
        assert_eq!((two.records, two.bases, two.stored_bytes), (3, 6, r2_gz.len() as u64));
        Ok(())
    }

    #[test]
    fn test_scan_pair_mismatches() {
        let two = b"@a\nA\n+\nI\n@b\nA\n+\nI\n";
        let three = b"@a\nA\n+\nI\n@b\nA\n+\nI\n@c\nA\n+\nI\n";
        let renamed = b"@a\nA\n+\nI\n@x/2 b\nA\n+\nI\n";
        assert_eq!(message(two, three), "source2 has 3 records, source1 has 2");
        assert_eq!(message(three, two), "source1 has 3 records, source2 has 2");
        assert_eq!(message(two, renamed), "source2 record 2: read name 'x' does not match source1 read name 'b'");
        assert_eq!(message(two, b""), "source2 is empty");
        let invalid = b"@a\nA\n+\nI\n@b\nA\n+\n \n";
        assert_eq!(
            message(two, invalid),
            "source2 record 2 (line 8): quality contains ' ' (0x20) at position 1; allowed '!'..'~'"
        );
        // The longer file is validated to its end before its count is reported.
        assert_eq!(message(three, b"@a\nA\n+\nI\n"), "source1 has 3 records, source2 has 1");
        let bad_tail = b"@a\nA\n+\nI\n@b\nA\n+\nI\n@c\nA\n+\nII\n";
        assert_eq!(message(two, bad_tail), "source2 record 3 (line 12): sequence length 1 but quality length 2");
    }

    fn records(n: usize, rename_at: Option<usize>) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..n {
            let name = if Some(i) == rename_at { format!("x{i}") } else { format!("r{i}") };
            out.extend_from_slice(format!("@{name}\nACGT\n+\nIIII\n").as_bytes());
        }
        out
    }

    #[test]
    fn test_scan_pair_beyond_the_batches_in_flight() -> TestResult {
        // More names than the channels hold, so both threads block on full channels and resume.
        let n = BATCH * BATCHES * 3 + 7;
        let (one, two) = scan_pair(&records(n, None)[..], &records(n, None)[..], Algorithm::Md5)?;
        assert_eq!((one.records, two.records), (n as u64, n as u64));
        // An early mismatch stops the scan while the other thread still has most of its file.
        assert_eq!(
            message(&records(n, None), &records(n, Some(1))),
            "source2 record 2: read name 'x1' does not match source1 read name 'r1'"
        );
        // A mismatch far into the files, in the last batch of a source.
        assert_eq!(
            message(&records(n, Some(n - 1)), &records(n, None)),
            format!("source2 record {n}: read name 'r{}' does not match source1 read name 'x{}'", n - 1, n - 1)
        );
        // The longer file, many batches longer, is counted to its end.
        assert_eq!(message(&records(n, None), &records(5, None)), format!("source1 has {n} records, source2 has 5"));
        Ok(())
    }
}
