//! A read set's quality-control statistics (issue #27): the report computed during its import
//! (or later by a `qc` job), where it stands, and the few numbers the store's comparison view
//! sorts by.

pub use seqstore_formats::qc::{QcReport, Totals};
use serde::{Deserialize, Serialize};

/// One source of a `qc` job (internal: made by the start-up pass over read sets without
/// statistics, and by an activation): read set `read_set_id` of the job's store, read from
/// storage and counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QcSource {
    /// The read set.
    pub read_set_id: String,
}

/// Where a read set's statistics stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QcStatus {
    /// Computed: the report is there.
    Available,
    /// Not computed yet: a `qc` job will (the read set was imported before statistics were
    /// collected, or with `qc.enabled = false`, and the background pass has not reached it), or
    /// the read set is archived and gets them when activated.
    Pending,
    /// The `qc` job could not compute them (the message says why).
    Failed,
}

wire_names!(QcStatus { Available => "AVAILABLE", Pending => "PENDING", Failed => "FAILED" });

/// A read set's statistics, as GET `/sequencestore/{id}/readset/{readSetId}/qc` answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSetQc {
    /// Where they stand.
    pub status: QcStatus,
    /// Why they are pending or failed.
    pub status_message: Option<String>,
    /// When they were computed (milliseconds since the epoch), when available.
    pub computed_ms: Option<i64>,
    /// The report, when available.
    pub report: Option<QcReport>,
}

/// The numbers of a report the comparison view shows and sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QcFigures {
    /// Mean base quality ([`QcReport::mean_quality`]).
    pub mean_quality: Option<f64>,
    /// GC percentage of the bases ([`QcReport::gc_percent`]).
    pub gc_percent: Option<f64>,
    /// Percentage of the reads (neither secondary nor supplementary) that are mapped; `None`
    /// for a read set that is not aligned (FASTQ, uBAM) or has no reads.
    pub mapped_percent: Option<f64>,
}

impl QcFigures {
    /// The figures of `report`; `aligned` as the read set's alignment says.
    pub fn of(report: &QcReport, aligned: bool) -> Self {
        let t = &report.totals;
        let mapped_percent = (aligned && t.sequences > 0).then(|| 100.0 * t.reads_mapped as f64 / t.sequences as f64);
        Self { mean_quality: report.mean_quality, gc_percent: report.gc_percent, mapped_percent }
    }
}

/// The column the comparison view sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Newest first by default.
    Created,
    /// Total read count.
    Reads,
    /// Total base count.
    Bases,
    /// Mean base quality (read sets with statistics only).
    MeanQuality,
    /// GC percentage (read sets with statistics only).
    GcPercent,
    /// Percentage mapped (aligned read sets with statistics only).
    MappedPercent,
}

wire_names!(SortBy {
    Created => "created",
    Reads => "reads",
    Bases => "bases",
    MeanQuality => "meanQuality",
    GcPercent => "gc",
    MappedPercent => "mapped",
});

impl SortBy {
    /// Whether only read sets with this figure are listed (the others have nothing to sort by).
    pub fn needs_statistics(self) -> bool {
        matches!(self, SortBy::MeanQuality | SortBy::GcPercent | SortBy::MappedPercent)
    }
}

#[cfg(test)]
mod tests {
    use seqstore_formats::qc::{Mate, QcCollector};

    use super::*;

    #[test]
    fn test_figures() {
        let mut qc = QcCollector::new(0);
        qc.add_fastq(b"ACGG", b"IIII", Mate::Single);
        let report = qc.report();
        let figures = QcFigures::of(&report, false);
        assert_eq!(figures.gc_percent, Some(75.0));
        assert_eq!(figures.mean_quality, Some(40.0));
        assert_eq!(figures.mapped_percent, None);
        assert_eq!(QcFigures::of(&report, true).mapped_percent, Some(0.0));
        assert_eq!(QcStatus::parse("PENDING"), Some(QcStatus::Pending));
    }
}
