//! The statistics of a stored read set (the `qc` kind): its files read back from the store's
//! storage into the format's scanner with statistics on, nothing written. Progress counts the
//! bytes read, as an import's does, and `worker.throttle_bytes_per_sec` slows the reads alike.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use object_store::path::Path;
use seqstore_formats::digest::Algorithm;
use seqstore_formats::fastq;
use tokio_util::task::AbortOnDropHandle;

use super::super::kind::{Attempt, Outcome};
use super::super::tee::{self, ChannelReader, Progress};
use crate::model::qc::QcReport;
use crate::model::read_set::{ReadSet, StoredFile};

/// The statistics of `set` (ACTIVE, its files in the store's own storage): `Ok(Err(message))`
/// when a file no longer scans (the `qc` job records that as FAILED statistics); `Err` when the
/// attempt must stop (storage unreadable, lease lost).
pub(in crate::service::engine) async fn qc_of_stored(
    at: &Attempt<'_>,
    set: &ReadSet,
) -> Result<Result<QcReport, String>, Outcome> {
    let files: Vec<&StoredFile> = [&set.files.source1, &set.files.source2].into_iter().flatten().collect();
    at.progress.set_total(files.iter().map(|f| f.content_length).sum());
    let mut feeders = Vec::new();
    let mut readers = Vec::new();
    for file in &files {
        let (feeder, reader) = feed(at, file).await?;
        feeders.push(feeder);
        readers.push(reader);
    }
    let scanned = if set.file_type.is_alignment() {
        let reader = readers.remove(0);
        super::aligned::qc_of_stored(at, set, reader).await?.map(|summary| summary.qc)
    } else {
        let options = fastq::Options { algorithm: Algorithm::Md5, qc: true };
        let scanner = tokio::task::spawn_blocking(move || {
            let first = readers.remove(0);
            let summaries = match readers.pop() {
                None => fastq::scan(fastq::Which::Source1, first, options).map(|s| vec![s]),
                Some(second) => fastq::scan_pair(first, second, options).map(|(a, b)| vec![a, b]),
            };
            summaries.map_err(|e| e.to_string()).map(|summaries| {
                let mut collectors = summaries.into_iter().filter_map(|s| s.qc);
                collectors.next().map(|mut qc| {
                    collectors.for_each(|other| qc.merge(&other));
                    qc
                })
            })
        });
        scanner.await.map_err(|e| Outcome::Failed(format!("the FASTQ scanner stopped unexpectedly: {e}")))?
    };
    for feeder in feeders {
        match feeder.await {
            Ok(Ok(())) => {}
            // The scanner stopped first: its answer is the one to give.
            Ok(Err(FeedError::ScannerStopped)) => {}
            Ok(Err(FeedError::LeaseLost)) => return Err(Outcome::Abandoned),
            Ok(Err(FeedError::Read(message))) => return Err(Outcome::Failed(message)),
            Err(join) => return Err(Outcome::Failed(format!("reading a stored file stopped unexpectedly: {join}"))),
        }
    }
    Ok(scanned.map(|qc| qc.map_or_else(|| seqstore_formats::qc::QcCollector::new(0).report(), |qc| qc.report())))
}

/// Why a feeder stopped.
enum FeedError {
    ScannerStopped,
    LeaseLost,
    Read(String),
}

/// Streams stored `file` into a channel on a task of its own; the reader is for the scanner.
async fn feed(
    at: &Attempt<'_>,
    file: &StoredFile,
) -> Result<(AbortOnDropHandle<Result<(), FeedError>>, ChannelReader), Outcome> {
    let key = Path::from(file.key.as_str());
    let failed = |e: &dyn std::error::Error| {
        tracing::warn!(error = %e, key = %key, "could not read a stored file for its statistics");
        Outcome::Failed(format!("could not read the stored file {key} ({e}); try again later"))
    };
    let mut stream = at.service.data.get_range(&key, 0..file.content_length).await.map_err(|e| failed(&e))?;
    let (tx, reader) = tee::channel();
    let progress: Arc<Progress> = Arc::clone(&at.progress);
    let name = key.to_string();
    let throttle = at.settings.throttle_bytes_per_sec;
    let task = tokio::spawn(async move {
        while let Some(chunk) = stream.next().await {
            if progress.lease_lost() {
                return Err(FeedError::LeaseLost);
            }
            let chunk = chunk.map_err(|e| FeedError::Read(format!("could not read the stored file {name} ({e})")))?;
            let len = chunk.len();
            tx.send(chunk).await.map_err(|_| FeedError::ScannerStopped)?;
            progress.bytes.fetch_add(len as u64, Ordering::Relaxed);
            if throttle > 0 {
                tokio::time::sleep(Duration::from_secs_f64(len as f64 / throttle as f64)).await;
            }
        }
        Ok(())
    });
    Ok((AbortOnDropHandle::new(task), reader))
}
