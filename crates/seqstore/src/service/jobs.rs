//! Submission of import jobs of either kind: the checks every StartXImportJob shares, in the order
//! the API promises, and the one transaction that inserts a job with its sources.

use serde::Serialize;
use sha2::Digest;

use super::{Caller, Error, Listing, Page, Service};
use crate::db::{self, idempotency, import_jobs, reference_stores, references, sequence_stores};
use crate::model::arn::{Arn, Resource};
use crate::model::import::{JobStatus, Source};
use crate::model::job::{Job, JobFamily, JobKind, JobSpec, StoreKind};
use crate::model::time;
use crate::storage::locations::{Grants, SourceUri};

/// A job to submit.
pub(super) struct Submission {
    /// What it creates.
    pub kind: JobKind,
    /// The scope of its clientTokens (the operation's name; `Start{kind}ImportJob` for imports,
    /// as stored by earlier versions).
    pub scope: String,
    /// Where an export job writes, with the member naming it; checked against the role's writable
    /// locations.
    pub destination: Option<String>,
    /// Target store (sequence or reference store, by `kind`).
    pub store_id: String,
    /// Role passed.
    pub role_arn: String,
    /// Idempotency token.
    pub client_token: Option<String>,
    /// Digest of the request without the token.
    pub digest: String,
    /// Each source's spec (of the kind `kind`).
    pub sources: Vec<JobSpec>,
    /// Every source URI with its member path (`sources.0.sourceFiles.source1`).
    pub uris: Vec<(String, String)>,
    /// Every `referenceArn` with its member path.
    pub reference_arns: Vec<(String, String)>,
    /// Read sets of the store made ACTIVATING with the job (each must be ARCHIVED).
    pub activate: Vec<String>,
}

impl Service {
    /// Checks, in order: the store exists; a known clientToken returns its first job (or refuses
    /// another body); the role may be passed; each referenceArn names an existing reference of the
    /// caller; every source lies within the role's locations; the quotas (concurrent jobs, sources per
    /// job, read sets per store).
    /// Then inserts the job and its sources in one transaction and wakes the workers.
    pub(super) async fn submit(&self, caller: &Caller, sub: Submission) -> Result<Job, Error> {
        // Tokens are per account and operation; the store is part of the digest, so the same token
        // on another store is "another body".
        let scope = &sub.scope;
        let digest = hex::encode(sha2::Sha256::digest(format!("{}\n{}", sub.store_id, sub.digest)));
        let mut tx = self.db.begin_for(&caller.account).await?;
        self.require_store_of(&mut tx, caller, sub.kind, &sub.store_id).await?;
        if let Some(token) = &sub.client_token
            && let Some(record) = idempotency::find(&mut tx, &caller.account, scope, token).await?
        {
            if record.request_hash != digest {
                return Err(Error::TokenReused { token: token.clone() });
            }
            let job = import_jobs::job_any_store(&mut tx, &caller.account, &record.resource_id).await?;
            return job.ok_or(Error::NotFound { kind: "job", id: record.resource_id });
        }
        // Activation jobs pass no role: they read and write only the store's own tiers.
        if sub.kind.family() != JobFamily::Activation {
            let grants = self.grants(caller, &sub.role_arn)?;
            for (member, arn) in &sub.reference_arns {
                self.check_reference_arn(&mut tx, caller, member, arn).await?;
            }
            check_uris(&grants, &sub.uris)?;
            if let Some(destination) = &sub.destination {
                self.check_destination(&grants, &sub.role_arn, destination)?;
            }
        }
        self.check_job_quotas(&mut tx, caller, sub.kind, &sub.store_id, sub.sources.len()).await?;
        for (i, id) in sub.activate.iter().enumerate() {
            self.mark_activating(&mut tx, caller, &sub.store_id, &format!("sources.{i}.readSetId"), id).await?;
        }
        let job = Job {
            id: db::ids::reserve(&mut tx, "importJob").await?,
            kind: sub.kind,
            account: caller.account.clone(),
            store_id: sub.store_id.clone(),
            role_arn: sub.role_arn.clone(),
            status: JobStatus::Submitted,
            status_message: None,
            creation_time: time::now(),
            completion_time: None,
            destination: sub.destination.clone(),
        };
        import_jobs::insert_job(&mut tx, &job).await?;
        import_jobs::insert_sources(&mut tx, &job, &sub.sources).await?;
        if let Some(token) = &sub.client_token {
            let record = idempotency::Record { request_hash: digest, resource_id: job.id.clone() };
            idempotency::insert(&mut tx, &caller.account, scope, token, &record).await?;
        }
        tx.commit().await.map_err(db::Error::from)?;
        self.wake.notify_waiters();
        Ok(job)
    }

