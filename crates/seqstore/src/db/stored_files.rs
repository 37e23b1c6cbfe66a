//! The `files` column of `read_sets` and `genome_references` as the backfill of stored files' MD5s
//! reads and fills it: rows whose files have no recorded MD5, and an update that replaces a row's
//! files only while they are still exactly what was read.
//!
//! Every writer of `files` records the MD5 of every file it records (imports, uploads, reference
//! imports) or of none (versions before MD5s), and the backfill fills all of a row's files at once,
//! so a row has an MD5 for every file or for none; the `"md5"` key never occurs in a file name
//! (JSON escapes the quotes of a value), so `files NOT LIKE '%"md5"%'` finds the rows without.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{AnyConnection, Row};

use super::Error;
use crate::model::read_set::Files;
use crate::model::reference::ReferenceFiles;

/// The type of a table's `files` column: [`Files`] in `read_sets`, [`ReferenceFiles`] in
/// `genome_references`.
pub trait FilesColumn: Serialize + DeserializeOwned {
    /// The table.
    const TABLE: &'static str;
}

impl FilesColumn for Files {
    const TABLE: &'static str = "read_sets";
}

impl FilesColumn for ReferenceFiles {
    const TABLE: &'static str = "genome_references";
}

/// One row's files as read: its id, the `files` text exactly as stored (what [`fill_md5`] is
/// conditional on), and that text parsed.
#[derive(Debug, Clone)]
pub struct Recorded<F> {
    /// The read set's or reference's id.
    pub id: String,
    /// The column's text.
    pub text: String,
    /// The text parsed.
    pub files: F,
}

/// Up to `limit` rows of `F`'s table (every account) with ids after `after` (`""` for the first),
/// in id order, that have stored files and no recorded MD5: for maintenance, never for the API.
///
/// # Errors
///
/// The query failed, or a row's files do not parse ([`Error::Corrupt`]).
pub async fn missing_md5<F: FilesColumn>(
    conn: &mut AnyConnection,
    after: &str,
    limit: i64,
) -> Result<Vec<Recorded<F>>, Error> {
    let sql = format!(
        "SELECT id, files FROM {} WHERE id > $1 AND files LIKE $2 AND files NOT LIKE $3 ORDER BY id LIMIT {limit}",
        F::TABLE
    );
    let rows = sqlx::query(&sql).bind(after).bind("%\"sha256\"%").bind("%\"md5\"%").fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let text: String = row.try_get("files")?;
            let files = serde_json::from_str(&text).map_err(|_| Error::Corrupt { what: "files" })?;
            Ok(Recorded { id: row.try_get("id")?, text, files })
        })
        .collect()
}

/// Replaces the files of row `id` with `files` (the same files with their MD5s) if its `files`
/// column is still `text` (a [`Recorded::text`]); false when it is not (another process filled
/// it, or the row is gone), which leaves the row as it is. Idempotent and safe with several
/// processes.
pub async fn fill_md5<F: FilesColumn>(
    conn: &mut AnyConnection,
    id: &str,
    text: &str,
    files: &F,
) -> Result<bool, Error> {
    let sql = format!("UPDATE {} SET files = $1 WHERE id = $2 AND files = $3", F::TABLE);
    let filled = serde_json::to_string(files).expect("files serialize");
    let done = sqlx::query(&sql).bind(filled).bind(id).bind(text).execute(&mut *conn).await?;
    Ok(done.rows_affected() == 1)
}
