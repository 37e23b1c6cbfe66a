//! Operational metrics and probes: `/metrics` in the Prometheus text exposition format (0.0.4),
//! `/healthz` (the process answers) and `/readyz` (the database commits a write). These three
//! paths are served beside the AWS API without SigV4; every other request, including other
//! methods on these paths, goes through the API pipeline unchanged.
//!
//! Counters and histograms kept in memory since the process started ([`Metrics`], the service's
//! [`Meter`]) are encoded by `prometheus-client`, with gauges read from the database at scrape time
//! ([`database`]: jobs and sources by status, queue depth, read sets and bytes per store and storage
//! tier), so every process of a cluster reports the same shared queue and stores.

mod database;
mod routes;

use std::time::Duration;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::service::health::Snapshot;
use crate::service::meter::Meter;
pub use crate::service::meter::Settled;
pub use routes::router;

/// Upper bounds of the request latency buckets, in seconds.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Upper bounds of the per-source import throughput buckets, in bytes per second.
const THROUGHPUT_BUCKETS: &[f64] = &[1e5, 1e6, 1e7, 2.5e7, 5e7, 1e8, 2.5e8, 5e8, 1e9];
/// Upper bounds of the per-source import duration buckets, in seconds.
const DURATION_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0];

/// Labels of a request count.
type RequestLabels = [(&'static str, String); 2];
/// Labels of a settled-source count: job kind and final status.
type SettledLabels = [(&'static str, &'static str); 2];
/// Request latency histograms by operation.
type Latency = Family<[(&'static str, String); 1], Histogram, fn() -> Histogram>;

/// The counters and histograms of one process, registered for the exposition. Cheap to update
/// from any thread.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    sources_settled: Family<SettledLabels, Counter>,
    imported_bytes: Counter,
    imported_records: Counter,
    throughput: Histogram,
    durations: Histogram,
    lease_takeovers: Counter,
    running: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Self {
            registry: Registry::default(),
            requests: Family::default(),
            latency: Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS.iter().copied())),
            sources_settled: Family::default(),
            imported_bytes: Counter::default(),
            imported_records: Counter::default(),
            throughput: Histogram::new(THROUGHPUT_BUCKETS.iter().copied()),
            durations: Histogram::new(DURATION_BUCKETS.iter().copied()),
            lease_takeovers: Counter::default(),
            running: Gauge::default(),
        };
        metrics.registered()
    }
}

impl Metrics {
    /// Registers every metric under its exposed name (counters gain `_total` when encoded); help
    /// texts gain their final period from the registry.
    fn registered(mut self) -> Self {
        let build = Family::<[(&'static str, &'static str); 1], Gauge>::default();
        build.get_or_create(&[("version", env!("CARGO_PKG_VERSION"))]).set(1);
        let r = &mut self.registry;
        r.register("seqstore_build_info", "Version of this seqstore binary", build);
        r.register(
            "seqstore_requests",
            "AWS API requests answered, by operation and HTTP status",
            self.requests.clone(),
        );
        r.register(
            "seqstore_request_duration_seconds",
            "Time to answer AWS API requests, by operation",
            self.latency.clone(),
        );
        r.register(
            "seqstore_import_sources_settled",
            "Import sources this process settled, by job kind and final status",
            self.sources_settled.clone(),
        );
        r.register(
            "seqstore_imported_bytes",
            "Source bytes of sources this process imported",
            self.imported_bytes.clone(),
        );
        r.register(
            "seqstore_imported_records",
            "Reads of read sets this process imported",
            self.imported_records.clone(),
        );
        r.register(
            "seqstore_lease_takeovers",
            "Claims of a source whose earlier attempt's lease had expired (crash, stop or lost node)",
            self.lease_takeovers.clone(),
        );
        r.register(
            "seqstore_import_attempts_running",
            "Import attempts running in this process, from claim to settlement",
            self.running.clone(),
        );
        r.register(
            "seqstore_import_throughput_bytes_per_second",
            "Source bytes per second of each imported source, claim to commit",
            self.throughput.clone(),
        );
        r.register(
            "seqstore_import_duration_seconds",
            "Time from claim to commit of each imported source",
            self.durations.clone(),
        );
        self
    }

    /// The exposition document: this process's counters and histograms, then the database's
    /// gauges of `snapshot` (`None` when the database did not answer: `seqstore_database_up 0`
    /// and no database gauges).
    pub fn render(&self, snapshot: Option<Snapshot>) -> String {
        let mut scrape = Registry::default();
        scrape.register_collector(Box::new(database::Gauges::new(snapshot)));
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.registry)
            .and_then(|()| prometheus_text::encode(&mut text, &scrape))
            .expect("writing to a String does not fail");
        text
    }
}

