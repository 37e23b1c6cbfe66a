//! The endpoint the client calls, and the sentence that says what to pass when it is wrong: an
//! endpoint URL that cannot be a server's root (no scheme, a path such as `/ui/`) is refused
//! before any request ([`Endpoint::parse`]); a request that got no answer is explained by what
//! was (or was not) configured ([`explain`]): no endpoint at all (the request went to AWS),
//! `https://` to a server that speaks plain HTTP, an IP address under `https://`, nothing
//! listening, no credentials.

use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::box_error::BoxError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Error;

/// The address `seqstore serve` listens on by default, suggested when none is configured.
pub const LOCAL: &str = "http://127.0.0.1:4870";

/// How long the plain-HTTP probe of an `https://` endpoint may take.
const PROBE: Duration = Duration::from_secs(3);

/// Where the endpoint URL came from, which is where the user changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--endpoint-url`.
    Flag,
    /// `AWS_ENDPOINT_URL_OMICS`.
    OmicsVariable,
    /// `AWS_ENDPOINT_URL`.
    SharedVariable,
    /// The profile's `endpoint_url`.
    Profile,
}

impl Origin {
    /// The origin of `aws-config`'s shared endpoint `url`: `AWS_ENDPOINT_URL` when that variable
    /// holds it, else the profile.
    pub fn shared(url: &str) -> Self {
        if std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| v == url) { Self::SharedVariable } else { Self::Profile }
    }

    /// How the user names it.
    fn name(self) -> &'static str {
        match self {
            Self::Flag => "--endpoint-url",
            Self::OmicsVariable => "AWS_ENDPOINT_URL_OMICS",
            Self::SharedVariable => "AWS_ENDPOINT_URL",
            Self::Profile => "the profile's endpoint_url",
        }
    }

    /// What to do to use `url` instead.
    fn fix(self, url: &str) -> String {
        match self {
            Self::Flag => format!("pass --endpoint-url {url}"),
            Self::OmicsVariable => format!("set AWS_ENDPOINT_URL_OMICS={url}"),
            Self::SharedVariable => format!("set AWS_ENDPOINT_URL={url}"),
            Self::Profile => format!("set endpoint_url = {url} in the profile"),
        }
    }
}

/// A checked endpoint URL: `http` or `https`, a host, no path beyond `/`, no query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL as given.
    pub url: String,
    /// Where it came from.
    pub origin: Origin,
    https: bool,
    /// `host:port`, the port filled in from the scheme.
    authority: String,
    /// The host, without brackets for an IPv6 literal.
    pub host: String,
}

impl Endpoint {
    /// Checks `url`; a URL that cannot be a server's root is an error naming what to pass instead.
    pub fn parse(url: &str, origin: Origin) -> Result<Self, Error> {
        let refuse = |problem: String, suggested: String| Error::EndpointUrl {
            given: format!("{} `{url}`", origin.name()),
            problem,
            fix: origin.fix(&suggested),
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|_| refuse("is not a URL".to_owned(), format!("{LOCAL} (the address `seqstore serve` prints)")))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(refuse("has no scheme".to_owned(), format!("http://{}", url.trim_end_matches('/'))));
        };
        let https = match scheme {
            "http" => false,
            "https" => true,
            _ => return Err(refuse(format!("has the scheme {scheme}:"), format!("http://{authority}"))),
        };
        let root = format!("{scheme}://{authority}");
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            let path = uri.path_and_query().map_or("", |p| p.as_str());
            let problem = format!("has a path ({path}), but the API is served at the server's root");
            return Err(refuse(problem, root));
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        Ok(Self { url: url.to_owned(), origin, https, authority, host })
    }
}

