//! The MD5 of stored files: the S3 ETag a stored object shows ([`Service::object_etag`]), and the
//! backfill that records the MD5 of files stored before imports recorded one
//! ([`Service::backfill_md5`]). Imports, uploads and reference imports record it in the pass that
//! stores the bytes (`seqstore_formats` digests them as stored); nothing here runs for them.

use object_store::ObjectStoreExt;
use object_store::path::Path;
use seqstore_formats::digest::{Algorithm, Digest};

use super::{Error, Service};
use crate::db;
use crate::db::stored_files::{self, FilesColumn, Recorded};
use crate::model::read_set::{Files, StoredFile, Tier};
use crate::model::reference::ReferenceFiles;
use crate::report::chain;

/// Where an MD5 backfill pass stands: read sets first, then references, each in id order.
/// [`Md5Cursor::default`] starts a pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Md5Cursor {
    references: bool,
    after: String,
}

/// What one step of an MD5 backfill did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Md5Step {
    /// Rows (read sets or references) whose files got their MD5s.
    pub filled: u64,
    /// Rows left as they were: a file missing, unreadable or not matching its recorded size or
    /// SHA-256 (`seqstore verify` reports it), or the row changed or deleted meanwhile.
    pub skipped: u64,
    /// Where the next step starts; `None` when the pass is done.
    pub next: Option<Md5Cursor>,
}

impl Service {
    /// The S3 ETag of a stored file's object, quoted: `"<md5>"` when its MD5 is recorded, which
    /// every S3 client may compare with the MD5 of what it downloaded. Otherwise (a file stored
    /// before MD5s were recorded and not backfilled yet) `"<32 hex>-1"`, the 32 hex being the
    /// first half of its SHA-256 (of its key when even that was not recorded): the form of a
    /// multipart upload's ETag, which S3 clients (AWS CLI, boto3, rclone, s3cmd) know is not the
    /// object's MD5 and never compare with one. Never the read set's HealthOmics ETag, which
    /// digests the records, not the stored bytes. The stored bytes of a key never change, so
    /// neither does its ETag — except once, from the second form to the first, when the backfill
    /// records its MD5.
    pub fn object_etag(file: &StoredFile) -> String {
        if let Some(md5) = &file.md5 {
            return format!("\"{md5}\"");
        }
        let digest = match file.sha256.get(..32) {
            Some(prefix) => prefix.to_owned(),
            None => {
                let mut digest = Digest::new(Algorithm::Sha256);
                digest.update(file.key.as_bytes());
                digest.finalize_hex()[..32].to_owned()
            }
        };
        format!("\"{digest}-1\"")
    }

    /// One step of the backfill of stored files' MD5s: for up to `limit` read sets (then, once
    /// those are done, references) after `cursor` whose files have no recorded MD5, reads each
    /// file once, checks its size and recorded SHA-256, and records the MD5 of every file of the
    /// row in one update that applies only while the row's files are still as read (see
    /// [`stored_files::fill_md5`]). A row with a file that is missing or not as recorded is left
    /// as it is and counted as skipped.
    ///
    /// Idempotent and safe with several processes: a row filled elsewhere is no longer listed, or
    /// its update does nothing. Memory is bounded by `limit` rows' file lists and the read
    /// windows, files being read one after the other. Dropping the future stops the step; what
    /// it had filled stays filled.
    ///
    /// # Errors
    ///
    /// The database failed, or a row's files do not parse.
    pub async fn backfill_md5(&self, cursor: &Md5Cursor, limit: i64) -> Result<Md5Step, Error> {
        let (found, mut step) = match cursor.references {
            false => self.backfill_rows(&cursor.after, limit, Files::stored_mut).await?,
            true => self.backfill_rows(&cursor.after, limit, ReferenceFiles::stored_mut).await?,
        };
        step.next = match (found, cursor.references) {
            (Some(last), references) => Some(Md5Cursor { references, after: last }),
            (None, false) => Some(Md5Cursor { references: true, after: String::new() }),
            (None, true) => None,
        };
        Ok(step)
    }

    /// Fills the rows of `F`'s table after `after`; returns the last id when the page was full.
    async fn backfill_rows<F: FilesColumn>(
        &self,
        after: &str,
        limit: i64,
        stored: fn(&mut F) -> Vec<&mut StoredFile>,
    ) -> Result<(Option<String>, Md5Step), Error> {
        let rows = {
            let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
            stored_files::missing_md5::<F>(&mut conn, after, limit).await?
        };
        let mut step = Md5Step::default();
        let last = (rows.len() as i64 >= limit).then(|| rows.last().map(|row| row.id.clone())).flatten();
        for row in rows {
            if self.backfill_row(row, stored).await? {
                step.filled += 1;
            } else {
                step.skipped += 1;
            }
        }
        Ok((last, step))
    }

    /// Records the MD5s of `row`'s files; false when it left the row as it was.
    async fn backfill_row<F: FilesColumn>(
        &self,
        row: Recorded<F>,
        stored: fn(&mut F) -> Vec<&mut StoredFile>,
    ) -> Result<bool, Error> {
        let Recorded { id, text, mut files } = row;
        for file in stored(&mut files) {
            if file.md5.is_some() {
                continue;
            }
            match self.stored_md5(file).await {
                Ok(md5) => file.md5 = Some(md5),
                Err(why) => {
                    let key = &file.key;
                    tracing::warn!(id, key, why, "no MD5 recorded for a stored file that is not as recorded");
                    return Ok(false);
                }
            }
        }
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(stored_files::fill_md5(&mut conn, &id, &text, &files).await?)
    }

    /// The MD5 of `file`'s object, read once, when its size and SHA-256 (if recorded) are the
    /// recorded ones; else why not.
    async fn stored_md5(&self, file: &StoredFile) -> Result<String, String> {
        let key = Path::from(file.key.as_str());
        let meta = self.data.object_store().head(&key).await.map_err(|e| chain(&e))?;
        if meta.size != file.content_length {
            return Err(format!("{} bytes, {} recorded", meta.size, file.content_length));
        }
        let algorithms = [Algorithm::Sha256, Algorithm::Md5];
        let [sha256, md5] = self.object_digests(Tier::Hot, &key, meta.size, algorithms).await.map_err(|e| chain(&e))?;
        if !file.sha256.is_empty() && sha256 != file.sha256 {
            return Err(format!("SHA-256 {sha256}, {} recorded", file.sha256));
        }
        Ok(md5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_etags_are_the_md5_or_a_multipart_form() {
        let file = StoredFile::new("s/readSet/r/source1".into(), 3, 1 << 20, "ab".repeat(32), "c".repeat(32));
        assert_eq!(Service::object_etag(&file), format!("\"{}\"", "c".repeat(32)));
        let before = StoredFile { md5: None, ..file.clone() };
        assert_eq!(Service::object_etag(&before), format!("\"{}-1\"", "ab".repeat(16)));
        let oldest = StoredFile { md5: None, sha256: String::new(), ..file };
        let etag = Service::object_etag(&oldest);
        assert!(etag.len() == 36 && etag.ends_with("-1\"") && etag != Service::object_etag(&before), "{etag}");
    }
}
