//! The database's gauges, collected at scrape time from what the database answered for this
//! scrape: `seqstore_database_up` always, the job, source, queue and tier gauges only when it
//! answered (a scrape while the database is down leaves them out rather than report stale or zero
//! counts).

use std::collections::BTreeMap;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::model::read_set::Tier;
use crate::service::health::{Snapshot, Usage};

/// The tiers every store with read sets reports, in this order (a tier that holds nothing: 0).
const TIERS: [Tier; 2] = [Tier::Hot, Tier::Archive];

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
        gauge(snapshot.queue_depth).encode(encoder.encode_descriptor(depth, help, None, MetricType::Gauge)?)?;
        let by_store = by_store(&snapshot.tiers);
        for (name, help, value) in [
            (
                "seqstore_read_sets",
                "Read sets in the database, by store and storage tier (hot: the store's storage; archive: the \
                 archive location, ARCHIVED and ACTIVATING read sets).",
                (|u: &Usage| u.read_sets) as fn(&Usage) -> u64,
            ),
            (
                "seqstore_read_set_bytes",
                "Bytes of the read sets' stored files, by store and storage tier.",
                |u: &Usage| u.bytes,
            ),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (store, tiers) in &by_store {
                for (tier, usage) in TIERS.iter().zip(tiers) {
                    let n = usage.map_or(0, value);
                    let labels = [("store", *store), ("tier", tier.as_str())];
                    gauge(i64::try_from(n).unwrap_or(i64::MAX)).encode(family.encode_family(&labels)?)?;
                }
            }
        }
        Ok(())
    }
}

/// Each store's usage of each of [`TIERS`], in store order.
fn by_store(usage: &[Usage]) -> BTreeMap<&str, [Option<&Usage>; 2]> {
    let mut stores: BTreeMap<&str, [Option<&Usage>; 2]> = BTreeMap::new();
    for u in usage {
        let slot = TIERS.iter().position(|t| *t == u.tier).expect("TIERS lists every tier");
        stores.entry(u.store.as_str()).or_default()[slot] = Some(u);
    }
    stores
}
