//! AWS Signature Version 4 verification (header form).
//!
//! The canonical request is rebuilt from the request exactly as received: the `Host` as sent
//! (SDK host prefixes included), the raw path normalised as every AWS SDK does for a service other
//! than S3 (empty, `.` and `..` segments removed, see [`normalize_path`]) and then encoded once
//! more (the standard non-S3 double encoding), the query sorted and RFC 3986-encoded, the signed
//! headers trimmed and folded, and the SHA-256 of the body (or `UNSIGNED-PAYLOAD` where the model
//! allows it).
//!
//! A signature over a normalised path says nothing about which of the raw paths with that form
//! was meant, so a raw path that is not in normal form ([`is_normal`]) must never reach an
//! operation: the API pipeline refuses it after routing (see `api.rs`).
//!
//! The signing key is derived by `aws-sigv4` (the SDKs' own signer); the verification is
//! hand-written because `aws-sigv4` only signs: it builds the canonical request of a request it is
//! about to send, encoding it its own way, while a verifier must rebuild it from the bytes as
//! received (both path spellings SDKs sign, the signed headers only) and compare in constant time.
//! No benchmark measures it (bench/READ_SETS.md, "Signing", runs the API in dev mode, which
//! skips the HMAC).

use std::borrow::Cow;
use std::collections::HashMap;

use aws_sigv4::sign::v4::generate_signing_key;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::config::{AccessKey, Config, DEV_ACCOUNT_ID};

pub mod s3;
pub mod s3_v2;

type HmacSha256 = Hmac<Sha256>;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "omics";
/// The `X-Amz-Content-SHA256` value of a payload that is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Largest accepted difference between `X-Amz-Date` and the server clock.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// The same, keeping `/` for paths.
const UNRESERVED_PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Why a request was refused. Every variant is a 403.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("Missing Authentication Token: sign requests with AWS Signature Version 4 in the Authorization header")]
    Missing,
    /// The access key id is not configured.
    #[error("The security token included in the request is invalid: access key '{key_id}' is not known to this server")]
    UnknownKey {
        /// The access key id presented.
        key_id: String,
    },
    /// The `Authorization` header does not have the SigV4 form.
    #[error("Authorization header is malformed: {problem}")]
    Malformed {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A required part of the header is missing (`Credential`, `SignedHeaders`, `Signature`).
    #[error("Authorization header lacks {field}")]
    MissingField {
        /// The missing field.
        field: String,
    },
    /// No usable `X-Amz-Date`.
    #[error("X-Amz-Date header is required, in the form YYYYMMDDTHHMMSSZ (got {given:?})")]
    Date {
        /// What was sent, if anything.
        given: Option<String>,
    },
    /// `X-Amz-Date` too far from the server clock.
    #[error(
        "Signature expired or not yet valid: X-Amz-Date {amz_date} is {skew} seconds from the server time {server}; \
         requests must be signed within 15 minutes of it (check the client's clock)"
    )]
    Skew {
        /// The date sent.
        amz_date: String,
        /// Difference in seconds.
        skew: i64,
        /// Server time.
        server: String,
    },
    /// A credential scope other than `<date>/<region>/omics/aws4_request`.
    #[error("Credential should be scoped to '{expected}', not '{given}'")]
    Scope {
        /// The scope the server accepts.
        expected: String,
        /// The scope sent.
        given: String,
    },
    /// A header that must be signed is not.
    #[error(
        "SignedHeaders must include '{name}': host, x-amz-date, every x-amz-* header sent and every header that \
         carries a member of the operation must be signed"
    )]
    Unsigned {
        /// The header.
        name: String,
    },
    /// A header that must appear at most once appears more often.
    #[error("header '{name}' appears {count} times; send it once")]
    Repeated {
        /// The header.
        name: &'static str,
        /// How often it appears.
        count: usize,
    },
    /// A signed header is absent from the request.
    #[error("signed header '{name}' is not in the request")]
    SignedHeaderMissing {
        /// The header.
        name: String,
    },
    /// `UNSIGNED-PAYLOAD` on an operation whose body must be signed.
    #[error("UNSIGNED-PAYLOAD is not allowed for this operation: sign the body")]
    UnsignedPayload,
    /// `X-Amz-Content-SHA256` does not match the body.
    #[error("The provided X-Amz-Content-SHA256 header does not match the SHA-256 of the body")]
    PayloadHash,
    /// A presigned URL used after it expired (`X-Amz-Date` plus `X-Amz-Expires`, or `Expires`).
    #[error(
        "Request has expired: the presigned URL was valid until {expired_at} and the server time is {server}; presign a new one"
    )]
    Expired {
        /// When it expired, `YYYYMMDDTHHMMSSZ`.
        expired_at: String,
        /// Server time.
        server: String,
    },
    /// The signature does not match.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
    )]
    Mismatch,
}

