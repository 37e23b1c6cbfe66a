//! Which bucket and key a request names: virtual-host style (`{bucket}.{domain}` in `Host`, the
//! key the whole path) when `s3_api.domain` is set and the host is under it, else path style
//! (`/{bucket}/{key}`). Keys are percent-decoded exactly once and kept as sent otherwise: `a//b`
//! and `x/../y` are keys of their own, as in S3.

use percent_encoding::percent_decode_str;

use super::error::S3Error;

/// The bucket and key of a request; either may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The bucket ("" for the service itself).
    pub bucket: String,
    /// The key, decoded ("" for the bucket itself).
    pub key: String,
}

/// The address of a request to `host` (the `Host` header, port included) and `raw_path`, with
/// virtual hosts under `domain` when it is set.
pub fn parse(host: Option<&str>, raw_path: &str, domain: Option<&str>) -> Result<Address, S3Error> {
    let decode = |s: &str| {
        percent_decode_str(s)
            .decode_utf8()
            .map(|k| k.into_owned())
            .map_err(|_| S3Error::InvalidArgument("the object key is not UTF-8 once decoded".into()))
    };
    let path = raw_path.strip_prefix('/').unwrap_or(raw_path);
    let virtual_bucket = match (host, domain) {
        (Some(host), Some(domain)) => virtual_bucket(host, domain),
        _ => None,
    };
    if let Some(bucket) = virtual_bucket {
        return Ok(Address { bucket: bucket.to_owned(), key: decode(path)? });
    }
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    Ok(Address { bucket: decode(bucket)?, key: decode(key)? })
}

/// The bucket of `host` when it is `{bucket}.{domain}` (ports compared only when `domain` has
/// one).
fn virtual_bucket<'a>(host: &'a str, domain: &str) -> Option<&'a str> {
    let host = if domain.contains(':') { host } else { host.rsplit_once(':').map_or(host, |(h, _)| h) };
    let bucket = host.strip_suffix(domain)?.strip_suffix('.')?;
    (!bucket.is_empty()).then_some(bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(bucket: &str, key: &str) -> Address {
        Address { bucket: bucket.into(), key: key.into() }
    }

    #[test]
    fn path_style_names_the_bucket_first() {
        assert_eq!(parse(Some("127.0.0.1:4871"), "/b/a/c.bam", None).ok(), Some(address("b", "a/c.bam")));
        assert_eq!(parse(None, "/b", None).ok(), Some(address("b", "")));
        assert_eq!(parse(None, "/b/", None).ok(), Some(address("b", "")));
        assert_eq!(parse(None, "/", None).ok(), Some(address("", "")));
        assert_eq!(parse(None, "/b/a%20b//../c", None).ok(), Some(address("b", "a b//../c")));
        assert!(parse(None, "/b/%FF", None).is_err());
    }

    #[test]
    fn virtual_hosts_under_the_domain_name_the_bucket() {
        let domain = Some("s3.local");
        assert_eq!(parse(Some("b.s3.local:4871"), "/k/x", domain).ok(), Some(address("b", "k/x")));
        assert_eq!(parse(Some("s3.local:4871"), "/b/k", domain).ok(), Some(address("b", "k")));
        assert_eq!(parse(Some("127.0.0.1:4871"), "/b/k", domain).ok(), Some(address("b", "k")));
        assert_eq!(parse(Some("b.s3.local:9"), "/k", Some("s3.local:4871")).ok(), Some(address("k", "")), "other port");
    }
}
