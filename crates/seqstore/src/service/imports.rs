//! Read set import jobs: submission with its checks (in the order the API promises), reading jobs
//! back, listing them.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use super::{Caller, Error, Page, Service};
use crate::db::{self, idempotency, import_jobs, sequence_stores};
use crate::model::import::{FileType, Job, JobStatus, Source, SourceSpec};
use crate::model::role::RoleArn;
use crate::model::tags;
use crate::model::time;
use crate::storage::locations::{Grants, SourceUri};

const KIND: &str = "import job";

/// A StartReadSetImportJob request, validated against the model.
#[derive(Debug, Clone, Serialize)]
pub struct StartImport {
    /// IAM role ARN.
    pub role_arn: String,
    /// Idempotency token (not part of the digest).
    #[serde(skip)]
    pub client_token: Option<String>,
    /// Sources, 1–100.
    pub sources: Vec<SourceSpec>,
}

/// ListReadSetImportJobs filter, timestamps in microseconds as given.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JobFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Inclusive lower bound of creation time.
    pub created_after: Option<i64>,
    /// Exclusive upper bound of creation time.
    pub created_before: Option<i64>,
}

impl Service {
    /// The locations `role_arn` may read for `caller`: a configured role of the caller's account, or
    /// (with no `[[roles]]`) any role ARN of the caller's account with the default locations.
    pub fn grants(&self, caller: &Caller, role_arn: &str) -> Result<Grants, Error> {
        let denied = || Error::RoleNotPassable { role_arn: role_arn.to_owned(), account: caller.account.clone() };
        let role = RoleArn::parse(role_arn).ok_or_else(denied)?;
        if role.account != caller.account {
            return Err(denied());
        }
        if self.imports.roles.is_empty() {
            return Ok(Grants::defaults(&self.imports.sources));
        }
        let role = self.imports.roles.iter().find(|r| r.arn == role_arn).ok_or_else(denied)?;
        Ok(Grants::of_role(role))
    }

    /// Submits an import job. Checks, in order: the store exists; a known clientToken returns its
    /// first job (or refuses another body); the role may be passed; source2 only for FASTQ; every
    /// source lies within the role's locations; the account's concurrent-job quota. The job and its
    /// sources are inserted in one transaction, then the workers are woken.
    pub async fn start_import(&self, caller: &Caller, store_id: &str, request: StartImport) -> Result<Job, Error> {
        let digest = hex::encode(Sha256::digest(serde_json::to_vec(&request).expect("request serializes")));
        let scope = format!("StartReadSetImportJob/{store_id}");
        let mut tx = self.db.begin().await?;
        if sequence_stores::get(&mut tx, &caller.account, store_id).await?.is_none() {
            return Err(Error::NotFound { kind: "sequence store", id: store_id.to_owned() });
        }
        if let Some(token) = &request.client_token
            && let Some(record) = idempotency::find(&mut tx, &caller.account, &scope, token).await?
        {
            if record.request_hash != digest {
                return Err(Error::TokenReused { token: token.clone() });
            }
            let job = import_jobs::job(&mut tx, &caller.account, store_id, &record.resource_id).await?;
            return job.ok_or(Error::NotFound { kind: KIND, id: record.resource_id });
        }
        let grants = self.grants(caller, &request.role_arn)?;
        check_sources(&grants, &request.sources)?;
        import_jobs::lock_account(&mut tx, self.db.backend(), &caller.account).await?;
        let active = import_jobs::count_active(&mut tx, &caller.account, None).await?;
        let limit = self.quotas.concurrent_import_jobs;
        if active >= i64::try_from(limit).unwrap_or(i64::MAX) {
            return Err(Error::QuotaExceeded { what: "import jobs in progress", key: "concurrent_import_jobs", limit });
        }
        let job = insert_job(&mut tx, caller, store_id, &request).await?;
        if let Some(token) = &request.client_token {
            let record = idempotency::Record { request_hash: digest, resource_id: job.id.clone() };
            idempotency::insert(&mut tx, &caller.account, &scope, token, &record).await?;
        }
        tx.commit().await.map_err(db::Error::from)?;
        self.wake.notify_waiters();
        Ok(job)
    }

