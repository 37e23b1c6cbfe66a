//! The command-line client: subcommands that call a seqstore (or AWS HealthOmics) endpoint with
//! `aws-sdk-omics`, print tables for people or `--json` for scripts, draw progress bars, upload
//! local files the server cannot read and verify downloads against the read set's ETag.

mod connect;
mod download;
mod endpoint;
mod export;
mod import;
mod jobs;
mod output;
mod progress;
mod qc;
mod raw;
mod read_sets;
mod references;
mod stores;
mod tiers;
mod token;
mod upload;
mod verify;

use std::time::Duration;

use aws_sdk_omics::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::box_error::BoxError;

use crate::cli::Command;
use crate::cli::client::{ClientArgs, ProgressMode};

/// How often a running job, or a read set being processed, is polled.
const POLL: Duration = Duration::from_millis(500);

/// Why a client command failed; the process exits non-zero with this message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The endpoint URL cannot be a server's root (no scheme, a path, not a URL).
    #[error("{given} {problem}: {fix}")]
    EndpointUrl {
        /// Where it came from and the URL, e.g. "--endpoint-url `http://127.0.0.1:4870/ui/`".
        given: String,
        /// What is wrong with it.
        problem: String,
        /// What to pass instead, e.g. "pass --endpoint-url http://127.0.0.1:4870".
        fix: String,
    },
    /// A call to the service failed: an error response (`code` and `message` set), or no
    /// response at all (`source` says why).
    #[error("{operation}: {}", describe(.code.as_deref(), .message.as_deref()))]
    Api {
        /// The operation called.
        operation: &'static str,
        /// The service's error code (`x-amzn-ErrorType`).
        code: Option<String>,
        /// The service's message.
        message: Option<String>,
        /// Why no error response was received (connection refused, timeout, …).
        #[source]
        source: Option<BoxError>,
    },
    /// A local file could not be read or written.
    #[error("{action} `{path}`")]
    File {
        /// What was being done (`cannot read`, `cannot write`, …).
        action: &'static str,
        /// The file.
        path: String,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing to standard output failed.
    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),
    /// The arguments do not make a request.
    #[error("{0}")]
    Usage(String),
    /// An imported source ended FAILED.
    #[error("import job {job} failed: {message}")]
    SourceFailed {
        /// Job id.
        job: String,
        /// The source's message (`statusDetail` when the server gives it).
        message: String,
    },
    /// A read set of an activation job ended FAILED (or was cancelled).
    #[error("activation job {job} failed: {message}")]
    ActivationFailed {
        /// Job id.
        job: String,
        /// The read set and the source's message.
        message: String,
    },
    /// Some items of a batch request failed (each was printed on standard error).
    #[error("{operation}: {failed} of the {total} read sets failed (see above)")]
    SomeFailed {
        /// The operation called.
        operation: &'static str,
        /// How many items failed.
        failed: usize,
        /// How many were asked for.
        total: usize,
    },
    /// A direct upload's read set ended UPLOAD_FAILED.
    #[error("upload of read set {read_set} failed: {message}")]
    UploadFailed {
        /// Read set id.
        read_set: String,
        /// The read set's status message.
        message: String,
    },
    /// The read set to download is not ACTIVE, so it has no files to download (yet).
    #[error("read set {read_set} is {status}, not ACTIVE: {advice}")]
    NotActive {
        /// Read set id.
        read_set: String,
        /// Its status.
        status: String,
        /// What it means and what to do.
        advice: String,
    },
    /// A read set's quality-control statistics are PENDING or FAILED.
    #[error("the statistics of read set {read_set} are {status}: {reason}. {advice}")]
    QcUnavailable {
        /// Read set id.
        read_set: String,
        /// PENDING or FAILED.
        status: &'static str,
        /// The server's reason (`statusMessage`).
        reason: String,
        /// What to do, a sentence.
        advice: String,
    },
    /// The service's answer is not what the operation answers.
    #[error("{operation}: unexpected answer: {problem}")]
    Answer {
        /// The operation called.
        operation: &'static str,
        /// What is wrong with it.
        problem: String,
        /// Why it cannot be read, when it is not JSON of the expected shape.
        #[source]
        source: Option<serde_json::Error>,
    },
    /// A downloaded file does not match its read set; the output was removed.
    #[error("download of read set {read_set} {file} failed verification (output removed)")]
    Verification {
        /// Read set id.
        read_set: String,
        /// SOURCE1, SOURCE2 or INDEX.
        file: String,
        /// What differs.
        #[source]
        reason: verify::Mismatch,
    },
    /// The reference a CRAM needs for verification is unusable.
    #[error("the read set's reference cannot be used: {problem}")]
    Reference {
        /// What went wrong.
        problem: &'static str,
        /// Why.
        #[source]
        source: BoxError,
    },
}

fn describe(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        (None, Some(message)) => message.to_owned(),
        (None, None) => "the request failed".to_owned(),
    }
}

/// Maps an SDK error of `operation` to [`Error::Api`].
fn api<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |error| {
        let code = error.code().map(str::to_owned);
        let message = error.message().map(str::to_owned);
        let source = code.is_none().then(|| Box::new(error) as BoxError);
        Error::Api { operation, code, message, source }
    }
}

/// What every command has: the SDK client, where it goes, and how to print.
#[derive(Debug, Clone)]
struct Ctx {
    sdk: aws_sdk_omics::Client,
    region: String,
    endpoint: Option<endpoint::Endpoint>,
    json: bool,
    /// Print only ids (`--quiet`).
    quiet: bool,
    progress: ProgressMode,
}

impl Ctx {
    async fn new(args: &ClientArgs) -> Result<Self, Error> {
        let connect::Connection { sdk, region, endpoint } = connect::client(args).await?;
        Ok(Self { sdk, region, endpoint, json: args.json, quiet: args.quiet, progress: args.progress })
    }

    /// `error`, with the sentence that says what to pass when the endpoint (or its absence, or
    /// the credentials) is the likely cause of a failed call.
    async fn explained(&self, error: Error) -> Error {
        let Error::Api { operation, code, message, source } = error else { return error };
        let hint = endpoint::explain(self.endpoint.as_ref(), &self.region, code.as_deref(), source.as_ref()).await;
        let message = match (message, hint) {
            (Some(message), Some(hint)) => Some(format!("{message} ({hint})")),
            (message, hint) => message.or(hint),
        };
        Error::Api { operation, code, message, source }
    }
}

/// Runs a client command; `Serve`, `Config` and `Verify` are not client commands and do nothing here.
pub async fn run(command: &Command) -> Result<(), Error> {
    let Some(args) = command.client_args() else { return Ok(()) };
    let ctx = Ctx::new(args).await?;
    let result = match command {
        Command::Serve(_) | Command::Config(_) | Command::Verify(_) => Ok(()),
        Command::Store(args) => stores::run(&ctx, &args.command).await,
        Command::Ref(args) => references::run(&ctx, &args.command).await,
        Command::Import(args) => import::run(&ctx, args).await,
        Command::Export(args) => export::run(&ctx, args).await,
        Command::Jobs(args) => jobs::run(&ctx, &args.command).await,
        Command::Readsets(args) => read_sets::run(&ctx, &args.command).await,
        Command::Download(args) => download::run(&ctx, args).await,
        Command::Token(args) => token::run(&ctx, args).await,
    };
    match result {
        Err(error) => Err(ctx.explained(error).await),
        ok => ok,
    }
}