    /// A `referenceArn` must be a reference ARN (else ValidationException) naming an existing
    /// reference of the caller in this region (else ResourceNotFoundException), both naming `member`.
    pub(super) async fn check_reference_arn(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        member: &str,
        arn: &str,
    ) -> Result<(), Error> {
        let parsed = Arn::parse(arn);
        let Some(Arn { region, account, resource: Resource::Reference { store, id } }) = parsed else {
            return Err(Error::BadReferenceArn { member: member.to_owned(), arn: arn.to_owned() });
        };
        let found = account == caller.account
            && region == self.region
            && references::get(conn, &caller.account, &store, &id).await?.is_some();
        if found { Ok(()) } else { Err(Error::ReferenceNotFound { member: member.to_owned(), arn: arn.to_owned() }) }
    }
}

impl Service {
    /// `store_id` must be a store of `caller` of the kind `kind` imports into.
    async fn require_store_of(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        kind: JobKind,
        store_id: &str,
    ) -> Result<(), Error> {
        let (what, exists) = match kind.store() {
            StoreKind::Sequence => {
                ("sequence store", sequence_stores::get(conn, &caller.account, store_id).await?.is_some())
            }
            StoreKind::Reference => {
                ("reference store", reference_stores::get(conn, &caller.account, store_id).await?.is_some())
            }
        };
        if exists { Ok(()) } else { Err(Error::NotFound { kind: what, id: store_id.to_owned() }) }
    }

