//! The start-up backfills, beside the workers, each one pass in small steps: stored files' MD5s
//! (the read sets and references stored before imports recorded the MD5 of their files,
//! [`Service::backfill_md5`]) and refget identifiers (references imported before their sequences'
//! GA4GH identifiers were computed, or without `reference_sequences` rows,
//! [`Service::backfill_refget`]), and QC statistics (ACTIVE read sets without, imported before
//! statistics were collected or while `[qc] enabled` was off: `qc` jobs compute them,
//! [`Service::submit_missing_qc`]). Rows stored later by an older version (during a rolling
//! upgrade) are filled by the next start-up's pass.

use tokio::sync::watch;

use crate::service::Service;
use crate::service::refget::backfill::RefgetCursor;
use crate::service::stored_md5::Md5Cursor;

/// Rows per step: their file lists are held while their files are read one after the other.
const STEP_ROWS: i64 = 16;

/// References per step of the refget backfill: their sequence lists are held while their FASTA
/// files are scanned one after the other.
const STEP_REFERENCES: i64 = 4;

/// Runs one backfill pass to its end, or until `stopped` turns true (what it filled stays
/// filled; the next start-up's pass does the rest). A database failure ends the pass early, with
/// a warning. Safe with several processes (see [`Service::backfill_md5`]).
pub async fn stored_md5(service: Service, mut stopped: watch::Receiver<bool>) {
    let mut cursor = Md5Cursor::default();
    let (mut filled, mut skipped) = (0, 0);
    while !*stopped.borrow() {
        let step = tokio::select! {
            step = service.backfill_md5(&cursor, STEP_ROWS) => step,
            _ = stopped.changed() => break,
        };
        match step {
            Ok(step) => {
                (filled, skipped) = (filled + step.filled, skipped + step.skipped);
                match step.next {
                    Some(next) => cursor = next,
                    None => break,
                }
            }
            Err(e) => {
                tracing::warn!(error = ?e, "the MD5 backfill of stored files stopped early");
                break;
            }
        }
    }
    if filled + skipped > 0 {
        tracing::info!(filled, skipped, "MD5 backfill recorded the MD5 of stored files");
    }
}

/// Runs one refget backfill pass to its end, or until `stopped` turns true (what it filled stays
/// filled; the next start-up's pass does the rest; a FASTA scan under way is abandoned). A
/// database failure ends the pass early, with a warning. Safe with several processes (see
/// [`Service::backfill_refget`]).
pub async fn refget(service: Service, mut stopped: watch::Receiver<bool>) {
    let mut cursor = RefgetCursor::default();
    let (mut computed, mut indexed, mut skipped) = (0, 0, 0);
    while !*stopped.borrow() {
        let step = tokio::select! {
            step = service.backfill_refget(&cursor, STEP_REFERENCES) => step,
            _ = stopped.changed() => break,
        };
        match step {
            Ok(step) => {
                (computed, indexed, skipped) =
                    (computed + step.computed, indexed + step.indexed, skipped + step.skipped);
                match step.next {
                    Some(next) => cursor = next,
                    None => break,
                }
            }
            Err(e) => {
                tracing::warn!(error = ?e, "the refget backfill of references stopped early");
                break;
            }
        }
    }
    if computed + indexed + skipped > 0 {
        tracing::info!(
            computed,
            indexed,
            skipped,
            "refget backfill recorded the GA4GH identifiers of reference sequences"
        );
    }
}

/// Read sets per step of the QC pass.
const STEP_QC: i64 = 500;

/// Runs one QC pass to its end, or until `stopped` turns true: submits `qc` jobs for the ACTIVE
/// read sets without statistics (the workers then run them, with progress like any job). A
/// database failure ends the pass early, with a warning. Safe with several processes (see
/// [`Service::submit_missing_qc`]).
pub async fn qc(service: Service, stopped: watch::Receiver<bool>) {
    let mut after = String::new();
    let mut submitted = 0;
    while !*stopped.borrow() {
        match service.submit_missing_qc(&after, STEP_QC).await {
            Ok((n, next)) => {
                submitted += n;
                match next {
                    Some(next) => after = next,
                    None => break,
                }
            }
            Err(e) => {
                tracing::warn!(error = ?e, "the QC pass over read sets without statistics stopped early");
                break;
            }
        }
    }
    if submitted > 0 {
        tracing::info!(read_sets = submitted, "QC statistics of read sets without them are being computed");
    }
}
