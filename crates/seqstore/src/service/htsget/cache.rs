//! The parsed header and index of the BAM read sets tickets were planned over last, so that a
//! client asking for many regions of one read set (a genome viewer scrolling) does not have the
//! index read and parsed again for each. Keyed by the SHA-256 of the stored file and of its index:
//! what is stored never changes, so an entry is never stale. Bounded by a count of entries (an
//! index of a deep whole genome is a few MB parsed).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use seqstore_formats::htsget::{BamHeader, BamIndex};

/// Entries kept.
const ENTRIES: usize = 8;

/// What a BAM ticket is planned over.
#[derive(Debug)]
pub struct Planned {
    /// The header (and where the first record starts).
    pub header: BamHeader,
    /// The header as BGZF blocks, as tickets carry it.
    pub compressed_header: Vec<u8>,
    /// The index, when the read set has one.
    pub index: Option<BamIndex>,
}

/// The most recently used entries, newest last.
#[derive(Debug, Default)]
pub struct PlanCache {
    entries: Mutex<VecDeque<(String, Arc<Planned>)>>,
}

impl PlanCache {
    /// The entry of `key`, marked as used.
    pub fn get(&self, key: &str) -> Option<Arc<Planned>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let at = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(at)?;
        let planned = Arc::clone(&entry.1);
        entries.push_back(entry);
        Some(planned)
    }

    /// Keeps `planned` under `key`, dropping the least recently used entry beyond [`ENTRIES`].
    pub fn put(&self, key: String, planned: Arc<Planned>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|(k, _)| *k != key);
        entries.push_back((key, planned));
        while entries.len() > ENTRIES {
            entries.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned() -> Arc<Planned> {
        Arc::new(Planned {
            header: BamHeader { raw: Vec::new(), references: Vec::new(), first_record: 0 },
            compressed_header: Vec::new(),
            index: None,
        })
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let cache = PlanCache::default();
        for i in 0..ENTRIES {
            cache.put(i.to_string(), planned());
        }
        assert!(cache.get("0").is_some(), "used: now the newest");
        cache.put("new".into(), planned());
        assert!(cache.get("1").is_none(), "the oldest unused entry left");
        assert!(cache.get("0").is_some() && cache.get("new").is_some());
    }
}
