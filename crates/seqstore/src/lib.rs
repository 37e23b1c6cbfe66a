//! seqstore: a self-hosted genomic sequence store, wire-compatible with the storage half of AWS
//! HealthOmics.
//!
//! Layers, outermost first: [`server`] (listeners) → [`api`] (HTTP, SigV4, validation, the error
//! mapping), [`ui`] (the dashboard) and [`worker`] (the job loop) → [`service`] (use cases, the only
//! door to state) → [`db`] (SQLite/PostgreSQL), [`storage`] (objects, sources) and [`model`]
//! (domain types, no I/O). ARCHITECTURE.md at the repository's root describes them. The `seqstore`
//! binary and the client commands are the `seqstore-cli` crate; it starts the server through
//! [`serve`] and [`verify`] and reads the [`config`], nothing further in.

pub mod api;
pub mod config;
pub mod db;
pub mod metrics;
pub mod model;
pub mod report;
mod scrub;
pub mod server;
pub mod service;
pub mod storage;
pub mod ui;
pub mod worker;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use config::Config;
use service::Service;
use service::scrub::Summary;

pub use server::Error as ServeError;

/// Where a server started by [`serve`] listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    /// `https` when TLS is configured, else `http`.
    pub scheme: &'static str,
    /// The bound address (with the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// The S3 endpoint's bound address, when it is turned on (`s3_api.listen`).
    pub s3_addr: Option<SocketAddr>,
}

/// `seqstore serve`: binds the server of `config` (locking its data directory), tells
/// `on_listening` where it listens, and serves until SIGINT or SIGTERM, then shuts down in order
/// (see [`server::Server::run`]). An error of `on_listening` stops it before it serves.
pub async fn serve<E: From<ServeError>>(
    config: &Config,
    on_listening: impl FnOnce(Listening) -> Result<(), E>,
) -> Result<(), E> {
    let server = server::Server::bind(config).await?;
    on_listening(Listening { scheme: server.scheme(), addr: server.local_addr(), s3_addr: server.s3_local_addr() })?;
    Ok(server.run(server::shutdown_signal()).await?)
}

/// Why `seqstore verify` could not run, or what it found.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The embedded database does not exist (a wrong `--data-dir`, most likely).
    #[error("no database at `{path}`: point --data-dir (or database.url) at the server's")]
    NoDatabase {
        /// Where it was expected.
        path: PathBuf,
    },
    /// The database or the object storage could not be opened.
    #[error(transparent)]
    Open(#[from] service::OpenError),
    /// A use case failed (the database, most likely).
    #[error(transparent)]
    Service(#[from] service::Error),
    /// The report could not be written.
    #[error("cannot write the report")]
    Output(#[source] std::io::Error),
    /// Objects are damaged or missing (each was reported).
    #[error("{problems} of {objects} stored objects are damaged or missing")]
    Found {
        /// Damaged or missing objects.
        problems: usize,
        /// Objects checked.
        objects: u64,
    },
}

/// `seqstore verify`: re-reads every stored object of `config`'s read sets and references (of
/// `store` only, a sequence or reference store id, when given) and compares its size and SHA-256
/// with what the import recorded, writing one line per damaged or missing object and a summary to
/// `report` and progress to `progress`. It only reads and can run beside `serve`; it refuses a
/// missing embedded database rather than create one. [`VerifyError::Found`] when anything is
/// wrong.
pub async fn verify(
    config: &Config,
    store: Option<&str>,
    report: &mut impl Write,
    progress: &mut impl Write,
) -> Result<Summary, VerifyError> {
    if config.database.url.is_none() {
        let path = config.data_dir.join("seqstore.db");
        if !path.exists() {
            return Err(VerifyError::NoDatabase { path });
        }
    }
    let service = Service::open(config).await?;
    let result = scrub::render(&service, store, report, progress).await;
    service.close().await;
    let summary = result?;
    match summary.problems {
        0 => Ok(summary),
        problems => Err(VerifyError::Found { problems, objects: summary.objects }),
    }
}
