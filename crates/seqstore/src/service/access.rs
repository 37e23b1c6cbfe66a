//! Last-access times of read sets: every read of a read set's data (GetReadSet, the S3 endpoint,
//! htsget data URLs, export) notes it, and the time is written coarsely — at most once a minute per
//! read set and process, in the background, never a write in the request's path. What an archive
//! policy measures idleness by (issue #25).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Service;
use crate::db;
use crate::model::time;

/// Least time between two writes of one read set's access time by one process.
pub const EVERY: Duration = Duration::from_secs(60);
/// Read sets remembered; beyond, the memory is cleared (at worst one more write each).
const REMEMBERED: usize = 100_000;

/// When this process last wrote each read set's access time.
#[derive(Debug, Default)]
pub struct AccessClock {
    written: Mutex<HashMap<String, Instant>>,
}

impl AccessClock {
    /// Whether read set `id`'s access at `now` is to be written, marking it written if so.
    fn due(&self, id: &str, now: Instant) -> bool {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if written.get(id).is_some_and(|at| now.duration_since(*at) < EVERY) {
            return false;
        }
        if written.len() >= REMEMBERED {
            written.clear();
        }
        written.insert(id.to_owned(), now);
        true
    }
}

impl Service {
    /// Notes that read set `id`'s data is being read: its last-access time is written in the
    /// background unless this process wrote it in the last [`EVERY`]. A failed write is logged and
    /// forgotten (the next read after [`EVERY`] writes again).
    pub fn note_read_set_access(&self, id: &str) {
        if !self.access.due(id, Instant::now()) {
            return;
        }
        let (db, id) = (self.db.clone(), id.to_owned());
        tokio::spawn(async move {
            if let Err(error) = db::read_sets::touch(&db, &id, time::now()).await {
                tracing::warn!(read_set = %id, error = %error, "the read set's last-access time could not be written");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_set_is_written_at_most_once_a_minute() {
        let clock = AccessClock::default();
        let start = Instant::now();
        assert!(clock.due("1", start));
        assert!(!clock.due("1", start + Duration::from_secs(59)));
        assert!(clock.due("2", start + Duration::from_secs(1)), "each read set has its own minute");
        assert!(clock.due("1", start + EVERY));
    }
}
