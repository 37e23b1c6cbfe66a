//! What the owner of a source is told when it cannot be opened or read, and what only the log
//! gets.
//!
//! An S3 error as object_store reports it names the role's endpoint URL, the request, the retry
//! settings and the raw XML answer (with its `RequestId` and `HostId`), nested three times over.
//! None of that is the caller's business, and little of it helps them; [`S3Cause`] keeps what
//! does: what the endpoint answered (status and S3 error code, or that it could not be reached),
//! whether the request was retried, and what to do. The full error stays the `#[source]` of the
//! errors here, for the server's log.

use std::sync::LazyLock;

use regex::Regex;

use super::resume::{Cut, ReadError};

/// What went wrong with a request to an S3 endpoint, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Cause {
    /// 404: no such object (or bucket).
    Missing {
        /// The S3 error code (`NoSuchKey`, `NoSuchBucket`), when the answer had one.
        code: Option<String>,
    },
    /// 401 or 403: the role's credentials may not read the object.
    Denied {
        /// 401 or 403.
        status: u16,
        /// The S3 error code (`AccessDenied`, `InvalidAccessKeyId`…), when the answer had one.
        code: Option<String>,
    },
    /// 412: the object changed between two requests of one read.
    Changed,
    /// Any other error status.
    Status {
        /// The status.
        status: u16,
        /// The S3 error code, when the answer had one.
        code: Option<String>,
    },
    /// No connection to the endpoint (refused, unreachable, name not resolved).
    Unreachable,
    /// The endpoint did not answer in time.
    TimedOut,
    /// The connection broke during the request.
    Broken,
    /// Anything else (an answer that could not be understood).
    Other,
}

impl S3Cause {
    /// Classifies `error` (an object_store error from an S3 store).
    pub fn of(error: &object_store::Error) -> Self {
        let text = crate::report::chain(error);
        let code = || s3_code(&text);
        match error {
            object_store::Error::NotFound { .. } => return Self::Missing { code: code() },
            object_store::Error::PermissionDenied { .. } => return Self::Denied { status: 403, code: code() },
            object_store::Error::Unauthenticated { .. } => return Self::Denied { status: 401, code: code() },
            object_store::Error::Precondition { .. } => return Self::Changed,
            _ => {}
        }
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = source {
            if let Some(http) = e.downcast_ref::<object_store::client::HttpError>() {
                use object_store::client::HttpErrorKind as Kind;
                return match http.kind() {
                    Kind::Connect => Self::Unreachable,
                    Kind::Timeout => Self::TimedOut,
                    Kind::Request | Kind::Interrupted => Self::Broken,
                    _ => Self::Other,
                };
            }
            source = e.source();
        }
        match status(&text) {
            Some(status) => Self::Status { status, code: code() },
            None => Self::Other,
        }
    }

    /// True when object_store retried the request before giving up (server errors, connections
    /// and timeouts); an answer such as 403 or 404 is final at once.
    pub fn retried(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status >= 500 || *status == 429,
            Self::Unreachable | Self::TimedOut | Self::Broken => true,
            Self::Missing { .. } | Self::Denied { .. } | Self::Changed | Self::Other => false,
        }
    }

    /// What the caller can do about it.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::Missing { .. } => "check the bucket and key",
            Self::Denied { .. } => "check that the role may read the object (the operator configures its credentials)",
            Self::Changed => "import it again once it no longer changes",
            Self::Status { .. } if self.retried() => "try the import again later",
            Self::Status { .. } | Self::Other => {
                "ask the operator to check the role's S3 settings (the server's log has the details)"
            }
            Self::Unreachable | Self::TimedOut | Self::Broken => {
                "try the import again later, or ask the operator to check the role's endpoint"
            }
        }
    }
}

impl std::fmt::Display for S3Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let answered = |f: &mut std::fmt::Formatter<'_>, status: u16, code: &Option<String>| {
            let reason = http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
            write!(f, "the S3 endpoint answered {status} {reason}")?;
            match code {
                Some(code) => write!(f, " ({code})"),
                None => Ok(()),
            }
        };
        match self {
            Self::Missing { code } => {
                answered(f, 404, code)?;
                f.write_str(": the object does not exist")
            }
            Self::Denied { status, code } => {
                answered(f, *status, code)?;
                f.write_str(": access denied")
            }
            Self::Changed => f.write_str("the object changed while it was read"),
            Self::Status { status, code } => answered(f, *status, code),
            Self::Unreachable => f.write_str("the S3 endpoint could not be reached"),
            Self::TimedOut => f.write_str("the S3 endpoint did not answer in time"),
            Self::Broken => f.write_str("the connection to the S3 endpoint broke"),
            Self::Other => f.write_str("the S3 endpoint's answer could not be used"),
        }
    }
}

/// The S3 error code of an XML error answer quoted in `text` (`<Code>AccessDenied</Code>`).
fn s3_code(text: &str) -> Option<String> {
    static CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<Code>([A-Za-z0-9.]{1,64})</Code>").expect("valid"));
    CODE.captures(text).map(|c| c[1].to_owned())
}

