//! `[worker]`: how many imports run at once in this process, their lease and read throttle.

use serde::{Deserialize, Serialize};

/// `[worker]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
    /// Sources imported at once by this process; default: the number of CPUs.
    pub count: usize,
    /// Lease length; a source whose lease is not renewed for this long is taken over.
    pub lease_seconds: u64,
    /// Reads of each source are slowed to this many bytes per second; 0 = unlimited. Meant for
    /// tests and demonstrations that need to watch or interrupt an import.
    pub throttle_bytes_per_sec: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        Self { count: cpus, lease_seconds: 30, throttle_bytes_per_sec: 0 }
    }
}
