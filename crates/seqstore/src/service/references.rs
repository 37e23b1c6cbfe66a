//! Reference stores, reference import jobs and references.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::jobs::Submission;
use super::{Caller, Error, Listing, Page, Service};
use crate::db::{self, idempotency, import_jobs, reference_sequences, reference_stores, references};
use crate::model::arn::{Arn, Resource};
use crate::model::import::Source;
use crate::model::job::{Job, JobFamily, JobKind, JobSpec};
use crate::model::reference::{Reference, ReferenceSourceSpec, ReferenceStore};
use crate::model::sequence_store::SseConfig;
use crate::model::tags::{self, Tags};
use crate::model::time;

/// A CreateReferenceStore request.
#[derive(Debug, Clone, Serialize)]
pub struct NewReferenceStore {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Encryption settings.
    pub sse: Option<SseConfig>,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token (not part of the digest).
    #[serde(skip)]
    pub client_token: Option<String>,
}

/// Name and creation-time bounds (microseconds as given) shared by the reference listings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Filter {
    /// Exact name.
    pub name: Option<String>,
    /// Exact MD5 (ListReferences only).
    pub md5: Option<String>,
    /// Status (jobs only).
    pub status: Option<String>,
    /// Inclusive lower bound.
    pub created_after: Option<i64>,
    /// Exclusive upper bound.
    pub created_before: Option<i64>,
}

impl Service {
    /// The ARN of a reference store.
    pub fn reference_store_arn(&self, account: &str, id: &str) -> String {
        Arn::new(&self.region, account, Resource::ReferenceStore { id: id.to_owned() }).to_string()
    }

    /// The ARN of a reference.
    pub fn reference_arn(&self, account: &str, store: &str, id: &str) -> String {
        let resource = Resource::Reference { store: store.to_owned(), id: id.to_owned() };
        Arn::new(&self.region, account, resource).to_string()
    }

    /// Creates a reference store with the default S3 access policy; idempotent per clientToken
    /// like sequence stores.
    pub async fn create_reference_store(
        &self,
        caller: &Caller,
        new: NewReferenceStore,
    ) -> Result<ReferenceStore, Error> {
        tags::check_user_tags(new.tags.keys()).map_err(|source| Error::Tags { member: "tags".into(), source })?;
        let digest = hex::encode(Sha256::digest(serde_json::to_vec(&new).expect("request serializes")));
        let mut tx = self.db.begin_for(&caller.account).await?;
        if let Some(token) = &new.client_token
            && let Some(record) = idempotency::find(&mut tx, &caller.account, "CreateReferenceStore", token).await?
        {
            if record.request_hash != digest {
                return Err(Error::TokenReused { token: token.clone() });
            }
            let store = reference_stores::get(&mut tx, &caller.account, &record.resource_id).await?;
            return store.ok_or(Error::NotFound { kind: "reference store", id: record.resource_id });
        }
        self.check_reference_store_quota(&mut tx, caller).await?;
        let store = ReferenceStore {
            id: db::ids::reserve(&mut tx, "referenceStore").await?,
            account: caller.account.clone(),
            name: new.name.clone(),
            description: new.description.clone(),
            sse: new.sse.clone(),
            creation_time: time::now(),
        };
        reference_stores::insert(&mut tx, &store).await?;
        db::tags::put(&mut tx, &self.reference_store_arn(&caller.account, &store.id), &new.tags).await?;
        if let Some(token) = &new.client_token {
            let record = idempotency::Record { request_hash: digest, resource_id: store.id.clone() };
            idempotency::insert(&mut tx, &caller.account, "CreateReferenceStore", token, &record).await?;
        }
        tx.commit().await.map_err(db::Error::from)?;
        Ok(store)
    }

    async fn require_reference_store(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        id: &str,
    ) -> Result<(), Error> {
        match reference_stores::get(conn, &caller.account, id).await? {
            Some(_) => Ok(()),
            None => Err(Error::NotFound { kind: "reference store", id: id.to_owned() }),
        }
    }