/// The HTTP status object_store quotes in `text` (`… non-2xx status code: 503 Service
/// Unavailable …`): its retry error keeps the status private.
fn status(text: &str) -> Option<u16> {
    static STATUS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"status code: ([1-5][0-9]{2})\b").expect("valid"));
    STATUS.captures(text).and_then(|c| c[1].parse().ok())
}

/// The S3 request id quoted in `text`, for the log (`<RequestId>…</RequestId>`).
pub fn request_id(text: &str) -> Option<&str> {
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<Request(?:Id|ID)>([^<]{1,200})</Request(?:Id|ID)>").expect("valid"));
    ID.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str())
}

/// A read of an opened source that failed: the error of its byte stream, naming the source.
#[derive(Debug, thiserror::Error)]
#[error("reading {uri} failed")]
pub struct ReadFailed {
    /// The source URI, as submitted.
    pub uri: String,
    /// Cause: an operating system error for a file, a [`ReadError`] for an S3 object.
    #[source]
    pub source: std::io::Error,
}

impl ReadFailed {
    /// `source` as the error of the stream of `uri` (keeping its kind).
    pub fn wrap(uri: &str, source: std::io::Error) -> std::io::Error {
        std::io::Error::new(source.kind(), Self { uri: uri.to_owned(), source })
    }
}

/// The sentence telling the owner of a source why reading it failed after `offset` bytes, for a
/// `statusMessage`: what failed, which source, whether it was retried, what to do. Names neither
/// endpoints nor the raw answer (the log has them).
pub fn read_failure(file: &str, offset: u64, error: &std::io::Error) -> String {
    let Some(failed) = error.get_ref().and_then(|e| e.downcast_ref::<ReadFailed>()) else {
        // Not a source's stream: the stored parts of a direct upload, read from the server's
        // own storage.
        return format!(
            "{file}: the server's storage failed while reading it after {offset} bytes; try the import again later"
        );
    };
    let uri = &failed.uri;
    let inner = failed.source.get_ref().and_then(|e| e.downcast_ref::<ReadError>());
    match inner {
        Some(ReadError::GaveUp { attempts, source, .. }) => {
            let cause = match source {
                Cut::Failed(e) => S3Cause::of(e).to_string(),
                Cut::Short { .. } => "the S3 endpoint's answers kept ending early".to_owned(),
            };
            format!(
                "{file}: {uri} could not be read past byte {offset}, given up after {attempts} attempts to resume: \
                 {cause}; try the import again later"
            )
        }
        Some(ReadError::Changed { .. }) => format!(
            "{file}: {uri} could not be read past byte {offset}, not retried: the object changed while it was read; \
             import it again once it no longer changes"
        ),
        None => format!("{file}: {uri} could not be read past byte {offset}: {}", failed.source),
    }
}

/// The sentence for an S3 source that could not be opened, as [`read_failure`] says it.
pub fn open_failure(uri: &str, cause: &S3Cause) -> String {
    let retried = if cause.retried() { "given up after retrying" } else { "not retried" };
    format!("{uri} could not be read, {retried}: {cause}; {}", cause.advice())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "Generic S3 error: Error performing GET http://127.0.0.1:9/reads/x in 1s, after 3 retries, \
                          max_retries: 3, retry_timeout: 30s  - Server returned non-2xx status code: 503 Service \
                          Unavailable: <?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>m</Message>\
                          <RequestId>4442587FB7D0A2F9</RequestId><HostId>h</HostId></Error>";

    #[test]
    fn statuses_codes_and_request_ids_are_found_in_the_error_text() {
        assert_eq!(status(ANSWER), Some(503));
        assert_eq!(s3_code(ANSWER).as_deref(), Some("SlowDown"));
        assert_eq!(request_id(ANSWER), Some("4442587FB7D0A2F9"));
        assert_eq!(status("Server returned error response: x"), None);
    }

    #[test]
    fn causes_read_as_one_sentence_without_internals() {
        let denied = S3Cause::Denied { status: 403, code: Some("AccessDenied".into()) };
        let text = open_failure("s3://reads/x.fq", &denied);
        assert_eq!(
            text,
            "s3://reads/x.fq could not be read, not retried: the S3 endpoint answered 403 Forbidden (AccessDenied): \
             access denied; check that the role may read the object (the operator configures its credentials)"
        );
        let slow = S3Cause::Status { status: 503, code: None };
        assert!(open_failure("s3://b/k", &slow).contains("given up after retrying: the S3 endpoint answered 503"));
        assert!(S3Cause::Unreachable.retried() && !S3Cause::Missing { code: None }.retried());
    }

    #[test]
    fn read_failures_name_the_source_and_hide_the_storage() {
        let os = ReadFailed::wrap("file:///r/x.fq", std::io::Error::from_raw_os_error(5));
        let text = read_failure("source1", 10, &os);
        assert!(text.starts_with("source1: file:///r/x.fq could not be read past byte 10: "), "{text}");
        let stored = std::io::Error::other(object_store::Error::NotImplemented {
            operation: "get".into(),
            implementer: "http://10.0.0.1".into(),
        });
        let text = read_failure("source1", 0, &stored);
        assert!(text.contains("the server's storage failed") && !text.contains("10.0.0.1"), "{text}");
    }
}
