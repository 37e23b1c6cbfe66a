//! Errors of the use cases. The API maps each variant to one wire error (`api::error`).

use crate::db;
use crate::model::tags::TagError;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The resource does not exist or belongs to another account (the two are indistinguishable).
    #[error("{kind} {id} not found")]
    NotFound {
        /// Resource kind, e.g. "sequence store".
        kind: &'static str,
        /// The id or ARN asked for.
        id: String,
    },
    /// The resource is in a state that forbids the operation.
    #[error("{kind} {id} {reason}")]
    Conflict {
        /// Resource kind.
        kind: &'static str,
        /// Its id.
        id: String,
        /// Why, e.g. "still holds read sets: delete them first".
        reason: &'static str,
    },
    /// A per-account quota is reached.
    #[error(
        "quota reached: an account can have at most {limit} {what}; delete some or raise quotas.{key} in the server configuration"
    )]
    QuotaExceeded {
        /// What is counted.
        what: &'static str,
        /// Configuration key of the quota.
        key: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A clientToken was reused with a different request.
    #[error("clientToken '{token}' was already used with a different request; use a new token for a new request")]
    TokenReused {
        /// The token.
        token: String,
    },
    /// Tags break a rule.
    #[error("invalid {member}")]
    Tags {
        /// Member path, e.g. `tags`.
        member: &'static str,
        /// The rule broken.
        #[source]
        source: TagError,
    },
    /// A nextToken was not issued by this server for this listing.
    #[error("invalid nextToken: it was not issued for this listing; start again without nextToken")]
    BadPageToken,
    /// An ARN that names no resource kind seqstore stores.
    #[error("'{arn}' is not the ARN of a sequence store, read set, reference store or reference")]
    UnsupportedArn {
        /// The ARN given.
        arn: String,
    },
    /// The database failed.
    #[error("database failure")]
    Db(#[from] db::Error),
}
