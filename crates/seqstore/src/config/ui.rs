//! `[ui]`: the web dashboard at `/ui/`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `[ui]`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Key that signs session cookies; shared by every process. Unset: generated once and kept in
    /// the database, like `auth.token_key`.
    pub session_key: Option<String>,
    /// How long a login lasts, in seconds (default 12 hours).
    pub session_seconds: u64,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self { session_key: None, session_seconds: 12 * 3600 }
    }
}

impl UiConfig {
    /// A copy with the session key replaced by `***`.
    pub fn redacted(&self) -> Self {
        Self { session_key: self.session_key.as_ref().map(|_| super::REDACTED.to_owned()), ..self.clone() }
    }
}

impl fmt::Debug for UiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UiConfig")
            .field("session_key", &self.session_key.as_ref().map(|_| super::REDACTED))
            .field("session_seconds", &self.session_seconds)
            .finish()
    }
}
