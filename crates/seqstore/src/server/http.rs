//! The accept loop: TCP connections, an optional TLS handshake, then HTTP/1.1 by hyper within the
//! connection limits of `[limits]`: an address holds at most `max_connections_per_address` open
//! connections (more are closed at accept, see [`addresses`]); a request head must arrive within
//! `header_read_timeout_seconds` (so must a TLS handshake, and the next request of an idle
//! keep-alive connection) and be at most twice `max_header_bytes` (beyond, hyper answers 431 and
//! closes; up to it the API answers a ValidationException naming the limit); a request body must
//! keep to the deadlines of [`BodyDeadlines`]. Every request carries its peer address
//! (`ConnectInfo<SocketAddr>`) and the [`crate::model::client::Client`] address its limits count under.
//!
//! HTTP/1.1 only: every AWS SDK speaks it to this API, and its head timeout and size limit cover
//! slow or oversized clients completely; HTTP/2 is neither offered (ALPN) nor detected.

mod addresses;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::proxies::Proxies;
use crate::api::limits::BodyDeadlines;
use crate::config::LimitsConfig;
use crate::model::client::TlsVersion;
use addresses::{Addresses, Slot};

/// Connection settings taken from `[limits]`.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    header_read_timeout: Duration,
    max_head_bytes: usize,
    body: BodyDeadlines,
    proxies: Proxies,
    max_connections_per_address: u64,
}

impl Settings {
    pub(super) fn new(limits: &LimitsConfig) -> Self {
        let max_head_bytes = usize::try_from(limits.max_header_bytes.saturating_mul(2)).unwrap_or(usize::MAX);
        Self {
            header_read_timeout: limits.header_read_timeout(),
            max_head_bytes,
            body: BodyDeadlines::new(limits),
            proxies: Proxies::new(limits),
            max_connections_per_address: limits.max_connections_per_address,
        }
    }

    fn builder(&self) -> hyper::server::conn::http1::Builder {
        // hyper's default read buffer (about 400 KiB) must hold the largest head allowed.
        const DEFAULT_MAX_BUF: usize = 8192 + 4096 * 100;
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout)
            .max_header_size(self.max_head_bytes)
            .max_buf_size(self.max_head_bytes.max(DEFAULT_MAX_BUF));
        builder
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets every
/// connection finish its request in flight (idle ones are closed at once) and returns.
pub(super) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    settings: Settings,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    raise_file_limit();
    let graceful = GracefulShutdown::new();
    let builder = settings.builder();
    let addresses = Addresses::new(settings.max_connections_per_address, settings.proxies.clone());
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = addresses.open(peer.ip()) else {
            // Reset rather than close: no lingering state for a connection never served.
            let _ = tcp.set_zero_linger();
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let connection = Connection {
            peer,
            builder: builder.clone(),
            tls: tls.clone(),
            settings: settings.clone(),
            watcher: graceful.watcher(),
            _slot: slot,
        };
        tokio::spawn(connection.run(tcp, router.clone()));
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Raises the soft limit of open files to the hard limit, as far as the system allows: every
/// connection takes a descriptor, and the usual soft limit of 1024 is soon reached.
fn raise_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open file limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open file limit"),
    }
}

/// Accept errors of one connection (it was reset before we took it) are skipped; others (out of
/// file descriptors) are logged and retried after a pause instead of spinning.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One accepted connection, holding its place among its address's connections.
struct Connection {
    peer: SocketAddr,
    builder: hyper::server::conn::http1::Builder,
    tls: Option<TlsAcceptor>,
    settings: Settings,
    watcher: Watcher,
    _slot: Slot,
}

impl Connection {
    async fn run(self, tcp: TcpStream, router: axum::Router) {
        let peer = self.peer;
        let (body, proxies) = (self.settings.body, self.settings.proxies.clone());
        // Each request gets the peer and client addresses, the TLS version, and its body the
        // deadlines.
        let service = move |tls: Option<TlsVersion>| {
            hyper::service::service_fn(move |request: http::Request<Incoming>| {
                let client = proxies.client(peer.ip(), request.headers());
                let mut request = request.map(|incoming| body.watch(incoming));
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(client);
                if let Some(tls) = tls {
                    request.extensions_mut().insert(tls);
                }
                router.clone().oneshot(request)
            })
        };
        let result = match self.tls {
            None => self.watcher.watch(self.builder.serve_connection(TokioIo::new(tcp), service(None))).await,
            Some(acceptor) => {
                let timeout = self.settings.header_read_timeout;
                let stream = match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(error)) => return tracing::debug!(%peer, %error, "TLS handshake failed"),
                    Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
                };
                let version = match stream.get_ref().1.protocol_version() {
                    Some(rustls::ProtocolVersion::TLSv1_3) => Some(TlsVersion(1.3)),
                    Some(rustls::ProtocolVersion::TLSv1_2) => Some(TlsVersion(1.2)),
                    _ => None,
                };
                self.watcher.watch(self.builder.serve_connection(TokioIo::new(stream), service(version))).await
            }
        };
        if let Err(error) = result {
            // Clients that stall, send oversized heads or hang up: nothing to do but note it.
            tracing::debug!(%peer, %error, "connection ended with an error");
        }
    }
}
