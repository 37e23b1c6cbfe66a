//! Errors of the use cases. The API maps each variant to one wire error (`api::error`).

use crate::db;
use crate::model::read_set::ReadSetStatus;
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
    /// A job that can no longer be cancelled: it has already ended.
    #[error("{noun} {id} is already {status}: only a SUBMITTED or IN_PROGRESS job can be cancelled")]
    JobEnded {
        /// What the job is called, e.g. "import job".
        noun: &'static str,
        /// Its id.
        id: String,
        /// Its terminal status, e.g. `COMPLETED`.
        status: &'static str,
    },
    /// A read set whose files cannot be downloaded in its status: only ACTIVE read sets' can.
    #[error("read set {id} is {status}, not ACTIVE: {advice}")]
    ReadSetNotActive {
        /// Its id.
        id: String,
        /// Its status, e.g. `PROCESSING_UPLOAD`.
        status: ReadSetStatus,
        /// Why, and what to do.
        advice: String,
    },
    /// A quota of `[quotas]` is reached.
    #[error(
        "quota reached: {holder} can have at most {limit} {what}; {advice}, or raise quotas.{key} in the server \
         configuration"
    )]
    QuotaExceeded {
        /// What the quota applies to: "an account", "an import job", "sequence store 1234567890".
        holder: String,
        /// What is counted, with the count when it helps.
        what: String,
        /// Configuration key of the quota, under `[quotas]`.
        key: &'static str,
        /// The limit.
        limit: u64,
        /// What the caller can do, e.g. "delete some".
        advice: &'static str,
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
        member: String,
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
    /// The caller may not pass this role.
    #[error(
        "roleArn '{role_arn}' cannot be passed by account {account}: use an IAM role ARN of your own account that \
         the server configuration lists under [[roles]] (or any role of your account when none are configured)"
    )]
    RoleNotPassable {
        /// The role ARN given.
        role_arn: String,
        /// The caller's account.
        account: String,
    },
    /// `source2` given for a type other than FASTQ.
    #[error("{member} is only allowed for sourceFileType FASTQ (paired reads)")]
    Source2NotFastq {
        /// Member path.
        member: String,
    },
    /// A source URI is neither `s3://` nor an acceptable `file://`.
    #[error("invalid {member}")]
    BadSourceUri {
        /// Member path.
        member: String,
        /// What is wrong.
        #[source]
        source: crate::storage::locations::UriError,
    },
    /// `file://` given but no file roots are configured.
    #[error(
        "{member}: file:// sources are disabled on this server; start it with --file-root DIR (or set \
         sources.file_roots) to allow files under DIR"
    )]
    NoFileRoots {
        /// Member path.
        member: String,
    },
    /// `s3://` given but neither `[[roles]]` nor `sources.s3_endpoint` is configured.
    #[error(
        "{member}: s3:// sources are disabled on this server: start it with --source-s3-endpoint URL (or set \
         sources.s3_endpoint) to read buckets there with the credentials of its AWS_* environment variables, or \
         configure [[roles]] with locations covering the bucket"
    )]
    NoS3Endpoint {
        /// Member path.
        member: String,
    },
    /// A source lies outside what the role may read.
    #[error("{member}: the role may not read {uri}; it lies outside the role's locations")]
    SourceNotAllowed {
        /// Member path.
        member: String,
        /// The URI.
        uri: String,
    },
    /// An export destination no writable location of the role covers.
    #[error(
        "{member}: the role {role_arn} may not write {destination}; add a [[roles.locations]] entry with access = \
         \"write\" (or \"read-write\") covering it to the server's configuration"
    )]
    DestinationNotWritable {
        /// Member path.
        member: String,
        /// The destination.
        destination: String,
        /// The role.
        role_arn: String,
    },
    /// An export with no `[[roles]]` configured: nothing may be written.
    #[error(
        "{member}: this server has no writable locations: exports write only where a configured role may write \
         (the server's own credentials are never lent for writes); add a [[roles]] entry for the role with a \
         [[roles.locations]] entry with access = \"write\" covering the destination"
    )]
    NoWritableLocations {
        /// Member path.
        member: String,
    },
    /// An export destination inside (or around) the server's own storage.
    #[error("{member}: {destination} overlaps the server's own storage ({storage}); choose another bucket or prefix")]
    DestinationOverlapsStorage {
        /// Member path.
        member: String,
        /// The destination.
        destination: String,
        /// The server's storage prefix.
        storage: String,
    },
    /// A CRAM source without the reference it must be decoded against.
    #[error("{member} is required for sourceFileType CRAM: CRAM records can only be decoded against their reference")]
    CramNeedsReference {
        /// Member path.
        member: String,
    },
    /// A `referenceArn` that is not the ARN of a reference.
    #[error("{member}: '{arn}' is not a reference ARN (arn:aws:omics:REGION:ACCOUNT:referenceStore/ID/reference/ID)")]
    BadReferenceArn {
        /// Member path.
        member: String,
        /// The ARN given.
        arn: String,
    },
    /// A `referenceArn` that names no reference of the caller.
    #[error("{member}: reference {arn} not found; import it first (StartReferenceImportJob)")]
    ReferenceNotFound {
        /// Member path.
        member: String,
        /// The ARN given.
        arn: String,
    },
    /// A part or byte range beyond the end of a file.
    #[error("{what} is beyond the end of the file: {detail}")]
    RangeNotSatisfiable {
        /// `partNumber` or `range`.
        what: &'static str,
        /// What is available.
        detail: String,
    },
    /// Stored reference data could not be read as its index says.
    #[error("reference {id} could not be read")]
    ReferenceRead {
        /// Reference id (or file key).
        id: String,
        /// What went wrong.
        #[source]
        source: seqstore_formats::fasta::Error,
    },
    /// An S3 access policy outside the dialect seqstore enforces.
    #[error("invalid s3AccessPolicy")]
    S3AccessPolicy {
        /// Where and what.
        #[source]
        source: crate::model::s3_access::PolicyError,
    },
    /// A member's value breaks a rule the model cannot express.
    #[error("{member}: {problem}")]
    Invalid {
        /// Member path.
        member: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A streamed body did not match the SHA-256 the client signed in `X-Amz-Content-SHA256`.
    #[error(
        "The provided X-Amz-Content-SHA256 header does not match the SHA-256 of the body: send the part again, or \
         sign it as UNSIGNED-PAYLOAD"
    )]
    PayloadHashMismatch,
    /// The request body could not be read to its end (the client stopped sending).
    #[error("the request body could not be read to its end; send it again")]
    BodyRead {
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The server's own storage failed. The wire message says only `what` (the cause, which names
    /// object keys and paths, is logged).
    #[error("{what}: the server's storage failed; try again later")]
    Storage {
        /// What could not be done.
        what: &'static str,
        /// Why.
        #[source]
        source: Box<crate::storage::objects::Error>,
    },
    /// The database failed.
    #[error("database failure")]
    Db(#[from] db::Error),
}
