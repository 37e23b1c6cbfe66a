//! Command-line interface definitions: the server's (`serve`, `config`) here, the client's in
//! [`client`].

pub mod client;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// seqstore: a self-hosted genomic sequence store that speaks the AWS HealthOmics storage API.
#[derive(Debug, Parser)]
#[command(name = "seqstore", version, about)]
pub struct Cli {
    /// TOML configuration file (layered: defaults < file < SEQSTORE_* environment < flags).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log lines on standard error as text or as one JSON object per line.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Print the effective configuration as TOML, secrets redacted.
    Config(ServeArgs),
    /// Sequence stores: create, ls, rm.
    Store(client::StoreArgs),
    /// References: import FASTA files, ls (every reference store's).
    Ref(client::RefArgs),
    /// Import one read set from local files or URIs (uploading local files the server cannot read).
    Import(client::ImportArgs),
    /// Export read sets to an S3 prefix (an export job), with progress under --wait.
    Export(client::ExportArgs),
    /// Read set import and export jobs: ls, show, cancel.
    Jobs(client::JobsArgs),
    /// Read sets: ls (with filters), show, qc, rm, archive, activate.
    Readsets(client::ReadSetsArgs),
    /// Download one file of a read set in parallel parts and verify it against the read set's ETag.
    Download(client::DownloadArgs),
    /// Print a bearer token for the GA4GH APIs (htsget, refget) of this server, bound to your key.
    Token(client::TokenArgs),
    /// Re-read every stored object of read sets and references and compare its size and SHA-256
    /// with what was recorded; exits non-zero if any is damaged or missing.
    Verify(VerifyArgs),
}

/// Flags of `seqstore verify` (the configuration is read as `serve` reads it).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VerifyArgs {
    /// Only the read sets or references of this sequence store or reference store.
    #[arg(long, value_name = "ID")]
    pub store: Option<String>,
    /// Directory of the embedded database and local data (default ./seqstore-data).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Format of log lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `fields`, `target`, and `span` inside a request).
    Json,
}

impl Command {
    /// True for the commands that run the server.
    pub fn is_server(&self) -> bool {
        matches!(self, Self::Serve(_) | Self::Config(_))
    }

    /// The endpoint, credentials and output flags of a client command; `None` for the server's
    /// commands (`serve`, `config`, `verify`).
    pub fn client_args(&self) -> Option<&client::ClientArgs> {
        match self {
            Self::Serve(_) | Self::Config(_) | Self::Verify(_) => None,
            Self::Store(args) => Some(&args.client),
            Self::Ref(args) => Some(&args.client),
            Self::Import(args) => Some(&args.client),
            Self::Export(args) => Some(&args.client),
            Self::Jobs(args) => Some(&args.client),
            Self::Readsets(args) => Some(&args.client),
            Self::Download(args) => Some(&args.client),
            Self::Token(args) => Some(&args.client),
        }
    }
}

/// Flags that override the configuration.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (default 127.0.0.1:4870; port 0 picks a free one).
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<String>,
    /// Directory for the embedded database and local data (default ./seqstore-data).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory `file://` import sources may lie under (repeatable). Used when no [[roles]] are
    /// configured; replaces `sources.file_roots`.
    #[arg(long = "file-root", value_name = "DIR")]
    pub file_roots: Vec<PathBuf>,
    /// S3-compatible endpoint for `s3://` import sources (credentials from AWS_* environment
    /// variables). Used when no [[roles]] are configured.
    #[arg(long, value_name = "URL")]
    pub source_s3_endpoint: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key. Replaces
    /// `tls.cert`.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert. Replaces `tls.key`.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Address of the read-only S3-compatible endpoint, HOST:PORT (default 127.0.0.1:4871; port 0
    /// picks a free one; "" turns it off). Replaces `s3_api.listen`.
    #[arg(long, value_name = "HOST:PORT")]
    pub s3_listen: Option<String>,
}
