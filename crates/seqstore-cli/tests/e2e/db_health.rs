//! The database layer after failed transactions: a failed statement and a failed `COMMIT` leave
//! the pool usable on both backends; a SQLite database that is full (`PRAGMA max_page_count` on
//! every pooled connection, which fails writes with `database or disk is full` as a full disk
//! does) keeps failing only with that error, its heartbeat fails, and writes and the heartbeat
//! work again as soon as space returns, on the same pool; PostgreSQL connections that the server
//! cut while they sat idle in the pool are found by the ping an idle connection gets and replaced.

use std::time::{Duration, Instant};

use seqstore::db::{Db, heartbeat};
use seqstore::model::time;
use sqlx::Connection;

use super::support::{Backend, TestDb, on_both_backends};

on_both_backends!(failed_transactions_leave_the_pool_usable);

/// The server ends every pooled connection (as a restart or an administrator would) while they
/// are idle; after a second of idleness each is pinged when handed out, the dead ones are closed,
/// and every query succeeds on fresh ones, on the same pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_server_cut_are_replaced() {
    let Some(test_db) = TestDb::new(Backend::Postgres).await else { return };
    let db = Db::connect(&test_db.url).await.expect("connect");
    // Several connections in the pool: held at once, then returned.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(db.pool().acquire().await.expect("acquire"));
    }
    drop(held);
    let mut admin = sqlx::AnyConnection::connect(&test_db.url).await.expect("admin connection");
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .expect("terminate the pool's connections");
    assert!(cut.len() >= 4 && cut.iter().all(|&ok| ok), "the pool's connections ended: {cut:?}");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    for n in 0..ROUNDS {
        let one: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(db.pool())
            .await
            .unwrap_or_else(|e| panic!("query {n} after the server cut the connections: {e:?}"));
        assert_eq!(one, 1);
    }
    heartbeat::beat(&db, time::now()).await.expect("heartbeat on fresh connections");
    db.close().await;
}

/// More failures than the pool has connections, so that every connection has seen one.
const ROUNDS: usize = 12;

async fn failed_transactions_leave_the_pool_usable(backend: Backend) {
    let Some(test_db) = TestDb::new(backend).await else { return };
    let db = Db::connect(&test_db.url).await.expect("connect");
    for sql in [
        "CREATE TABLE scratch_parent (id BIGINT PRIMARY KEY)",
        "CREATE TABLE scratch_child (id BIGINT PRIMARY KEY, \
         parent BIGINT REFERENCES scratch_parent (id) DEFERRABLE INITIALLY DEFERRED)",
        "INSERT INTO scratch_parent (id) VALUES (1)",
    ] {
        sqlx::query(sql).execute(db.pool()).await.expect(sql);
    }
    for round in 0..ROUNDS {
        // A failed statement (unique violation), then the transaction is dropped.
        let mut tx = db.begin().await.unwrap_or_else(|e| panic!("begin after a failed statement ({round}): {e:?}"));
        let failed = sqlx::query("INSERT INTO scratch_parent (id) VALUES (1)").execute(&mut *tx).await;
        assert!(failed.is_err(), "duplicate key refused");
        drop(tx);
        // A failed COMMIT (a deferred foreign key checked at commit).
        let mut tx = db.begin().await.unwrap_or_else(|e| panic!("begin after a failed commit ({round}): {e:?}"));
        sqlx::query("INSERT INTO scratch_child (id, parent) VALUES ($1, 42)")
            .bind(round as i64)
            .execute(&mut *tx)
            .await
            .expect("deferred: accepted until commit");
        let commit = tx.commit().await;
        assert!(commit.is_err(), "COMMIT fails on the deferred foreign key");
    }
    // Every connection of the pool still begins, writes and commits.
    let writers: Vec<_> = (0..ROUNDS)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin().await.expect("begin");
                sqlx::query("INSERT INTO scratch_parent (id) VALUES ($1)")
                    .bind(100 + i as i64)
                    .execute(&mut *tx)
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer");
    }
    heartbeat::beat(&db, time::now()).await.expect("heartbeat");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sqlite_database_fails_writes_then_heals_on_the_same_pool() {
    let test_db = TestDb::new(Backend::Sqlite).await.expect("sqlite");
    let db = Db::connect(&test_db.url).await.expect("connect");
    sqlx::query("CREATE TABLE filler (id BIGINT PRIMARY KEY, body TEXT NOT NULL)")
        .execute(db.pool())
        .await
        .expect("filler table");
    heartbeat::beat(&db, time::now()).await.expect("heartbeat before");

    // No more pages than the file has now: the next writes that need a page fail.
    db.cap_sqlite_pages(Some(1));
    let mut written = 0;
    let first = loop {
        match insert(&db, written).await {
            Ok(()) => written += 1,
            Err(e) => break e,
        }
        assert!(written < 1000, "writes never hit the cap");
    };
    assert!(first.contains("full"), "the first failure is a full database: {first}");
    // While full, every write fails the same way on every pooled connection, never with a stale
    // transaction (`InvalidSavePointStatement`), and the heartbeat reports it.
    for n in 0..ROUNDS {
        let error = insert(&db, 10_000 + n as i64).await.expect_err("still full");
        assert!(error.contains("full"), "write {n} while full: {error}");
        let beat = heartbeat::beat(&db, time::now()).await.expect_err("heartbeat fails while full");
        assert!(format!("{beat} {beat:?}").contains("full"), "heartbeat while full: {beat:?}");
    }

    // Space returns: writes and the heartbeat succeed within seconds, without a new pool.
    db.cap_sqlite_pages(None);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match insert(&db, 20_000).await {
            Ok(()) => break,
            Err(e) => assert!(Instant::now() < deadline, "writes did not heal: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for n in 0..ROUNDS {
        insert(&db, 30_000 + n as i64).await.expect("write after space returned");
        heartbeat::beat(&db, time::now()).await.expect("heartbeat after space returned");
    }
    db.close().await;
}

/// Inserts filler row `id` in a write transaction; the error as text.
async fn insert(db: &Db, id: i64) -> Result<(), String> {
    let mut tx = db.begin().await.map_err(|e| format!("begin: {e:?}"))?;
    sqlx::query("INSERT INTO filler (id, body) VALUES ($1, $2)")
        .bind(id)
        .bind("x".repeat(1500))
        .execute(&mut *tx)
        .await
        .map_err(|e| format!("insert: {e:?}"))?;
    tx.commit().await.map_err(|e| format!("commit: {e:?}"))
}
