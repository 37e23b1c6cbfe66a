//! Tamper-evident tokens under one server-wide key: text fields and their HMAC-SHA256, bound to
//! a context (what the token is for), so that a token issued for one purpose or scope opens under
//! no other. Used by pagination tokens and by the dashboard's session cookies.
//!
//! A token is `base64url(field1).base64url(field2)….base64url(tag)` (no padding): ASCII, without
//! `;`, `,`, `=` or spaces, so it fits a URL query or a cookie value as it is. The fields are
//! readable by anyone holding the token: they must not be secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Context of [`SigningKey::same`]'s MACs, which no token uses.
const COMPARE: &str = "seqstore-compare-v1";

/// Issues and opens tokens with one key.
#[derive(Clone)]
pub struct SigningKey {
    key: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

/// A fresh random key, hex encoded.
pub fn random_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl SigningKey {
    /// Tokens signed with `key` (any length).
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    // The context's length goes first, so no (context, body) pair has the MAC input of another.
    fn mac(&self, context: &str, body: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(&(context.len() as u64).to_be_bytes());
        mac.update(context.as_bytes());
        mac.update(body);
        mac
    }

    /// A token carrying `fields` for `context`.
    pub fn sign(&self, context: &str, fields: &[&str]) -> String {
        let body = fields.iter().map(|f| URL_SAFE_NO_PAD.encode(f)).collect::<Vec<_>>().join(".");
        let tag = self.mac(context, body.as_bytes()).finalize().into_bytes();
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The fields of `token`, if this key signed it for `context` and it is unaltered.
    pub fn open(&self, context: &str, token: &str) -> Option<Vec<String>> {
        let (body, tag) = token.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(context, body.as_bytes()).verify_slice(&tag).ok()?;
        body.split('.').map(|f| String::from_utf8(URL_SAFE_NO_PAD.decode(f).ok()?).ok()).collect()
    }

    /// Whether two secrets are equal, compared in time independent of where they differ (by
    /// comparing their MACs).
    pub fn same(&self, a: &str, b: &str) -> bool {
        let tag = self.mac(COMPARE, a.as_bytes()).finalize().into_bytes();
        self.mac(COMPARE, b.as_bytes()).verify_slice(&tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_open_only_under_their_key_and_context_unaltered() {
        let key = SigningKey::new(b"k");
        let token = key.sign("a", &["42", "x.y"]);
        assert_eq!(key.open("a", &token), Some(vec!["42".to_owned(), "x.y".to_owned()]));
        assert_eq!(key.open("b", &token), None, "another context");
        assert_eq!(SigningKey::new(b"other").open("a", &token), None, "another key");
        let (_, rest) = token.split_once('.').unwrap_or_default();
        assert_eq!(key.open("a", &format!("{}.{rest}", URL_SAFE_NO_PAD.encode("43"))), None, "altered field");
        assert_eq!(key.open("a", "garbage"), None);
    }

    #[test]
    fn same_compares_secrets() {
        let key = SigningKey::new(b"k");
        assert!(key.same("secret", "secret"));
        assert!(!key.same("secret", "secreT") && !key.same("secret", "secret "));
    }
}
