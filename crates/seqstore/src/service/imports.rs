//! Read set import jobs: submission with its checks (in the order the API promises), reading jobs
//! back, listing them.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use super::jobs::Submission;
use super::{Caller, Error, Page, Service};
use crate::db::sequence_stores;
use crate::model::import::{Source, SourceSpec};
use crate::model::job::{Job, JobKind, JobSpec};
use crate::model::role::RoleArn;
use crate::model::tags;
use crate::storage::locations::Grants;

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

    /// Submits a read set import job (see [`Service::submit`] for the checks and their order);
    /// `source2` is only allowed for FASTQ.
    pub async fn start_import(&self, caller: &Caller, store_id: &str, request: StartImport) -> Result<Job, Error> {
        let digest = hex::encode(Sha256::digest(serde_json::to_vec(&request).expect("request serializes")));
        let (mut uris, mut reference_arns) = (Vec::new(), Vec::new());
        for (i, spec) in request.sources.iter().enumerate() {
            tags::check_user_tags(spec.tags.keys())
                .map_err(|source| Error::Tags { member: format!("sources.{i}.tags"), source })?;
            if spec.file_type.needs_reference() && spec.reference_arn.is_none() {
                return Err(Error::CramNeedsReference { member: format!("sources.{i}.referenceArn") });
            }
            if spec.source2.is_some() && !spec.file_type.allows_source2() {
                return Err(Error::Source2NotFastq { member: format!("sources.{i}.sourceFiles.source2") });
            }
            uris.push((format!("sources.{i}.sourceFiles.source1"), spec.source1.clone()));
            if let Some(source2) = &spec.source2 {
                uris.push((format!("sources.{i}.sourceFiles.source2"), source2.clone()));
            }
            if let Some(arn) = &spec.reference_arn {
                reference_arns.push((format!("sources.{i}.referenceArn"), arn.clone()));
            }
        }
        let sources = request.sources.iter().cloned().map(JobSpec::ReadSet).collect();
        let submission = Submission {
            kind: JobKind::ReadSet,
            // The token scope earlier versions stored (`Start{kind}ImportJob`).
            scope: "StartreadSetImportJob".to_owned(),
            destination: None,
            store_id: store_id.to_owned(),
            role_arn: request.role_arn.clone(),
            client_token: request.client_token.clone(),
            digest,
            sources,
            uris,
            reference_arns,
            activate: Vec::new(),
        };
        self.submit(caller, submission).await
    }

    /// A job of `caller` in `store_id` with its sources.
    pub async fn import_job(&self, caller: &Caller, store_id: &str, id: &str) -> Result<(Job, Vec<Source>), Error> {
        self.job_with_sources(caller, JobKind::ReadSet, store_id, id).await
    }

    /// Cancels a read set import job of `caller` in `store_id` (see [`Service::cancel_job`]) and
    /// returns it with its sources.
    pub async fn cancel_import_job(
        &self,
        caller: &Caller,
        store_id: &str,
        id: &str,
    ) -> Result<(Job, Vec<Source>), Error> {
        self.cancel_job(caller, JobKind::ReadSet, store_id, id).await
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
        let selection = (filter.status.clone(), filter.created_after, filter.created_before);
        let operation = "ListReadSetImportJobs";
        self.job_page(caller, JobKind::ReadSet, operation, store_id, filter, selection, max_results, next_token).await
    }

    pub(super) async fn require_store(&self, conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<(), Error> {
        match sequence_stores::get(conn, &caller.account, id).await? {
            Some(_) => Ok(()),
            None => Err(Error::NotFound { kind: "sequence store", id: id.to_owned() }),
        }
    }
}
