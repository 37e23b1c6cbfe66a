//! The `aws-sdk-omics` client of the command line: region, credentials and endpoint from the
//! usual AWS environment and profile settings (`aws-config`), and an HTTP client whose resolver
//! maps the SDK's host prefixes onto the endpoint's address.
//!
//! The region comes from `--region`, `AWS_REGION`/`AWS_DEFAULT_REGION` or the profile, else
//! `us-east-1`: never from EC2 instance metadata, which `aws-config`'s default chain would probe
//! (with a multi-line warning on every command off EC2).
//!
//! The SDK always prefixes the endpoint host (`control-storage-`, `storage-`, `tags-`), so
//! `http://127.0.0.1:4870` is called as `http://control-storage-127.0.0.1:4870`, which no DNS
//! resolves. The resolver here answers those three names with the endpoint host's addresses; the
//! request still carries (and signs) the prefixed `Host`, which the server verifies as received.

use std::net::IpAddr;

use aws_config::BehaviorVersion;
use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_sdk_omics::config::Region;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};

use super::Error;
use super::endpoint::{Endpoint, Origin};
use crate::cli::client::ClientArgs;

/// Host prefixes the SDK puts before the endpoint host.
const PREFIXES: [&str; 3] = ["control-storage-", "storage-", "tags-"];

/// Region used when neither the flag, the environment nor the profile names one.
const DEFAULT_REGION: &str = "us-east-1";

/// The SDK client for `args`, with the region it signs for and the endpoint it calls (none: AWS).
#[derive(Debug, Clone)]
pub struct Connection {
    /// The client.
    pub sdk: aws_sdk_omics::Client,
    /// The region.
    pub region: String,
    /// The endpoint, checked by [`Endpoint::parse`]; `None` when nothing names one.
    pub endpoint: Option<Endpoint>,
}

/// Builds the SDK client for `args`: `--endpoint-url`, else `AWS_ENDPOINT_URL_OMICS`, else the
/// shared endpoint of `aws-config` (`AWS_ENDPOINT_URL`, the profile's `endpoint_url`). An endpoint
/// URL that cannot be the root of a server (a path, no scheme) is refused here, before any request.
pub async fn client(args: &ClientArgs) -> Result<Connection, Error> {
    let mut profile_region = ProfileFileRegionProvider::builder();
    if let Some(profile) = &args.profile {
        profile_region = profile_region.profile_name(profile);
    }
    let region = RegionProviderChain::first_try(args.region.clone().map(Region::new))
        .or_else(EnvironmentVariableRegionProvider::new())
        .or_else(profile_region.build())
        .or_else(Region::new(DEFAULT_REGION))
        .region()
        .await
        .unwrap_or_else(|| Region::new(DEFAULT_REGION));
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region.clone());
    if let Some(profile) = &args.profile {
        loader = loader.profile_name(profile);
    }
    let shared = loader.load().await;
    let endpoint = match (&args.endpoint_url, std::env::var("AWS_ENDPOINT_URL_OMICS").ok().filter(|v| !v.is_empty())) {
        (Some(url), _) => Some(Endpoint::parse(url, Origin::Flag)?),
        (None, Some(url)) => Some(Endpoint::parse(&url, Origin::OmicsVariable)?),
        (None, None) => shared.endpoint_url().map(|url| Endpoint::parse(url, Origin::shared(url))).transpose()?,
    };
    let resolver = PrefixResolver { host: endpoint.as_ref().map(|e| e.host.clone()).unwrap_or_default() };
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_with_resolver(resolver);
    let mut config = aws_sdk_omics::config::Builder::from(&shared).http_client(http);
    if let Some(endpoint) = &endpoint {
        config = config.endpoint_url(&endpoint.url);
    }
    let sdk = aws_sdk_omics::Client::from_conf(config.build());
    Ok(Connection { sdk, region: region.to_string(), endpoint })
}

/// Resolves `{prefix}{host}` as `host` for the SDK's host prefixes, every other name as is.
#[derive(Debug, Clone)]
struct PrefixResolver {
    host: String,
}

impl PrefixResolver {
    /// The name to look up for `name`.
    fn target<'a>(&'a self, name: &'a str) -> &'a str {
        let unprefixed = PREFIXES.iter().find_map(|p| name.strip_prefix(p));
        match unprefixed {
            Some(rest) if !self.host.is_empty() && rest.eq_ignore_ascii_case(&self.host) => &self.host,
            _ => name,
        }
    }
}

impl ResolveDns for PrefixResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        let target = self.target(name).to_owned();
        if let Ok(ip) = target.parse::<IpAddr>() {
            return DnsFuture::ready(Ok(vec![ip]));
        }
        DnsFuture::new(async move {
            let found = tokio::net::lookup_host((target.as_str(), 0)).await.map_err(ResolveDnsError::new)?;
            Ok(found.map(|addr| addr.ip()).collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_names_of_the_endpoint_resolve_as_its_host() -> Result<(), Error> {
        let resolver = PrefixResolver { host: Endpoint::parse("http://127.0.0.1:4870", Origin::Flag)?.host };
        assert_eq!(resolver.target("control-storage-127.0.0.1"), "127.0.0.1");
        assert_eq!(resolver.target("storage-127.0.0.1"), "127.0.0.1");
        assert_eq!(resolver.target("tags-127.0.0.1"), "127.0.0.1");
        assert_eq!(resolver.target("analytics-127.0.0.1"), "analytics-127.0.0.1");
        let aws = PrefixResolver { host: String::new() };
        let name = "control-storage-omics.us-east-1.amazonaws.com";
        assert_eq!(aws.target(name), name, "without an endpoint nothing is mapped");
        let v6 = PrefixResolver { host: Endpoint::parse("http://[::1]:4870", Origin::Flag)?.host };
        assert_eq!(v6.target("storage-::1"), "::1");
        Ok(())
    }
}
