//! `[limits]`, `[quotas]` and `[tls]`: what one request, one connection, one imported file and one
//! account may use, and how the listener is secured.

use std::path::PathBuf;
use std::time::Duration;

use seqstore_formats::limits::{Limit, Limits as ScanLimits};
use serde::{Deserialize, Serialize};

/// `[limits]`: per request, per connection, per imported file's header and containers, and per
/// account rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: u64,
    /// Largest request head (request line and headers) answered with an AWS error; twice this is
    /// refused by the HTTP layer itself (431, connection closed).
    pub max_header_bytes: u64,
    /// A connection that does not deliver a complete request head within this time is closed
    /// (also the idle time allowed between two requests of a keep-alive connection, and the time
    /// allowed for a TLS handshake).
    pub header_read_timeout_seconds: u64,
    /// A request whose body stalls (no byte arrives) for this long is answered 408.
    pub body_read_timeout_seconds: u64,
    /// Requests per second each account may send (a token bucket per account and process);
    /// 0 = unlimited.
    pub requests_per_second: f64,
    /// Requests an account may send at once before the rate applies; 0 = the rate rounded up
    /// (at least 1).
    pub burst: u64,
    /// Largest SAM header text an imported BAM or CRAM may have (BAM `l_text`), in bytes; BAM
    /// reference names count against it too.
    pub max_alignment_header_bytes: u64,
    /// Most reference sequences an imported BAM or CRAM header may have (`@SQ` lines, BAM `n_ref`).
    pub max_reference_sequences: u64,
    /// Largest CRAM container of an import, in bytes: its length as stored, and the raw sizes its
    /// blocks declare, together.
    pub max_cram_block_bytes: u64,
    // Client addresses (issue 19): slow bodies, connections and guesses.
    /// A request body must arrive in full within this time, or within its length at
    /// `min_body_bytes_per_sec` when that takes longer; else 408.
    pub body_total_timeout_seconds: u64,
    /// The slowest body rate given more time than `body_total_timeout_seconds`.
    pub min_body_bytes_per_sec: u64,
    /// Open connections one client address may hold; its further connections are closed at
    /// accept. 0 = unlimited. Trusted proxies are not capped.
    pub max_connections_per_address: u64,
    /// Failed authentications (API signatures; dashboard logins, counted apart) evaluated per
    /// client address and minute; a third of it per address and access key id. 0 = unlimited.
    pub auth_failures_per_minute: u64,
    /// Addresses or CIDR blocks of reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 8 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            header_read_timeout_seconds: 30,
            body_read_timeout_seconds: 60,
            requests_per_second: 0.0,
            burst: 0,
            max_alignment_header_bytes: ScanLimits::default().header_bytes,
            max_reference_sequences: ScanLimits::default().reference_sequences,
            max_cram_block_bytes: ScanLimits::default().cram_block_bytes,
            body_total_timeout_seconds: 120,
            min_body_bytes_per_sec: 64 * 1024,
            max_connections_per_address: 128,
            auth_failures_per_minute: 30,
            trusted_proxies: Vec::new(),
        }
    }
}

