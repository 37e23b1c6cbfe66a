//! What the use cases and their callers count, as events: the service carries a [`Meter`] to the
//! API and the workers and renders nothing itself (the `/metrics` exposition implements it).

use std::time::Duration;

/// How an import attempt ended, for [`Meter::source_settled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// FINISHED: the read set or reference was committed.
    Finished {
        /// Source bytes read.
        bytes: u64,
        /// Records (reads) found; 0 for references.
        records: u64,
    },
    /// FAILED with a message.
    Failed,
}

/// Receives the counted events of one process. Cheap to call from any thread.
pub trait Meter: std::fmt::Debug + Send + Sync {
    /// One API request of `operation` (`unknown` when no operation matched) answered with `status`
    /// after `elapsed`.
    fn request(&self, operation: &str, status: u16, elapsed: Duration);

    /// A claim took over a source whose earlier attempt's lease had expired.
    fn lease_takeover(&self);

    /// An attempt started (`1`) or ended (`-1`) in this process.
    fn attempt_running(&self, delta: i64);

    /// A source of `kind` (`readSet`, `upload`, `reference`) was settled as `outcome` after
    /// `elapsed`.
    fn source_settled(&self, kind: &'static str, outcome: Settled, elapsed: Duration);
}

/// Counts nothing: the meter of a service built without one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unmetered;

impl Meter for Unmetered {
    fn request(&self, _: &str, _: u16, _: Duration) {}

    fn lease_takeover(&self) {}

    fn attempt_running(&self, _: i64) {}

    fn source_settled(&self, _: &'static str, _: Settled, _: Duration) {}
}