    /// Reference store `id` of `caller`.
    pub async fn reference_store(&self, caller: &Caller, id: &str) -> Result<ReferenceStore, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let store = reference_stores::get(&mut conn, &caller.account, id).await?;
        store.ok_or_else(|| Error::NotFound { kind: "reference store", id: id.to_owned() })
    }

    /// One page of the caller's reference stores.
    pub async fn list_reference_stores(
        &self,
        caller: &Caller,
        filter: &Filter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<ReferenceStore>, Error> {
        let Listing { scope, after, limit } =
            self.listing("ListReferenceStores", caller, "", filter, max_results, next_token)?;
        let query = reference_stores::Query {
            name: filter.name.clone(),
            created_from: filter.created_after.map(time::ceil_millis),
            created_before: filter.created_before.map(time::ceil_millis),
            after,
            limit: limit + 1,
        };
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let items = reference_stores::list(&mut conn, &caller.account, &query).await?;
        Ok(Page::cut(items, limit, &self.tokens, &scope, |s| (s.creation_time, s.id.clone())))
    }

    /// Deletes an empty reference store with its tags and S3 access policy.
    pub async fn delete_reference_store(&self, caller: &Caller, id: &str) -> Result<(), Error> {
        let mut tx = self.db.begin_for(&caller.account).await?;
        if reference_stores::get(&mut tx, &caller.account, id).await?.is_none() {
            return Err(Error::NotFound { kind: "reference store", id: id.to_owned() });
        }
        let conflict = |reason| Error::Conflict { kind: "reference store", id: id.to_owned(), reason };
        if references::count_in_store(&mut tx, &caller.account, id).await? > 0 {
            return Err(conflict("still holds references: delete them first (DeleteReference)"));
        }
        if import_jobs::count_active(&mut tx, &caller.account, Some(id), &[JobFamily::Import]).await? > 0 {
            return Err(conflict("is the target of an import job in progress: wait for it to finish"));
        }
        reference_stores::delete(&mut tx, &caller.account, id).await?;
        db::s3_access_policies::clear(&mut tx, &caller.account, id).await?;
        db::tags::clear(&mut tx, &self.reference_store_arn(&caller.account, id)).await?;
        idempotency::forget_resource(&mut tx, &caller.account, id).await?;
        tx.commit().await.map_err(db::Error::from)?;
        Ok(())
    }

    /// Submits a reference import job (checks as for read sets, see [`Service::submit`]).
    pub async fn start_reference_import(
        &self,
        caller: &Caller,
        store_id: &str,
        role_arn: &str,
        client_token: Option<String>,
        sources: Vec<ReferenceSourceSpec>,
    ) -> Result<Job, Error> {
        for (i, spec) in sources.iter().enumerate() {
            tags::check_user_tags(spec.tags.keys())
                .map_err(|source| Error::Tags { member: format!("sources.{i}.tags"), source })?;
        }
        let body = (role_arn, &sources);
        let digest = hex::encode(Sha256::digest(serde_json::to_vec(&body).expect("request serializes")));
        let uris = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("sources.{i}.sourceFile"), s.source_file.clone()))
            .collect();
        let submission = Submission {
            kind: JobKind::Reference,
            // The token scope earlier versions stored (`Start{kind}ImportJob`).
            scope: "StartreferenceImportJob".to_owned(),
            destination: None,
            store_id: store_id.to_owned(),
            role_arn: role_arn.to_owned(),
            client_token,
            digest,
            sources: sources.into_iter().map(JobSpec::Reference).collect(),
            uris,
            reference_arns: Vec::new(),
            activate: Vec::new(),
        };
        self.submit(caller, submission).await
    }

    /// A reference import job with its sources.
    pub async fn reference_import_job(
        &self,
        caller: &Caller,
        store_id: &str,
        id: &str,
    ) -> Result<(Job, Vec<Source<ReferenceSourceSpec>>), Error> {
        self.job_with_sources(caller, JobKind::Reference, store_id, id).await
    }

    /// Cancels a reference import job of `caller` in `store_id` (see [`Service::cancel_job`]) and
    /// returns it with its sources.
    pub async fn cancel_reference_import_job(
        &self,
        caller: &Caller,
        store_id: &str,
        id: &str,
    ) -> Result<(Job, Vec<Source<ReferenceSourceSpec>>), Error> {
        self.cancel_job(caller, JobKind::Reference, store_id, id).await
    }

    /// One page of a reference store's import jobs.
    pub async fn list_reference_import_jobs(
        &self,
        caller: &Caller,
        store_id: &str,
        filter: &Filter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<Job>, Error> {
        let selection = (filter.status.clone(), filter.created_after, filter.created_before);
        let operation = "ListReferenceImportJobs";
        self.job_page(caller, JobKind::Reference, operation, store_id, filter, selection, max_results, next_token).await
    }

    /// Reference `id` in `store_id` of `caller`.
    pub async fn reference(&self, caller: &Caller, store_id: &str, id: &str) -> Result<Reference, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_reference_store(&mut conn, caller, store_id).await?;
        let reference = references::get(&mut conn, &caller.account, store_id, id).await?;
        reference.ok_or_else(|| Error::NotFound { kind: "reference", id: id.to_owned() })
    }

    /// One page of a store's references.
    pub async fn list_references(
        &self,
        caller: &Caller,
        store_id: &str,
        filter: &Filter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<Reference>, Error> {
        let Listing { scope, after, limit } =
            self.listing("ListReferences", caller, store_id, filter, max_results, next_token)?;
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_reference_store(&mut conn, caller, store_id).await?;
        let query = references::Query {
            name: filter.name.clone(),
            md5: filter.md5.clone(),
            created_from: filter.created_after.map(time::ceil_millis),
            created_before: filter.created_before.map(time::ceil_millis),
            after,
            limit: limit + 1,
        };
        let items = references::list(&mut conn, &caller.account, store_id, &query).await?;
        Ok(Page::cut(items, limit, &self.tokens, &scope, |r| (r.creation_time, r.id.clone())))
    }

    /// Deletes a reference no read set and no unfinished import names, with its tags and its
    /// sequences' digests (`reference_sequences`: refget no longer finds them).
    pub async fn delete_reference(&self, caller: &Caller, store_id: &str, id: &str) -> Result<(), Error> {
        let arn = self.reference_arn(&caller.account, store_id, id);
        let mut tx = self.db.begin_for(&caller.account).await?;
        if references::get(&mut tx, &caller.account, store_id, id).await?.is_none() {
            return Err(Error::NotFound { kind: "reference", id: id.to_owned() });
        }
        let conflict = |reason| Error::Conflict { kind: "reference", id: id.to_owned(), reason };
        if references::used_by_read_sets(&mut tx, &arn).await? {
            return Err(conflict("is used by read sets: delete them first"));
        }
        if import_jobs::reference_in_use(&mut tx, &arn).await? {
            return Err(conflict("is named by an import job in progress: wait for it to finish"));
        }
        references::delete(&mut tx, &caller.account, store_id, id).await?;
        reference_sequences::delete_of(&mut tx, &caller.account, id).await?;
        db::tags::clear(&mut tx, &arn).await?;
        tx.commit().await.map_err(db::Error::from)?;
        if let Err(e) = self.data.delete_reference(store_id, id).await {
            tracing::warn!(error = ?e, reference = id, "objects of a deleted reference remain; the sweep will remove them");
        }
        Ok(())
    }
}
