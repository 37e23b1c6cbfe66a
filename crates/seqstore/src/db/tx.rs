//! Write transactions, and the in-process queue SQLite's writers wait in.
//!
//! SQLite has one write lock per file. A second `BEGIN IMMEDIATE` does not queue on it: it fails
//! with `SQLITE_BUSY`, and sqlx's busy handler retries after sleeping 1, 2, 5, 10, 15, 20, 25 ms
//! and so on, however soon the lock is free again. With the worker's imports, their settlement and
//! the API's writes on the pool's connections at once, small writes spent most of their time in
//! those sleeps (many tiny imports kept less than one of two cores busy). Writers of one process
//! therefore take [`WriteQueue`] first — a fair FIFO lock, woken the moment the previous
//! transaction ends — so `BEGIN IMMEDIATE` finds the file free; another process on the same file
//! still meets the busy handler. PostgreSQL writers lock rows, not the database, and do not queue.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Any, AnyConnection, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How long a writer waits for its turn before failing, as the pool waits for a connection.
const TURN_TIMEOUT: Duration = Duration::from_secs(30);

/// A write transaction; derefs to its connection (`&mut *tx` is an executor). On SQLite it holds
/// its turn in the process's [`WriteQueue`] until it is committed, rolled back or dropped.
#[derive(Debug)]
pub struct Tx {
    inner: Transaction<'static, Any>,
    /// Dropped after `inner`: a dropped transaction's rollback is queued on its connection before
    /// the next writer's turn begins.
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    pub(super) fn new(inner: Transaction<'static, Any>, turn: Option<OwnedMutexGuard<()>>) -> Self {
        Self { inner, _turn: turn }
    }

    /// Commits; the turn ends after the commit has.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let Self { inner, _turn } = self;
        inner.commit().await
    }

    /// Rolls back; the turn ends after the rollback has.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        let Self { inner, _turn } = self;
        inner.rollback().await
    }
}

impl Deref for Tx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// The FIFO lock SQLite's writers of this process take before `BEGIN IMMEDIATE` (see the module).
#[derive(Debug, Clone, Default)]
pub(super) struct WriteQueue(Arc<Mutex<()>>);

impl WriteQueue {
    /// Waits for this writer's turn; `PoolTimedOut` after [`TURN_TIMEOUT`] (a transaction held that
    /// long is a bug, or the database is stuck).
    pub(super) async fn turn(&self) -> Result<OwnedMutexGuard<()>, sqlx::Error> {
        let lock = Arc::clone(&self.0).lock_owned();
        tokio::time::timeout(TURN_TIMEOUT, lock).await.map_err(|_| sqlx::Error::PoolTimedOut)
    }
}