/// The sentence that says what to pass after a request failed with `code` (none: no answer was
/// received, `source` says why), or `None` when the endpoint is not the likely cause. May probe
/// an `https://` endpoint with one plain-HTTP request.
pub async fn explain(
    endpoint: Option<&Endpoint>,
    region: &str,
    code: Option<&str>,
    source: Option<&BoxError>,
) -> Option<String> {
    let causes = causes(source);
    if causes.iter().any(|e| e.is::<CredentialsError>()) {
        return Some(
            "no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a server in dev mode \
             takes any pair, e.g. dev and dev) or pass --profile"
                .to_owned(),
        );
    }
    let Some(endpoint) = endpoint else {
        let unanswered = matches!(code, None | Some("UnrecognizedClientException" | "InvalidSignatureException"));
        return unanswered.then(|| {
            format!(
                "no endpoint URL is set, so the request went to AWS HealthOmics in {region}: for a seqstore server \
                 pass --endpoint-url {LOCAL} (the address `seqstore serve` prints) or set AWS_ENDPOINT_URL_OMICS"
            )
        });
    };
    if code.is_some() {
        return None;
    }
    let text: Vec<String> = causes.iter().map(|e| e.to_string()).collect();
    if endpoint.https && speaks_plain_http(&endpoint.authority).await {
        let plain = format!("http://{}", endpoint.authority);
        return Some(format!(
            "the server at {} speaks plain HTTP, not HTTPS: {}",
            endpoint.authority,
            endpoint.origin.fix(&plain)
        ));
    }
    if endpoint.https
        && endpoint.host.parse::<std::net::IpAddr>().is_ok()
        && text.iter().any(|t| t == "invalid dns name")
    {
        return Some(format!(
            "an https:// endpoint needs a host name, not the IP address {}: the SDK calls control-storage-{}, which \
             no certificate can name; use a host name that the server's certificate covers with its \
             control-storage-, storage- and tags- prefixes",
            endpoint.host, endpoint.host
        ));
    }
    let refused = causes.iter().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    }) || text.iter().any(|t| t.contains("Connection refused"));
    refused.then(|| {
        format!(
            "nothing is listening at {}: start `seqstore serve`, or give the address it prints in {}",
            endpoint.authority,
            endpoint.origin.name()
        )
    })
}

/// `source` and its causes.
fn causes(source: Option<&BoxError>) -> Vec<&(dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = source.map(|e| e.as_ref() as _);
    while let Some(e) = next {
        out.push(e);
        next = e.source();
    }
    out
}

/// True when `authority` answers a plain HTTP request with an HTTP response (an `https://`
/// endpoint pointed at a plain-HTTP server).
async fn speaks_plain_http(authority: &str) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(authority).await.ok()?;
        let request = format!("HEAD /healthz HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut head = [0u8; 7];
        stream.read_exact(&mut head).await.ok()?;
        Some(&head == b"HTTP/1.")
    };
    tokio::time::timeout(PROBE, attempt).await.ok().flatten().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(url: &str, origin: Origin) -> String {
        Endpoint::parse(url, origin).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn roots_of_servers_are_endpoints() -> Result<(), Error> {
        let local = Endpoint::parse("http://127.0.0.1:4870", Origin::Flag)?;
        assert_eq!((local.https, local.authority.as_str()), (false, "127.0.0.1:4870"));
        let slash = Endpoint::parse("https://omics.example.internal/", Origin::Flag)?;
        assert_eq!((slash.https, slash.authority.as_str()), (true, "omics.example.internal:443"));
        let v6 = Endpoint::parse("http://[::1]:4870", Origin::Flag)?;
        assert_eq!((v6.host.as_str(), v6.authority.as_str()), ("::1", "[::1]:4870"));
        Ok(())
    }

    #[test]
    fn a_url_that_is_not_a_servers_root_names_the_one_to_pass() {
        assert_eq!(
            refusal("http://127.0.0.1:4870/ui/", Origin::Flag),
            "--endpoint-url `http://127.0.0.1:4870/ui/` has a path (/ui/), but the API is served at the server's \
             root: pass --endpoint-url http://127.0.0.1:4870"
        );
        assert_eq!(
            refusal("127.0.0.1:4870", Origin::OmicsVariable),
            "AWS_ENDPOINT_URL_OMICS `127.0.0.1:4870` has no scheme: set AWS_ENDPOINT_URL_OMICS=http://127.0.0.1:4870"
        );
        assert!(refusal("ftp://h:1", Origin::Profile).ends_with("set endpoint_url = http://h:1 in the profile"));
        assert!(refusal("http://h:1/?x=1", Origin::SharedVariable).ends_with("set AWS_ENDPOINT_URL=http://h:1"));
    }

    #[tokio::test]
    async fn no_endpoint_says_where_the_request_went() {
        let hint = explain(None, "us-east-1", None, None).await.unwrap_or_default();
        assert!(hint.contains("went to AWS HealthOmics in us-east-1"), "{hint}");
        assert!(hint.contains("--endpoint-url http://127.0.0.1:4870"), "{hint}");
        let aws = explain(None, "eu-west-1", Some("UnrecognizedClientException"), None).await;
        assert!(aws.is_some_and(|h| h.contains("eu-west-1")));
        assert_eq!(explain(None, "us-east-1", Some("ResourceNotFoundException"), None).await, None);
    }
}