impl LimitsConfig {
    /// `header_read_timeout_seconds` as a duration.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_seconds)
    }

    /// `body_read_timeout_seconds` as a duration.
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_secs(self.body_read_timeout_seconds)
    }

    /// `body_total_timeout_seconds` as a duration.
    pub fn body_total_timeout(&self) -> Duration {
        Duration::from_secs(self.body_total_timeout_seconds)
    }

    /// `trusted_proxies` parsed: a plain address is a block of one.
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.trusted_proxies.iter().map(|text| proxy_block(text)).collect()
    }

    /// The burst in force when rate limiting is on: `burst`, or the rate rounded up (at least 1).
    pub fn effective_burst(&self) -> u64 {
        if self.burst > 0 { self.burst } else { (self.requests_per_second.ceil() as u64).max(1) }
    }

    /// What an import's scanner may accept from a file.
    pub fn scan_limits(&self) -> ScanLimits {
        ScanLimits {
            header_bytes: self.max_alignment_header_bytes,
            reference_sequences: self.max_reference_sequences,
            cram_block_bytes: self.max_cram_block_bytes,
        }
    }

    /// The key that sets `limit`.
    pub fn scan_limit_key(limit: Limit) -> &'static str {
        match limit {
            Limit::HeaderBytes => "limits.max_alignment_header_bytes",
            Limit::ReferenceSequences => "limits.max_reference_sequences",
            Limit::CramBlockBytes => "limits.max_cram_block_bytes",
        }
    }

    /// The first unacceptable value, as `(key, problem)`.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.max_body_bytes < 1024 {
            return Some(("limits.max_body_bytes", "must be at least 1024".into()));
        }
        // hyper's smallest read buffer is 8 KiB; a SigV4 request head needs about 1 KiB.
        if !(4096..=1024 * 1024).contains(&self.max_header_bytes) {
            return Some(("limits.max_header_bytes", "must be between 4096 and 1048576".into()));
        }
        if self.header_read_timeout_seconds == 0 || self.body_read_timeout_seconds == 0 {
            let key = if self.header_read_timeout_seconds == 0 {
                "limits.header_read_timeout_seconds"
            } else {
                "limits.body_read_timeout_seconds"
            };
            return Some((key, "must be at least 1 second".into()));
        }
        if !self.requests_per_second.is_finite() || self.requests_per_second < 0.0 {
            return Some(("limits.requests_per_second", "must be a number >= 0 (0 turns rate limiting off)".into()));
        }
        // Headers of real files take kilobytes; containers of samtools' CRAMs a few megabytes.
        let scan = [
            (Limit::HeaderBytes, self.max_alignment_header_bytes, 1 << 20),
            (Limit::ReferenceSequences, self.max_reference_sequences, 1),
            (Limit::CramBlockBytes, self.max_cram_block_bytes, 1 << 20),
        ];
        for (limit, value, least) in scan {
            if value < least {
                return Some((Self::scan_limit_key(limit), format!("must be at least {least}")));
            }
        }
        self.client_problem()
    }

    fn client_problem(&self) -> Option<(&'static str, String)> {
        if self.body_total_timeout_seconds == 0 {
            return Some(("limits.body_total_timeout_seconds", "must be at least 1 second".into()));
        }
        if self.min_body_bytes_per_sec == 0 {
            return Some(("limits.min_body_bytes_per_sec", "must be at least 1".into()));
        }
        if let Err(problem) = self.trusted_proxies() {
            return Some(("limits.trusted_proxies", problem));
        }
        None
    }
}

fn proxy_block(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|block| block.trunc())
        .map_err(|_| format!("'{text}' is neither an IP address nor a CIDR block (such as 10.0.0.0/8 or fd00::/8)"))
}

/// `[quotas]`: what one account may hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuotasConfig {
    /// Sequence stores per account.
    pub sequence_stores: u64,
    /// Reference stores per account.
    pub reference_stores: u64,
    /// Import jobs per account that are not finished yet.
    pub concurrent_import_jobs: u64,
    /// Export jobs per account that are not finished yet.
    pub concurrent_export_jobs: u64,
    /// Activation jobs per account that are not finished yet.
    pub concurrent_activation_jobs: u64,
    /// Sources in one import job (the model allows at most 100).
    pub sources_per_job: u64,
    /// Read sets in one sequence store, counting imports and uploads on their way in.
    pub read_sets_per_store: u64,
    /// Direct uploads per account that are created and neither completed nor aborted.
    pub uploads_in_progress: u64,
}

impl Default for QuotasConfig {
    fn default() -> Self {
        Self {
            sequence_stores: 1000,
            reference_stores: 1000,
            concurrent_import_jobs: 20,
            concurrent_export_jobs: 5,
            concurrent_activation_jobs: 10,
            sources_per_job: 100,
            read_sets_per_store: 1_000_000,
            uploads_in_progress: 100,
        }
    }
}

impl QuotasConfig {
    /// The first unacceptable value, as `(key, problem)`.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !(1..=100).contains(&self.sources_per_job) {
            return Some(("quotas.sources_per_job", "must be between 1 and 100 (the model's bound)".into()));
        }
        None
    }
}

