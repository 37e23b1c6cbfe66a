//! The `seqstore` binary: parses arguments and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = seqstore::cli::Cli::parse();
    seqstore::init_logging(&cli);
    match seqstore::run(cli).await {
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
