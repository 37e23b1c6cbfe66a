//! `[[roles]]` and `[sources]`: the IAM roles callers may pass as `roleArn`, the locations each may
//! read, and the default source locations when no roles are configured.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::REDACTED;

/// `[[roles]]`: an IAM role ARN callers may pass as `roleArn`, and what it may read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// `arn:aws:iam::{account}:role/{name}`; only callers of that account may pass it.
    pub arn: String,
    /// Locations the role may read, write or both (`access`).
    #[serde(default)]
    pub locations: Vec<Location>,
}

/// What a role may do at a location: read sources from it (imports), write to it (exports, the
/// fallback location), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Read only (the default).
    #[default]
    Read,
    /// Write only.
    Write,
    /// Read and write.
    ReadWrite,
}

impl Access {
    /// Sources may be read here.
    pub fn reads(self) -> bool {
        matches!(self, Self::Read | Self::ReadWrite)
    }

    /// Objects may be written here.
    pub fn writes(self) -> bool {
        matches!(self, Self::Write | Self::ReadWrite)
    }
}

/// `[[roles.locations]]`: an `s3://bucket/prefix/` (with how to reach it) or a `file:///dir/`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// `s3://bucket/prefix/` or `file:///dir/`.
    pub uri: String,
    /// `read` (default), `write` or `read-write`; only `s3://` locations may be written.
    #[serde(default)]
    pub access: Access,
    /// S3 endpoint URL; unset means AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// S3 region; unset means `us-east-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Path-style addressing (most S3-compatible servers need it).
    #[serde(default)]
    pub path_style: bool,
    /// Access key; unset means object_store's default chain (environment, web identity, container,
    /// instance metadata; not `~/.aws` profiles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Secret of `access_key_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Location")
            .field("uri", &self.uri)
            .field("access", &self.access)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| REDACTED))
            .finish()
    }
}

/// `[sources]`: where any role of the caller's account may read when no `[[roles]]` are configured.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    /// Directories `file://` sources may lie under (`--file-root`).
    pub file_roots: Vec<PathBuf>,
    /// S3 endpoint for `s3://` sources (`--source-s3-endpoint`); credentials from `AWS_*`
    /// environment variables. Unset means AWS.
    pub s3_endpoint: Option<String>,
}

impl Location {
    /// A copy with the secret replaced, for printing.
    pub fn redacted(&self) -> Self {
        Self { secret_access_key: self.secret_access_key.as_ref().map(|_| REDACTED.to_owned()), ..self.clone() }
    }
}
