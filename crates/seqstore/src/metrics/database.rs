//! The database's gauges, collected at scrape time from what the database answered for this
//! scrape: `seqstore_database_up` always, the job, source and queue gauges only when it answered
//! (a scrape while the database is down leaves them out rather than report stale or zero counts).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::service::health::Snapshot;

/// The gauges of one scrape.
#[derive(Debug)]
pub struct Gauges {
    snapshot: Option<Snapshot>,
}

impl Gauges {
    /// The gauges of `snapshot`, `None` when the database did not answer.
    pub fn new(snapshot: Option<Snapshot>) -> Self {
        Self { snapshot }
    }
}

impl Collector for Gauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let gauge = |value: i64| ConstGauge::new(value);
        let up = "seqstore_database_up";
        let help = "1 when the database answered this scrape.";
        gauge(i64::from(self.snapshot.is_some())).encode(encoder.encode_descriptor(
            up,
            help,
            None,
            MetricType::Gauge,
        )?)?;
        let Some(snapshot) = &self.snapshot else { return Ok(()) };
        for (name, help, rows) in [
            ("seqstore_import_jobs", "Import jobs in the database, by kind and status.", &snapshot.jobs),
            ("seqstore_import_sources", "Import sources in the database, by kind and status.", &snapshot.sources),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (kind, status, n) in rows {
                let labels = [("kind", kind.as_str()), ("status", status.as_str())];
                gauge(*n).encode(family.encode_family(&labels)?)?;
            }
        }
        let depth = "seqstore_import_queue_depth";
        let help = "Sources waiting for a worker (not started or lease expired).";
        gauge(snapshot.queue_depth).encode(encoder.encode_descriptor(depth, help, None, MetricType::Gauge)?)
    }
}
