//! SigV4 for service `s3`, as S3 clients sign: in the `Authorization` header or in the query
//! string of a presigned URL (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//! `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`); the older version 2 presigned
//! URLs are [`super::s3_v2`]'s.
//!
//! S3's canonicalisation differs from other services' in two ways: the canonical URI is the path
//! as sent, encoded once (no normalisation, no second encoding: `a//b/../c` names the key
//! `b/../c` under `a/`, and a signature over it covers exactly that key), and the payload is
//! described by `X-Amz-Content-SHA256` as sent (a hex digest or `UNSIGNED-PAYLOAD`; the endpoint
//! reads no body). A presigned URL signs `UNSIGNED-PAYLOAD`, its query without
//! `X-Amz-Signature`, and is valid from 15 minutes before its `X-Amz-Date` until `X-Amz-Expires`
//! seconds after it (at most 7 days).

use std::collections::HashMap;

use aws_sigv4::sign::v4::generate_signing_key;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use percent_encoding::{percent_decode_str, utf8_percent_encode};

use super::{
    ALGORITHM, AuthError, Authorization, MAX_SKEW_SECONDS, Request, UNRESERVED_PATH, UNSIGNED_PAYLOAD, Verifier,
    canonical_headers, canonical_request, check_single_headers, parse_amz_date, parse_authorization, signature_matches,
};
use crate::config::DEV_ACCOUNT_ID;

const SERVICE: &str = "s3";
/// Longest validity of a presigned URL, in seconds (7 days, as S3).
const MAX_EXPIRES: i64 = 7 * 24 * 3600;

/// An S3 request as received, for verification.
#[derive(Debug, Clone, Copy)]
pub struct S3Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path exactly as received (still percent-encoded).
    pub raw_path: &'a str,
    /// Query exactly as received, without `?`.
    pub raw_query: &'a str,
    /// Headers.
    pub headers: &'a HeaderMap,
}

/// Who a verified S3 request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key's account ([`DEV_ACCOUNT_ID`] in dev mode).
    pub account: String,
    /// The access key id that signed it.
    pub access_key_id: String,
    /// Its signature's version as `s3:signatureversion` sees it: `AWS4-HMAC-SHA256`, or `AWS` for
    /// a version 2 presigned URL ([`super::s3_v2`]).
    pub signature_version: &'static str,
}

/// True when `raw_query` carries a presigned signature (`X-Amz-Signature` or `X-Amz-Algorithm`).
fn is_presigned(raw_query: &str) -> bool {
    raw_query.split('&').any(|p| {
        let name = p.split('=').next().unwrap_or_default();
        name.eq_ignore_ascii_case("X-Amz-Signature") || name.eq_ignore_ascii_case("X-Amz-Algorithm")
    })
}

/// The access key id an S3 request presents (its `Authorization` header's or its presigned
/// `X-Amz-Credential`'s), unverified.
pub fn key_id(headers: &HeaderMap, raw_query: &str) -> Option<String> {
    if let Some(id) = super::key_id(headers) {
        return Some(id.to_owned());
    }
    let mut params = query_params(raw_query);
    if let Some(id) = params.remove("AWSAccessKeyId") {
        return Some(id);
    }
    let credential = params.remove("X-Amz-Credential")?;
    credential.split('/').next().filter(|id| !id.is_empty()).map(str::to_owned)
}

