//! `[qc]`: quality-control statistics of read sets (issue #27).

use serde::{Deserialize, Serialize};

/// `[qc]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QcConfig {
    /// Collect the statistics during every import's single pass over the records, and compute
    /// them with background `qc` jobs for ACTIVE read sets that have none (imported before, or
    /// while this was off). Off, imports skip the per-base counting (the last few percent of
    /// their speed) and no `qc` job runs; read sets without statistics stay PENDING.
    pub enabled: bool,
}

impl Default for QcConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}
