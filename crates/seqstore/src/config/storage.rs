//! `[storage]`: where the store's own data lives (a local directory or an S3 bucket) and how
//! stored files are cut into parts.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::REDACTED;

/// `[storage]`: where the store's own data (read set files, references, upload parts) lives and
/// how read set files are cut into parts.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Part size of read set files for GetReadSet, in bytes (HealthOmics: 100 MiB).
    pub part_size: u64,
    /// `local` (under `{data_dir}/objects`) or `s3` (`bucket` under `prefix`).
    pub kind: StorageKind,
    /// Bucket of the data (`kind = "s3"`, required there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Key prefix of every object, e.g. `seqstore/prod`; empty means the bucket's root.
    pub prefix: String,
    /// S3 endpoint URL; unset means AWS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// S3 region; unset means `AWS_REGION`, else `us-east-1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Path-style addressing (most S3-compatible servers need it).
    pub path_style: bool,
    /// Access key; unset (with `secret_access_key`) means object_store's default chain
    /// (environment, web identity, container, instance metadata; not `~/.aws` profiles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Secret of `access_key_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
    /// Retries of each request to S3 (5xx answers, connection errors, timeouts), with exponential
    /// backoff from 100 ms up to 15 s, all within 3 minutes; unset means object_store's 10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<usize>,
}

/// `storage.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// Files under `{data_dir}/objects`.
    #[default]
    Local,
    /// An S3 bucket (AWS or any S3-compatible server).
    S3,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            part_size: 100 * 1024 * 1024,
            kind: StorageKind::Local,
            bucket: None,
            prefix: String::new(),
            endpoint: None,
            region: None,
            path_style: false,
            access_key_id: None,
            secret_access_key: None,
            max_retries: None,
        }
    }
}

impl StorageConfig {
    /// A copy with the secret replaced, for printing.
    pub fn redacted(&self) -> Self {
        Self { secret_access_key: self.secret_access_key.as_ref().map(|_| REDACTED.to_owned()), ..self.clone() }
    }

    /// The bucket and prefix of the data when it is kept on S3 (`kind = "s3"`).
    pub fn s3_prefix(&self) -> Option<crate::model::export::S3Prefix> {
        let bucket = self.bucket.as_deref().filter(|_| self.kind == StorageKind::S3)?;
        crate::model::export::S3Prefix::parse(&format!("s3://{bucket}/{}", self.prefix.trim_start_matches('/')))
    }

    /// The first problem of the `[storage]` table as `(key, problem)`, if any.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.part_size < 1024 * 1024 {
            return Some(("storage.part_size", "must be at least 1 MiB".into()));
        }
        let s3_keys = [
            ("storage.bucket", self.bucket.is_some()),
            ("storage.prefix", !self.prefix.is_empty()),
            ("storage.endpoint", self.endpoint.is_some()),
            ("storage.region", self.region.is_some()),
            ("storage.path_style", self.path_style),
            ("storage.access_key_id", self.access_key_id.is_some()),
            ("storage.secret_access_key", self.secret_access_key.is_some()),
            ("storage.max_retries", self.max_retries.is_some()),
        ];
        if self.kind == StorageKind::Local {
            let set = s3_keys.iter().find(|(_, set)| *set)?;
            return Some((set.0, "applies to S3 storage only: set storage.kind = \"s3\" or remove it".into()));
        }
        if self.bucket.as_deref().is_none_or(str::is_empty) {
            return Some(("storage.bucket", "is required when storage.kind is \"s3\"".into()));
        }
        let prefix = self.prefix.trim_matches('/');
        if !prefix.is_empty() && object_store::path::Path::parse(prefix).is_err() {
            return Some(("storage.prefix", "must be a key prefix without empty, '.' or '..' segments".into()));
        }
        if self.access_key_id.is_some() != self.secret_access_key.is_some() {
            return Some((
                "storage.access_key_id",
                "and storage.secret_access_key go together: set both, or neither for the default credential chain"
                    .into(),
            ));
        }
        None
    }
}

impl fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageConfig")
            .field("part_size", &self.part_size)
            .field("kind", &self.kind)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| REDACTED))
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_retries_applies_to_s3_only() {
        let local = StorageConfig { max_retries: Some(2), ..StorageConfig::default() };
        assert_eq!(local.problem().map(|p| p.0), Some("storage.max_retries"));
        let s3 = StorageConfig { kind: StorageKind::S3, bucket: Some("b".into()), ..local };
        assert_eq!(s3.problem(), None);
    }
}
