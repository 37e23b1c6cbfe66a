//! Read set counts and the bytes of each storage tier per store for the store list. Summing the
//! sizes means reading every read set's row, so each process keeps the last sums per store together
//! with the store's [`Fingerprint`] (an index-only aggregate) and recomputes them when the
//! fingerprint differs — any read set added or deleted, by whichever process — or the sums are
//! older than [`MAX_AGE`], which bounds how long the bytes of a just-processed upload, or of a read
//! set just archived or activated, can be shown in their former place. Counts are always current.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::service::dashboard::{Fingerprint, StoreTiers};
use crate::service::{Caller, Error, Service};

/// A kept sum is recomputed after this long even if the fingerprint is unchanged.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// Kept sums above this many stores are dropped all at once.
const MAX_ENTRIES: usize = 10_000;

/// Read set count and the stored bytes of each tier of a store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreSummary {
    /// Read sets in the store.
    pub read_sets: i64,
    /// Sum of the sizes of the files in the store's own storage.
    pub hot_bytes: i64,
    /// Sum of the sizes of the files in the archive tier.
    pub archived_bytes: i64,
}

/// Kept sums: the fingerprint they were computed for, the tiers' totals, and when.
#[derive(Debug, Clone, Copy)]
struct Kept {
    fingerprint: Fingerprint,
    tiers: StoreTiers,
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
                .map(|k| k.tiers);
            let tiers = match kept {
                Some(tiers) => tiers,
                None => {
                    let tiers = service.store_tiers(caller, &store).await?;
                    let mut kept = self.lock();
                    if kept.len() >= MAX_ENTRIES {
                        kept.clear();
                    }
                    kept.insert(key, Kept { fingerprint, tiers, at: Instant::now() });
                    tiers
                }
            };
            let summary = StoreSummary {
                read_sets: fingerprint.count,
                hot_bytes: tiers.hot.bytes,
                archived_bytes: tiers.archive.bytes,
            };
            out.insert(store, summary);
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Kept>> {
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
