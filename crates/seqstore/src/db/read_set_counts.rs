//! The number of read sets in each store, kept beside `read_sets` so that the read set quota costs
//! the same in a store of ten read sets as in one of a million (counting the store's rows grew with
//! it: 55 ms on PostgreSQL at 100,000, inside the transaction that orders an account's requests).
//!
//! Contract: every statement that inserts or deletes a `read_sets` row calls [`add`] in the same
//! transaction ([`super::read_sets::insert`] and [`super::read_sets::delete`] do), so [`count`]
//! always equals `COUNT(*)` of the store's rows as that transaction sees them. A store's count is
//! spread over [`SHARDS`] rows chosen by the read set's id: concurrent commits into one store
//! (PostgreSQL, several workers) lock different rows most of the time. Each transaction that adds
//! one read set locks one of these rows, before its job and source rows (the engine's lock order:
//! a settlement writes its kind's rows first; nothing that holds a job row waits for these);
//! a batch delete locks several, but batch deletes of an account are serialised
//! ([`super::Db::begin_for`]), so no two transactions wait for each other in a cycle.

use sqlx::{AnyConnection, Row};

use super::Error;

/// Rows per store.
pub const SHARDS: u32 = 16;

/// The shard of read set `id`: a fixed function of the id, so a delete takes back from the row
/// its insert added to (rows counted by the migration sit in shard 0; a shard may go negative,
/// the sum never does).
pub fn shard(id: &str) -> i64 {
    let hash = id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    i64::from(hash % SHARDS)
}

/// Adds `delta` (1 for an insert, -1 for a delete) to the count of `store`, in read set `id`'s
/// shard.
pub async fn add(conn: &mut AnyConnection, account: &str, store: &str, id: &str, delta: i64) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO read_set_counts (account_id, store_id, shard, n) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, store_id, shard) DO UPDATE SET n = read_set_counts.n + excluded.n",
    )
    .bind(account)
    .bind(store)
    .bind(shard(id))
    .bind(delta)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The read sets of `store` (every status): at most [`SHARDS`] rows read, whatever the store holds.
pub async fn count(conn: &mut AnyConnection, account: &str, store: &str) -> Result<i64, Error> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM read_set_counts WHERE account_id = $1 AND store_id = $2",
    )
    .bind(account)
    .bind(store)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// Forgets the counts of a deleted store (it held no read sets).
pub async fn forget(conn: &mut AnyConnection, account: &str, store: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM read_set_counts WHERE account_id = $1 AND store_id = $2")
        .bind(account)
        .bind(store)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_fixed_and_spread() {
        assert_eq!(shard("1234567890"), shard("1234567890"));
        let used: std::collections::HashSet<i64> =
            (0..1000).map(|i| shard(&format!("{:010}", 3_000_000_000u64 + i))).collect();
        assert_eq!(used.len(), SHARDS as usize);
        assert!(used.iter().all(|s| (0..i64::from(SHARDS)).contains(s)));
    }
}
