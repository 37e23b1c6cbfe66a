//! The connection pool's health rules: a connection that a failed transaction left inside a
//! transaction is closed instead of being handed out again, a PostgreSQL connection idle a second
//! or more is pinged first (one that fails is closed, with sqlx's "error from `before_acquire`"
//! warning, and another handed out), and (for fault-injection tests) a cap on the size of the
//! SQLite file applied to every connection.
//!
//! Why the first rule: when SQLite fails a statement or a `COMMIT` with `database or disk is full`
//! (or an I/O error), it rolls the whole transaction back by itself. sqlx does not notice: its
//! `ROLLBACK` on drop then fails ("no transaction is active"), its transaction depth stays at 1,
//! and every later `BEGIN IMMEDIATE` on that pooled connection fails with
//! `InvalidSavePointStatement`, even after space is back. Such a connection is discarded at
//! acquire time (the pool opens a fresh one). PostgreSQL connections always come back at depth 0
//! (sqlx counts the queued `ROLLBACK` as done, and the server ends a failed transaction itself),
//! so the rule costs them nothing but an integer comparison.
//!
//! SQLite's connections are not pinged when handed out (sqlx's `test_before_acquire`): a
//! connection to a local file cannot have lost its server, and the ping is one more round trip to
//! the connection's thread on every acquire — inside the write turn for a write transaction, where
//! every many-small-imports source paid it (#28). PostgreSQL's are pinged when they have been idle
//! for [`PING_AFTER_IDLE`] or longer (a server restarted or a connection cut overnight is found
//! there, and the pool opens a fresh one), not on every acquire as sqlx does by default: under
//! load a connection comes back within milliseconds, and the ping was a second round trip to the
//! server for every one-statement request such as GetReadSetMetadata (#28).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection};

use super::Backend;

/// A PostgreSQL connection idle this long is pinged before it is handed out.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// SQLite's largest `max_page_count`: what a lifted cap sets.
const SQLITE_MAX_PAGES: u64 = 0xffff_fffe;
/// No cap was ever set: the hooks do nothing.
const NEVER: u64 = 0;
/// A cap was set and lifted again: the hooks restore [`SQLITE_MAX_PAGES`].
const LIFTED: u64 = u64::MAX;

/// A cap on the number of pages of the SQLite file, applied (`PRAGMA max_page_count`, which is
/// per connection) to every pooled connection when it is opened or handed out. Writes that would
/// grow the file beyond it fail with `database or disk is full`, exactly as on a full disk, so
/// tests can fill the database without privileges. Never set outside tests.
#[derive(Debug, Clone, Default)]
pub(super) struct PageCap(Arc<AtomicU64>);

impl PageCap {
    /// Caps the file at `pages` (SQLite raises a cap below the current size to the current
    /// size), or lifts the cap with `None`.
    pub(super) fn set(&self, pages: Option<u32>) {
        self.0.store(pages.map_or(LIFTED, |p| u64::from(p).max(1)), Ordering::SeqCst);
    }

    async fn apply(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let pages = match self.0.load(Ordering::SeqCst) {
            NEVER => return Ok(()),
            LIFTED => SQLITE_MAX_PAGES,
            pages => pages,
        };
        sqlx::query(&format!("PRAGMA max_page_count = {pages}")).fetch_all(&mut *conn).await?;
        Ok(())
    }
}

/// Opens the pool for `backend` with the health rules above.
pub(super) async fn open(backend: Backend, options: AnyConnectOptions, cap: &PageCap) -> Result<AnyPool, sqlx::Error> {
    let on_connect = cap.clone();
    let on_acquire = cap.clone();
    AnyPoolOptions::new()
        .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            let cap = on_connect.clone();
            Box::pin(async move { cap.apply(conn).await })
        })
        .before_acquire(move |conn, meta| {
            let cap = on_acquire.clone();
            Box::pin(async move {
                if conn.is_in_transaction() {
                    tracing::warn!(
                        "closing a database connection that a failed transaction left open \
                         (the database rolled it back itself, e.g. on a full disk); a fresh one replaces it"
                    );
                    return Ok(false);
                }
                if backend == Backend::Postgres && meta.idle_for >= PING_AFTER_IDLE {
                    // An error closes the connection and the pool hands out another.
                    conn.ping().await?;
                }
                cap.apply(conn).await?;
                Ok(true)
            })
        })
        .connect_with(options)
        .await
}
