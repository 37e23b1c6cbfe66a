//! The quotas of `[quotas]`, checked inside the transaction that creates what they count (which
//! [`crate::db::Db::begin_for`] serialises per account, so two requests cannot both take the last
//! place). Each refusal is a 402 ServiceQuotaExceededException naming the key and what to do.

use sqlx::AnyConnection;

use super::{Caller, Error, Service};
use crate::db::{import_jobs, quotas, uploads};
use crate::model::job::{JobFamily, JobKind};

/// Refuses with `error()` when `count` plus `adding` would exceed `limit`.
pub(super) fn check(count: i64, adding: u64, limit: u64, error: impl FnOnce() -> Error) -> Result<(), Error> {
    let after = u64::try_from(count).unwrap_or(0).saturating_add(adding);
    if after > limit { Err(error()) } else { Ok(()) }
}

/// The refusal of a quota per account.
pub(super) fn of_account(what: &'static str, key: &'static str, limit: u64, advice: &'static str) -> Error {
    Error::QuotaExceeded { holder: "an account".into(), what: what.into(), key, limit, advice }
}

impl Service {
    /// Before a job is inserted: the account's unfinished jobs of its family
    /// (`concurrent_import_jobs`, `concurrent_export_jobs`, `concurrent_activation_jobs`), the job's
    /// sources (`sources_per_job`; an activation job's are bounded by the model, 20)
    /// and, for read set imports, the store's read sets (`read_sets_per_store`).
    pub(super) async fn check_job_quotas(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        kind: JobKind,
        store_id: &str,
        sources: usize,
    ) -> Result<(), Error> {
        let q = &self.quotas;
        let family = kind.family();
        let active = import_jobs::count_active(conn, &caller.account, None, &[family]).await?;
        let (what, key, limit) = match family {
            JobFamily::Export => ("export jobs in progress", "concurrent_export_jobs", q.concurrent_export_jobs),
            JobFamily::Activation => {
                ("activation jobs in progress", "concurrent_activation_jobs", q.concurrent_activation_jobs)
            }
            JobFamily::Import | JobFamily::Internal => {
                ("import jobs in progress", "concurrent_import_jobs", q.concurrent_import_jobs)
            }
        };
        check(active, 1, limit, || of_account(what, key, limit, "wait for some to finish"))?;
        let sources = sources as u64;
        check(0, sources, q.sources_per_job, || Error::QuotaExceeded {
            holder: format!("an {}", super::jobs::job_noun(kind)),
            what: format!("sources (this one has {sources})"),
            key: "sources_per_job",
            limit: q.sources_per_job,
            advice: "split the sources over several jobs",
        })?;
        if kind == JobKind::ReadSet {
            self.check_read_sets(conn, caller, store_id, sources).await?;
        }
        Ok(())
    }

    /// Before an upload is created: the account's uploads in progress (`uploads_in_progress`) and
    /// the store's read sets (`read_sets_per_store`), which the upload will add to.
    pub(super) async fn check_upload_quotas(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        store_id: &str,
    ) -> Result<(), Error> {
        let limit = self.quotas.uploads_in_progress;
        let count = uploads::count_in_progress(conn, &caller.account).await?;
        check(count, 1, limit, || {
            of_account("uploads in progress", "uploads_in_progress", limit, "complete or abort some")
        })?;
        self.check_read_sets(conn, caller, store_id, 1).await
    }

    /// Before a reference store is created (`reference_stores`).
    pub(super) async fn check_reference_store_quota(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
    ) -> Result<(), Error> {
        let limit = self.quotas.reference_stores;
        let count = quotas::reference_stores(conn, &caller.account).await?;
        check(count, 1, limit, || of_account("reference stores", "reference_stores", limit, "delete some"))
    }

    /// `adding` more read sets fit in `store_id` (`read_sets_per_store`), counting those on their
    /// way in.
    async fn check_read_sets(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        store_id: &str,
        adding: u64,
    ) -> Result<(), Error> {
        let limit = self.quotas.read_sets_per_store;
        let count = quotas::read_sets_in_store(conn, &caller.account, store_id).await?;
        check(count, adding, limit, || Error::QuotaExceeded {
            holder: format!("sequence store {store_id}"),
            what: format!("read sets (it holds or is receiving {count}; this request adds {adding})"),
            key: "read_sets_per_store",
            limit,
            advice: "delete read sets or use another store",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_counts_what_is_added() {
        let error = || of_account("things", "things", 2, "delete some");
        assert!(check(1, 1, 2, error).is_ok());
        assert!(check(2, 1, 2, error).is_err());
        assert!(check(0, 3, 2, error).is_err());
        let text = error().to_string();
        assert_eq!(
            text,
            "quota reached: an account can have at most 2 things; delete some, or raise quotas.things in the server \
             configuration"
        );
    }
}