impl AuthError {
    /// True for the refusals that guess at keys: an unknown access key id or a wrong signature
    /// (what `limits.auth_failures_per_minute` counts). A malformed or expired request guesses
    /// nothing.
    pub fn is_guess(&self) -> bool {
        matches!(self, Self::UnknownKey { .. } | Self::Mismatch)
    }
}

/// The access key id a request presents: the first part of `Credential=` in its
/// `Authorization` header, unverified; `None` when there is none.
pub fn key_id(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let credential = value.split([' ', ',']).find_map(|part| part.trim().strip_prefix("Credential="))?;
    credential.split('/').next().filter(|id| !id.is_empty())
}

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authorization {
    key_id: String,
    date: String,
    region: String,
    service: String,
    terminator: String,
    signed_headers: Vec<String>,
    signature: String,
}

/// A request as received, for verification.
#[derive(Debug)]
pub struct Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path exactly as received (still percent-encoded).
    pub raw_path: &'a str,
    /// Query exactly as received, without `?`.
    pub raw_query: &'a str,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// `Host` to use when the request carries none (HTTP/2 `:authority`).
    pub authority: Option<&'a str>,
    /// Body bytes; `None` for a streamed payload that is not read yet: then the signed
    /// `X-Amz-Content-SHA256` (a hex digest, or `UNSIGNED-PAYLOAD` where allowed) is taken as given
    /// and the caller must check a digest against the body once it is read.
    pub body: Option<&'a [u8]>,
    /// True when the operation signs its payload as `UNSIGNED-PAYLOAD`.
    pub unsigned_payload_allowed: bool,
    /// Headers that carry input members of the operation (e.g. `Range`): signed when present.
    pub member_headers: &'a [&'a str],
}

/// Headers that must appear at most once: a second copy could change what the request means
/// without changing what was verified.
const SINGLE_HEADERS: [&str; 4] = ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"];

/// Verifies signatures against the configured keys, or in dev mode accepts any well-formed one.
#[derive(Clone)]
pub struct Verifier {
    keys: HashMap<String, AccessKey>,
    region: String,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("keys", &self.keys.len()).field("region", &self.region).finish()
    }
}

impl Verifier {
    /// A verifier for the keys and region of `config`.
    pub fn new(config: &Config) -> Self {
        let keys = config.auth.keys.iter().map(|k| (k.access_key_id.clone(), k.clone())).collect();
        Self { keys, region: config.region.clone() }
    }

