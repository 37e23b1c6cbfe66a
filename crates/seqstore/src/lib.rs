//! seqstore: a self-hosted genomic sequence store, wire-compatible with the storage half of AWS
//! HealthOmics.
//!
//! Layers, outermost first: [`api`] (HTTP, SigV4, validation, the error mapping) → [`service`]
//! (use cases) → [`db`] (SQLite/PostgreSQL) and [`model`] (domain types, no I/O).

pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod model;
pub mod server;
pub mod service;
pub mod storage;
pub mod worker;

use std::io::Write;

use cli::{Cli, Command, ServeArgs};
use config::{Config, Overrides};

/// Errors that end the process with a non-zero status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration could not be loaded.
    #[error(transparent)]
    Config(#[from] config::Error),
    /// The server failed.
    #[error(transparent)]
    Server(#[from] server::Error),
    /// Writing to standard output failed.
    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),
}

fn load(cli: &Cli, args: &ServeArgs) -> Result<Config, Error> {
    let overrides = Overrides {
        listen: args.listen.clone(),
        data_dir: args.data_dir.clone(),
        sources: config::SourceOverrides {
            file_roots: args.file_roots.clone(),
            s3_endpoint: args.source_s3_endpoint.clone(),
        },
        tls: config::TlsOverrides { cert: args.tls_cert.clone(), key: args.tls_key.clone() },
    };
    Ok(Config::load(cli.config.as_deref(), &overrides)?)
}

/// Runs the parsed command line to completion.
pub async fn run(cli: Cli) -> Result<(), Error> {
    match &cli.command {
        Command::Config(args) => {
            let config = load(&cli, args)?;
            let text = toml::to_string(&config.redacted()).expect("the configuration serializes as TOML");
            std::io::stdout().write_all(text.as_bytes()).map_err(Error::Stdout)
        }
        Command::Serve(args) => {
            let config = load(&cli, args)?;
            let server = server::Server::bind(&config).await?;
            // Tests and scripts read this line to learn the port when `--listen …:0` is used.
            let mut stdout = std::io::stdout();
            writeln!(stdout, "seqstore listening on {}://{}", server.scheme(), server.local_addr())
                .map_err(Error::Stdout)?;
            stdout.flush().map_err(Error::Stdout)?;
            tracing::info!(addr = %server.local_addr(), database = %config::redact_url(&config.database_url()), "serving");
            Ok(server.run(server::shutdown_signal()).await?)
        }
    }
}

/// Installs the log subscriber: `RUST_LOG` filter (default `info`), to standard error.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
}
