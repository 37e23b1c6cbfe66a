//! The backfill of refget identifiers: references imported before their sequences' GA4GH
//! identifiers were computed get them (their stored FASTA read once, streamed, through the same
//! indexer as an import), and references without rows in `reference_sequences` get their rows.

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path;
use seqstore_formats::fasta;
use tokio::sync::mpsc;

use super::super::engine::tee;
use super::super::{Error, Service};
use crate::db;
use crate::db::reference_sequences::{self, Unindexed};
use crate::model::read_set::StoredFile;
use crate::model::reference::Reference;
use crate::report::chain;

/// Bytes of the stored FASTA requested from storage per ranged read.
const WINDOW: u64 = 16 * 1024 * 1024;

/// Where a refget backfill pass stands: references in id order. [`RefgetCursor::default`] starts a
/// pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefgetCursor {
    after: String,
}

/// What one step of a refget backfill did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefgetStep {
    /// References whose identifiers were computed from their stored FASTA and recorded.
    pub computed: u64,
    /// References whose recorded identifiers only needed their `reference_sequences` rows.
    pub indexed: u64,
    /// References left as they were: the stored FASTA missing, unreadable, not as recorded (size,
    /// SHA-256) or not holding the recorded sequences (`seqstore verify` reports the first two),
    /// or the reference changed or deleted meanwhile.
    pub skipped: u64,
    /// Where the next step starts; `None` when the pass is done.
    pub next: Option<RefgetCursor>,
}

impl Service {
    /// One step of the refget backfill: for up to `limit` references (every account) after
    /// `cursor` whose sequences lack recorded GA4GH identifiers or `reference_sequences` rows
    /// ([`reference_sequences::missing`]), computes the identifiers when missing by scanning the
    /// stored FASTA once (plain, gzip or BGZF as stored; streamed, memory bounded by the scanner's
    /// buffers and a few windows of chunks), checks that it is the recorded file holding the
    /// recorded sequences (names, lengths, MD5s), and records the identifiers and the rows in one
    /// transaction that applies only while the reference's `sequences` are still as read
    /// ([`reference_sequences::fill`]).
    ///
    /// Idempotent and safe with several processes: a reference filled elsewhere is no longer
    /// listed, or its update does nothing (two processes may scan the same reference at once;
    /// one records it). Dropping the future stops the step (a scan under way ends when its input
    /// does); what it had filled stays filled.
    ///
    /// # Errors
    ///
    /// The database failed, or a listed reference does not parse.
    pub async fn backfill_refget(&self, cursor: &RefgetCursor, limit: i64) -> Result<RefgetStep, Error> {
        let rows = {
            let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
            reference_sequences::missing(&mut conn, &cursor.after, limit).await?
        };
        let mut step = RefgetStep::default();
        let full = rows.len() as i64 >= limit;
        step.next = rows.last().filter(|_| full).map(|row| RefgetCursor { after: row.reference.id.clone() });
        for row in rows {
            let computed = row.reference.sequences.iter().any(|s| s.refget.is_none());
            match (self.backfill_reference(row).await?, computed) {
                (false, _) => step.skipped += 1,
                (true, true) => step.computed += 1,
                (true, false) => step.indexed += 1,
            }
        }
        Ok(step)
    }

    /// Completes one reference; false when it left it as it was.
    async fn backfill_reference(&self, row: Unindexed) -> Result<bool, Error> {
        let Unindexed { mut reference, text } = row;
        if reference.sequences.iter().any(|s| s.refget.is_none()) {
            let id = reference.id.clone();
            match self.stored_refgets(&reference).await {
                Ok(refgets) => {
                    for (sequence, refget) in reference.sequences.iter_mut().zip(refgets) {
                        sequence.refget = Some(refget);
                    }
                }
                Err(why) => {
                    tracing::warn!(reference = id, why, "no refget identifiers recorded for a reference");
                    return Ok(false);
                }
            }
        }
        let mut tx = self.db.begin().await?;
        let filled = reference_sequences::fill(&mut tx, &reference, &text).await?;
        tx.commit().await.map_err(db::Error::from)?;
        Ok(filled)
    }

    /// The refget identifier of each of `reference`'s sequences, in order, from one scan of its
    /// stored FASTA; else why not.
    async fn stored_refgets(&self, reference: &Reference) -> Result<Vec<String>, String> {
        let file = reference.files.source.as_ref().ok_or("no stored FASTA recorded")?;
        let summary = self.scan_stored(file).await?;
        if !file.sha256.is_empty() && summary.stored_sha256 != file.sha256 {
            return Err(format!("stored FASTA has SHA-256 {}, {} recorded", summary.stored_sha256, file.sha256));
        }
        let scanned = summary.sequences.iter().map(|s| (&s.name, s.length, &s.md5));
        let recorded = reference.sequences.iter().map(|s| (&s.name, s.length, &s.md5));
        if !scanned.eq(recorded) {
            return Err("stored FASTA does not hold the recorded sequences".into());
        }
        Ok(summary.sequences.into_iter().map(|s| s.refget).collect())
    }

    /// Scans `file` with the FASTA indexer on a blocking thread, fed by windowed ranged reads.
    async fn scan_stored(&self, file: &StoredFile) -> Result<fasta::Summary, String> {
        let key = Path::from(file.key.as_str());
        let (tx, reader) = tee::channel();
        let scanner = tokio::task::spawn_blocking(move || fasta::scan(reader, None));
        let pumped = self.pump(&key, file.content_length, tx).await;
        let scanned = scanner.await.map_err(|e| format!("the FASTA scanner stopped unexpectedly: {e}"))?;
        pumped?;
        let summary = scanned.map_err(|e| chain(&e))?;
        if summary.stored_bytes != file.content_length {
            return Err(format!("stored FASTA has {} bytes, {} recorded", summary.stored_bytes, file.content_length));
        }
        Ok(summary)
    }

    /// Sends the first `size` bytes of `key` into `tx`, then drops it (the scanner's end of input).
    /// Stops early, without error, when the scanner stopped reading.
    async fn pump(&self, key: &Path, size: u64, tx: mpsc::Sender<Bytes>) -> Result<(), String> {
        let mut start = 0;
        while start < size {
            let end = (start + WINDOW).min(size);
            let mut chunks = self.data.get_range(key, start..end).await.map_err(|e| chain(&e))?;
            while let Some(chunk) = chunks.next().await {
                if tx.send(chunk.map_err(|e| chain(&e))?).await.is_err() {
                    return Ok(());
                }
            }
            start = end;
        }
        Ok(())
    }
}
