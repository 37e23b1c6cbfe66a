//! Read sets as the import tests and clients read them back (metadata and listing; the read sets
//! issue completes the filters, downloads and deletion).

use serde::Serialize;

use super::{Caller, Error, Listing, Page, Service};
use crate::db::{self, read_sets};
use crate::model::read_set::{ReadSet, ReadSetStatus};

/// ListReadSets filter (every model member, plus the extension `etag`), timestamps in
/// microseconds as given.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadSetFilter {
    /// Exact name.
    pub name: Option<String>,
    /// Exact status.
    pub status: Option<String>,
    /// Exact reference ARN; `""` selects read sets without one.
    pub reference_arn: Option<String>,
    /// Inclusive lower bound of creation time.
    pub created_after: Option<i64>,
    /// Exclusive upper bound of creation time.
    pub created_before: Option<i64>,
    /// Exact sample id.
    pub sample_id: Option<String>,
    /// Exact subject id.
    pub subject_id: Option<String>,
    /// Exact provenance.
    pub generated_from: Option<String>,
    /// `IMPORT` or `UPLOAD`.
    pub creation_type: Option<String>,
    /// Extension: exact `etag.source1`.
    pub etag: Option<String>,
}

impl Service {
    /// Read set `id` of `caller` in `store_id`: one query when it exists (its row names its store and account); the store is looked up only
    /// to say which is missing.
    pub async fn read_set(&self, caller: &Caller, store_id: &str, id: &str) -> Result<ReadSet, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        if let Some(set) = read_sets::get(&mut conn, &caller.account, store_id, id).await? {
            return Ok(set);
        }
        self.require_store(&mut conn, caller, store_id).await?;
        Err(Error::NotFound { kind: "read set", id: id.to_owned() })
    }

    /// Read set `id` of `caller` in `store_id`, for a download of its files: a read set that is
    /// not ACTIVE is a [`Error::ReadSetNotActive`] naming its status and what to do.
    pub async fn active_read_set(&self, caller: &Caller, store_id: &str, id: &str) -> Result<ReadSet, Error> {
        let set = self.read_set(caller, store_id, id).await?;
        if set.is_active() {
            return Ok(set);
        }
        let advice = match set.status {
            ReadSetStatus::ProcessingUpload => "its uploaded parts are still being processed; download it once \
                                    GetReadSetMetadata shows status ACTIVE"
                .to_owned(),
            ReadSetStatus::UploadFailed => format!(
                "processing its upload failed ({}); correct the file and upload it again as a new read set",
                set.status_message.as_deref().unwrap_or("GetReadSetMetadata's statusMessage says why")
            ),
            ReadSetStatus::Archived => format!(
                "it is archived; activate it first (aws omics start-read-set-activation-job --sequence-store-id \
                 {store_id} --sources readSetId={id}, or the dashboard's Activate button) and read it once \
                 GetReadSetMetadata shows status ACTIVE"
            ),
            ReadSetStatus::Activating => "an activation job is bringing it back from the archive; read it once \
                                          GetReadSetMetadata shows status ACTIVE"
                .to_owned(),
            ReadSetStatus::Active => "only ACTIVE read sets can be downloaded".to_owned(),
        };
        Err(Error::ReadSetNotActive { id: set.id, status: set.status, advice })
    }

    /// One page of a store's read sets in (creationTime, id) order: every read set ACTIVE when a
    /// walk starts appears exactly once, read sets added during the walk at most once.
    pub async fn list_read_sets(
        &self,
        caller: &Caller,
        store_id: &str,
        filter: &ReadSetFilter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<ReadSet>, Error> {
        let Listing { scope, after, limit } =
            self.listing("ListReadSets", caller, store_id, filter, max_results, next_token)?;
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_store(&mut conn, caller, store_id).await?;
        let query = read_sets::Query {
            name: filter.name.clone(),
            sample_id: filter.sample_id.clone(),
            subject_id: filter.subject_id.clone(),
            generated_from: filter.generated_from.clone(),
            creation_type: filter.creation_type.clone(),
            status: filter.status.clone(),
            reference_arn: filter.reference_arn.clone(),
            etag: filter.etag.clone(),
            created_from: filter.created_after.map(crate::model::time::ceil_millis),
            created_before: filter.created_before.map(crate::model::time::ceil_millis),
            after,
            limit: limit + 1,
        };
        let items = read_sets::list(&mut conn, &caller.account, store_id, &query).await?;
        Ok(Page::cut(items, limit, &self.tokens, &scope, |r| (r.creation_time, r.id.clone())))
    }

    /// Deletes read sets of a store: rows and tags in one transaction, then their objects in both
    /// tiers (an
    /// object left behind by a failure here has no row and is removed by the next start-up sweep).
    /// Returns the ids that could not be deleted, with the reason.
    pub async fn delete_read_sets(
        &self,
        caller: &Caller,
        store_id: &str,
        ids: &[String],
    ) -> Result<Vec<(String, Error)>, Error> {
        let mut tx = self.db.begin_for(&caller.account).await?;
        self.require_store(&mut tx, caller, store_id).await?;
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        for id in ids {
            if read_sets::delete(&mut tx, &caller.account, store_id, id).await? {
                db::tags::clear(&mut tx, &self.read_set_arn(&caller.account, store_id, id)).await?;
                deleted.push(id.clone());
            } else if read_sets::get(&mut tx, &caller.account, store_id, id).await?.is_some() {
                let reason = "is still processing its upload: delete it once it is ACTIVE or UPLOAD_FAILED";
                errors.push((id.clone(), Error::Conflict { kind: "read set", id: id.clone(), reason }));
            } else {
                errors.push((id.clone(), Error::NotFound { kind: "read set", id: id.clone() }));
            }
        }
        tx.commit().await.map_err(db::Error::from)?;
        for id in deleted {
            for data in [&self.data, &self.archive] {
                if let Err(e) = data.delete_read_set(store_id, &id).await {
                    tracing::warn!(error = ?e, read_set = id, "objects of a deleted read set remain; the sweep will remove them");
                }
            }
        }
        Ok(errors)
    }

    /// The ARN of a read set.
    pub fn read_set_arn(&self, account: &str, store_id: &str, id: &str) -> String {
        let resource = crate::model::arn::Resource::ReadSet { store: store_id.to_owned(), id: id.to_owned() };
        crate::model::arn::Arn::new(&self.region, account, resource).to_string()
    }
}
