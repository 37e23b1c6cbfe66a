//! S3 access to a store's data: the names of its S3 access point and the access policy attached
//! to it.
//!
//! Every store, sequence or reference, has one S3 access point. Store ids are unique across the
//! server, so the store id alone names it: its ARN is
//! `arn:aws:s3:{region}:{account}:accesspoint/{storeId}` and its bucket alias (the bucket name S3
//! clients use) `{account}-{storeId}-s3alias`. What may be read through it is the store's S3
//! access policy ([`policy`]), evaluated per request by [`evaluate`].

pub mod condition;
pub mod error;
pub mod evaluate;
pub mod policy;

pub use error::{PolicyError, Problem};
pub use evaluate::{Decision, Request, evaluate};
pub use policy::{Action, Policy};

/// The kind of store an access point belongs to (`StoreType` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreType {
    /// A sequence store.
    Sequence,
    /// A reference store.
    Reference,
}

wire_names!(StoreType { Sequence => "SEQUENCE_STORE", Reference => "REFERENCE_STORE" });

/// Suffix of every bucket alias.
const ALIAS_SUFFIX: &str = "-s3alias";

/// The ARN of store `store_id`'s access point.
pub fn access_point_arn(region: &str, account: &str, store_id: &str) -> String {
    format!("arn:aws:s3:{region}:{account}:accesspoint/{store_id}")
}

/// The `(region, account, store id)` an access point ARN names; `None` for any other text (another
/// partition or service, an account that is not 12 digits, a store id that is not digits).
pub fn parse_access_point_arn(arn: &str) -> Option<(String, String, String)> {
    let rest = arn.strip_prefix("arn:aws:s3:")?;
    let (region, rest) = rest.split_once(':')?;
    let (account, resource) = rest.split_once(':')?;
    let store_id = resource.strip_prefix("accesspoint/")?;
    let valid = !region.is_empty() && is_account(account) && is_store_id(store_id);
    valid.then(|| (region.to_owned(), account.to_owned(), store_id.to_owned()))
}

/// The bucket alias of store `store_id`'s access point.
pub fn bucket_alias(account: &str, store_id: &str) -> String {
    format!("{account}-{store_id}{ALIAS_SUFFIX}")
}

/// The `(account, store id)` a bucket alias names; `None` for any other bucket name.
pub fn parse_bucket_alias(bucket: &str) -> Option<(String, String)> {
    let (account, store_id) = bucket.strip_suffix(ALIAS_SUFFIX)?.split_once('-')?;
    (is_account(account) && is_store_id(store_id)).then(|| (account.to_owned(), store_id.to_owned()))
}

/// The directory of a store's objects in its access point: `{account}/sequenceStore/{storeId}/`
/// or `{account}/referenceStore/{storeId}/`. Every key of the bucket starts with it.
pub fn store_prefix(account: &str, store_type: StoreType, store_id: &str) -> String {
    let kind = match store_type {
        StoreType::Sequence => "sequenceStore",
        StoreType::Reference => "referenceStore",
    };
    format!("{account}/{kind}/{store_id}/")
}

/// The key of file `name` of read set `read_set_id` in its store's access point:
/// `{account}/sequenceStore/{storeId}/readSet/{readSetId}/{name}`.
pub fn read_set_key(account: &str, store_id: &str, read_set_id: &str, name: &str) -> String {
    format!("{}readSet/{read_set_id}/{name}", store_prefix(account, StoreType::Sequence, store_id))
}

/// The key of file `name` of reference `reference_id` in its store's access point:
/// `{account}/referenceStore/{storeId}/reference/{referenceId}/{name}`.
pub fn reference_key(account: &str, store_id: &str, reference_id: &str, name: &str) -> String {
    format!("{}reference/{reference_id}/{name}", store_prefix(account, StoreType::Reference, store_id))
}

/// The `s3://` URI of `key` (or of a prefix) in store `store_id`'s access point:
/// `s3://{bucket alias}/{key}`.
pub fn s3_uri(account: &str, store_id: &str, key: &str) -> String {
    format!("s3://{}/{key}", bucket_alias(account, store_id))
}

/// The IAM principal that stands for every key of `account`.
pub fn account_principal(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

/// The principal ARN of one seqstore access key (`aws:PrincipalArn`).
pub fn key_principal(account: &str, access_key_id: &str) -> String {
    format!("arn:aws:iam::{account}:user/{access_key_id}")
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_store_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 36 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_point_arns_round_trip() {
        let arn = access_point_arn("us-east-1", "123456789012", "1234567890");
        assert_eq!(arn, "arn:aws:s3:us-east-1:123456789012:accesspoint/1234567890");
        let parsed = parse_access_point_arn(&arn).expect("parses");
        assert_eq!(parsed, ("us-east-1".into(), "123456789012".into(), "1234567890".into()));
    }

    #[test]
    fn other_arns_are_not_access_points() {
        for text in [
            "arn:aws:s3:::bucket",
            "arn:aws:s3:us-east-1:123456789012:accesspoint/",
            "arn:aws:s3:us-east-1:123456789012:accesspoint/ap-name",
            "arn:aws:s3:us-east-1:123456789012:accesspoint/1234567890/object/x",
            "arn:aws:s3:us-east-1:12345:accesspoint/1234567890",
            "arn:aws:s3::123456789012:accesspoint/1234567890",
            "arn:aws-cn:s3:us-east-1:123456789012:accesspoint/1234567890",
            "arn:aws:omics:us-east-1:123456789012:sequenceStore/1234567890",
        ] {
            assert_eq!(parse_access_point_arn(text), None, "{text}");
        }
    }

    #[test]
    fn bucket_aliases_round_trip() {
        let alias = bucket_alias("123456789012", "1234567890");
        assert_eq!(alias, "123456789012-1234567890-s3alias");
        assert_eq!(parse_bucket_alias(&alias), Some(("123456789012".into(), "1234567890".into())));
        for other in ["bucket", "123456789012-1234567890", "12345-1234567890-s3alias", "123456789012--s3alias"] {
            assert_eq!(parse_bucket_alias(other), None, "{other}");
        }
    }

    #[test]
    fn keys_and_uris_follow_the_healthomics_layout() {
        assert_eq!(store_prefix("123456789012", StoreType::Reference, "42"), "123456789012/referenceStore/42/");
        let key = read_set_key("123456789012", "1234567890", "5555555555", "reads.bam");
        assert_eq!(key, "123456789012/sequenceStore/1234567890/readSet/5555555555/reads.bam");
        assert_eq!(
            s3_uri("123456789012", "1234567890", &key),
            "s3://123456789012-1234567890-s3alias/123456789012/sequenceStore/1234567890/readSet/5555555555/reads.bam"
        );
        let reference = reference_key("123456789012", "42", "7", "7.fasta");
        assert_eq!(reference, "123456789012/referenceStore/42/reference/7/7.fasta");
    }

    #[test]
    fn store_types_have_wire_names() {
        assert_eq!(StoreType::Sequence.as_str(), "SEQUENCE_STORE");
        assert_eq!(StoreType::parse("REFERENCE_STORE"), Some(StoreType::Reference));
    }
}
