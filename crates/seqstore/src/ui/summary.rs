//! Read set counts and stored bytes per store for the store list. Summing the sizes means reading
//! every read set's file list, so each process keeps the last sum per store together with the
//! store's [`Fingerprint`] (an index-only aggregate) and recomputes it when the fingerprint
//! differs — any read set added or deleted, by whichever process — or the sum is older than
//! [`MAX_AGE`], which bounds how long the bytes of a just-processed upload can be missing. Counts
//! are always current.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::service::dashboard::Fingerprint;
use crate::service::{Caller, Error, Service};

/// A kept sum is recomputed after this long even if the fingerprint is unchanged.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// Kept sums above this many stores are dropped all at once.
const MAX_ENTRIES: usize = 10_000;

/// Read set count and stored bytes of a store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreSummary {
    /// Read sets in the store.
    pub read_sets: i64,
    /// Sum of the stored files' sizes.
    pub bytes: i64,
}

/// A kept sum: the fingerprint it was computed for, the bytes, and when.
#[derive(Debug, Clone, Copy)]
struct Kept {
    fingerprint: Fingerprint,
    bytes: i64,
    at: Instant,
}

/// The kept sums, by (account, store).
#[derive(Debug, Default)]
pub struct Summaries {
    kept: Mutex<HashMap<(String, String), Kept>>,
}

impl Summaries {
    /// Summaries of `stores` of `caller`; stores without read sets are absent.
    pub async fn of(
        &self,
        service: &Service,
        caller: &Caller,
        stores: &[String],
    ) -> Result<HashMap<String, StoreSummary>, Error> {
        let fingerprints = service.store_fingerprints(caller, stores).await?;
        let mut out = HashMap::with_capacity(fingerprints.len());
        for (store, fingerprint) in fingerprints {
            let key = (caller.account.clone(), store.clone());
            let kept = self
                .lock()
                .get(&key)
                .filter(|k| k.fingerprint == fingerprint && k.at.elapsed() < MAX_AGE)
                .map(|k| k.bytes);
            let bytes = match kept {
                Some(bytes) => bytes,
                None => {
                    let bytes = service.stored_bytes(caller, &store).await?;
                    let mut kept = self.lock();
                    if kept.len() >= MAX_ENTRIES {
                        kept.clear();
                    }
                    kept.insert(key, Kept { fingerprint, bytes, at: Instant::now() });
                    bytes
                }
            };
            out.insert(store, StoreSummary { read_sets: fingerprint.count, bytes });
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Kept>> {
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
