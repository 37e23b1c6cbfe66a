//! Sequence store use cases: create (idempotent per clientToken), get, list, update, delete.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use super::{Caller, Error, Listing, Page, Service};
use crate::db::{self, idempotency, sequence_stores as rows};
use crate::model::arn::{Arn, Resource};
use crate::model::job::JobFamily;
use crate::model::sequence_store::{Changes, ETagAlgorithmFamily, SequenceStore, SseConfig};
use crate::model::tags::{self, Tags};
use crate::model::time;

const KIND: &str = "sequence store";

/// A CreateSequenceStore request, validated against the model.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewStore {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Encryption settings.
    pub sse: Option<SseConfig>,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token (not part of the request digest).
    #[serde(skip)]
    pub client_token: Option<String>,
    /// Fallback location.
    pub fallback_location: Option<String>,
    /// ETag family; MD5up when absent.
    pub etag_family: Option<ETagAlgorithmFamily>,
    /// Propagated tag keys.
    pub propagated_set_level_tags: Option<Vec<String>>,
    /// Access log location.
    pub access_log_location: Option<String>,
}

/// An UpdateSequenceStore request.
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// What to change.
    pub changes: Changes,
    /// Idempotency token: a repeat with the same store and changes is a no-op returning the
    /// store as it is now; with another store or other changes it is [`Error::TokenReused`].
    pub client_token: Option<String>,
}

/// ListSequenceStores filter, with timestamps in microseconds as given.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Filter {
    /// Exact name.
    pub name: Option<String>,
    /// Inclusive lower bound of creation time.
    pub created_after: Option<i64>,
    /// Exclusive upper bound of creation time.
    pub created_before: Option<i64>,
    /// Only this status (every store is ACTIVE).
    pub status: Option<String>,
    /// Inclusive lower bound of update time.
    pub updated_after: Option<i64>,
    /// Exclusive upper bound of update time.
    pub updated_before: Option<i64>,
}

impl Service {
    /// The ARN of store `id` of `caller`.
    pub fn sequence_store_arn(&self, caller: &Caller, id: &str) -> String {
        Arn::new(&self.region, &caller.account, Resource::SequenceStore { id: id.to_owned() }).to_string()
    }

    /// Creates a store. With a clientToken already used by this account: the same request returns
    /// the store it created, another request is [`Error::TokenReused`]. Atomic: the store, its tags
    /// and the token record are written in one transaction. It has the default S3 access policy
    /// (nothing is recorded for it: see `s3_access_policies`).
    pub async fn create_sequence_store(&self, caller: &Caller, new: NewStore) -> Result<SequenceStore, Error> {
        tags::check_user_tags(new.tags.keys()).map_err(|source| Error::Tags { member: "tags".into(), source })?;
        if let Some(fallback) = new.fallback_location.as_deref().filter(|f| !f.is_empty()) {
            self.fallback_location(caller, fallback)?;
        }
        let digest = hex::encode(Sha256::digest(serde_json::to_vec(&new).expect("request serializes")));
        loop {
            let mut tx = self.db.begin_for(&caller.account).await?;
            if let Some(token) = &new.client_token
                && let Some(store) = self.replay_create(&mut tx, caller, token, &digest).await?
            {
                return Ok(store);
            }
            let count = rows::count(&mut tx, &caller.account).await?;
            let limit = self.quotas.sequence_stores;
            super::quotas::check(count, 1, limit, || {
                super::quotas::of_account("sequence stores", "sequence_stores", limit, "delete some")
            })?;
            let store = self.insert_store(&mut tx, caller, &new, &digest).await;
            match store {
                Ok(store) => {
                    tx.commit().await.map_err(db::Error::from)?;
                    return Ok(store);
                }
                // Another request with the same token committed first: replay it.
                Err(Error::Db(e)) if e.is_unique_violation() && new.client_token.is_some() => continue,
                Err(e) => return Err(e),
            }
        }
    }

    async fn replay_create(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        token: &str,
        digest: &str,
    ) -> Result<Option<SequenceStore>, Error> {
        let Some(record) = idempotency::find(conn, &caller.account, "CreateSequenceStore", token).await? else {
            return Ok(None);
        };
        if record.request_hash != digest {
            return Err(Error::TokenReused { token: token.to_owned() });
        }
        let store = rows::get(conn, &caller.account, &record.resource_id).await?;
        Ok(Some(store.ok_or(Error::NotFound { kind: KIND, id: record.resource_id })?))
    }

    async fn insert_store(
        &self,
        tx: &mut AnyConnection,
        caller: &Caller,
        new: &NewStore,
        digest: &str,
    ) -> Result<SequenceStore, Error> {
        let now = time::now();
        let store = SequenceStore {
            id: db::ids::reserve(tx, "sequenceStore").await?,
            account: caller.account.clone(),
            name: new.name.clone(),
            description: new.description.clone(),
            sse: new.sse.clone(),
            fallback_location: new.fallback_location.clone().filter(|s| !s.is_empty()),
            etag_family: new.etag_family.unwrap_or_default(),
            propagated_set_level_tags: new.propagated_set_level_tags.clone().unwrap_or_default(),
            access_log_location: new.access_log_location.clone().filter(|s| !s.is_empty()),
            creation_time: now,
            update_time: now,
        };
        rows::insert(tx, &store).await?;
        db::tags::put(tx, &self.sequence_store_arn(caller, &store.id), &new.tags).await?;
        if let Some(token) = &new.client_token {
            let record = idempotency::Record { request_hash: digest.to_owned(), resource_id: store.id.clone() };
            idempotency::insert(tx, &caller.account, "CreateSequenceStore", token, &record).await?;
        }
        Ok(store)
    }

