//! Storage: the store's own objects ([`objects`]: object_store over the local data directory or an
//! S3 bucket) and import sources ([`source`]: `file://` under allowed roots, `s3://` on any
//! S3-compatible endpoint).

pub mod destination;
pub mod locations;
pub mod objects;
pub mod s3;
pub mod source;
