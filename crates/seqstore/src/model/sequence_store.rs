//! Sequence stores: the containers of read sets.

use serde::{Deserialize, Serialize};

use super::time::Millis;

/// Digest family of the ETags a store computes for its read sets; fixed at creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ETagAlgorithmFamily {
    /// MD5 (the default).
    #[default]
    #[serde(rename = "MD5up")]
    Md5Up,
    /// SHA-256.
    #[serde(rename = "SHA256up")]
    Sha256Up,
    /// SHA-512.
    #[serde(rename = "SHA512up")]
    Sha512Up,
}

impl ETagAlgorithmFamily {
    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5Up => "MD5up",
            Self::Sha256Up => "SHA256up",
            Self::Sha512Up => "SHA512up",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Md5Up, Self::Sha256Up, Self::Sha512Up].into_iter().find(|f| f.as_str() == s)
    }
}

/// Server-side encryption settings as the client gave them. On S3 storage the store's objects are
/// written with SSE-KMS under `key_arn` (`storage::objects::WriteOptions`); data on local disk is not
/// encrypted by seqstore, and nothing there records the setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SseConfig {
    /// Always `KMS` (the only value of the model's enum).
    #[serde(rename = "type")]
    pub kind: String,
    /// The KMS key ARN, when given.
    #[serde(rename = "keyArn", skip_serializing_if = "Option::is_none")]
    pub key_arn: Option<String>,
}

/// A sequence store as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceStore {
    /// 10-digit id.
    pub id: String,
    /// Owning account.
    pub account: String,
    /// Name (not unique).
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Encryption settings, when given.
    pub sse: Option<SseConfig>,
    /// Where failed uploads go, when set.
    pub fallback_location: Option<String>,
    /// ETag family, immutable.
    pub etag_family: ETagAlgorithmFamily,
    /// Tag keys propagated to the objects of read sets.
    pub propagated_set_level_tags: Vec<String>,
    /// S3 access log location, when set.
    pub access_log_location: Option<String>,
    /// Creation time.
    pub creation_time: Millis,
    /// Last update; equal to `creation_time` until the first update.
    pub update_time: Millis,
}

/// The changes an UpdateSequenceStore request asks for; `None` leaves a field as it is, and an
/// empty string for the two locations clears them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New fallback location (`""` clears).
    pub fallback_location: Option<String>,
    /// New propagated tag keys.
    pub propagated_set_level_tags: Option<Vec<String>>,
    /// New access log location (`""` clears).
    pub access_log_location: Option<String>,
}

impl SequenceStore {
    /// Applies `changes` at time `now`.
    pub fn apply(&mut self, changes: Changes, now: Millis) {
        let clearable = |v: String| if v.is_empty() { None } else { Some(v) };
        if let Some(name) = changes.name {
            self.name = name;
        }
        if let Some(description) = changes.description {
            self.description = Some(description);
        }
        if let Some(location) = changes.fallback_location {
            self.fallback_location = clearable(location);
        }
        if let Some(tags) = changes.propagated_set_level_tags {
            self.propagated_set_level_tags = tags;
        }
        if let Some(location) = changes.access_log_location {
            self.access_log_location = clearable(location);
        }
        self.update_time = now.max(self.creation_time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_family_spellings() {
        for f in [ETagAlgorithmFamily::Md5Up, ETagAlgorithmFamily::Sha256Up, ETagAlgorithmFamily::Sha512Up] {
            assert_eq!(ETagAlgorithmFamily::parse(f.as_str()), Some(f));
        }
        assert_eq!(ETagAlgorithmFamily::parse("md5up"), None);
    }

    #[test]
    fn apply_clears_locations_with_empty_strings() {
        let mut store = SequenceStore {
            id: "1234567890".into(),
            account: "123456789012".into(),
            name: "a".into(),
            description: None,
            sse: None,
            fallback_location: Some("s3://b/p/".into()),
            etag_family: ETagAlgorithmFamily::Md5Up,
            propagated_set_level_tags: vec![],
            access_log_location: None,
            creation_time: 10,
            update_time: 10,
        };
        let changes = Changes { name: Some("b".into()), fallback_location: Some(String::new()), ..Changes::default() };
        store.apply(changes, 20);
        assert_eq!(store.name, "b");
        assert_eq!(store.fallback_location, None);
        assert_eq!(store.update_time, 20);
    }
}
