//! Operational metrics and probes: `/metrics` in the Prometheus text exposition format,
//! `/healthz` (the process answers) and `/readyz` (the database commits a write). These three
//! paths are served beside the AWS API without SigV4; every other request, including other
//! methods on these paths, goes through the API pipeline unchanged.
//!
//! Counters and histograms kept in memory since the process started ([`Metrics`]) are rendered
//! with gauges read from the database at scrape time (jobs and sources by status, queue depth),
//! so every process of a cluster reports the same shared queue.

mod exposition;
mod histogram;
mod routes;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

pub use routes::router;

use histogram::Histogram;

/// Upper bounds of the request latency buckets, in seconds.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Upper bounds of the per-source import throughput buckets, in bytes per second.
const THROUGHPUT_BUCKETS: &[f64] = &[1e5, 1e6, 1e7, 2.5e7, 5e7, 1e8, 2.5e8, 5e8, 1e9];
/// Upper bounds of the per-source import duration buckets, in seconds.
const DURATION_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0];

/// The counters and histograms of one process. Cheap to update from any thread.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    sources_settled: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    imported_bytes: AtomicU64,
    imported_records: AtomicU64,
    throughput: Mutex<Option<Histogram>>,
    durations: Mutex<Option<Histogram>>,
    lease_takeovers: AtomicU64,
    running: AtomicI64,
}

/// How an import attempt ended, for [`Metrics::source_settled`].
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

impl Metrics {
    /// Counts one API request of `operation` (`unknown` when no operation matched) answered with
    /// `status` after `elapsed`.
    pub fn request(&self, operation: &str, status: u16, elapsed: Duration) {
        *self.requests.lock().expect("metrics lock").entry((operation.to_owned(), status)).or_default() += 1;
        let mut latency = self.latency.lock().expect("metrics lock");
        let histogram = latency.entry(operation.to_owned()).or_insert_with(|| Histogram::new(LATENCY_BUCKETS));
        histogram.observe(elapsed.as_secs_f64());
    }

    /// Counts a claim that took over a source whose earlier attempt's lease had expired.
    pub fn lease_takeover(&self) {
        self.lease_takeovers.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an attempt starting (`1`) or ending (`-1`) in this process.
    pub fn attempt_running(&self, delta: i64) {
        self.running.fetch_add(delta, Ordering::Relaxed);
    }

    /// Records a source of `kind` (`readSet`, `upload`, `reference`) settled after `elapsed`.
    pub fn source_settled(&self, kind: &'static str, outcome: Settled, elapsed: Duration) {
        let status = match outcome {
            Settled::Finished { .. } => "FINISHED",
            Settled::Failed => "FAILED",
        };
        *self.sources_settled.lock().expect("metrics lock").entry((kind, status)).or_default() += 1;
        let Settled::Finished { bytes, records } = outcome else { return };
        self.imported_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.imported_records.fetch_add(records, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64().max(1e-6);
        let mut throughput = self.throughput.lock().expect("metrics lock");
        throughput.get_or_insert_with(|| Histogram::new(THROUGHPUT_BUCKETS)).observe(bytes as f64 / seconds);
        let mut durations = self.durations.lock().expect("metrics lock");
        durations.get_or_insert_with(|| Histogram::new(DURATION_BUCKETS)).observe(seconds);
    }
}

impl Metrics {
    /// The exposition document: this process's counters and histograms, then `snapshot` (the
    /// database's gauges; `None` when the database did not answer, shown as
    /// `seqstore_database_up 0`).
    pub fn render(&self, snapshot: Option<&crate::db::metrics::Snapshot>) -> String {
        let mut doc = exposition::Document::default();
        doc.family("seqstore_build_info", "gauge", "Version of this seqstore binary.").sample(
            "seqstore_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
            1.0,
        );
        self.render_requests(&mut doc);
        self.render_imports(&mut doc);
        render_snapshot(&mut doc, snapshot);
        doc.into_text()
    }

    fn render_requests(&self, doc: &mut exposition::Document) {
        let name = "seqstore_requests_total";
        doc.family(name, "counter", "AWS API requests answered, by operation and HTTP status.");
        for ((operation, status), n) in self.requests.lock().expect("metrics lock").iter() {
            doc.sample(name, &[("operation", operation), ("status", &status.to_string())], *n as f64);
        }
        let name = "seqstore_request_duration_seconds";
        doc.family(name, "histogram", "Time to answer AWS API requests, by operation.");
        for (operation, histogram) in self.latency.lock().expect("metrics lock").iter() {
            doc.histogram(name, &[("operation", operation)], histogram);
        }
    }

    fn render_imports(&self, doc: &mut exposition::Document) {
        let name = "seqstore_import_sources_settled_total";
        doc.family(name, "counter", "Import sources this process settled, by job kind and final status.");
        for ((kind, status), n) in self.sources_settled.lock().expect("metrics lock").iter() {
            doc.sample(name, &[("kind", kind), ("status", status)], *n as f64);
        }
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed) as f64;
        doc.family("seqstore_imported_bytes_total", "counter", "Source bytes of sources this process imported.")
            .sample("seqstore_imported_bytes_total", &[], load(&self.imported_bytes));
        doc.family("seqstore_imported_records_total", "counter", "Reads of read sets this process imported.").sample(
            "seqstore_imported_records_total",
            &[],
            load(&self.imported_records),
        );
        doc.family(
            "seqstore_lease_takeovers_total",
            "counter",
            "Claims of a source whose earlier attempt's lease had expired (crash, stop or lost node).",
        )
        .sample("seqstore_lease_takeovers_total", &[], load(&self.lease_takeovers));
        doc.family("seqstore_import_attempts_running", "gauge", "Import attempts running in this process.").sample(
            "seqstore_import_attempts_running",
            &[],
            self.running.load(Ordering::Relaxed) as f64,
        );
        let name = "seqstore_import_throughput_bytes_per_second";
        doc.family(name, "histogram", "Source bytes per second of each imported source, claim to commit.");
        if let Some(histogram) = self.throughput.lock().expect("metrics lock").as_ref() {
            doc.histogram(name, &[], histogram);
        }
        let name = "seqstore_import_duration_seconds";
        doc.family(name, "histogram", "Time from claim to commit of each imported source.");
        if let Some(histogram) = self.durations.lock().expect("metrics lock").as_ref() {
            doc.histogram(name, &[], histogram);
        }
    }
}

fn render_snapshot(doc: &mut exposition::Document, snapshot: Option<&crate::db::metrics::Snapshot>) {
    doc.family("seqstore_database_up", "gauge", "1 when the database answered this scrape.").sample(
        "seqstore_database_up",
        &[],
        if snapshot.is_some() { 1.0 } else { 0.0 },
    );
    let Some(snapshot) = snapshot else { return };
    for (name, help, rows) in [
        ("seqstore_import_jobs", "Import jobs in the database, by kind and status.", &snapshot.jobs),
        ("seqstore_import_sources", "Import sources in the database, by kind and status.", &snapshot.sources),
    ] {
        doc.family(name, "gauge", help);
        for (kind, status, n) in rows {
            doc.sample(name, &[("kind", kind), ("status", status)], *n as f64);
        }
    }
    doc.family("seqstore_import_queue_depth", "gauge", "Sources waiting for a worker (not started or lease expired).")
        .sample("seqstore_import_queue_depth", &[], snapshot.queue_depth as f64);
}