impl Meter for Metrics {
    fn request(&self, operation: &str, status: u16, elapsed: Duration) {
        self.requests.get_or_create(&[("operation", operation.to_owned()), ("status", status.to_string())]).inc();
        self.latency.get_or_create(&[("operation", operation.to_owned())]).observe(elapsed.as_secs_f64());
    }

    fn lease_takeover(&self) {
        self.lease_takeovers.inc();
    }

    fn attempt_running(&self, delta: i64) {
        self.running.inc_by(delta);
    }

    fn source_settled(&self, kind: &'static str, outcome: Settled, elapsed: Duration) {
        let status = match outcome {
            Settled::Finished { .. } => "FINISHED",
            Settled::Failed => "FAILED",
        };
        self.sources_settled.get_or_create(&[("kind", kind), ("status", status)]).inc();
        let Settled::Finished { bytes, records } = outcome else { return };
        self.imported_bytes.inc_by(bytes);
        self.imported_records.inc_by(records);
        let seconds = elapsed.as_secs_f64().max(1e-6);
        self.throughput.observe(bytes as f64 / seconds);
        self.durations.observe(seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_types_and_labels_are_those_of_the_readme() {
        let metrics = Metrics::default();
        metrics.request("GetReadSet", 200, Duration::from_millis(3));
        metrics.source_settled("readSet", Settled::Finished { bytes: 10, records: 2 }, Duration::from_secs(1));
        metrics.attempt_running(1);
        let text = metrics.render(None);
        for line in [
            "# TYPE seqstore_requests_total counter\n",
            "seqstore_requests_total{operation=\"GetReadSet\",status=\"200\"} 1\n",
            "# TYPE seqstore_request_duration_seconds histogram\n",
            "seqstore_request_duration_seconds_bucket{operation=\"GetReadSet\",le=\"+Inf\"} 1\n",
            "seqstore_import_sources_settled_total{kind=\"readSet\",status=\"FINISHED\"} 1\n",
            "seqstore_imported_bytes_total 10\n",
            "seqstore_imported_records_total 2\n",
            "# TYPE seqstore_import_attempts_running gauge\n",
            "seqstore_import_attempts_running 1\n",
            "seqstore_lease_takeovers_total 0\n",
            "seqstore_import_throughput_bytes_per_second_count 1\n",
            "seqstore_import_duration_seconds_count 1\n",
            "seqstore_build_info{version=\"",
            "# HELP seqstore_database_up 1 when the database answered this scrape.\n",
            "seqstore_database_up 0\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        assert!(!text.contains("seqstore_import_queue_depth"), "{text}");
        assert!(!text.contains("seqstore_read_sets"), "{text}");
        assert!(!text.contains(".."), "{text}");
    }

    #[test]
    fn the_database_gauges_are_there_when_it_answered() {
        use crate::model::read_set::Tier;
        use crate::service::health::Usage;

        let snapshot = Snapshot {
            jobs: vec![("readSet".into(), "COMPLETED".into(), 2)],
            sources: vec![("readSet".into(), "FINISHED".into(), 3)],
            queue_depth: 4,
            tiers: vec![
                Usage { account: "1".into(), store: "5".into(), tier: Tier::Hot, read_sets: 2, bytes: 300 },
                Usage { account: "1".into(), store: "7".into(), tier: Tier::Hot, read_sets: 1, bytes: 10 },
                Usage { account: "1".into(), store: "7".into(), tier: Tier::Archive, read_sets: 3, bytes: 4000 },
            ],
        };
        let text = Metrics::default().render(Some(snapshot));
        for line in [
            "seqstore_database_up 1\n",
            "# TYPE seqstore_import_jobs gauge\n",
            "seqstore_import_jobs{kind=\"readSet\",status=\"COMPLETED\"} 2\n",
            "seqstore_import_sources{kind=\"readSet\",status=\"FINISHED\"} 3\n",
            "seqstore_import_queue_depth 4\n",
            "# TYPE seqstore_read_sets gauge\n",
            "seqstore_read_sets{store=\"5\",tier=\"hot\"} 2\n",
            "seqstore_read_sets{store=\"5\",tier=\"archive\"} 0\n",
            "seqstore_read_sets{store=\"7\",tier=\"hot\"} 1\n",
            "seqstore_read_sets{store=\"7\",tier=\"archive\"} 3\n",
            "# TYPE seqstore_read_set_bytes gauge\n",
            "seqstore_read_set_bytes{store=\"5\",tier=\"hot\"} 300\n",
            "seqstore_read_set_bytes{store=\"5\",tier=\"archive\"} 0\n",
            "seqstore_read_set_bytes{store=\"7\",tier=\"archive\"} 4000\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
    }
}
