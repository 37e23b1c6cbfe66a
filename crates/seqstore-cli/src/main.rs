//! The `seqstore` binary: the server's commands (`serve`, `config`, `verify`), which hand over to
//! the `seqstore` library, and the client's commands, an `aws-sdk-omics` client over the wire
//! ([`client`]).

mod cli;
mod client;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use seqstore::config::{self, Config, Overrides};
use seqstore::{ServeError, VerifyError};

use cli::{Cli, Command, LogFormat, ServeArgs};

/// How long the exit waits for blocking threads still running once `run` returned. `serve` has
/// stopped its workers by then; a thread still running is stuck in a system call (a read of a
/// stalled file system, say), and it must not keep the process alive.
const BLOCKING_GRACE: Duration = Duration::from_secs(2);

/// Errors that end the process with a non-zero status.
#[derive(Debug, thiserror::Error)]
enum Error {
    /// The configuration could not be loaded.
    #[error(transparent)]
    Config(#[from] config::Error),
    /// The server failed.
    #[error(transparent)]
    Server(#[from] ServeError),
    /// A client command failed.
    #[error(transparent)]
    Client(#[from] client::Error),
    /// Verification failed or found damaged objects.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// Writing to standard output failed.
    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    // Dropping the runtime would wait for every blocking thread, for ever.
    runtime.shutdown_timeout(BLOCKING_GRACE);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut message = format!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(&format!("\n  caused by: {cause}"));
                source = cause.source();
            }
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
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
        s3_api: config::S3ApiOverrides { listen: args.s3_listen.clone() },
    };
    Ok(Config::load(cli.config.as_deref(), &overrides)?)
}

/// Runs the parsed command line to completion.
async fn run(cli: Cli) -> Result<(), Error> {
    match &cli.command {
        Command::Config(args) => {
            let config = load(&cli, args)?;
            let text = toml::to_string(&config.redacted()).expect("the configuration serializes as TOML");
            std::io::stdout().write_all(text.as_bytes()).map_err(Error::Stdout)
        }
        Command::Verify(args) => {
            let config = load(&cli, &ServeArgs { data_dir: args.data_dir.clone(), ..ServeArgs::default() })?;
            let store = args.store.as_deref();
            seqstore::verify(&config, store, &mut std::io::stdout(), &mut std::io::stderr()).await?;
            Ok(())
        }
        Command::Serve(args) => {
            let config = load(&cli, args)?;
            seqstore::serve(&config, |listening| {
                // Tests and scripts read this line to learn the port when `--listen …:0` is used.
                let mut stdout = std::io::stdout();
                writeln!(stdout, "seqstore listening on {}://{}", listening.scheme, listening.addr)
                    .map_err(Error::Stdout)?;
                stdout.flush().map_err(Error::Stdout)?;
                if let Some(s3) = listening.s3_addr {
                    // On stderr, so that the first line of stdout stays the API's; a log line like
                    // every other when the log is JSON.
                    let url = format!("{}://{s3}", listening.scheme);
                    match cli.log_format {
                        LogFormat::Json => tracing::info!(url = %url, "seqstore S3 endpoint listening on {url}"),
                        LogFormat::Text => eprintln!("seqstore S3 endpoint listening on {url}"),
                    }
                }
                announce(&config, &listening, cli.log_format);
                Ok::<_, Error>(())
            })
            .await
        }
        command => Ok(client::run(command).await?),
    }
}

/// Tells, on stderr, what a newcomer needs once `serve` listens: the dashboard's URL, where the
/// data lives (data directory, objects, archive, database with its password redacted) and how to
/// stop; as a block of text, or one log line with these fields when the log is JSON.
fn announce(config: &Config, listening: &seqstore::Listening, format: LogFormat) {
    // A browser on this machine reaches an address bound on every interface at localhost.
    let host = match listening.addr.ip().is_unspecified() {
        true => format!("localhost:{}", listening.addr.port()),
        false => listening.addr.to_string(),
    };
    let dashboard = format!("{}://{host}/ui/", listening.scheme);
    let database = config::redact_url(&config.database_url());
    let (objects, archive) = (config.objects_location(), config.archive_location());
    let data_dir = config.data_dir.display().to_string();
    match format {
        LogFormat::Json => tracing::info!(
            addr = %listening.addr,
            dashboard,
            data_dir,
            objects,
            archive,
            database,
            "serving; Ctrl-C to stop"
        ),
        LogFormat::Text => {
            let lines = [
                ("dashboard", &dashboard),
                ("data directory", &data_dir),
                ("objects", &objects),
                ("archive", &archive),
                ("database", &database),
            ];
            let mut text = String::new();
            for (what, value) in lines {
                text.push_str(&format!("  {:<16}{value}\n", format!("{what}:")));
            }
            text.push_str("Ctrl-C to stop.");
            eprintln!("{text}");
        }
    }
}

/// Installs the log subscriber, to standard error: `RUST_LOG` filter (default `info` for the
/// server, `warn` for client commands, whose output is their tables and progress bars), as text
/// or as one JSON object per line.
fn init_logging(cli: &Cli) {
    let default = if cli.command.is_server() { "info,sqlx=warn" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).init(),
    }
}
