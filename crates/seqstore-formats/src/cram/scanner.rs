//! The scan: framing on the calling thread, decoding on worker threads, digesting in container
//! order, with the reference repository switched (after the decoders drain) whenever the
//! containers move to another reference sequence, so one whole sequence is held at a time.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, Scope, ScopedJoinHandle};

use noodles_fasta as fasta;
use noodles_sam as sam;

use super::decode::{self, Decoded, Job, SortKey};
use super::framing::{self, Frame, FrameError};
use super::reference::{self, Client, Failure};
use super::{Error, ErrorKind, IndexKind, Options, ReferenceSource, Summary, crai, header};
use crate::counted::Counted;
use crate::digest::{Algorithm, Digest, StoredReader};
use crate::flagstat::AlignmentStatistics;
use crate::limits::Limits;
use crate::qc::QcCollector;

const READ_BUFFER: usize = 1 << 20;
const MAX_WORKERS: usize = 8;

type Input<R> = Counted<BufReader<StoredReader<R>>>;

pub(super) fn scan<R: Read + Send>(
    reader: R,
    source: &dyn ReferenceSource,
    options: &Options,
) -> Result<Summary, Error> {
    let hashing = StoredReader::new(reader);
    let mut input = Counted::new(BufReader::with_capacity(READ_BUFFER, hashing));
    let version = header::read_file_definition(&mut input)?;
    let sam_header = header::read_sam_header(&mut input, &options.limits)?;
    header::check_reference(&sam_header, &options.reference)?;
    let sorted = header::is_coordinate_sorted(&sam_header);
    let collector = Collector::new(&sam_header, options.algorithm, sorted);
    let (collector, qc) =
        thread::scope(|scope| Pipeline::start(scope, &sam_header, options, source)?.run(&mut input, collector))?;
    // Bytes after the EOF container are kept, and so digested, like the rest.
    let mut rest = input.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(ErrorKind::Io)?;
    let (_, stored) = rest.into_inner().into_parts();
    let aligned = !sam_header.reference_sequences().is_empty() && collector.statistics.mapped > 0;
    let index = match sorted {
        true => Some((IndexKind::Crai, crai::encode(&collector.crai).map_err(ErrorKind::Io)?)),
        false => None,
    };
    Ok(Summary {
        records: collector.records,
        bases: collector.bases,
        aligned,
        statistics: collector.statistics,
        etag: collector.digest.finalize_hex(),
        stored_sha256: stored.sha256,
        stored_md5: stored.md5,
        stored_bytes: stored.bytes,
        version: Some(version),
        sorted,
        index,
        unindexed: None,
        qc,
    })
}

/// Worker threads, the reference server, and the channels between them and the caller.
struct Pipeline<'scope> {
    jobs: Option<SyncSender<Job>>,
    results: Receiver<Result<Decoded, Error>>,
    cancelled: Arc<AtomicBool>,
    client: Client,
    failure: Failure,
    in_flight: usize,
    max_in_flight: usize,
    limits: Limits,
    /// The decoders, each ending with the statistics of the records it decoded (with
    /// [`Options::qc`]).
    decoders: Vec<ScopedJoinHandle<'scope, Option<Box<QcCollector>>>>,
    /// The reference server.
    server: Option<ScopedJoinHandle<'scope, ()>>,
}

