//! `[archive]`: the archive tier — when idle read sets move there (`after`), how long the copies
//! they leave stay readable (`grace`), and where archived objects live (`[archive.storage]`: a
//! local directory, or an S3 bucket with an optional storage class).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::REDACTED;
use super::storage::{StorageConfig, StorageKind};

/// Storage classes whose objects must be restored before they can be read: refused, since an
/// activation reads the archived copy at once.
const RESTORE_FIRST: [&str; 2] = ["GLACIER", "DEEP_ARCHIVE"];

/// `[archive]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// Read sets not read for this long are archived (`"30d"`, `"12h"`, `"2s"`); empty: never
    /// automatically (BatchArchiveReadSet still archives at once).
    pub after: String,
    /// How long a tier a read set left keeps its copies (reads already in flight finish), e.g.
    /// `"15m"`.
    pub grace: String,
    /// Where archived objects live.
    pub storage: ArchiveStorageConfig,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        Self { after: String::new(), grace: "15m".into(), storage: ArchiveStorageConfig::default() }
    }
}

/// `[archive.storage]`: `kind = "local"` with `dir` (default `{data_dir}/archive`), or `kind =
/// "s3"` with the keys of `[storage]` and an optional `storage_class` sent with every write.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveStorageConfig {
    /// `local` or `s3`.
    pub kind: StorageKind,
    /// Directory of a local archive; unset: `{data_dir}/archive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// Bucket (`kind = "s3"`, required there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Key prefix of every archived object.
    pub prefix: String,
    /// S3 endpoint URL; unset means AWS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// S3 region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Path-style addressing.
    pub path_style: bool,
    /// Access key (with `secret_access_key`); unset: the default credential chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Secret of `access_key_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
    /// Retries of each request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<usize>,
    /// S3 storage class of archived objects (`x-amz-storage-class`), e.g. `GLACIER_IR` or
    /// `STANDARD_IA`; unset: the bucket's default. Classes that need a restore before reading
    /// (`GLACIER`, `DEEP_ARCHIVE`) are refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

impl ArchiveConfig {
    /// The idle time after which read sets are archived; `None` when archiving is manual only.
    pub fn after(&self) -> Option<Duration> {
        if self.after.trim().is_empty() { None } else { parse_duration(&self.after).ok().map(Duration::from_secs) }
    }

    /// How long copies left in the tier a read set moved out of stay.
    pub fn grace(&self) -> Duration {
        Duration::from_secs(parse_duration(&self.grace).unwrap_or(900))
    }

    /// A copy with the secret replaced, for printing.
    pub fn redacted(&self) -> Self {
        let storage = ArchiveStorageConfig {
            secret_access_key: self.storage.secret_access_key.as_ref().map(|_| REDACTED.to_owned()),
            ..self.storage.clone()
        };
        Self { storage, ..self.clone() }
    }

    /// The first problem of the `[archive]` table as `(key, problem)`, if any.
    pub fn problem(&self) -> Option<(String, String)> {
        if !self.after.trim().is_empty()
            && let Err(e) = parse_duration(&self.after)
        {
            return Some(("archive.after".into(), e));
        }
        match parse_duration(&self.grace) {
            Err(e) => return Some(("archive.grace".into(), e)),
            Ok(0) => return Some(("archive.grace".into(), "must be at least 1s (reads in flight finish)".into())),
            Ok(_) => {}
        }
        let storage = &self.storage;
        if let Some(class) = &storage.storage_class {
            if storage.kind != StorageKind::S3 {
                return Some(("archive.storage.storage_class".into(), "applies to kind = \"s3\" only".into()));
            }
            if RESTORE_FIRST.contains(&class.to_ascii_uppercase().as_str()) {
                return Some((
                    "archive.storage.storage_class".into(),
                    format!(
                        "{class} objects must be restored before they can be read, and an activation reads them at \
                         once: use GLACIER_IR, STANDARD_IA, ONEZONE_IA or INTELLIGENT_TIERING"
                    ),
                ));
            }
            if class.is_empty() || !class.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
                return Some(("archive.storage.storage_class".into(), format!("'{class}' is not an S3 storage class")));
            }
        }
        if storage.kind == StorageKind::S3 && storage.dir.is_some() {
            return Some(("archive.storage.dir".into(), "applies to kind = \"local\" only".into()));
        }
        let (key, problem) = storage.as_storage().problem()?;
        Some((format!("archive.{key}"), problem))
    }
}

impl ArchiveStorageConfig {
    /// The same location as a `[storage]` table (the part size is not used).
    pub fn as_storage(&self) -> StorageConfig {
        StorageConfig {
            kind: self.kind,
            bucket: self.bucket.clone(),
            prefix: self.prefix.clone(),
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            path_style: self.path_style,
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            max_retries: self.max_retries,
            ..StorageConfig::default()
        }
    }

    /// The directory of a local archive.
    pub fn local_dir(&self, data_dir: &Path) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| data_dir.join("archive"))
    }
}

impl std::fmt::Debug for ArchiveStorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveStorageConfig")
            .field("kind", &self.kind)
            .field("dir", &self.dir)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("storage_class", &self.storage_class)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| REDACTED))
            .finish_non_exhaustive()
    }
}

/// Seconds of `90`, `90s`, `30m`, `2h` or `1d`.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let number: u64 = number.parse().map_err(|_| format!("'{text}' is not a duration such as 3600, 30m, 2h or 1d"))?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{text}' has unit '{unit}': use s, m, h or d")),
    };
    Ok(number.saturating_mul(unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_classes_are_checked() {
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400));
        assert_eq!(parse_duration("2s"), Ok(2));
        assert!(parse_duration("2w").is_err());
        let config = ArchiveConfig { after: "2s".into(), ..ArchiveConfig::default() };
        assert_eq!(config.after(), Some(Duration::from_secs(2)));
        assert_eq!(config.problem(), None);
        assert_eq!(ArchiveConfig::default().after(), None);
        let s3 = |class: &str| ArchiveConfig {
            storage: ArchiveStorageConfig {
                kind: StorageKind::S3,
                bucket: Some("cold".into()),
                storage_class: Some(class.into()),
                ..ArchiveStorageConfig::default()
            },
            ..ArchiveConfig::default()
        };
        assert_eq!(s3("GLACIER_IR").problem(), None);
        assert_eq!(s3("DEEP_ARCHIVE").problem().map(|p| p.0), Some("archive.storage.storage_class".into()));
        assert_eq!(s3("GLACIER").problem().map(|p| p.0), Some("archive.storage.storage_class".into()));
        let no_bucket = ArchiveConfig {
            storage: ArchiveStorageConfig { kind: StorageKind::S3, ..ArchiveStorageConfig::default() },
            ..ArchiveConfig::default()
        };
        assert_eq!(no_bucket.problem().map(|p| p.0), Some("archive.storage.bucket".into()));
        let bad = ArchiveConfig { after: "soon".into(), ..ArchiveConfig::default() };
        assert_eq!(bad.problem().map(|p| p.0), Some("archive.after".into()));
    }
}
