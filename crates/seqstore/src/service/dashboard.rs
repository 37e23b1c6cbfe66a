//! What only the dashboard asks for: summaries the API has no operation for (read set counts, and
//! read sets and bytes per storage tier of a store, the read set list with its duplicate and
//! file-type filters, finished sources for the throughput chart, the processing of uploads, the
//! progress and samples of import jobs, what an empty store's page suggests to import with) and
//! the key its session cookies are signed with. Every query is bound to the caller's account.

use std::collections::HashMap;

use super::{Caller, Error, Service, page_token};
use crate::db::{self, dashboard, settings};
use crate::model::time::Millis;

pub use crate::db::dashboard::{
    Fingerprint, FinishedSources, JobSummary, MIN_RATE_MS, ReadSetQuery, ReadSetRow, StoreTiers, TierTotal,
    UploadProcessing,
};

/// What an import by `caller` can use, for the examples of an empty store's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportHint {
    /// A role ARN the caller may pass: the first `[[roles]]` entry of its account, or (with no
    /// `[[roles]]`, when any role of the account is accepted) `arn:aws:iam::{account}:role/Import`.
    pub role_arn: String,
    /// The first directory `file://` sources may lie under (`--file-root`), when there is one.
    pub file_root: Option<std::path::PathBuf>,
}

impl Service {
    /// The key the dashboard signs its session cookies with: the one the first process stored in
    /// the database (a random one), so that every process of a cluster accepts every session.
    pub async fn dashboard_session_key(&self) -> Result<String, Error> {
        Ok(settings::get_or_init(&self.db, "ui_session_key", page_token::random_key).await?)
    }

    /// [`Fingerprint`]s of the read sets of `stores` of `caller` (stores without read sets are
    /// absent): a cheap, index-only stand-in for their state.
    pub async fn store_fingerprints(
        &self,
        caller: &Caller,
        stores: &[String],
    ) -> Result<HashMap<String, Fingerprint>, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(dashboard::fingerprints(&mut conn, &caller.account, stores).await?)
    }

    /// What each storage tier of `store` of `caller` holds (this reads every read set's row; see
    /// [`Self::store_fingerprints`] to know when to ask again).
    pub async fn store_tiers(&self, caller: &Caller, store: &str) -> Result<StoreTiers, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(dashboard::store_tiers(&mut conn, &caller.account, store).await?)
    }

    /// One page (`query.limit + 1` rows, to learn whether more follow) of the read sets of `store`
    /// of `caller`, in `(creation_ms, id)` order.
    pub async fn dashboard_read_sets(
        &self,
        caller: &Caller,
        store: &str,
        query: &ReadSetQuery,
    ) -> Result<Vec<ReadSetRow>, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(dashboard::read_sets(&mut conn, &caller.account, store, query).await?)
    }

    /// The sources of `caller` that finished at or after `since`, whichever process ran them,
    /// grouped by start and finish time to `resolution` milliseconds, at most `limit` groups.
    pub async fn finished_sources(
        &self,
        caller: &Caller,
        since: Millis,
        resolution: i64,
        limit: i64,
    ) -> Result<Vec<FinishedSources>, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(dashboard::finished_sources(&mut conn, &caller.account, since, resolution, limit).await?)
    }

    /// Where each of `jobs` (ids of jobs of `caller`; others' are absent) stands: its sources'
    /// samples, statuses and bytes.
    pub async fn job_summaries(&self, caller: &Caller, jobs: &[String]) -> Result<HashMap<String, JobSummary>, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(dashboard::job_summaries(&mut conn, &caller.account, jobs).await?)
    }

    /// A role and a file root `caller` can import with (see [`ImportHint`]).
    pub fn import_hint(&self, caller: &Caller) -> ImportHint {
        let role_arn = match self.imports.roles.is_empty() {
            true => format!("arn:aws:iam::{}:role/Import", caller.account),
            false => {
                let prefix = format!("arn:aws:iam::{}:role/", caller.account);
                let own = self.imports.roles.iter().find(|r| r.arn.starts_with(&prefix));
                own.map_or_else(|| format!("{prefix}Import"), |r| r.arn.clone())
            }
        };
        ImportHint { role_arn, file_root: self.imports.sources.file_roots.first().cloned() }
    }

    /// The latest `limit` processings of completed uploads in `store` of `caller`.
    pub async fn upload_processing(
        &self,
        caller: &Caller,
        store: &str,
        limit: i64,
    ) -> Result<Vec<UploadProcessing>, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(dashboard::upload_processing(&mut conn, &caller.account, store, limit).await?)
    }
}
