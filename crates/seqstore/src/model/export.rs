//! Read set export jobs: what one source of an export is, and the S3 prefix it writes under.

use serde::{Deserialize, Serialize};

/// One source of an export job: a read set of the job's store, written under `destination`
/// as `{destination}{readSetId}/{file}` (file names as [`super::read_set::FileNames`] gives them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSource {
    /// The read set to export.
    pub read_set_id: String,
    /// The job's destination, `s3://bucket/` or `s3://bucket/prefix/`.
    pub destination: String,
}

/// An `s3://bucket/prefix/` destination (the model's `S3Destination`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Prefix {
    /// Bucket.
    pub bucket: String,
    /// Key prefix: empty (the whole bucket) or ending in `/`.
    pub prefix: String,
}

impl S3Prefix {
    /// Parses `s3://bucket`, `s3://bucket/` or `s3://bucket/prefix/` (a prefix without its final
    /// `/` gets one: it names a folder). `None` for anything else.
    pub fn parse(uri: &str) -> Option<Self> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || prefix.starts_with('/') || prefix.split('/').any(|s| s == "." || s == "..") {
            return None;
        }
        let prefix = if prefix.is_empty() || prefix.ends_with('/') { prefix.to_owned() } else { format!("{prefix}/") };
        if prefix.contains("//") {
            return None;
        }
        Some(Self { bucket: bucket.to_owned(), prefix })
    }

    /// The key of `file` of read set `read_set_id` under this prefix.
    pub fn key(&self, read_set_id: &str, file: &str) -> String {
        format!("{}{read_set_id}/{file}", self.prefix)
    }

    /// True when every key under one of the two could be under the other (same bucket, one prefix
    /// a prefix of the other).
    pub fn overlaps(&self, other: &S3Prefix) -> bool {
        self.bucket == other.bucket
            && (self.prefix.starts_with(&other.prefix) || other.prefix.starts_with(&self.prefix))
    }
}

impl std::fmt::Display for S3Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_parse_as_folders() {
        let p = S3Prefix::parse("s3://lab/exports/run1/").unwrap();
        assert_eq!((p.bucket.as_str(), p.prefix.as_str()), ("lab", "exports/run1/"));
        assert_eq!(p.key("1234567890", "a.bam"), "exports/run1/1234567890/a.bam");
        assert_eq!(S3Prefix::parse("s3://lab").unwrap().prefix, "");
        assert_eq!(S3Prefix::parse("s3://lab/").unwrap().key("1", "f"), "1/f");
        assert_eq!(S3Prefix::parse("s3://lab/x").unwrap().prefix, "x/");
        for bad in ["s3://", "http://lab/", "s3://lab//x/", "s3://lab/../x/", "s3:///x/"] {
            assert!(S3Prefix::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn overlap_is_one_prefix_under_the_other() {
        let p = |u: &str| S3Prefix::parse(u).unwrap();
        assert!(p("s3://data/").overlaps(&p("s3://data/store/")));
        assert!(p("s3://data/store/x/").overlaps(&p("s3://data/store/")));
        assert!(!p("s3://data/store2/").overlaps(&p("s3://data/store/")));
        assert!(!p("s3://other/").overlaps(&p("s3://data/")));
    }
}
