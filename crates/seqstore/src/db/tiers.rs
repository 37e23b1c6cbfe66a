//! Read sets moving between storage tiers: the compare-and-set that moves one (its status, files
//! and the copies it leaves), the copies due for deletion, the archiver's scan of idle read sets,
//! activation's marks, and what each tier holds.

use sqlx::{AnyConnection, Row};

use super::Error;
use crate::model::read_set::{Files, ReadSetStatus, Tier};
use crate::model::tier::StaleCopy;
use crate::model::time::Millis;

/// A move of one read set between tiers, applied only while its row is still as read.
pub struct Move<'a> {
    /// Account.
    pub account: &'a str,
    /// Store.
    pub store: &'a str,
    /// Read set.
    pub id: &'a str,
    /// The status it must still have.
    pub from: ReadSetStatus,
    /// The files it must still have (as stored: the JSON text compared).
    pub files: &'a Files,
    /// Its new status.
    pub to: ReadSetStatus,
    /// Its new files (in the tier `to` names).
    pub new_files: &'a Files,
    /// The copies the move leaves, added to those already pending.
    pub stale: StaleCopy,
    /// A new last-access time, if any (an activation counts as an access: the read set is not
    /// archived again at once).
    pub last_access: Option<Millis>,
}

/// Applies `m`; false (nothing written) when the read set is gone or no longer has `m.from`'s
/// status and `m.files`.
pub async fn move_read_set(conn: &mut AnyConnection, m: &Move<'_>) -> Result<bool, Error> {
    let files = serde_json::to_string(m.files).expect("files serialize");
    let row = sqlx::query(
        "SELECT stale_copies FROM read_sets WHERE account_id = $1 AND store_id = $2 AND id = $3 AND status = $4 \
         AND files = $5",
    )
    .bind(m.account)
    .bind(m.store)
    .bind(m.id)
    .bind(m.from.as_str())
    .bind(&files)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(false) };
    let before: Option<String> = row.try_get("stale_copies")?;
    let mut stale = parse_stale(before.as_deref())?;
    stale.push(m.stale.clone());
    let done = sqlx::query(
        "UPDATE read_sets SET status = $1, files = $2, stale_copies = $3, \
         last_access_ms = COALESCE($4, last_access_ms), bytes = $10 \
         WHERE account_id = $5 AND store_id = $6 AND id = $7 AND status = $8 AND files = $9",
    )
    .bind(m.to.as_str())
    .bind(serde_json::to_string(m.new_files).expect("files serialize"))
    .bind(serde_json::to_string(&stale).expect("stale copies serialize"))
    .bind(m.last_access)
    .bind(m.account)
    .bind(m.store)
    .bind(m.id)
    .bind(m.from.as_str())
    .bind(&files)
    .bind(m.new_files.total_bytes() as i64)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn parse_stale(text: Option<&str>) -> Result<Vec<StaleCopy>, Error> {
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text).map_err(|_| Error::Corrupt { what: "stale copies" }),
    }
}

/// A read set with copies pending deletion.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Read set.
    pub id: String,
    /// The recorded list, as stored (compared when it is replaced).
    pub stored: String,
    /// The copies.
    pub copies: Vec<StaleCopy>,
}

/// Up to `limit` read sets with copies pending deletion, in id order after `after`.
pub async fn pending(conn: &mut AnyConnection, after: &str, limit: i64) -> Result<Vec<Pending>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT id, stale_copies FROM read_sets WHERE stale_copies IS NOT NULL AND id > $1 ORDER BY id LIMIT {limit}"
    ))
    .bind(after)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let stored: String = row.try_get("stale_copies")?;
            Ok(Pending { id: row.try_get("id")?, copies: parse_stale(Some(&stored))?, stored })
        })
        .collect()
}