impl<'scope> Pipeline<'scope> {
    fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        header: &'env sam::Header,
        options: &'env Options,
        source: &'env dyn ReferenceSource,
    ) -> Result<Self, Error> {
        let name_prefix = options.name_prefix.as_str();
        let workers = thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, MAX_WORKERS);
        let (jobs, job_queue) = mpsc::sync_channel::<Job>(workers);
        let job_queue = Arc::new(Mutex::new(job_queue));
        let (result_sender, results) = mpsc::channel();
        let cancelled = Arc::new(AtomicBool::new(false));
        let mut decoders = Vec::with_capacity(workers);
        let qc = options.qc;
        for i in 0..workers {
            let queue = Arc::clone(&job_queue);
            let sender = result_sender.clone();
            let cancelled = Arc::clone(&cancelled);
            decoders.push(
                thread::Builder::new()
                    .name(format!("cram-decode-{i}"))
                    .spawn_scoped(scope, move || {
                        let mut qc = qc.then(|| Box::new(QcCollector::new(header.reference_sequences().len())));
                        work(header, name_prefix, &queue, &sender, &cancelled, qc.as_deref_mut());
                        qc
                    })
                    .map_err(ErrorKind::Thread)?,
            );
        }
        let (requests, request_queue) = mpsc::channel();
        let server = thread::Builder::new()
            .name("cram-reference".into())
            .spawn_scoped(scope, move || reference::serve(source, request_queue))
            .map_err(ErrorKind::Thread)?;
        let failure = Failure::default();
        let client = Client::new(requests, failure.clone());
        let max_in_flight = 2 * workers;
        let limits = options.limits;
        let server = Some(server);
        Ok(Self {
            jobs: Some(jobs),
            results,
            cancelled,
            client,
            failure,
            in_flight: 0,
            max_in_flight,
            limits,
            decoders,
            server,
        })
    }

    /// Feeds every container to the decoders and collects the results, with the decoders'
    /// statistics merged; every thread has been joined when it returns.
    fn run<'h, R: Read>(
        mut self,
        input: &mut Input<R>,
        mut collector: Collector<'h>,
    ) -> Result<(Collector<'h>, Option<Box<QcCollector>>), Error> {
        let result = self.feed(input, &mut collector);
        if result.is_err() {
            self.cancelled.store(true, Ordering::Relaxed);
        }
        let qc = self.join();
        result.map(|()| (collector, qc))
    }

    /// Closes the job queue, which ends the decoders (skipping what is queued once cancelled),
    /// whose end drops the last reference clients, which ends the server; joins them in that
    /// order. Joined rather than left to the scope, which waits for their closures but not for the
    /// threads themselves to exit. Returns the decoders' statistics merged.
    fn join(self) -> Option<Box<QcCollector>> {
        let Self { jobs, results, client, decoders, server, .. } = self;
        drop((jobs, results, client));
        let mut merged: Option<Box<QcCollector>> = None;
        for thread in decoders {
            let qc = thread.join().unwrap_or_else(|panic| panic::resume_unwind(panic));
            match (&mut merged, qc) {
                (Some(merged), Some(qc)) => merged.merge(&qc),
                (None, qc) => merged = qc,
                (Some(_), None) => {}
            }
        }
        if let Some(server) = server {
            server.join().unwrap_or_else(|panic| panic::resume_unwind(panic));
        }
        merged
    }

    fn feed<R: Read>(&mut self, input: &mut Input<R>, collector: &mut Collector<'_>) -> Result<(), Error> {
        let mut current: Option<(i32, fasta::Repository)> = None;
        let mut sequence = 0;
        let mut first_record = 1;
        loop {
            let frame = read_frame(input, &self.limits)?;
            if frame.is_eof() {
                break;
            }
            let repository = match (frame.reference_sequence_id, &current) {
                (-1, _) => fasta::Repository::default(),
                (id, Some((current_id, repository))) if id >= 0 && id == *current_id => repository.clone(),
                (id, _) => {
                    // Let the decoders of the previous reference finish before fetching another.
                    drop(current.take());
                    self.drain(collector, 0)?;
                    let repository = self.client.repository();
                    current = Some((id, repository.clone()));
                    repository
                }
            };
            let record_count = frame.record_count;
            let job = Job { sequence, first_record, frame, repository };
            sequence += 1;
            first_record += record_count;
            self.send(job)?;
            self.drain(collector, self.max_in_flight - 1)?;
        }
        drop(current);
        self.jobs = None;
        self.drain(collector, 0)?;
        collector.finish()
    }

    fn send(&mut self, job: Job) -> Result<(), Error> {
        let jobs = self.jobs.as_ref().ok_or_else(|| Error::new(ErrorKind::Thread(stopped())))?;
        jobs.send(job).map_err(|_| ErrorKind::Thread(stopped()))?;
        self.in_flight += 1;
        Ok(())
    }

    // Collects results until at most `limit` jobs are in flight.
    fn drain(&mut self, collector: &mut Collector<'_>, limit: usize) -> Result<(), Error> {
        while self.in_flight > limit {
            let result = self.results.recv().map_err(|_| ErrorKind::Thread(stopped()))?;
            self.in_flight -= 1;
            match result {
                Ok(decoded) => collector.push(decoded)?,
                Err(e) => return Err(self.failure.take().map_or(e, Error::new)),
            }
        }
        Ok(())
    }
}