    /// Verifies `request` at time `now` and returns the account it acts for. In dev mode (no keys)
    /// every check but the HMAC runs and the account is [`DEV_ACCOUNT_ID`].
    pub fn verify(&self, request: &Request<'_>, now: DateTime<Utc>) -> Result<String, AuthError> {
        let header = request.headers.get(http::header::AUTHORIZATION).ok_or(AuthError::Missing)?;
        check_single_headers(request.headers)?;
        let text = header.to_str().map_err(|_| AuthError::Malformed { problem: "it is not ASCII" })?;
        let auth = parse_authorization(text)?;
        let key = self.key(&auth.key_id)?;
        let (amz_date, signed_at) = self.check_date_and_scope(request.headers, &auth, now, SERVICE)?;
        check_signed_headers(request, &auth.signed_headers)?;
        let payload_hash = payload_hash(request)?;
        let headers = canonical_headers(request, &auth.signed_headers)?;
        let Some(key) = key else { return Ok(DEV_ACCOUNT_ID.to_owned()) };
        let scope = format!("{}/{}/{}/{}", auth.date, auth.region, auth.service, auth.terminator);
        let signing_key = generate_signing_key(&key.secret_access_key, signed_at.into(), &auth.region, SERVICE);
        let given = hex::decode(&auth.signature).map_err(|_| AuthError::Mismatch)?;
        // Both spellings of the normalised path SDKs sign (they differ only for a path ending in
        // `/.` or `/..`, which is not in normal form and so never reaches an operation).
        let matches = canonical_paths(request.raw_path).iter().any(|path| {
            let canonical = canonical_request(request, path, &headers, &auth.signed_headers, &payload_hash);
            signature_matches(signing_key.as_ref(), &amz_date, &scope, &canonical, &given)
        });
        if !matches {
            return Err(AuthError::Mismatch);
        }
        Ok(key.account_id.clone())
    }

    /// `X-Amz-Date` within [`MAX_SKEW_SECONDS`] of `now` and the credential scope of `service`:
    /// the date as sent and as a time.
    fn check_date_and_scope(
        &self,
        headers: &HeaderMap,
        auth: &Authorization,
        now: DateTime<Utc>,
        service: &str,
    ) -> Result<(String, DateTime<Utc>), AuthError> {
        let amz_date =
            headers.get("x-amz-date").and_then(|v| v.to_str().ok()).ok_or(AuthError::Date { given: None })?;
        let signed_at = parse_amz_date(amz_date)?;
        let skew = (now - signed_at).num_seconds();
        if skew.abs() > MAX_SKEW_SECONDS {
            let server = now.format("%Y%m%dT%H%M%SZ").to_string();
            return Err(AuthError::Skew { amz_date: amz_date.to_owned(), skew, server });
        }
        self.check_scope(auth, amz_date, service)?;
        Ok((amz_date.to_owned(), signed_at))
    }

    /// The credential scope must be `{date of amz_date}/{region}/{service}/aws4_request`.
    fn check_scope(&self, auth: &Authorization, amz_date: &str, service: &str) -> Result<(), AuthError> {
        if auth.date != amz_date[..8]
            || auth.region != self.region
            || auth.service != service
            || auth.terminator != "aws4_request"
        {
            let expected = format!("{}/{}/{service}/aws4_request", &amz_date[..8], self.region);
            let given = format!("{}/{}/{}/{}", auth.date, auth.region, auth.service, auth.terminator);
            return Err(AuthError::Scope { expected, given });
        }
        Ok(())
    }

    /// Whether the server runs in dev mode (no keys configured).
    pub fn is_dev(&self) -> bool {
        self.keys.is_empty()
    }

    /// The account of configured key `key_id`, `None` if no such key is configured.
    pub fn account_of(&self, key_id: &str) -> Option<&str> {
        self.keys.get(key_id).map(|k| k.account_id.as_str())
    }

    /// The configured key `key_id`, `None` in dev mode (no keys configured).
    fn key(&self, key_id: &str) -> Result<Option<&AccessKey>, AuthError> {
        match self.keys.is_empty() {
            true => Ok(None),
            false => self.keys.get(key_id).map(Some).ok_or_else(|| AuthError::UnknownKey { key_id: key_id.to_owned() }),
        }
    }
}

/// Each of [`SINGLE_HEADERS`] appears at most once.
fn check_single_headers(headers: &HeaderMap) -> Result<(), AuthError> {
    for name in SINGLE_HEADERS {
        let count = headers.get_all(name).iter().count();
        if count > 1 {
            return Err(AuthError::Repeated { name, count });
        }
    }
    Ok(())
}

