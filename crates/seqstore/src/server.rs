//! `seqstore serve`: locks the data directory, opens the database, binds the listeners (the API's
//! with the dashboard and metrics, and the S3 endpoint's, `s3_api.listen`) and serves until a
//! shutdown signal.

mod http;
pub mod lock;
mod proxies;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::FutureExt;
use tokio::net::TcpListener;

use crate::api::{self, App};
use crate::config::Config;
use crate::db::{self, Db};
use crate::metrics;
use crate::service::Service;
use crate::storage::objects::{self, DataStore};
use crate::ui::{self, Ui};
use crate::worker::{self, Workers};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Dev mode refuses to listen beyond loopback.
    #[error(
        "refusing to listen on {addr} without access keys: dev mode accepts any signature, so it only binds \
         loopback addresses. Configure at least one [[auth.keys]] table (access_key_id, secret_access_key, \
         account_id) in the --config file, or listen on 127.0.0.1"
    )]
    DevModeNotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The listen address did not resolve.
    #[error("cannot resolve listen address `{listen}`")]
    Resolve {
        /// The configured value.
        listen: String,
        /// Resolver error.
        #[source]
        source: std::io::Error,
    },
    /// The data directory could not be created.
    #[error("cannot create data directory `{path}`")]
    DataDir {
        /// The directory.
        path: String,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another process serves from the same data directory, or it cannot be locked.
    #[error(transparent)]
    Lock(#[from] lock::Error),
    /// Binding or serving failed.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] db::Error),
    /// A use case the start-up needs failed (e.g. reading the dashboard's session key).
    #[error(transparent)]
    Service(#[from] crate::service::Error),
    /// The data store could not be prepared.
    #[error(transparent)]
    Data(#[from] objects::Error),
    /// The workers could not resume this node's leases or sweep orphan objects.
    #[error("starting the workers failed")]
    Workers(#[source] crate::service::Error),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] tls::Error),
}

/// A server bound to its address, ready to serve.
pub struct Server {
    listener: TcpListener,
    /// The S3 endpoint's listener and router, when `s3_api.listen` is not empty.
    s3: Option<(TcpListener, axum::Router)>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    connections: http::Settings,
    router: axum::Router,
    db: Db,
    workers: Workers,
    _lock: lock::DataDirLock,
}

impl Server {
    /// Creates and locks the data directory (refusing to start when another process holds it),
    /// opens the database, checks the dev-mode rule and binds the listener.
    pub async fn bind(config: &Config) -> Result<Self, Error> {
        Self::bind_with_data(config, DataStore::new(&config.storage, &config.data_dir)?).await
    }

    /// [`Server::bind`] with the store's data in `data` instead of the configured storage (e.g.
    /// [`DataStore::from_object_store`] over a store that injects faults, in tests).
    pub async fn bind_with_data(config: &Config, data: DataStore) -> Result<Self, Error> {
        let addr = resolve(&config.listen).await?;
        let s3_addr = match config.s3_api.enabled() {
            true => Some(resolve(&config.s3_api.listen).await?),
            false => None,
        };
        if config.dev_mode() {
            if let Some(addr) = std::iter::once(addr).chain(s3_addr).find(|a| !a.ip().is_loopback()) {
                return Err(Error::DevModeNotLoopback { addr });
            }
            tracing::warn!(
                "DEV MODE: no [[auth.keys]] configured; any well-formed SigV4 signature is accepted as account {}",
                crate::config::DEV_ACCOUNT_ID
            );
        }
        let tls = tls::acceptor(&config.tls)?;
        let dir_err = |source| Error::DataDir { path: config.data_dir.display().to_string(), source };
        std::fs::create_dir_all(&config.data_dir).map_err(dir_err)?;
        // Before anything reads the node id or touches the database: a second process on this
        // directory would resume this one's sources and take over its leases.
        let lock = lock::DataDirLock::acquire(&config.data_dir)?;
        let node_id = worker::node_id(&config.data_dir).map_err(dir_err)?;
        let db = Db::connect(&config.database_url()).await?;
        let metrics = Arc::new(metrics::Metrics::default());
        let service = Service::new(config, db.clone(), data).await.map_err(|e| match e {
            crate::service::OpenError::Db(e) => Error::Db(e),
            crate::service::OpenError::Objects(e) => Error::Data(e),
        })?;
        let service = service.with_meter(metrics.clone());
        let listener = TcpListener::bind(addr).await.map_err(|source| Error::Listen { addr, source })?;
        let s3_listener = match s3_addr {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|source| Error::Listen { addr, source })?),
            None => None,
        };
        let settings = worker::Settings::new(node_id, config);
        let workers = worker::start(service.clone(), settings, config.worker.count).await.map_err(Error::Workers)?;
        let ui = Ui::new(config, service.clone(), addr).await?;
        let app = Arc::new(App::new(config, service.clone()));
        let s3 = s3_listener.map(|listener| (listener, api::s3::router(app.clone(), &config.s3_api, &config.region)));
        let router = ui::router(ui, metrics::router(service, metrics, api::router(app)));
        let connections = http::Settings::new(&config.limits);
        Ok(Self { listener, s3, tls, connections, router, db, workers, _lock: lock })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The S3 endpoint's bound address, `None` when it is turned off.
    pub fn s3_local_addr(&self) -> Option<SocketAddr> {
        self.s3.as_ref().map(|(listener, _)| listener.local_addr().expect("a bound listener has an address"))
    }

    /// The metadata database this server uses (e.g. for tests that inject faults into it).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// `https` when TLS is configured, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish, stops the workers
    /// (imports in progress restart from the beginning at the next start), closes the database and
    /// releases the data directory.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), Error> {
        let shutdown = shutdown.shared();
        let api = http::serve(self.listener, self.tls.clone(), self.connections.clone(), self.router, shutdown.clone());
        match self.s3 {
            Some((listener, router)) => {
                let s3 = http::serve(listener, self.tls, self.connections, router, shutdown);
                tokio::join!(api, s3);
            }
            None => api.await,
        }
        self.workers.shutdown().await;
        self.db.close().await;
        Ok(())
    }
}

async fn resolve(listen: &str) -> Result<SocketAddr, Error> {
    let resolve_err = |source| Error::Resolve { listen: listen.to_owned(), source };
    let mut addrs = tokio::net::lookup_host(listen).await.map_err(resolve_err)?;
    addrs.next().ok_or_else(|| resolve_err(std::io::Error::other("no address")))
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