fn work(
    header: &sam::Header,
    name_prefix: &str,
    queue: &Mutex<Receiver<Job>>,
    results: &mpsc::Sender<Result<Decoded, Error>>,
    cancelled: &AtomicBool,
    mut qc: Option<&mut QcCollector>,
) {
    loop {
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        if cancelled.load(Ordering::Relaxed) {
            continue;
        }
        let result = decode_guarded(header, name_prefix, &job, qc.as_deref_mut());
        drop(job);
        if results.send(result).is_err() {
            return;
        }
    }
}

// noodles panics on some malformed input (e.g. a slice that spans past the end of the
// reference); a panic must fail the scan, not the process.
fn decode_guarded(
    header: &sam::Header,
    name_prefix: &str,
    job: &Job,
    qc: Option<&mut QcCollector>,
) -> Result<Decoded, Error> {
    panic::catch_unwind(AssertUnwindSafe(|| decode::decode(header, name_prefix, job, qc))).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Error::at(ErrorKind::DecoderFailed { offset: job.frame.offset, detail: message }, job.first_record))
    })
}

fn read_frame<R: Read>(input: &mut Input<R>, limits: &Limits) -> Result<Frame, Error> {
    let offset = input.taken();
    framing::read_frame(input, offset, limits.cram_block_bytes).map_err(|e| {
        Error::new(match e {
            FrameError::End => ErrorKind::MissingEof,
            FrameError::Truncated => ErrorKind::Truncated { what: "a container", offset },
            FrameError::Invalid(source) => ErrorKind::InvalidContainer { offset, source },
            FrameError::Limit(exceeded) => ErrorKind::ContainerLimit { offset, exceeded },
        })
    })
}

fn stopped() -> io::Error {
    io::Error::other("decoding threads stopped")
}

/// Takes decoded containers in any order and digests and counts them in file order.
struct Collector<'h> {
    header: &'h sam::Header,
    sorted: bool,
    digest: Digest,
    pending: BTreeMap<u64, Decoded>,
    next: u64,
    records: u64,
    bases: u64,
    statistics: AlignmentStatistics,
    last: Option<SortKey>,
    crai: Vec<crai::Entry>,
}

impl<'h> Collector<'h> {
    fn new(header: &'h sam::Header, algorithm: Algorithm, sorted: bool) -> Self {
        Self {
            header,
            sorted,
            digest: Digest::new(algorithm),
            pending: BTreeMap::new(),
            next: 0,
            records: 0,
            bases: 0,
            statistics: AlignmentStatistics::default(),
            last: None,
            crai: Vec::new(),
        }
    }

    fn push(&mut self, decoded: Decoded) -> Result<(), Error> {
        self.pending.insert(decoded.sequence, decoded);
        while let Some(decoded) = self.pending.remove(&self.next) {
            self.next += 1;
            self.absorb(decoded)?;
        }
        Ok(())
    }

    fn absorb(&mut self, mut decoded: Decoded) -> Result<(), Error> {
        self.digest.update(&decoded.text);

        self.records += decoded.records;
        self.bases += decoded.bases;
        self.statistics.merge(&decoded.statistics);
        if let (Some(previous), Some((key, name))) = (self.last, &decoded.first)
            && *key < previous
        {
            self.out_of_order(decoded.first_record, name, *key, previous)?;
        }
        if let Some(d) = &decoded.disorder {
            self.out_of_order(d.record, &d.name, d.key, d.previous)?;
        }
        self.last = decoded.last.or(self.last);
        self.crai.append(&mut decoded.crai);
        Ok(())
    }

    fn out_of_order(&self, record: u64, name: &str, key: SortKey, previous: SortKey) -> Result<(), Error> {
        if !self.sorted {
            return Ok(());
        }
        let kind =
            ErrorKind::Unsorted { name: name.to_owned(), position: self.locus(key), previous: self.locus(previous) };
        Err(Error::at(kind, record))
    }

    fn locus(&self, (id, position): SortKey) -> String {
        match self.header.reference_sequences().get_index(id) {
            Some((name, _)) => format!("{name}:{position}"),
            None => "*".into(),
        }
    }

    fn finish(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() { Ok(()) } else { Err(Error::new(ErrorKind::Thread(stopped()))) }
    }
}