/// `[tls]`: serve HTTPS with this certificate chain and key (both PEM files), or plain HTTP when
/// neither is set.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// Certificate chain, leaf first (`--tls-cert`).
    pub cert: Option<PathBuf>,
    /// Private key of the leaf: PKCS#8, PKCS#1 or SEC1 (`--tls-key`).
    pub key: Option<PathBuf>,
}

impl TlsConfig {
    /// The first unacceptable value, as `(key, problem)`.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        match (&self.cert, &self.key) {
            (Some(_), None) => {
                Some(("tls.key", "is required with tls.cert (--tls-key FILE, a PEM private key)".into()))
            }
            (None, Some(_)) => {
                Some(("tls.cert", "is required with tls.key (--tls-cert FILE, a PEM certificate chain)".into()))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_acceptable_and_burst_follows_the_rate() {
        let limits = LimitsConfig::default();
        assert_eq!(limits.problem(), None);
        assert_eq!(QuotasConfig::default().problem(), None);
        assert_eq!(TlsConfig::default().problem(), None);
        let rate = |requests_per_second, burst| LimitsConfig { requests_per_second, burst, ..LimitsConfig::default() };
        assert_eq!(rate(0.5, 0).effective_burst(), 1);
        assert_eq!(rate(2.5, 0).effective_burst(), 3);
        assert_eq!(rate(2.5, 10).effective_burst(), 10);
    }

    #[test]
    fn trusted_proxies_are_addresses_or_blocks() {
        let limits = LimitsConfig {
            trusted_proxies: vec!["10.1.2.3".into(), "192.168.7.9/16".into(), "fd00::/8".into()],
            ..LimitsConfig::default()
        };
        assert_eq!(limits.problem(), None);
        let blocks: Vec<String> = limits.trusted_proxies().expect("valid").iter().map(ToString::to_string).collect();
        assert_eq!(blocks, ["10.1.2.3/32", "192.168.0.0/16", "fd00::/8"]);
    }

    #[test]
    fn bad_values_name_their_key() {
        let limits = |f: fn(&mut LimitsConfig)| {
            let mut l = LimitsConfig::default();
            f(&mut l);
            l.problem().map(|(key, _)| key)
        };
        assert_eq!(limits(|l| l.max_header_bytes = 100), Some("limits.max_header_bytes"));
        assert_eq!(limits(|l| l.header_read_timeout_seconds = 0), Some("limits.header_read_timeout_seconds"));
        assert_eq!(limits(|l| l.body_read_timeout_seconds = 0), Some("limits.body_read_timeout_seconds"));
        assert_eq!(limits(|l| l.requests_per_second = -1.0), Some("limits.requests_per_second"));
        assert_eq!(limits(|l| l.requests_per_second = f64::NAN), Some("limits.requests_per_second"));
        assert_eq!(limits(|l| l.max_alignment_header_bytes = 1000), Some("limits.max_alignment_header_bytes"));
        assert_eq!(limits(|l| l.max_reference_sequences = 0), Some("limits.max_reference_sequences"));
        assert_eq!(limits(|l| l.max_cram_block_bytes = 0), Some("limits.max_cram_block_bytes"));
        assert_eq!(limits(|l| l.body_total_timeout_seconds = 0), Some("limits.body_total_timeout_seconds"));
        assert_eq!(limits(|l| l.min_body_bytes_per_sec = 0), Some("limits.min_body_bytes_per_sec"));
        assert_eq!(limits(|l| l.trusted_proxies = vec!["10.0.0.0/33".into()]), Some("limits.trusted_proxies"));
        assert_eq!(limits(|l| l.trusted_proxies = vec!["proxy.local".into()]), Some("limits.trusted_proxies"));
        let quotas = QuotasConfig { sources_per_job: 101, ..QuotasConfig::default() };
        assert_eq!(quotas.problem().map(|(k, _)| k), Some("quotas.sources_per_job"));
        let half = TlsConfig { cert: Some("c.pem".into()), key: None };
        assert_eq!(half.problem().map(|(k, _)| k), Some("tls.key"));
    }
}
