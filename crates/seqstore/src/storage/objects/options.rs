//! How objects are written: the server-side encryption a store asks for (`sseConfig`) and the
//! object tags a read set propagates (`propagatedSetLevelTags`). Both apply on S3 only; on local
//! storage they are recorded nowhere.

use object_store::TagSet;

use crate::model::sequence_store::{SequenceStore, SseConfig};
use crate::model::tags::Tags;

/// Most tags S3 keeps on one object.
pub const MAX_OBJECT_TAGS: usize = 10;

/// Server-side encryption of the objects written (S3 only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Encryption {
    /// Whatever the bucket applies by default.
    #[default]
    BucketDefault,
    /// SSE-KMS with this key (ARN, id or alias), or with S3's AWS managed key when `None`.
    Kms(Option<String>),
}

/// Options of one write: its encryption and object tags. The default writes plainly, untagged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Server-side encryption.
    pub encryption: Encryption,
    /// Object tags (`x-amz-tagging`), at most [`MAX_OBJECT_TAGS`].
    pub tags: Vec<(String, String)>,
}

impl WriteOptions {
    /// The options of a store with `sse` (its `sseConfig`): SSE-KMS with its `keyArn`, or with S3's
    /// AWS managed key when the config names none; the bucket's default without a config.
    pub fn encrypted(sse: Option<&SseConfig>) -> Self {
        let encryption = sse.map_or(Encryption::BucketDefault, |sse| Encryption::Kms(sse.key_arn.clone()));
        Self { encryption, tags: Vec::new() }
    }

    /// The options of the objects of a read set of `store` that carries `tags`: the store's
    /// encryption, and as object tags those of `tags` whose keys the store's
    /// `propagatedSetLevelTags` lists, in that list's order. A tag S3 would refuse — beyond
    /// [`MAX_OBJECT_TAGS`], or with a character outside S3's tag alphabet — is left off with a
    /// warning rather than failing the import.
    pub fn read_set(store: &SequenceStore, tags: &Tags) -> Self {
        let mut options = Self::encrypted(store.sse.as_ref());
        for key in &store.propagated_set_level_tags {
            let Some(value) = tags.get(key) else { continue };
            if options.tags.iter().any(|(k, _)| k == key) {
                continue;
            }
            let refused = if options.tags.len() == MAX_OBJECT_TAGS {
                Some("S3 keeps at most 10 tags per object")
            } else if !s3_tag_text(key) || !s3_tag_text(value) {
                Some("S3 tags allow only letters, digits, spaces and _ . : / = + - @")
            } else {
                None
            };
            match refused {
                Some(reason) => tracing::warn!(store = %store.id, key, reason, "tag not propagated to S3 objects"),
                None => options.tags.push((key.clone(), value.clone())),
            }
        }
        options
    }

    /// The tags as object_store sends them.
    pub(super) fn tag_set(&self) -> TagSet {
        let mut set = TagSet::default();
        for (key, value) in &self.tags {
            set.push(key, value);
        }
        set
    }
}

/// True when S3 accepts `text` as a tag key or value: Unicode letters, digits and spaces and
/// `_ . : / = + - @` (the PutObjectTagging pattern `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`).
fn s3_tag_text(text: &str) -> bool {
    text.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sequence_store::ETagAlgorithmFamily;

    fn store(sse: Option<SseConfig>, propagated: &[&str]) -> SequenceStore {
        SequenceStore {
            id: "1234567890".into(),
            account: "123456789012".into(),
            name: "s".into(),
            description: None,
            sse,
            fallback_location: None,
            etag_family: ETagAlgorithmFamily::Md5Up,
            propagated_set_level_tags: propagated.iter().map(|k| (*k).to_owned()).collect(),
            access_log_location: None,
            creation_time: 0,
            update_time: 0,
        }
    }

    #[test]
    fn read_set_options_follow_the_store() {
        let tags: Tags = [("project", "p1"), ("owner", "me o"), ("other", "x"), ("odd", "a&b")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let plain = WriteOptions::read_set(&store(None, &[]), &tags);
        assert_eq!(plain, WriteOptions::default());
        let key = "arn:aws:kms:us-east-1:123456789012:key/k1";
        let sse = SseConfig { kind: "KMS".into(), key_arn: Some(key.into()) };
        let options =
            WriteOptions::read_set(&store(Some(sse), &["owner", "missing", "project", "owner", "odd"]), &tags);
        assert_eq!(options.encryption, Encryption::Kms(Some(key.into())));
        assert_eq!(options.tags, vec![("owner".into(), "me o".into()), ("project".into(), "p1".into())]);
        assert_eq!(options.tag_set().encoded(), "owner=me+o&project=p1");
        let managed = WriteOptions::encrypted(Some(&SseConfig { kind: "KMS".into(), key_arn: None }));
        assert_eq!(managed.encryption, Encryption::Kms(None));
    }

    #[test]
    fn at_most_ten_tags_per_object() {
        let keys: Vec<String> = (0..12).map(|i| format!("k{i:02}")).collect();
        let tags: Tags = keys.iter().map(|k| (k.clone(), "v".to_owned())).collect();
        let names: Vec<&str> = keys.iter().map(String::as_str).collect();
        let options = WriteOptions::read_set(&store(None, &names), &tags);
        assert_eq!(options.tags.len(), MAX_OBJECT_TAGS);
        assert_eq!(options.tags[9].0, "k09");
    }
}
