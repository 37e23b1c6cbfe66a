//! How seqstore reaches an S3-compatible endpoint: one builder for import sources
//! (`[[roles.locations]]`, `sources.s3_endpoint`) and for the store's own data (`[storage]`).

use std::time::Duration;

use object_store::ClientConfigKey;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};

/// A read that receives nothing for this long fails (and is retried or resumed).
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Overall limit of one request of a streaming client: long enough for any object to stream
/// through a throttled or back-pressured import (object_store's default of 30 s would cut every
/// longer read), finite so that nothing hangs forever.
const STREAMING_REQUEST_LIMIT: &str = "24h";

/// Where a bucket is and which credentials open it.
#[derive(Clone, Copy)]
pub struct Endpoint<'a> {
    /// Endpoint URL; `None` means AWS.
    pub url: Option<&'a str>,
    /// Region; `None` means `AWS_REGION` when the default chain is used, else `us-east-1`.
    pub region: Option<&'a str>,
    /// Path-style addressing instead of virtual-hosted buckets.
    pub path_style: bool,
    /// Explicit key pair; `None` means object_store's default chain.
    pub keys: Option<(&'a str, &'a str)>,
}

impl<'a> Endpoint<'a> {
    /// Where a role location's buckets are, with its keys.
    pub fn of(location: &'a crate::config::Location) -> Self {
        Self {
            url: location.endpoint.as_deref(),
            region: location.region.as_deref(),
            path_style: location.path_style,
            keys: location.access_key_id.as_deref().zip(location.secret_access_key.as_deref()),
        }
    }
}

/// A builder for `bucket` at `endpoint`. With explicit keys nothing is read from the
/// environment; otherwise object_store's default chain applies (environment, web identity,
/// container and instance credentials; `~/.aws` profiles are not read) together with the other
/// `AWS_*` variables it honours, and the fields of `endpoint` override them. Plain `http://`
/// endpoints are allowed (S3-compatible servers on a private network).
pub fn builder(bucket: &str, endpoint: Endpoint<'_>) -> AmazonS3Builder {
    let mut builder = match endpoint.keys {
        Some((id, secret)) => AmazonS3Builder::new().with_access_key_id(id).with_secret_access_key(secret),
        None => AmazonS3Builder::from_env(),
    };
    builder =
        builder.with_bucket_name(bucket).with_virtual_hosted_style_request(!endpoint.path_style).with_allow_http(true);
    match endpoint.region {
        Some(region) => builder = builder.with_region(region),
        None if endpoint.keys.is_some() || std::env::var_os("AWS_REGION").is_none() => {
            builder = builder.with_region("us-east-1")
        }
        None => {}
    }
    if let Some(url) = endpoint.url {
        builder = builder.with_endpoint(url);
    }
    builder
}

/// `builder` made for long streaming reads: no practical limit on a whole request, but a read that
/// stalls for [`STALL_TIMEOUT`] fails. The other client options (from the environment) stay.
pub fn for_streaming(builder: AmazonS3Builder) -> AmazonS3Builder {
    let stall = format!("{}s", STALL_TIMEOUT.as_secs());
    builder
        .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), STREAMING_REQUEST_LIMIT)
        .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::ReadTimeout), stall)
}
