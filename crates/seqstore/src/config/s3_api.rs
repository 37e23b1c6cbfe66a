//! `[s3_api]`: the read-only S3-compatible endpoint on its own listener.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// Default address of the S3 endpoint: loopback only, the port after the API's.
pub const DEFAULT_S3_LISTEN: &str = "127.0.0.1:4871";

/// `[s3_api]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3ApiConfig {
    /// `HOST:PORT` the S3 endpoint listens on (port 0 picks a free one); `""` turns it off.
    pub listen: String,
    /// Domain of virtual-host-style requests: a request to `{bucket}.{domain}` names its bucket in
    /// the host. Path-style requests (`/{bucket}/{key}`) always work. Unset: path style only.
    pub domain: Option<String>,
}

impl Default for S3ApiConfig {
    fn default() -> Self {
        Self { listen: DEFAULT_S3_LISTEN.to_owned(), domain: None }
    }
}

impl S3ApiConfig {
    /// True when the endpoint is turned on (`listen` is not empty).
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }

    /// The first unacceptable key and what is wrong with it.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let listen_ok =
            !self.enabled() || self.listen.parse::<SocketAddr>().is_ok() || self.listen.starts_with("localhost:");
        if !listen_ok {
            return Some(("s3_api.listen", "must be HOST:PORT, e.g. 127.0.0.1:4871, or \"\" to turn it off".into()));
        }
        let domain_ok = self.domain.as_deref().is_none_or(|d| {
            !d.is_empty()
                && !d.starts_with('.')
                && d.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        });
        if !domain_ok {
            return Some(("s3_api.domain", "must be a host name such as s3.example.org (optionally :PORT)".into()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_may_be_empty_or_an_address() {
        assert_eq!(S3ApiConfig::default().problem(), None);
        let off = S3ApiConfig { listen: String::new(), domain: None };
        assert!(!off.enabled() && off.problem().is_none());
        let bad = S3ApiConfig { listen: "4871".into(), domain: None };
        assert_eq!(bad.problem().map(|p| p.0), Some("s3_api.listen"));
        let domain = S3ApiConfig { domain: Some("s3.local:4871".into()), ..S3ApiConfig::default() };
        assert_eq!(domain.problem(), None);
        let bad_domain = S3ApiConfig { domain: Some("a/b".into()), ..S3ApiConfig::default() };
        assert_eq!(bad_domain.problem().map(|p| p.0), Some("s3_api.domain"));
    }
}
