//! Opaque, tamper-evident pagination tokens.
//!
//! A token carries the keyset position `(creation ms, id)` of the last item returned, signed
//! ([`super::signing`]) for the listing's scope (operation, account, path ids, filter). A token that
//! was forged, altered, or replayed with another scope fails verification.

use super::Error;
use super::signing::SigningKey;
pub use super::signing::random_key;

/// Issues and verifies tokens with one server-wide key.
#[derive(Debug, Clone)]
pub struct PageTokens {
    key: SigningKey,
}

impl PageTokens {
    /// Tokens signed with `key`.
    pub fn new(key: &[u8]) -> Self {
        Self { key: SigningKey::new(key) }
    }

    /// A token for the position after `(time, id)` within `scope`.
    pub fn issue(&self, scope: &str, position: &(i64, String)) -> String {
        self.key.sign(scope, &[&format!("{}.{}", position.0, position.1)])
    }

    /// The position a token stands for, if it was issued by this server for `scope`.
    pub fn open(&self, scope: &str, token: &str) -> Result<(i64, String), Error> {
        let fields = self.key.open(scope, token).ok_or(Error::BadPageToken)?;
        let [position] = fields.as_slice() else { return Err(Error::BadPageToken) };
        let (time, id) = position.split_once('.').ok_or(Error::BadPageToken)?;
        Ok((time.parse().map_err(|_| Error::BadPageToken)?, id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn round_trip_and_tamper_evidence() -> Result<(), Error> {
        let tokens = PageTokens::new(b"k");
        let token = tokens.issue("scope-a", &(42, "1234567890".into()));
        assert_eq!(tokens.open("scope-a", &token)?, (42, "1234567890".into()));
        assert!(tokens.open("scope-b", &token).is_err(), "replayed in another scope");
        assert!(PageTokens::new(b"other").open("scope-a", &token).is_err(), "another key");
        let forged = format!("{}.{}", URL_SAFE_NO_PAD.encode("43.1234567890"), token.split_once('.').unwrap().1);
        assert!(tokens.open("scope-a", &forged).is_err(), "altered position");
        assert!(tokens.open("scope-a", "garbage").is_err());
        Ok(())
    }
}