/// The copies pending deletion of read set `id` (any account); empty when none or it is gone.
pub async fn stale_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<StaleCopy>, Error> {
    let row =
        sqlx::query("SELECT stale_copies FROM read_sets WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    let text: Option<String> = row.map(|r| r.try_get("stale_copies")).transpose()?.flatten();
    parse_stale(text.as_deref())
}

/// Replaces read set `id`'s pending copies with `left` (NULL when empty), only while they are
/// still `stored`; false when they changed (another move added some: the next pass sees them).
pub async fn replace_pending(
    conn: &mut AnyConnection,
    id: &str,
    stored: &str,
    left: &[StaleCopy],
) -> Result<bool, Error> {
    let left = (!left.is_empty()).then(|| serde_json::to_string(left).expect("stale copies serialize"));
    let done = sqlx::query("UPDATE read_sets SET stale_copies = $1 WHERE id = $2 AND stale_copies = $3")
        .bind(left)
        .bind(id)
        .bind(stored)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The import sources of an archive job not settled yet (its read set is being archived).
const UNSETTLED_ARCHIVE: &str = "kind = 'archive' AND status IN ('NOT_STARTED', 'IN_PROGRESS')";

/// An ACTIVE read set idle since before the cutoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idle {
    /// Account.
    pub account: String,
    /// Store.
    pub store: String,
    /// Read set.
    pub id: String,
}

/// Up to `limit` ACTIVE read sets last read (or, never read, created) before `cutoff` that no
/// unsettled archive job is moving yet, by account and store.
pub async fn idle(conn: &mut AnyConnection, cutoff: Millis, limit: i64) -> Result<Vec<Idle>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT account_id, store_id, id FROM read_sets r WHERE status = 'ACTIVE' \
         AND (last_access_ms < $1 OR (last_access_ms IS NULL AND creation_ms < $1)) \
         AND NOT EXISTS (SELECT 1 FROM import_sources WHERE read_set_id = r.id AND {UNSETTLED_ARCHIVE}) \
         ORDER BY account_id, store_id, id LIMIT {limit}"
    ))
    .bind(cutoff)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Idle { account: row.try_get("account_id")?, store: row.try_get("store_id")?, id: row.try_get("id")? })
        })
        .collect()
}

/// True when an unsettled archive job is moving read set `id`.
pub async fn archiving(conn: &mut AnyConnection, id: &str) -> Result<bool, Error> {
    let sql = format!("SELECT COUNT(*) AS n FROM import_sources WHERE read_set_id = $1 AND {UNSETTLED_ARCHIVE}");
    let row = sqlx::query(&sql).bind(id).fetch_one(&mut *conn).await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Sets read set `id` from `from` to `to` (ARCHIVED → ACTIVATING when an activation is submitted,
/// back when it fails or is cancelled); false when it does not have status `from`.
pub async fn set_status(
    conn: &mut AnyConnection,
    account: &str,
    store: &str,
    id: &str,
    from: ReadSetStatus,
    to: ReadSetStatus,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE read_sets SET status = $1 WHERE account_id = $2 AND store_id = $3 AND id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(account)
    .bind(store)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What one tier of one store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// Account.
    pub account: String,
    /// Store.
    pub store: String,
    /// Tier.
    pub tier: Tier,
    /// Read sets.
    pub read_sets: u64,
    /// Bytes of their files.
    pub bytes: u64,
}

/// Read sets and bytes per tier of every store (of `account` only when given), by store.
pub async fn usage(conn: &mut AnyConnection, account: Option<&str>) -> Result<Vec<Usage>, Error> {
    let of_account = if account.is_some() { "WHERE account_id = $1" } else { "" };
    let sql = format!(
        "SELECT account_id, store_id, status, COUNT(*) AS n, SUM(bytes) AS bytes FROM read_sets {of_account} \
         GROUP BY account_id, store_id, status ORDER BY account_id, store_id"
    );
    let mut query = sqlx::query(&sql);
    if let Some(account) = account {
        query = query.bind(account);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let mut usage: Vec<Usage> = Vec::new();
    for row in rows {
        let status = super::read_sets::status(&row.try_get::<String, _>("status")?)?;
        let (account, store): (String, String) = (row.try_get("account_id")?, row.try_get("store_id")?);
        let n: i64 = row.try_get("n")?;
        let bytes: Option<i64> = row.try_get("bytes")?;
        let tier = status.tier();
        match usage.iter_mut().find(|u| u.account == account && u.store == store && u.tier == tier) {
            Some(u) => {
                u.read_sets += n as u64;
                u.bytes += bytes.unwrap_or(0) as u64;
            }
            None => usage.push(Usage { account, store, tier, read_sets: n as u64, bytes: bytes.unwrap_or(0) as u64 }),
        }
    }
    Ok(usage)
}
