//! Command-line interface definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// seqstore: a self-hosted genomic sequence store that speaks the AWS HealthOmics storage API.
#[derive(Debug, Parser)]
#[command(name = "seqstore", version, about)]
pub struct Cli {
    /// TOML configuration file (layered: defaults < file < SEQSTORE_* environment < flags).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
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
}