/// `YYYYMMDDTHHMMSSZ` as a time.
fn parse_amz_date(amz_date: &str) -> Result<DateTime<Utc>, AuthError> {
    Ok(NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| AuthError::Date { given: Some(amz_date.to_owned()) })?
        .and_utc())
}

/// True when `signature` (hex) is the HMAC of the string to sign of `canonical` under `key`.
fn signature_matches(key: &[u8], amz_date: &str, scope: &str, canonical: &str, signature: &[u8]) -> bool {
    let to_sign = format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex::encode(Sha256::digest(canonical)));
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(to_sign.as_bytes());
    mac.verify_slice(signature).is_ok()
}

/// `host`, `x-amz-date`, every `x-amz-*` header sent and every header member sent must be signed,
/// so that none of them can be added or changed on the way.
fn check_signed_headers(request: &Request<'_>, signed: &[String]) -> Result<(), AuthError> {
    let present = request.headers.keys().map(http::HeaderName::as_str);
    let must = present.filter(|name| {
        name.starts_with("x-amz-") || request.member_headers.iter().any(|m| m.eq_ignore_ascii_case(name))
    });
    for name in ["host", "x-amz-date"].into_iter().chain(must) {
        if !signed.iter().any(|h| h == name) {
            return Err(AuthError::Unsigned { name: name.to_owned() });
        }
    }
    Ok(())
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .ok_or(AuthError::Malformed { problem: "it must start with AWS4-HMAC-SHA256" })?;
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for part in rest.split(',') {
        let (name, value) = part
            .trim()
            .split_once('=')
            .ok_or(AuthError::Malformed { problem: "fields must be NAME=VALUE, separated by commas" })?;
        if fields.insert(name, value).is_some() {
            return Err(AuthError::Malformed {
                problem: "Credential, SignedHeaders and Signature must each appear once",
            });
        }
    }
    let field =
        |name: &str| fields.get(name).copied().ok_or_else(|| AuthError::MissingField { field: name.to_owned() });
    let credential: Vec<&str> = field("Credential")?.split('/').collect();
    let [key_id, date, region, service, terminator] = credential.as_slice() else {
        return Err(AuthError::Malformed { problem: "Credential must be KEY/YYYYMMDD/REGION/SERVICE/aws4_request" });
    };
    let signature = field("Signature")?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthError::Malformed { problem: "Signature must be 64 hexadecimal characters" });
    }
    Ok(Authorization {
        key_id: (*key_id).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        terminator: (*terminator).to_owned(),
        signed_headers: field("SignedHeaders")?.split(';').map(str::to_ascii_lowercase).collect(),
        signature: signature.to_ascii_lowercase(),
    })
}

fn payload_hash(request: &Request<'_>) -> Result<String, AuthError> {
    let header = request.headers.get("x-amz-content-sha256").map(|v| v.to_str().unwrap_or_default());
    let Some(body) = request.body else {
        return match header {
            Some(UNSIGNED_PAYLOAD) if request.unsigned_payload_allowed => Ok(UNSIGNED_PAYLOAD.to_owned()),
            Some(given) if given.len() == 64 && given.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(given.to_ascii_lowercase())
            }
            _ => Err(AuthError::Malformed {
                problem: "a streamed body needs X-Amz-Content-SHA256: UNSIGNED-PAYLOAD or the body's hex SHA-256",
            }),
        };
    };
    let computed = || hex::encode(Sha256::digest(body));
    match header {
        None => Ok(computed()),
        Some(UNSIGNED_PAYLOAD) if request.unsigned_payload_allowed => Ok(UNSIGNED_PAYLOAD.to_owned()),
        Some(UNSIGNED_PAYLOAD) => Err(AuthError::UnsignedPayload),
        Some(given) if given.eq_ignore_ascii_case(&computed()) => Ok(given.to_ascii_lowercase()),
        Some(_) => Err(AuthError::PayloadHash),
    }
}