    /// A job of `caller` in `store_id` with its sources.
    pub async fn import_job(&self, caller: &Caller, store_id: &str, id: &str) -> Result<(Job, Vec<Source>), Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_store(&mut conn, caller, store_id).await?;
        let job = import_jobs::job(&mut conn, &caller.account, store_id, id).await?;
        let job = job.ok_or_else(|| Error::NotFound { kind: KIND, id: id.to_owned() })?;
        let sources = import_jobs::sources(&mut conn, id).await?;
        Ok((job, sources))
    }

    /// One page of a store's jobs in (creationTime, id) order.
    pub async fn list_import_jobs(
        &self,
        caller: &Caller,
        store_id: &str,
        filter: &JobFilter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<Job>, Error> {
        let scope = format!(
            "ListReadSetImportJobs\n{}\n{store_id}\n{}",
            caller.account,
            serde_json::to_string(filter).expect("filter serializes")
        );
        let after = next_token.map(|t| self.tokens.open(&scope, t)).transpose()?;
        let limit = max_results.unwrap_or(100);
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_store(&mut conn, caller, store_id).await?;
        let query = import_jobs::Query {
            status: filter.status.clone(),
            created_from: filter.created_after.map(time::ceil_millis),
            created_before: filter.created_before.map(time::ceil_millis),
            after,
            limit: limit + 1,
        };
        let items = import_jobs::list(&mut conn, &caller.account, store_id, &query).await?;
        Ok(Page::cut(items, limit, &self.tokens, &scope, |j| (j.creation_time, j.id.clone())))
    }

    pub(super) async fn require_store(&self, conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<(), Error> {
        match sequence_stores::get(conn, &caller.account, id).await? {
            Some(_) => Ok(()),
            None => Err(Error::NotFound { kind: "sequence store", id: id.to_owned() }),
        }
    }
}

/// source2 only for FASTQ; tags; every URI parses and lies within the grants.
fn check_sources(grants: &Grants, sources: &[SourceSpec]) -> Result<(), Error> {
    for (i, spec) in sources.iter().enumerate() {
        tags::check_user_tags(spec.tags.keys())
            .map_err(|source| Error::Tags { member: format!("sources.{i}.tags"), source })?;
        if spec.source2.is_some() && spec.file_type != FileType::Fastq {
            return Err(Error::Source2NotFastq { member: format!("sources.{i}.sourceFiles.source2") });
        }
        let files = [("source1", Some(&spec.source1)), ("source2", spec.source2.as_ref())];
        for (name, uri) in files.into_iter().filter_map(|(n, u)| Some((n, u?))) {
            let member = format!("sources.{i}.sourceFiles.{name}");
            let parsed =
                SourceUri::parse(uri).map_err(|source| Error::BadSourceUri { member: member.clone(), source })?;
            if matches!(parsed, SourceUri::File(_)) && !grants.has_file_roots() {
                return Err(Error::NoFileRoots { member });
            }
            if grants.location_for(&parsed).is_none() {
                return Err(Error::SourceNotAllowed { member, uri: uri.clone() });
            }
        }
    }
    Ok(())
}

async fn insert_job(
    tx: &mut AnyConnection,
    caller: &Caller,
    store_id: &str,
    request: &StartImport,
) -> Result<Job, Error> {
    let job = Job {
        id: db::ids::reserve(tx, "importJob").await?,
        account: caller.account.clone(),
        store_id: store_id.to_owned(),
        role_arn: request.role_arn.clone(),
        status: JobStatus::Submitted,
        status_message: None,
        creation_time: time::now(),
        completion_time: None,
    };
    import_jobs::insert_job(tx, &job).await?;
    for (i, spec) in request.sources.iter().enumerate() {
        import_jobs::insert_source(tx, &job, i as i64, spec).await?;
    }
    Ok(job)
}
