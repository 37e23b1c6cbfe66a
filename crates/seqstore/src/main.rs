//! The `seqstore` binary: parses arguments and hands over to the library.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// How long the exit waits for blocking threads still running once `run` returned. `serve` has
/// stopped its workers by then; a thread still running is stuck in a system call (a read of a
/// stalled file system, say), and it must not keep the process alive.
const BLOCKING_GRACE: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let cli = seqstore::cli::Cli::parse();
    seqstore::init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(seqstore::run(cli));
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