/// The canonical headers of SigV4 for `request`: each of `signed_headers` (lowercase, in the order
/// given by the client, which must be sorted) as `name:value\n`.
fn canonical_headers(request: &Request<'_>, signed_headers: &[String]) -> Result<String, AuthError> {
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|v| fold_whitespace(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        let value = match (values.is_empty(), name.as_str(), request.authority) {
            (false, _, _) => values.join(","),
            (true, "host", Some(authority)) => authority.to_owned(),
            (true, _, _) => return Err(AuthError::SignedHeaderMissing { name: name.clone() }),
        };
        headers.push_str(&format!("{name}:{value}\n"));
    }
    Ok(headers)
}

/// The canonical request of SigV4 for `request` with canonical URI `path`, its canonical
/// `headers`, `signed_headers` and `payload_hash`.
fn canonical_request(
    request: &Request<'_>,
    path: &str,
    headers: &str,
    signed_headers: &[String],
    payload_hash: &str,
) -> String {
    format!(
        "{}\n{path}\n{}\n{headers}\n{}\n{payload_hash}",
        request.method,
        canonical_query(request.raw_query),
        signed_headers.join(";"),
    )
}

fn fold_whitespace(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical URIs a client may have signed for `raw_path`: its normal form (RFC 3986 section
/// 5.2.4 with empty segments dropped, as the Rust SDK's `aws-sigv4` signs it) and the form of
/// botocore and the JavaScript SDK (`@smithy/signature-v4`), which drop the trailing `/` a final
/// `.` or `..` segment leaves; each encoded once more. One entry when the two agree.
fn canonical_paths(raw_path: &str) -> Vec<String> {
    let normal = normalize_path(raw_path);
    let ends_in_dots = raw_path.ends_with("/.") || raw_path.ends_with("/..");
    let botocore = match normal.strip_suffix('/') {
        Some(trimmed) if ends_in_dots && !trimmed.is_empty() => Some(trimmed),
        _ => None,
    };
    std::iter::once(normal.as_ref()).chain(botocore).map(canonical_uri).collect()
}

/// `raw_path` (still percent-encoded) in normal form: a leading `/`, no empty, `.` or `..`
/// segments (a `..` removes the segment before it), and a trailing `/` when the raw path ends
/// with `/`, `/.` or `/..`; `/` when nothing is left. Encoded dots (`%2E`) are not dot segments.
pub fn normalize_path(raw_path: &str) -> Cow<'_, str> {
    if is_normal(raw_path) {
        return Cow::Borrowed(raw_path);
    }
    let mut kept: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            segment => kept.push(segment),
        }
    }
    let trailing = ["/", "/.", "/.."].iter().any(|end| raw_path.ends_with(end));
    let mut normal = format!("/{}", kept.join("/"));
    if trailing && !normal.ends_with('/') {
        normal.push('/');
    }
    Cow::Owned(normal)
}

/// True when `raw_path` is its own normal form ([`normalize_path`]): it starts with `/` and has
/// no `.` or `..` segment and no empty segment but a final one (a trailing `/`). Only such a path
/// names exactly what its signature covers.
pub fn is_normal(raw_path: &str) -> bool {
    let Some(rest) = raw_path.strip_prefix('/') else { return false };
    let segments: Vec<&str> = rest.split('/').collect();
    let (last, inner) = segments.split_last().expect("split yields at least one segment");
    inner.iter().all(|s| !matches!(*s, "" | "." | "..")) && !matches!(*last, "." | "..")
}

/// The path encoded once more; `/` when empty.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() { "/".to_owned() } else { utf8_percent_encode(path, UNRESERVED_PATH).to_string() }
}