    /// The store `id` of `caller`; [`Error::NotFound`] for a missing or foreign id.
    pub async fn sequence_store(&self, caller: &Caller, id: &str) -> Result<SequenceStore, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        rows::get(&mut conn, &caller.account, id).await?.ok_or_else(|| not_found(id))
    }

    /// One page of the caller's stores in (creationTime, id) order. `after` bounds are inclusive,
    /// `before` bounds exclusive.
    pub async fn list_sequence_stores(
        &self,
        caller: &Caller,
        filter: &Filter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<SequenceStore>, Error> {
        let Listing { scope, after, limit } =
            self.listing("ListSequenceStores", caller, "", filter, max_results, next_token)?;
        let status_matches = filter.status.as_deref().is_none_or(|s| s == "ACTIVE");
        let query = rows::Query {
            name: filter.name.clone(),
            created_from: filter.created_after.map(time::ceil_millis),
            created_before: filter.created_before.map(time::ceil_millis),
            updated_from: filter.updated_after.map(time::ceil_millis),
            updated_before: filter.updated_before.map(time::ceil_millis),
            after,
            limit: limit + 1,
        };
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let items = if status_matches { rows::list(&mut conn, &caller.account, &query).await? } else { vec![] };
        Ok(Page::cut(items, limit, &self.tokens, &scope, |s| (s.creation_time, s.id.clone())))
    }

    /// Applies an update. Tokens are per account and operation, like every other clientToken: one
    /// already used for the same store and the same changes makes the call a no-op that returns
    /// the store as it is now (the update is not applied twice); used with another store or other
    /// changes it is [`Error::TokenReused`], and nothing changes.
    pub async fn update_sequence_store(
        &self,
        caller: &Caller,
        id: &str,
        update: Update,
    ) -> Result<SequenceStore, Error> {
        let scope = "UpdateSequenceStore";
        if let Some(fallback) = update.changes.fallback_location.as_deref().filter(|f| !f.is_empty()) {
            self.fallback_location(caller, fallback)?;
        }
        let changes = serde_json::to_vec(&update.changes).expect("changes serialize");
        let digest = hex::encode(Sha256::digest([id.as_bytes(), b"\n", &changes].concat()));
        let mut tx = self.db.begin_for(&caller.account).await?;
        let mut store = rows::get(&mut tx, &caller.account, id).await?.ok_or_else(|| not_found(id))?;
        if let Some(token) = &update.client_token {
            if let Some(record) = idempotency::find(&mut tx, &caller.account, scope, token).await? {
                if record.request_hash != digest {
                    return Err(Error::TokenReused { token: token.clone() });
                }
                return Ok(store);
            }
            let record = idempotency::Record { request_hash: digest, resource_id: id.to_owned() };
            idempotency::insert(&mut tx, &caller.account, scope, token, &record).await?;
        }
        store.apply(update.changes, time::now());
        rows::update(&mut tx, &store).await?;
        tx.commit().await.map_err(db::Error::from)?;
        Ok(store)
    }

    /// Deletes a store with its tags, S3 access policy and token records. A store that holds read
    /// sets, that an unfinished import job targets, or that has uploads in progress is a
    /// [`Error::Conflict`].
    pub async fn delete_sequence_store(&self, caller: &Caller, id: &str) -> Result<(), Error> {
        let mut tx = self.db.begin_for(&caller.account).await?;
        if rows::get(&mut tx, &caller.account, id).await?.is_none() {
            return Err(not_found(id));
        }
        let conflict = |reason| Error::Conflict { kind: KIND, id: id.to_owned(), reason };
        if db::read_sets::any_in_store(&mut tx, &caller.account, id).await? {
            return Err(conflict("still holds read sets: delete them first (BatchDeleteReadSet)"));
        }
        if db::import_jobs::count_active(&mut tx, &caller.account, Some(id), &[JobFamily::Import]).await? > 0 {
            return Err(conflict("is the target of an import job in progress: wait for it to finish"));
        }
        if db::uploads::count_in_store(&mut tx, &caller.account, id).await? > 0 {
            return Err(conflict("has direct uploads in progress: complete or abort them first"));
        }
        rows::delete(&mut tx, &caller.account, id).await?;
        db::read_set_counts::forget(&mut tx, &caller.account, id).await?;
        db::s3_access_policies::clear(&mut tx, &caller.account, id).await?;
        db::tags::clear(&mut tx, &self.sequence_store_arn(caller, id)).await?;
        idempotency::forget_resource(&mut tx, &caller.account, id).await?;
        tx.commit().await.map_err(db::Error::from)?;
        Ok(())
    }

    /// True when `caller` owns store `id` (used by the tagging of its ARN).
    pub(super) async fn sequence_store_exists(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        id: &str,
    ) -> Result<bool, Error> {
        Ok(rows::get(conn, &caller.account, id).await?.is_some())
    }
}

fn not_found(id: &str) -> Error {
    Error::NotFound { kind: KIND, id: id.to_owned() }
}
