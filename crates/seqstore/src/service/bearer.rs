//! Bearer tokens for the GA4GH APIs (htsget, refget), which clients such as htslib call with
//! `Authorization: Bearer …` rather than SigV4. A token names the access key it was issued to, that
//! key's account and when it expires, signed with the server-wide key (`auth.token_key`, or the
//! one the database holds for every process): any process accepts it, none can alter it, and the
//! API refuses it once its key is no longer configured.

use super::signing::SigningKey;
use super::{Caller, Service};

/// What the token's signature is bound to: no other token of the server opens as a bearer token.
const CONTEXT: &str = "seqstore-bearer-v1";

/// A token issued to a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerToken {
    /// The token, ASCII without spaces.
    pub token: String,
    /// When it expires, in seconds since the epoch.
    pub expires: i64,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bearer {
    /// The access key it was issued to.
    pub key_id: String,
    /// That key's account.
    pub account: String,
    /// When it expires, in seconds since the epoch.
    pub expires: i64,
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    /// Not a token this server signed (or altered): a guess.
    #[error("the bearer token is not one this server issued")]
    Invalid,
    /// Signed here, but past its time.
    #[error("the bearer token expired at {expired_at} (Unix time); ask for a new one with `seqstore token`")]
    Expired {
        /// Its expiry, seconds since the epoch.
        expired_at: i64,
    },
}

impl Service {
    /// A token for `caller`, who signed the request with access key `key_id`, valid for `seconds`
    /// from `now` (seconds since the epoch). The caller checks `seconds` against
    /// `auth.max_token_seconds`.
    pub fn issue_bearer(&self, caller: &Caller, key_id: &str, now: i64, seconds: i64) -> BearerToken {
        let expires = now.saturating_add(seconds);
        let token = self.signer.sign(CONTEXT, &[key_id, &caller.account, &expires.to_string()]);
        BearerToken { token, expires }
    }

    /// What `token` says, if this server signed it and it has not expired at `now`. Whether its key
    /// is still configured is for the caller to check.
    pub fn open_bearer(&self, token: &str, now: i64) -> Result<Bearer, BearerError> {
        open(&self.signer, token, now)
    }
}

fn open(signer: &SigningKey, token: &str, now: i64) -> Result<Bearer, BearerError> {
    let fields = signer.open(CONTEXT, token).ok_or(BearerError::Invalid)?;
    let [key_id, account, expires] = <[String; 3]>::try_from(fields).map_err(|_| BearerError::Invalid)?;
    let expires: i64 = expires.parse().map_err(|_| BearerError::Invalid)?;
    if expires <= now {
        return Err(BearerError::Expired { expired_at: expires });
    }
    Ok(Bearer { key_id, account, expires })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_open_until_they_expire_and_only_under_their_key() {
        let key = SigningKey::new(b"0123456789abcdef");
        let token = key.sign(CONTEXT, &["AKID", "111122223333", "1000"]);
        let bearer = open(&key, &token, 999).expect("opens");
        assert_eq!((bearer.key_id.as_str(), bearer.account.as_str()), ("AKID", "111122223333"));
        assert_eq!(open(&key, &token, 1000), Err(BearerError::Expired { expired_at: 1000 }));
        assert_eq!(open(&SigningKey::new(b"another key 0123"), &token, 1), Err(BearerError::Invalid));
        let other_context = key.sign("seqstore-htsget-data-v1", &["AKID", "111122223333", "1000"]);
        assert_eq!(open(&key, &other_context, 1), Err(BearerError::Invalid));
    }
}
