//! Read sets as the import tests and clients read them back (metadata and listing; the read sets
//! issue completes the filters, downloads and deletion).

use super::{Caller, Error, Page, Service};
use crate::db::{self, read_sets};
use crate::model::read_set::ReadSet;

impl Service {
    /// Read set `id` of `caller` in `store_id`.
    pub async fn read_set(&self, caller: &Caller, store_id: &str, id: &str) -> Result<ReadSet, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_store(&mut conn, caller, store_id).await?;
        let set = read_sets::get(&mut conn, &caller.account, store_id, id).await?;
        set.ok_or_else(|| Error::NotFound { kind: "read set", id: id.to_owned() })
    }

    /// One page of a store's read sets in (creationTime, id) order.
    pub async fn list_read_sets(
        &self,
        caller: &Caller,
        store_id: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<ReadSet>, Error> {
        let scope = format!("ListReadSets\n{}\n{store_id}", caller.account);
        let after = next_token.map(|t| self.tokens.open(&scope, t)).transpose()?;
        let limit = max_results.unwrap_or(100);
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_store(&mut conn, caller, store_id).await?;
        let items = read_sets::list(&mut conn, &caller.account, store_id, after.as_ref(), limit + 1).await?;
        Ok(Page::cut(items, limit, &self.tokens, &scope, |r| (r.creation_time, r.id.clone())))
    }

    /// Deletes read sets of a store: rows and tags in one transaction, then their objects (an
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
            } else {
                errors.push((id.clone(), Error::NotFound { kind: "read set", id: id.clone() }));
            }
        }
        tx.commit().await.map_err(db::Error::from)?;
        for id in deleted {
            if let Err(e) = self.data.delete_read_set(store_id, &id).await {
                tracing::warn!(error = ?e, read_set = id, "objects of a deleted read set remain; the sweep will remove them");
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
