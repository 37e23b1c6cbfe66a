//! The objects of a store's S3 access point, for the S3 endpoint: a sequence store shows each
//! ACTIVE read set's files under `{account}/sequenceStore/{storeId}/readSet/{readSetId}/{name}`,
//! a reference store each reference's FASTA and its index under
//! `{account}/referenceStore/{storeId}/reference/{referenceId}/{name}` (the layout of
//! [`crate::model::s3_access`]). Nothing here checks the caller: the endpoint decides with the
//! bucket's policy ([`S3Bucket::policy`]) before it shows anything.

use std::ops::Range;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::path::Path;
use sqlx::AnyConnection;

use super::{Error, Service};
use crate::db;
use crate::model::read_set::{ReadSet, ReadSetStatus, StoredFile};
use crate::model::reference::Reference;
use crate::model::reference::names as reference_names;
use crate::model::s3_access::{self, Policy, StoreType};
use crate::model::tags::Tags;
use crate::model::time::Millis;
use crate::service::Caller;

/// Rows read per query while listing.
const LIST_BATCH: i64 = 200;

/// A store's access point, found by its bucket alias.
#[derive(Debug, Clone)]
pub struct S3Bucket {
    /// The owner account.
    pub owner: String,
    /// The store's id.
    pub store_id: String,
    /// The store's kind.
    pub store_type: StoreType,
    /// The policy in force; `None` after DeleteS3AccessPolicy (nobody may read).
    pub policy: Option<Policy>,
}

impl S3Bucket {
    /// The directory every object key of the bucket starts with:
    /// `{account}/sequenceStore/{storeId}/readSet/` or `…/referenceStore/{storeId}/reference/`.
    pub fn objects_dir(&self) -> String {
        let kind = match self.store_type {
            StoreType::Sequence => "readSet",
            StoreType::Reference => "reference",
        };
        format!("{}{kind}/", s3_access::store_prefix(&self.owner, self.store_type, &self.store_id))
    }
}

/// One object of a bucket.
#[derive(Debug, Clone)]
pub struct S3Object {
    /// Its key.
    pub key: String,
    /// The stored file it shows.
    pub file: StoredFile,
    /// When its read set or reference was created.
    pub last_modified: Millis,
    /// The read set it belongs to (`None` for a reference's file), whose reads are noted.
    pub read_set: Option<String>,
}

/// What a key names.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// An object of an ACTIVE read set or of a reference, with the tags conditions see.
    Found {
        /// The object.
        object: S3Object,
        /// Its tags: the resource's own and the system tags (`omics:…`).
        tags: Tags,
    },
    /// A read set that is not ACTIVE: its files cannot be read (`InvalidObjectState`).
    NotActive {
        /// Its status.
        status: ReadSetStatus,
        /// Its tags, as for a found object.
        tags: Tags,
    },
    /// Nothing.
    Missing,
}

/// The bytes of an object, as storage delivers them.
pub type ObjectStream = BoxStream<'static, Result<Bytes, std::io::Error>>;

