//! The metadata database: sqlx over SQLite (embedded default, WAL) and PostgreSQL (scale-out).
//!
//! One set of queries serves both backends through sqlx's `Any` driver: the SQL sticks to the
//! shared dialect (`$n` parameters, TEXT and BIGINT columns, timestamps as epoch milliseconds) and
//! the few places that must differ branch on [`Backend`]. Migrations live per backend in
//! `migrations/{sqlite,postgres}` and run at connect.

pub mod dashboard;
pub mod filter;
pub mod heartbeat;
pub mod idempotency;
pub mod ids;
pub mod import_jobs;
pub mod metrics;
pub mod plans;
mod pool;
pub mod qc;
pub mod quotas;
pub mod read_set_counts;
pub mod read_sets;
pub mod reference_sequences;
pub mod reference_stores;
pub mod references;
pub mod s3_access_policies;
pub mod sequence_stores;
pub mod settings;
pub mod stored_files;
pub mod tags;
pub mod tiers;
mod tx;
pub mod uploads;

use std::sync::Once;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyPool, ConnectOptions};

pub use self::tx::Tx;

/// Which database engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file in the data directory.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The engine behind `conn` (for statements that get a connection, not the pool).
    pub fn of(conn: &sqlx::AnyConnection) -> Self {
        if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME { Self::Postgres } else { Self::Sqlite }
    }
}

/// Errors of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("unsupported database URL scheme in `{url}`: use sqlite://… or postgres://…")]
    Scheme {
        /// The URL, password removed.
        url: String,
    },
    /// The database could not be opened or reached.
    #[error("cannot open the database at `{url}`")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// Driver error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database query failed")]
    Query(#[from] sqlx::Error),
    /// The SQLite file reached its largest size (`max_page_count`) with no free page left.
    #[error(
        "the SQLite database is full: {pages} pages, its largest size (max_page_count), and no free \
         page left; writes that need space fail until some is freed (delete read sets or references)"
    )]
    Full {
        /// Pages of the file.
        pages: i64,
    },
    /// A stored value could not be decoded into the domain type.
    #[error("stored {what} is corrupt")]
    Corrupt {
        /// What could not be decoded.
        what: &'static str,
    },
}

impl Error {
    /// True when the error is a unique-constraint violation (a concurrent insert won).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Query(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// A pool of connections to the metadata database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    page_cap: pool::PageCap,
    /// SQLite's writers of this process queue here before `BEGIN IMMEDIATE` ([`tx`]).
    writers: tx::WriteQueue,
}

static DRIVERS: Once = Once::new();

impl Db {
    /// Connects to `url` (creating a SQLite file if needed), switches SQLite to WAL and applies
    /// every pending migration. A pooled connection that a failed transaction left inside a
    /// transaction (SQLite rolls back by itself on a full disk) is closed, not reused.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let shown = crate::config::redact_url(url);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(Error::Scheme { url: shown });
        };
        let connect_err = |source| Error::Connect { url: shown.clone(), source };
        let options: AnyConnectOptions = url.parse().map_err(connect_err)?;
        let options = options.log_statements(tracing::log::LevelFilter::Trace);
        let page_cap = pool::PageCap::default();
        let pool = pool::open(backend, options, &page_cap).await.map_err(connect_err)?;
        let db = Self { pool, backend, page_cap, writers: tx::WriteQueue::default() };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), Error> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::query("PRAGMA journal_mode = WAL").execute(&self.pool).await?;
                sqlx::migrate!("migrations/sqlite").run(&self.pool).await?;
            }
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for single statements.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction. On SQLite it first waits for its turn among this process's
    /// writers (a FIFO queue, see [`tx`]), then takes the write lock at once (`BEGIN IMMEDIATE`) so
    /// it never fails on lock upgrade; the turn ends with the transaction. A task must not begin a
    /// second transaction while it holds one (on SQLite that waits for itself until the turn's
    /// timeout).
    pub async fn begin(&self) -> Result<Tx, Error> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let turn = self.writers.turn().await?;
                Tx::new(self.pool.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Backend::Postgres => Tx::new(self.pool.begin().await?, None),
        })
    }

    /// Starts a write transaction that also holds `account`'s lock until it ends, so that every
    /// check-then-write of one account (quotas, idempotency tokens, tag limits, deletion against
    /// submission) is atomic on PostgreSQL too. SQLite's `BEGIN IMMEDIATE` already serialises
    /// every writer.
    pub async fn begin_for(&self, account: &str) -> Result<Tx, Error> {
        let mut tx = self.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS l")
                .bind(format!("account:{account}"))
                .fetch_one(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Fault injection for tests: caps the SQLite file at `pages` pages (`PRAGMA max_page_count`
    /// on every pooled connection from its next use on; a cap below the current size means the
    /// current size), so that writes which need a new page fail with `database or disk is full`
    /// as on a full disk; `None` lifts the cap. Does nothing on PostgreSQL.
    pub fn cap_sqlite_pages(&self, pages: Option<u32>) {
        if self.backend == Backend::Sqlite {
            self.page_cap.set(pages);
        }
    }

    /// Closes every connection; pending queries finish first.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The rows of a multi-row `INSERT … VALUES`: `rows` rows of `binds` numbered parameters each
/// (`$1` on, row after row), each row ending with `constants` (SQL literals after a comma, or
/// nothing when empty), joined by commas.
pub(crate) fn value_rows(rows: usize, binds: usize, constants: &str) -> String {
    let row = |r: usize| {
        let params: Vec<String> = (1..=binds).map(|c| format!("${}", r * binds + c)).collect();
        let tail = if constants.is_empty() { String::new() } else { format!(", {constants}") };
        format!("({}{tail})", params.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn value_rows_number_the_binds_row_after_row() {
        assert_eq!(super::value_rows(2, 2, ""), "($1, $2), ($3, $4)");
        assert_eq!(super::value_rows(2, 1, "'A', 0"), "($1, 'A', 0), ($2, 'A', 0)");
    }
}
