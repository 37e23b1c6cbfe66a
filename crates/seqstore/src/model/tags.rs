//! Tag rules shared by TagResource and the `tags` member of every Create/Start operation.

use std::collections::BTreeMap;

/// Tags of one resource, ordered by key.
pub type Tags = BTreeMap<String, String>;

/// Most tags one resource may carry.
pub const MAX_TAGS: usize = 50;

/// Why a set of tags is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// More than [`MAX_TAGS`].
    #[error("a resource can have at most {MAX_TAGS} tags, this request would give it {count}")]
    TooMany {
        /// How many the resource would have.
        count: usize,
    },
    /// Keys starting with `aws:` are reserved for the system.
    #[error("tag key '{key}' is reserved: keys starting with 'aws:' are set by the system only")]
    Reserved {
        /// The offending key.
        key: String,
    },
}

/// Checks user-supplied tags: at most [`MAX_TAGS`] and no reserved `aws:` prefix. Lengths and
/// patterns are the model's and are checked with the rest of the request shape.
pub fn check_user_tags<'a>(keys: impl IntoIterator<Item = &'a String>) -> Result<(), TagError> {
    let mut count = 0;
    for key in keys {
        count += 1;
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(TagError::Reserved { key: key.clone() });
        }
    }
    if count > MAX_TAGS {
        return Err(TagError::TooMany { count });
    }
    Ok(())
}

/// User tags plus HealthOmics' system tags `aws:omics:sampleId` and `aws:omics:subjectId`, which
/// every read set carries.
pub fn with_system_tags(tags: &Tags, sample_id: &str, subject_id: &str) -> Tags {
    let mut all = tags.clone();
    all.insert("aws:omics:sampleId".to_owned(), sample_id.to_owned());
    all.insert("aws:omics:subjectId".to_owned(), subject_id.to_owned());
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_reserved_keys_and_too_many() {
        let ok: Tags = (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(check_user_tags(ok.keys()), Ok(()));
        let many: Tags = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(check_user_tags(many.keys()), Err(TagError::TooMany { count: 51 }));
        let reserved: Tags = [("aws:x".to_owned(), "v".to_owned())].into();
        assert!(matches!(check_user_tags(reserved.keys()), Err(TagError::Reserved { .. })));
    }
}
