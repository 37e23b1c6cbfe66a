//! Read set export jobs: submission with its checks (the destination must lie in a location the
//! role may write, never in the server's own storage), reading jobs back, listing and cancelling
//! them. The work itself is the engine's `read_set_export` kind.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::imports::JobFilter;
use super::jobs::Submission;
use super::{Caller, Error, Page, Service};
use crate::config::{Location, Role};
use crate::db::{self, read_sets};
use crate::model::export::{ExportSource, S3Prefix};
use crate::model::import::Source;
use crate::model::job::{Job, JobKind, JobSpec};
use crate::model::role::RoleArn;
use crate::storage::locations::Grants;

/// A StartReadSetExportJob request, validated against the model.
#[derive(Debug, Clone, Serialize)]
pub struct StartExport {
    /// `s3://bucket/prefix/`.
    pub destination: String,
    /// IAM role ARN.
    pub role_arn: String,
    /// Idempotency token (not part of the digest).
    #[serde(skip)]
    pub client_token: Option<String>,
    /// Read set ids, 1–100.
    pub read_set_ids: Vec<String>,
}

impl Service {
    /// Submits a read set export job (see [`Service::submit`] for the checks and their order); every
    /// read set must exist in the store (else ResourceNotFoundException naming it).
    pub async fn start_export(&self, caller: &Caller, store_id: &str, request: StartExport) -> Result<Job, Error> {
        let digest = hex::encode(Sha256::digest(serde_json::to_vec(&request).expect("request serializes")));
        {
            let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
            self.require_store(&mut conn, caller, store_id).await?;
            for id in &request.read_set_ids {
                if read_sets::get(&mut conn, &caller.account, store_id, id).await?.is_none() {
                    return Err(Error::NotFound { kind: "read set", id: id.clone() });
                }
            }
        }
        let sources = request
            .read_set_ids
            .iter()
            .map(|id| {
                JobSpec::Export(ExportSource { read_set_id: id.clone(), destination: request.destination.clone() })
            })
            .collect();
        let submission = Submission {
            kind: JobKind::Export,
            scope: "StartReadSetExportJob".to_owned(),
            destination: Some(request.destination.clone()),
            store_id: store_id.to_owned(),
            role_arn: request.role_arn.clone(),
            client_token: request.client_token.clone(),
            digest,
            sources,
            uris: Vec::new(),
            reference_arns: Vec::new(),
            activate: Vec::new(),
        };
        self.submit(caller, submission).await
    }

    /// The destination must parse, lie within a location the role may write, and stay clear of the
    /// server's own storage.
    pub(super) fn check_destination(&self, grants: &Grants, role_arn: &str, destination: &str) -> Result<(), Error> {
        let member = || "destination".to_owned();
        let invalid =
            || Error::Invalid { member: member(), problem: "must be s3://bucket/ or s3://bucket/prefix/".into() };
        let prefix = S3Prefix::parse(destination).ok_or_else(invalid)?;
        if let Some(storage) = &self.imports.own_storage
            && prefix.overlaps(storage)
        {
            return Err(Error::DestinationOverlapsStorage {
                member: member(),
                destination: destination.to_owned(),
                storage: storage.to_string(),
            });
        }
        if !grants.any_writable() {
            return Err(Error::NoWritableLocations { member: member() });
        }
        if grants.writable_location_for(&prefix).is_none() {
            return Err(Error::DestinationNotWritable {
                member: member(),
                destination: destination.to_owned(),
                role_arn: role_arn.to_owned(),
            });
        }
        Ok(())
    }

    /// The location (of a configured role of `caller`'s account, with write access) that covers
    /// `fallback`, a sequence store's `fallbackLocation`; the failed uploads' files are copied there
    /// with its endpoint and credentials. ValidationException naming `fallbackLocation` when none
    /// does (always without `[[roles]]`) or it overlaps the server's own storage.
    pub(super) fn fallback_location(&self, caller: &Caller, fallback: &str) -> Result<Location, Error> {
        let invalid = |problem: String| Error::Invalid { member: "fallbackLocation".into(), problem };
        let prefix = S3Prefix::parse(fallback).ok_or_else(|| invalid("must be s3://bucket/prefix/".into()))?;
        if let Some(storage) = &self.imports.own_storage
            && prefix.overlaps(storage)
        {
            return Err(invalid(format!(
                "overlaps the server's own storage ({storage}); choose another bucket or prefix"
            )));
        }
        let of_account = |role: &&Role| RoleArn::parse(&role.arn).is_some_and(|arn| arn.account == caller.account);
        self.imports
            .roles
            .iter()
            .filter(of_account)
            .find_map(|role| Grants::of_role(role).writable_location_for(&prefix).cloned())
            .ok_or_else(|| {
                invalid(format!(
                    "no role of this account may write {fallback}: the failed uploads' files are copied there with \
                     the credentials of a [[roles.locations]] entry with access = \"write\" covering it; add one \
                     to the server's configuration, or leave fallbackLocation empty"
                ))
            })
    }

    /// An export job of `caller` in `store_id` with its sources.
    pub async fn export_job(
        &self,
        caller: &Caller,
        store_id: &str,
        id: &str,
    ) -> Result<(Job, Vec<Source<ExportSource>>), Error> {
        self.job_with_sources(caller, JobKind::Export, store_id, id).await
    }

    /// Cancels an export job (see [`Service::cancel_job`]): objects of read sets not yet written in
    /// full are never left behind.
    pub async fn cancel_export_job(
        &self,
        caller: &Caller,
        store_id: &str,
        id: &str,
    ) -> Result<(Job, Vec<Source<ExportSource>>), Error> {
        self.cancel_job(caller, JobKind::Export, store_id, id).await
    }

    /// One page of a store's export jobs in (creationTime, id) order.
    pub async fn list_export_jobs(
        &self,
        caller: &Caller,
        store_id: &str,
        filter: &JobFilter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<Job>, Error> {
        let selection = (filter.status.clone(), filter.created_after, filter.created_before);
        let operation = "ListReadSetExportJobs";
        self.job_page(caller, JobKind::Export, operation, store_id, filter, selection, max_results, next_token).await
    }
}