impl Service {
    /// The access point whose bucket alias is `alias` (`{account}-{storeId}-s3alias`), with its
    /// policy in force; `None` when no store of that account has that id.
    pub async fn s3_bucket(&self, alias: &str) -> Result<Option<S3Bucket>, Error> {
        let Some((owner, store_id)) = s3_access::parse_bucket_alias(alias) else { return Ok(None) };
        let caller = Caller { account: owner.clone() };
        let arn = self.access_point_arn(&owner, &store_id);
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let access_point = match self.access_point(&mut conn, &caller, &arn).await {
            Ok(access_point) => access_point,
            Err(Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        let policy = match super::s3_access_policies::policy_of(&mut conn, &access_point).await? {
            None => None,
            Some((text, _)) => Policy::parse(&text, &arn)
                .inspect_err(|error| tracing::warn!(store = store_id, %error, "the recorded S3 access policy no longer parses: it grants nothing"))
                .ok(),
        };
        Ok(Some(S3Bucket { owner, store_id, store_type: access_point.store_type, policy }))
    }

    /// What `key` names in `bucket`.
    pub async fn s3_object(&self, bucket: &S3Bucket, key: &str) -> Result<Lookup, Error> {
        let Some((id, _name)) = key.strip_prefix(&bucket.objects_dir()).and_then(|rest| rest.split_once('/')) else {
            return Ok(Lookup::Missing);
        };
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        match bucket.store_type {
            StoreType::Sequence => {
                let Some(set) = db::read_sets::get(&mut conn, &bucket.owner, &bucket.store_id, id).await? else {
                    return Ok(Lookup::Missing);
                };
                let tags = self.read_set_object_tags(&mut conn, &set).await?;
                drop(conn);
                if !set.is_active() {
                    return Ok(Lookup::NotActive { status: set.status, tags });
                }
                let object = self.read_set_objects(bucket, &set).await?.into_iter().find(|o| o.key == key);
                Ok(object.map_or(Lookup::Missing, |object| Lookup::Found { object, tags }))
            }
            StoreType::Reference => {
                let Some(reference) = db::references::get(&mut conn, &bucket.owner, &bucket.store_id, id).await? else {
                    return Ok(Lookup::Missing);
                };
                let mut tags =
                    db::tags::list(&mut conn, &self.reference_arn(&bucket.owner, &bucket.store_id, id)).await?;
                tags.insert("omics:referenceId".into(), reference.id.clone());
                let object = reference_objects(bucket, &reference).into_iter().find(|o| o.key == key);
                Ok(object.map_or(Lookup::Missing, |object| Lookup::Found { object, tags }))
            }
        }
    }

    /// Up to `limit` objects of `bucket` whose keys start with `prefix` and come after `after`,
    /// in key order (UTF-8 bytes), read sets that are not ACTIVE left out. Reads the store's rows
    /// in batches from the first whose keys can match, and stops at the first key past `prefix`.
    pub async fn s3_objects(
        &self,
        bucket: &S3Bucket,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<S3Object>, Error> {
        let dir = bucket.objects_dir();
        if !(prefix.starts_with(&dir) || dir.starts_with(prefix)) {
            return Ok(Vec::new());
        }
        // The first key that can be listed is at or after `lower`; its id part bounds the rows.
        let lower = if after >= prefix { after } else { prefix };
        let mut from = match lower.strip_prefix(dir.as_str()) {
            Some(rest) => rest.split('/').next().unwrap_or_default().to_owned(),
            None if lower < dir.as_str() => String::new(),
            None => return Ok(Vec::new()),
        };
        let mut inclusive = true;
        let mut found = Vec::new();
        loop {
            let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
            let batch: Vec<Vec<S3Object>> = match bucket.store_type {
                StoreType::Sequence => {
                    let sets =
                        db::read_sets::page_of_store(&mut conn, &bucket.store_id, &from, inclusive, LIST_BATCH).await?;
                    drop(conn);
                    let mut batch = Vec::with_capacity(sets.len());
                    for set in sets.iter().filter(|s| s.is_active() && s.account == bucket.owner) {
                        batch.push(self.read_set_objects(bucket, set).await?);
                    }
                    from = sets.last().map(|s| s.id.clone()).unwrap_or_default();
                    if sets.len() < LIST_BATCH as usize {
                        from.clear();
                    }
                    batch
                }
                StoreType::Reference => {
                    let refs = db::references::page_of_store(&mut conn, &bucket.store_id, &from, inclusive, LIST_BATCH)
                        .await?;
                    let batch = refs
                        .iter()
                        .filter(|r| r.account == bucket.owner)
                        .map(|r| reference_objects(bucket, r))
                        .collect();
                    from = refs.last().map(|r| r.id.clone()).unwrap_or_default();
                    if refs.len() < LIST_BATCH as usize {
                        from.clear();
                    }
                    batch
                }
            };
            for object in batch.into_iter().flatten() {
                if object.key.as_str() <= after || !object.key.starts_with(prefix) {
                    if object.key.as_str() > prefix && !object.key.starts_with(prefix) {
                        return Ok(found);
                    }
                    continue;
                }
                found.push(object);
                if found.len() >= limit {
                    return Ok(found);
                }
            }
            if from.is_empty() {
                return Ok(found);
            }
            inclusive = false;
        }
    }

    /// Bytes `range` of `file` (of an object [`Service::s3_object`] found), streamed from
    /// storage from the range's start.
    pub async fn s3_object_bytes(&self, file: &StoredFile, range: Range<u64>) -> Result<ObjectStream, Error> {
        let stream = self.data.get_range(&Path::from(file.key.as_str()), range).await;
        let stream =
            stream.map_err(|e| Error::Storage { what: "the object could not be read", source: Box::new(e) })?;
        Ok(stream.map(|chunk| chunk.map_err(std::io::Error::other)).boxed())
    }

    /// The objects of ACTIVE read set `set`, in key order.
    async fn read_set_objects(&self, bucket: &S3Bucket, set: &ReadSet) -> Result<Vec<S3Object>, Error> {
        let names = self.read_set_file_names(set).await?;
        let files = &set.files;
        let named =
            [(&files.source1, Some(names.source1)), (&files.source2, names.source2), (&files.index, names.index)];
        let mut objects: Vec<S3Object> = named
            .into_iter()
            .filter_map(|(file, name)| Some((file.as_ref()?, name?)))
            .map(|(file, name)| S3Object {
                key: s3_access::read_set_key(&bucket.owner, &bucket.store_id, &set.id, &name),
                file: file.clone(),
                last_modified: set.creation_time,
                read_set: Some(set.id.clone()),
            })
            .collect();
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    /// The tags of read set `set`'s objects: its own and the system tags `omics:readSetId`,
    /// `omics:subjectId`, `omics:sampleId`, `omics:fileType` and, when it has one,
    /// `omics:referenceArn`.
    async fn read_set_object_tags(&self, conn: &mut AnyConnection, set: &ReadSet) -> Result<Tags, Error> {
        let mut tags = db::tags::list(conn, &self.read_set_arn(&set.account, &set.store_id, &set.id)).await?;
        tags.insert("omics:readSetId".into(), set.id.clone());
        tags.insert("omics:subjectId".into(), set.subject_id.clone());
        tags.insert("omics:sampleId".into(), set.sample_id.clone());
        tags.insert("omics:fileType".into(), set.file_type.as_str().to_owned());
        if let Some(arn) = &set.reference_arn {
            tags.insert("omics:referenceArn".into(), arn.clone());
        }
        Ok(tags)
    }
}

/// The objects of `reference`: its FASTA and its index beside it, named by
/// [`crate::model::reference::names`], in key order.
fn reference_objects(bucket: &S3Bucket, reference: &Reference) -> Vec<S3Object> {
    let (source, index) = (reference_names::source_name(reference), reference_names::index_name(reference));
    let files = &reference.files;
    let mut objects: Vec<S3Object> = [(&files.source, source), (&files.index, index)]
        .into_iter()
        .filter_map(|(file, name)| Some((file.as_ref()?, name)))
        .map(|(file, name)| S3Object {
            key: s3_access::reference_key(&bucket.owner, &bucket.store_id, &reference.id, &name),
            file: file.clone(),
            last_modified: reference.creation_time,
            read_set: None,
        })
        .collect();
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    objects
}