    /// Job `id` in `store_id` of `caller`, with its sources read as `S` (the spec of `kind`).
    pub(super) async fn job_with_sources<S: TryFrom<JobSpec>>(
        &self,
        caller: &Caller,
        kind: JobKind,
        store_id: &str,
        id: &str,
    ) -> Result<(Job, Vec<Source<S>>), Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_store_of(&mut conn, caller, kind, store_id).await?;
        let job = import_jobs::job(&mut conn, &caller.account, store_id, kind, id).await?;
        let job = job.ok_or_else(|| Error::NotFound { kind: job_noun(kind), id: id.to_owned() })?;
        let sources = import_jobs::sources(&mut conn, id).await?;
        Ok((job, sources))
    }

    /// Cancels job `id` in `store_id` of `caller` (see [`import_jobs::cancel`]) and returns it with
    /// its sources. A CANCELLING job is returned as it is (cancelling is idempotent); a job that
    /// has ended (COMPLETED, COMPLETED_WITH_FAILURES, FAILED, CANCELLED) is refused.
    pub(super) async fn cancel_job<S: TryFrom<JobSpec>>(
        &self,
        caller: &Caller,
        kind: JobKind,
        store_id: &str,
        id: &str,
    ) -> Result<(Job, Vec<Source<S>>), Error> {
        let not_found = || Error::NotFound { kind: job_noun(kind), id: id.to_owned() };
        let mut tx = self.db.begin().await?;
        self.require_store_of(&mut tx, caller, kind, store_id).await?;
        import_jobs::job(&mut tx, &caller.account, store_id, kind, id).await?.ok_or_else(not_found)?;
        // Its status under the job's lock: no settlement can end it in between. A job whose last
        // source has settled has ended even while its own settlement (after that source's commit,
        // waiting for this lock) has not: it is settled here and the cancellation refused, never
        // turned CANCELLED with every source done.
        let now = time::now();
        import_jobs::settle_job_if_done(&mut tx, self.db.backend(), id, now).await?;
        let job = import_jobs::job(&mut tx, &caller.account, store_id, kind, id).await?.ok_or_else(not_found)?;
        if job.status.is_terminal() {
            tx.commit().await.map_err(db::Error::from)?;
            return Err(Error::JobEnded { noun: job_noun(kind), id: id.to_owned(), status: job.status.as_str() });
        }
        import_jobs::cancel(&mut tx, self.db.backend(), id, now).await?;
        tx.commit().await.map_err(db::Error::from)?;
        tracing::info!(job = id, account = caller.account, "import job cancelled");
        self.job_with_sources(caller, kind, store_id, id).await
    }

    /// One page of a store's import jobs in (creationTime, id) order; `filter` scopes the tokens,
    /// `status` and the creation bounds (microseconds; after inclusive, before exclusive) select.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn job_page(
        &self,
        caller: &Caller,
        kind: JobKind,
        operation: &str,
        store_id: &str,
        filter: &impl Serialize,
        selection: (Option<String>, Option<i64>, Option<i64>),
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<Job>, Error> {
        let Listing { scope, after, limit } =
            self.listing(operation, caller, store_id, filter, max_results, next_token)?;
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_store_of(&mut conn, caller, kind, store_id).await?;
        let (status, created_after, created_before) = selection;
        let query = import_jobs::Query {
            status,
            created_from: created_after.map(time::ceil_millis),
            created_before: created_before.map(time::ceil_millis),
            after,
            limit: limit + 1,
        };
        let items = import_jobs::list(&mut conn, &caller.account, store_id, kind, &query).await?;
        Ok(Page::cut(items, limit, &self.tokens, &scope, |j| (j.creation_time, j.id.clone())))
    }
}

/// Every URI parses and lies within the grants; `file://` needs a file root, `s3://` (without
/// `[[roles]]`) an S3 endpoint.
fn check_uris(grants: &Grants, uris: &[(String, String)]) -> Result<(), Error> {
    for (member, uri) in uris {
        let parsed = SourceUri::parse(uri).map_err(|source| Error::BadSourceUri { member: member.clone(), source })?;
        if matches!(parsed, SourceUri::File(_)) && grants.file_sources_disabled() {
            return Err(Error::NoFileRoots { member: member.clone() });
        }
        if matches!(parsed, SourceUri::S3 { .. }) && grants.s3_sources_disabled() {
            return Err(Error::NoS3Endpoint { member: member.clone() });
        }
        if grants.location_for(&parsed).is_none() {
            return Err(Error::SourceNotAllowed { member: member.clone(), uri: uri.clone() });
        }
    }
    Ok(())
}

/// What a job of `kind` is called in messages.
pub(super) fn job_noun(kind: JobKind) -> &'static str {
    match kind.family() {
        JobFamily::Export => "export job",
        JobFamily::Activation => "activation job",
        JobFamily::Import | JobFamily::Internal => "import job",
    }
}

/// Inserts a job of an internal `kind` (archive, qc) of `store` with one source per spec, SUBMITTED
/// now; the caller commits and wakes the workers.
pub(super) async fn insert_internal(
    conn: &mut sqlx::AnyConnection,
    kind: JobKind,
    (account, store): (&str, &str),
    specs: Vec<JobSpec>,
) -> Result<Job, db::Error> {
    let job = Job {
        id: db::ids::reserve(conn, "importJob").await?,
        kind,
        account: account.to_owned(),
        store_id: store.to_owned(),
        role_arn: String::new(),
        status: JobStatus::Submitted,
        status_message: None,
        creation_time: time::now(),
        completion_time: None,
        destination: None,
    };
    import_jobs::insert_job(conn, &job).await?;
    import_jobs::insert_sources(conn, &job, &specs).await?;
    Ok(job)
}