/// The query's pairs, decoded once, in their order (S3 clients encode a space as `%20`).
pub fn query_pairs(raw_query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The query's parameters, decoded; the last of a repeated name wins.
pub(super) fn query_params(raw_query: &str) -> HashMap<String, String> {
    query_pairs(raw_query).into_iter().collect()
}

/// The canonical URIs an S3 client may have signed for `raw_path`: the path as sent, and the same
/// decoded and encoded again strictly (clients that send a reserved character such as `=` or `,`
/// unencoded sign it encoded). One entry when the two agree.
fn canonical_paths(raw_path: &str) -> Vec<String> {
    let sent = if raw_path.is_empty() { "/".to_owned() } else { raw_path.to_owned() };
    let decoded = percent_decode_str(&sent).decode_utf8_lossy();
    let strict = utf8_percent_encode(&decoded, UNRESERVED_PATH).to_string();
    if strict == sent { vec![sent] } else { vec![sent, strict] }
}

impl Verifier {
    /// Verifies S3 `request` at time `now`, signed in its header or presigned, and returns whom
    /// it acts for. In dev mode (no keys) every check but the HMAC runs and the account is
    /// [`DEV_ACCOUNT_ID`].
    pub fn verify_s3(&self, request: &S3Request<'_>, now: DateTime<Utc>) -> Result<Verified, AuthError> {
        check_single_headers(request.headers)?;
        if super::s3_v2::is_presigned_v2(request.raw_query) {
            return self.verify_s3_v2(request, now);
        }
        match is_presigned(request.raw_query) {
            true => self.verify_presigned(request, now),
            false => self.verify_header(request, now),
        }
    }

    fn verify_header(&self, request: &S3Request<'_>, now: DateTime<Utc>) -> Result<Verified, AuthError> {
        let header = request.headers.get(http::header::AUTHORIZATION).ok_or(AuthError::Missing)?;
        let text = header.to_str().map_err(|_| AuthError::Malformed { problem: "it is not ASCII" })?;
        let auth = parse_authorization(text)?;
        let key = self.key(&auth.key_id)?;
        let (amz_date, signed_at) = self.check_date_and_scope(request.headers, &auth, now, SERVICE)?;
        let payload_hash = request
            .headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok())
            .filter(|v| *v == UNSIGNED_PAYLOAD || (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())))
            .ok_or(AuthError::Malformed {
                problem: "S3 requests need X-Amz-Content-SHA256: UNSIGNED-PAYLOAD or the body's hex SHA-256",
            })?
            .to_owned();
        let generic = self.generic(request, request.raw_query);
        let signed = &auth.signed_headers;
        for name in ["host", "x-amz-date", "x-amz-content-sha256"]
            .into_iter()
            .chain(request.headers.keys().map(http::HeaderName::as_str).filter(|n| n.starts_with("x-amz-")))
        {
            if !signed.iter().any(|h| h == name) {
                return Err(AuthError::Unsigned { name: name.to_owned() });
            }
        }
        self.finish(&generic, &auth, key, &amz_date, signed_at, &payload_hash)
    }

    fn verify_presigned(&self, request: &S3Request<'_>, now: DateTime<Utc>) -> Result<Verified, AuthError> {
        let params = query_params(request.raw_query);
        let param = |name: &str| {
            params.get(name).map(String::as_str).ok_or_else(|| AuthError::MissingField { field: name.to_owned() })
        };
        if param("X-Amz-Algorithm")? != ALGORITHM {
            return Err(AuthError::Malformed { problem: "X-Amz-Algorithm must be AWS4-HMAC-SHA256" });
        }
        let header = format!(
            "{ALGORITHM} Credential={}, SignedHeaders={}, Signature={}",
            param("X-Amz-Credential")?,
            param("X-Amz-SignedHeaders")?,
            param("X-Amz-Signature")?
        );
        let auth = parse_authorization(&header)?;
        let key = self.key(&auth.key_id)?;
        let amz_date = param("X-Amz-Date")?.to_owned();
        let signed_at = parse_amz_date(&amz_date)?;
        let expires: i64 =
            param("X-Amz-Expires")?.parse().ok().filter(|e| (1..=MAX_EXPIRES).contains(e)).ok_or(
                AuthError::Malformed { problem: "X-Amz-Expires must be a number of seconds from 1 to 604800" },
            )?;
        let server = || now.format("%Y%m%dT%H%M%SZ").to_string();
        if (signed_at - now).num_seconds() > MAX_SKEW_SECONDS {
            return Err(AuthError::Skew { amz_date, skew: (now - signed_at).num_seconds(), server: server() });
        }
        if (now - signed_at).num_seconds() > expires {
            let expired_at = (signed_at + chrono::Duration::seconds(expires)).format("%Y%m%dT%H%M%SZ").to_string();
            return Err(AuthError::Expired { expired_at, server: server() });
        }
        self.check_scope(&auth, &amz_date, SERVICE)?;
        if !auth.signed_headers.iter().any(|h| h == "host") {
            return Err(AuthError::Unsigned { name: "host".to_owned() });
        }
        let unsigned_amz = request
            .headers
            .keys()
            .map(http::HeaderName::as_str)
            .find(|n| n.starts_with("x-amz-") && !auth.signed_headers.iter().any(|h| h == n));
        if let Some(name) = unsigned_amz {
            return Err(AuthError::Unsigned { name: name.to_owned() });
        }
        let query: Vec<&str> = request
            .raw_query
            .split('&')
            .filter(|p| !p.split('=').next().unwrap_or_default().eq_ignore_ascii_case("X-Amz-Signature"))
            .collect();
        let query = query.join("&");
        let generic = self.generic(request, &query);
        self.finish(&generic, &auth, key, &amz_date, signed_at, UNSIGNED_PAYLOAD)
    }

    /// `request` as the verifier of other services sees it, with query `raw_query`.
    fn generic<'a>(&self, request: &S3Request<'a>, raw_query: &'a str) -> Request<'a> {
        Request {
            method: request.method,
            raw_path: request.raw_path,
            raw_query,
            headers: request.headers,
            authority: None,
            body: None,
            unsigned_payload_allowed: true,
            member_headers: &[],
        }
    }

    /// Rebuilds the canonical request over each canonical path and compares the HMAC.
    fn finish(
        &self,
        request: &Request<'_>,
        auth: &Authorization,
        key: Option<&crate::config::AccessKey>,
        amz_date: &str,
        signed_at: DateTime<Utc>,
        payload_hash: &str,
    ) -> Result<Verified, AuthError> {
        let headers = canonical_headers(request, &auth.signed_headers)?;
        let Some(key) = key else {
            return Ok(Verified {
                account: DEV_ACCOUNT_ID.to_owned(),
                access_key_id: auth.key_id.clone(),
                signature_version: ALGORITHM,
            });
        };
        let scope = format!("{}/{}/{}/{}", auth.date, auth.region, auth.service, auth.terminator);
        let signing_key = generate_signing_key(&key.secret_access_key, signed_at.into(), &auth.region, SERVICE);
        let given = hex::decode(&auth.signature).map_err(|_| AuthError::Mismatch)?;
        let matches = canonical_paths(request.raw_path).iter().any(|path| {
            let canonical = canonical_request(request, path, &headers, &auth.signed_headers, payload_hash);
            signature_matches(signing_key.as_ref(), amz_date, &scope, &canonical, &given)
        });
        match matches {
            true => Ok(Verified {
                account: key.account_id.clone(),
                access_key_id: key.access_key_id.clone(),
                signature_version: ALGORITHM,
            }),
            false => Err(AuthError::Mismatch),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::{AccessKey, Config};

    /// A verifier with the key of the AWS documentation's examples (account 111122223333).
    pub(in crate::api::sigv4) fn example_verifier() -> Verifier {
        let mut config = Config::default();
        config.auth.keys.push(AccessKey {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            account_id: "111122223333".into(),
        });
        Verifier::new(&config)
    }

    /// The published example of a presigned URL (AWS S3 documentation, "Authenticating Requests:
    /// Using Query Parameters": GET /test.txt on examplebucket, 2013-05-24, 86400 s).
    #[test]
    fn the_published_presigned_url_verifies() {
        let verifier = example_verifier();
        let mut headers = HeaderMap::new();
        headers.insert("host", "examplebucket.s3.amazonaws.com".parse().expect("value"));
        let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
        let request = S3Request { method: "GET", raw_path: "/test.txt", raw_query: query, headers: &headers };
        let at = |h| Utc.with_ymd_and_hms(2013, 5, 24, h, 0, 0).single().expect("a date");
        let verified = verifier.verify_s3(&request, at(1)).expect("verifies");
        assert_eq!(verified.account, "111122223333");
        assert_eq!(verified.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        let later = Utc.with_ymd_and_hms(2013, 5, 25, 0, 0, 1).single().expect("a date");
        assert!(matches!(verifier.verify_s3(&request, later), Err(AuthError::Expired { .. })));
        let other = S3Request { raw_path: "/other.txt", ..request };
        assert_eq!(verifier.verify_s3(&other, at(1)), Err(AuthError::Mismatch));
        assert_eq!(key_id(&headers, query).as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
    }

    /// The published example of a header-signed GetObject with a range (AWS S3 documentation,
    /// "Signature Calculations for the Authorization Header", GET /test.txt, Range bytes=0-9).
    #[test]
    fn the_published_header_signature_verifies() {
        let verifier = example_verifier();
        let mut headers = HeaderMap::new();
        headers.insert("host", "examplebucket.s3.amazonaws.com".parse().expect("value"));
        headers.insert("range", "bytes=0-9".parse().expect("value"));
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        headers.insert("x-amz-content-sha256", empty.parse().expect("value"));
        headers.insert("x-amz-date", "20130524T000000Z".parse().expect("value"));
        headers.insert(
            http::header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
                .parse()
                .expect("value"),
        );
        let request = S3Request { method: "GET", raw_path: "/test.txt", raw_query: "", headers: &headers };
        let now = Utc.with_ymd_and_hms(2013, 5, 24, 0, 5, 0).single().expect("a date");
        assert_eq!(verifier.verify_s3(&request, now).map(|v| v.account), Ok("111122223333".to_owned()));
        let head = S3Request { method: "HEAD", ..request };
        assert_eq!(verifier.verify_s3(&head, now), Err(AuthError::Mismatch));
    }

    #[test]
    fn s3_paths_are_signed_as_sent() {
        assert_eq!(canonical_paths("/b/a//b/../c"), ["/b/a//b/../c"]);
        assert_eq!(canonical_paths("/b/k%20x"), ["/b/k%20x"]);
        assert_eq!(canonical_paths("/b/a=b"), ["/b/a=b", "/b/a%3Db"]);
        assert_eq!(canonical_paths(""), ["/"]);
    }
}