/// Query parameters decoded, re-encoded strictly and sorted by name, then value.
fn canonical_query(raw_query: &str) -> String {
    let encode = |s: &str| {
        let decoded = percent_decode_str(s).collect::<Vec<u8>>();
        percent_encoding::percent_encode(&decoded, UNRESERVED).to_string()
    };
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode(k), encode(v))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_uri_encodes_the_raw_path_once_more() {
        assert_eq!(
            canonical_uri("/tags/arn%3Aaws%3Aomics%3Aus-east-1%3A123456789012%3AsequenceStore%2F1234567890"),
            "/tags/arn%253Aaws%253Aomics%253Aus-east-1%253A123456789012%253AsequenceStore%252F1234567890"
        );
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/sequencestore/1234567890"), "/sequencestore/1234567890");
    }

    /// What botocore 1.44 signs (`SigV4Auth.canonical_request`) for the paths its `omics` client
    /// sends with an empty, `.` or `..` label, and what the `aws-sigv4` crate signs.
    #[test]
    fn canonical_paths_are_those_sdks_sign() {
        let cases: [(&str, &[&str]); 9] = [
            ("/sequencestore//readset/x/metadata", &["/sequencestore/readset/x/metadata"]),
            ("/sequencestore/../readset/1234567890/metadata", &["/readset/1234567890/metadata"]),
            ("/sequencestore/1234567890/readset/../metadata", &["/sequencestore/1234567890/metadata"]),
            ("/sequencestore/./readset/1234567890/metadata", &["/sequencestore/readset/1234567890/metadata"]),
            ("/sequencestore/a%2Fb/readset/1/metadata", &["/sequencestore/a%252Fb/readset/1/metadata"]),
            ("/sequencestore/", &["/sequencestore/"]),
            ("/sequencestore/..", &["/"]),
            ("/sequencestore/.", &["/sequencestore/", "/sequencestore"]),
            ("/referencestore/1234567890/reference/..", &["/referencestore/1234567890/", "/referencestore/1234567890"]),
        ];
        for (raw, signed) in cases {
            assert_eq!(canonical_paths(raw), signed, "{raw}");
        }
        assert_eq!(canonical_paths("//"), ["/"]);
        assert_eq!(canonical_paths(""), ["/"]);
        assert_eq!(canonical_paths("/%2E%2E/x"), ["/%252E%252E/x"], "an encoded dot is no dot segment");
    }

    /// Requests botocore 1.44 signed (`fuzz/seeds/sigv4/`: key `AKIDFUZZ`, 2026-01-01) with an
    /// empty label, a `..` label and a final `..` (whose trailing `/` botocore drops) verify.
    #[test]
    fn botocore_signatures_over_normal_forms_verify() {
        use chrono::TimeZone;
        let mut config = Config::default();
        config.auth.keys.push(AccessKey {
            access_key_id: "AKIDFUZZ".into(),
            secret_access_key: "fuzz/secret/key".into(),
            account_id: "111122223333".into(),
        });
        let verifier = Verifier::new(&config);
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("a date");
        for (target, signature) in [
            (
                "/sequencestore//readset/1234567890/metadata",
                "4f6465b228909328a4f88892e1e1bb577dbc5b85a7385fd75d5e249de475d01d",
            ),
            (
                "/sequencestore/1234567890/readset/../metadata",
                "f4855cce559fc031f2764d5ffd5da2ec7005f12968b607f5537936b513be2156",
            ),
            (
                "/referencestore/1234567890/reference/..?partNumber=1",
                "72ae2b8b698fdbc50888d38ebbf7414d87e5184ed2e14ad3a4c9af7d2ddacd77",
            ),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert("host", "control-storage-omics.us-east-1.amazonaws.com".parse().expect("value"));
            headers.insert("content-type", "application/json".parse().expect("value"));
            headers.insert("x-amz-date", "20260101T000000Z".parse().expect("value"));
            let auth = format!(
                "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/omics/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature={signature}"
            );
            headers.insert(http::header::AUTHORIZATION, auth.parse().expect("value"));
            let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
            let request = Request {
                method: "GET",
                raw_path,
                raw_query,
                headers: &headers,
                authority: None,
                body: Some(b""),
                unsigned_payload_allowed: false,
                member_headers: &[],
            };
            assert_eq!(verifier.verify(&request, now), Ok("111122223333".to_owned()), "{target}");
            let moved = Request { raw_path: "/sequencestore/1234567890/readset/metadata", ..request };
            assert_eq!(verifier.verify(&moved, now), Err(AuthError::Mismatch), "{target}");
        }
    }

    #[test]
    fn only_paths_without_empty_or_dot_segments_are_normal() {
        for normal in ["/", "/sequencestore", "/sequencestore/", "/sequencestore/1/readset/2/metadata", "/a/.b/..c/%2E"]
        {
            assert!(is_normal(normal), "{normal}");
            assert_eq!(normalize_path(normal), normal);
        }
        for (raw, normal) in [
            ("", "/"),
            ("//", "/"),
            ("//sequencestore/1", "/sequencestore/1"),
            ("/sequencestore//1", "/sequencestore/1"),
            ("/sequencestore/1/.", "/sequencestore/1/"),
            ("/sequencestore/1/..", "/sequencestore/"),
            ("/./sequencestore", "/sequencestore"),
            ("/../../sequencestore", "/sequencestore"),
            ("sequencestore", "/sequencestore"),
        ] {
            assert!(!is_normal(raw), "{raw}");
            assert_eq!(normalize_path(raw), normal, "{raw}");
            assert!(is_normal(&normalize_path(raw)), "{raw}");
        }
    }

    #[test]
    fn canonical_query_sorts_and_keeps_repeats() {
        assert_eq!(canonical_query("tagKeys=k2&tagKeys=k1&a=%20b"), "a=%20b&tagKeys=k1&tagKeys=k2");
        assert_eq!(canonical_query("nextToken=a%2Bb%3D&maxResults=5"), "maxResults=5&nextToken=a%2Bb%3D");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn parses_the_authorization_header() -> Result<(), AuthError> {
        let sig = "a".repeat(64);
        let auth = parse_authorization(&format!(
            "AWS4-HMAC-SHA256 Credential=AK/20261129/us-east-1/omics/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={sig}"
        ))?;
        assert_eq!(auth.key_id, "AK");
        assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=AK/x").is_err());
        assert!(parse_authorization("Basic abc").is_err());
        let twice = format!(
            "AWS4-HMAC-SHA256 Credential=AK/20261129/us-east-1/omics/aws4_request, SignedHeaders=host;x-amz-date, \
             Signature={sig}, Signature={sig}"
        );
        assert!(matches!(parse_authorization(&twice), Err(AuthError::Malformed { .. })));
        Ok(())
    }

    #[test]
    fn key_id_is_read_without_verifying() {
        let mut headers = HeaderMap::new();
        assert_eq!(key_id(&headers), None);
        let value = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDX/20261129/us-east-1/omics/aws4_request, SignedHeaders=host, Signature={}",
            "0".repeat(64)
        );
        headers.insert(http::header::AUTHORIZATION, value.parse().expect("value"));
        assert_eq!(key_id(&headers), Some("AKIDX"));
        headers.insert(http::header::AUTHORIZATION, "Basic abc".parse().expect("value"));
        assert_eq!(key_id(&headers), None);
        assert!(AuthError::Mismatch.is_guess() && !AuthError::Missing.is_guess());
    }

    /// The example of the AWS SigV4 documentation ("GET /?Param2=value2&Param1=value1" on
    /// example.amazonaws.com, service `service`), whose signing key and signature are published.
    #[test]
    fn signing_key_matches_the_published_vector() {
        let signed_at = NaiveDateTime::parse_from_str("20150830T123600Z", "%Y%m%dT%H%M%SZ").unwrap().and_utc();
        let key =
            generate_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", signed_at.into(), "us-east-1", "iam");
        assert_eq!(hex::encode(key.as_ref()), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    }
}
