//! Presigned URLs of the older S3 signature (version 2: `AWSAccessKeyId`, `Expires`, `Signature`
//! in the query), which the AWS CLI v1's `aws s3 presign` and older S3 libraries still make by
//! default. Only the query form is accepted (no `Authorization: AWS …` header). The string to sign
//! is `METHOD\n\n\nEXPIRES\n{x-amz-* headers}{path as sent}{sub-resources}`, signed with
//! HMAC-SHA1 of the secret key, base64. The policy condition `s3:signatureversion` sees `AWS`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::s3::{S3Request, Verified, query_params};
use super::{AuthError, Verifier};
use crate::config::DEV_ACCOUNT_ID;

/// The `s3:signatureversion` of this signature.
pub const SIGNATURE_VERSION: &str = "AWS";

/// Query parameters that are part of the signed resource (S3's sub-resources and overrides).
const SUB_RESOURCES: [&str; 10] = [
    "location",
    "partNumber",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "tagging",
    "versionId",
];

/// True when the query carries a version 2 presigned signature.
pub fn is_presigned_v2(raw_query: &str) -> bool {
    raw_query.split('&').any(|p| p.split('=').next() == Some("AWSAccessKeyId"))
}

impl Verifier {
    /// Verifies a version 2 presigned `request` at `now`.
    pub fn verify_s3_v2(&self, request: &S3Request<'_>, now: DateTime<Utc>) -> Result<Verified, AuthError> {
        let params = query_params(request.raw_query);
        let param = |name: &str| {
            params.get(name).map(String::as_str).ok_or_else(|| AuthError::MissingField { field: name.to_owned() })
        };
        let key_id = param("AWSAccessKeyId")?.to_owned();
        let key = self.key(&key_id)?;
        let expires_text = param("Expires")?;
        let expires: i64 = expires_text
            .parse()
            .map_err(|_| AuthError::Malformed { problem: "Expires must be a time in seconds since 1970" })?;
        if now.timestamp() > expires {
            let server = now.format("%Y%m%dT%H%M%SZ").to_string();
            let expired_at =
                DateTime::from_timestamp(expires, 0).unwrap_or_default().format("%Y%m%dT%H%M%SZ").to_string();
            return Err(AuthError::Expired { expired_at, server });
        }
        let signature = STANDARD.decode(param("Signature")?).map_err(|_| AuthError::Mismatch)?;
        let Some(key) = key else {
            return Ok(Verified {
                account: DEV_ACCOUNT_ID.to_owned(),
                access_key_id: key_id,
                signature_version: SIGNATURE_VERSION,
            });
        };
        let to_sign = string_to_sign(request, expires_text, &params);
        let mut mac = Hmac::<Sha1>::new_from_slice(key.secret_access_key.as_bytes()).expect("HMAC takes any key");
        mac.update(to_sign.as_bytes());
        mac.verify_slice(&signature).map_err(|_| AuthError::Mismatch)?;
        Ok(Verified {
            account: key.account_id.clone(),
            access_key_id: key.access_key_id.clone(),
            signature_version: SIGNATURE_VERSION,
        })
    }
}

fn string_to_sign(
    request: &S3Request<'_>,
    expires: &str,
    params: &std::collections::HashMap<String, String>,
) -> String {
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let mut amz: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-amz-"))
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).trim().to_owned()))
        .collect();
    amz.sort();
    let amz: String = amz.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let path = if request.raw_path.is_empty() { "/" } else { request.raw_path };
    let mut sub: Vec<String> = SUB_RESOURCES
        .iter()
        .filter_map(|name| {
            params.get(*name).map(|v| if v.is_empty() { (*name).to_owned() } else { format!("{name}={v}") })
        })
        .collect();
    sub.sort();
    let resource = if sub.is_empty() { path.to_owned() } else { format!("{path}?{}", sub.join("&")) };
    format!("{}\n{}\n{}\n{expires}\n{amz}{resource}", request.method, header("content-md5"), header("content-type"))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use http::HeaderMap;

    use super::*;

    /// The published example of a version 2 presigned URL (Amazon S3 documentation, "Query string
    /// request authentication alternative": GET /johnsmith/photos/puppy.jpg, Expires 1175139620).
    #[test]
    fn the_published_v2_presigned_url_verifies() {
        let verifier = super::super::s3::tests::example_verifier();
        let headers = HeaderMap::new();
        let query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
        let request =
            S3Request { method: "GET", raw_path: "/johnsmith/photos/puppy.jpg", raw_query: query, headers: &headers };
        assert!(is_presigned_v2(query));
        let before = Utc.timestamp_opt(1_175_139_000, 0).single().expect("a time");
        let verified = verifier.verify_s3_v2(&request, before).expect("verifies");
        assert_eq!(verified.account, "111122223333");
        let after = Utc.timestamp_opt(1_175_139_621, 0).single().expect("a time");
        assert!(matches!(verifier.verify_s3_v2(&request, after), Err(AuthError::Expired { .. })));
        let moved = S3Request { raw_path: "/johnsmith/photos/kitten.jpg", ..request };
        assert_eq!(verifier.verify_s3_v2(&moved, before), Err(AuthError::Mismatch));
    }
}
