//! Rows of `reference_sequences`: one per sequence of each committed reference, with its MD5 and
//! refget identifier, so that refget finds a sequence by digest without reading every reference's
//! `sequences`. The rows of a reference are written in the transaction that commits it
//! ([`insert_of`]) and deleted in the one that deletes it ([`delete_of`]); the refget backfill
//! replaces them ([`fill`]).

use sqlx::{AnyConnection, Row};

use super::Error;
use super::references::{self, COLUMNS};
use crate::model::reference::Reference;

/// Rows per `INSERT` statement (9 parameters each).
const BATCH: usize = 200;

/// The digest a sequence is looked up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestKind {
    /// Lowercase hex MD5 of the upper-cased bases.
    Md5,
    /// GA4GH refget identifier, `SQ.` + `sha512t24u`.
    Refget,
}

impl DigestKind {
    fn column(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Refget => "refget",
        }
    }
}

/// Where a sequence found by digest is: its reference and its index in the reference's
/// `sequences`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The reference store.
    pub store_id: String,
    /// The reference.
    pub reference_id: String,
    /// Index of the sequence in [`Reference::sequences`].
    pub index: usize,
    /// The sequence's refget identifier as the row records it.
    pub refget: Option<String>,
}

/// The sequence of `account` whose `kind` digest is `value` (as stored: lowercase hex MD5, `SQ.…`
/// identifier), in the oldest reference that holds one (`creation_ms`, then reference id, then
/// position); `None` when no reference of `account` holds it.
///
/// # Errors
///
/// The query failed.
pub async fn find(
    conn: &mut AnyConnection,
    account: &str,
    kind: DigestKind,
    value: &str,
) -> Result<Option<Located>, Error> {
    let sql = format!(
        "SELECT store_id, reference_id, seq_index, refget FROM reference_sequences WHERE account_id = $1 AND {} = $2 \
         ORDER BY creation_ms, reference_id, seq_index LIMIT 1",
        kind.column()
    );
    let row = sqlx::query(&sql).bind(account).bind(value).fetch_optional(&mut *conn).await?;
    let Some(row) = row else { return Ok(None) };
    let index: i64 = row.try_get("seq_index")?;
    Ok(Some(Located {
        store_id: row.try_get("store_id")?,
        reference_id: row.try_get("reference_id")?,
        index: usize::try_from(index).map_err(|_| Error::Corrupt { what: "reference sequence index" })?,
        refget: row.try_get("refget")?,
    }))
}

/// Inserts one row per sequence of `reference` (a committed reference, in the transaction that
/// commits it or replaces its rows).
///
/// # Errors
///
/// The query failed (a unique violation when rows of the reference are already there).
pub async fn insert_of(conn: &mut AnyConnection, reference: &Reference) -> Result<(), Error> {
    for (batch, sequences) in reference.sequences.chunks(BATCH).enumerate() {
        let sql = format!(
            "INSERT INTO reference_sequences \
             (reference_id, seq_index, account_id, store_id, name, length, md5, refget, creation_ms) VALUES {}",
            super::value_rows(sequences.len(), 9, "")
        );
        let mut query = sqlx::query(&sql);
        for (i, sequence) in sequences.iter().enumerate() {
            let index = (batch * BATCH + i) as i64;
            let length = i64::try_from(sequence.length).map_err(|_| Error::Corrupt { what: "sequence length" })?;
            query = query
                .bind(&reference.id)
                .bind(index)
                .bind(&reference.account)
                .bind(&reference.store_id)
                .bind(&sequence.name)
                .bind(length)
                .bind(&sequence.md5)
                .bind(sequence.refget.clone())
                .bind(reference.creation_time);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deletes the rows of reference `reference_id` of `account` (with the reference, in the
/// transaction that deletes it).
///
/// # Errors
///
/// The query failed.
pub async fn delete_of(conn: &mut AnyConnection, account: &str, reference_id: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM reference_sequences WHERE account_id = $1 AND reference_id = $2")
        .bind(account)
        .bind(reference_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A committed reference as the refget backfill reads it: the reference, and its `sequences`
/// column's text exactly as stored (what [`fill`] is conditional on).
#[derive(Debug, Clone)]
pub struct Unindexed {
    /// The reference.
    pub reference: Reference,
    /// The `sequences` column's text.
    pub text: String,
}

/// Up to `limit` references of every account with ids after `after` (`""` for the first page), in
/// id order, that the refget backfill has to complete: a sequence without a recorded refget
/// identifier in `sequences`, or no rows (or rows without identifiers) in `reference_sequences`.
/// For maintenance, never for the API.
///
/// Every writer of `sequences` records an identifier for every sequence (imports since they are
/// computed, the backfill) or for none, and a sequence name never holds `"refget"` with its
/// quotes (JSON escapes them), so `sequences NOT LIKE '%"refget"%'` finds references without.
///
/// # Errors
///
/// The query failed, or a row does not parse ([`Error::Corrupt`]).
pub async fn missing(conn: &mut AnyConnection, after: &str, limit: i64) -> Result<Vec<Unindexed>, Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM genome_references AS g WHERE g.id > $1 AND (g.sequences NOT LIKE $2 \
         OR NOT EXISTS (SELECT 1 FROM reference_sequences AS r WHERE r.reference_id = g.id) \
         OR EXISTS (SELECT 1 FROM reference_sequences AS r WHERE r.reference_id = g.id AND r.refget IS NULL)) \
         ORDER BY g.id LIMIT {limit}"
    );
    let rows = sqlx::query(&sql).bind(after).bind("%\"refget\"%").fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| Ok(Unindexed { reference: references::from_row(row)?, text: row.try_get("sequences")? }))
        .collect()
}

/// Records `reference`'s sequences (with their refget identifiers) in its `sequences` column and
/// replaces its rows, if its `sequences` column is still `text` (an [`Unindexed::text`]); false
/// when it is not (another process filled it, or the reference is gone), which changes nothing.
/// Run it in a transaction: the update locks the reference's row before its rows are replaced, so
/// several processes filling the same reference leave one set of rows.
///
/// # Errors
///
/// A query failed.
pub async fn fill(conn: &mut AnyConnection, reference: &Reference, text: &str) -> Result<bool, Error> {
    let sequences = serde_json::to_string(&reference.sequences).expect("sequences serialize");
    let done = sqlx::query("UPDATE genome_references SET sequences = $1 WHERE id = $2 AND sequences = $3")
        .bind(sequences)
        .bind(&reference.id)
        .bind(text)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    delete_of(conn, &reference.account, &reference.id).await?;
    insert_of(conn, reference).await?;
    Ok(true)
}
