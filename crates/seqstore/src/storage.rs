//! Storage: the store's own data (object_store over the local data directory or an S3 bucket) and
//! import sources (`file://` under allowed roots, `s3://` on any S3-compatible endpoint).

pub mod data;
pub mod locations;
pub mod s3;
pub mod source;
