//! Tagging of any resource by ARN: one mechanism that every taggable kind plugs into through
//! [`Service::owns`].

use sqlx::AnyConnection;

use super::{Caller, Error, Service};
use crate::db;
use crate::model::arn::{Arn, Resource};
use crate::model::tags::{self, MAX_TAGS, TagError, Tags};

impl Service {
    /// Parses `arn` and checks that it names an existing resource of `caller` in this region; a
    /// foreign or missing resource is the same [`Error::NotFound`].
    async fn resolve(&self, conn: &mut AnyConnection, caller: &Caller, arn: &str) -> Result<Arn, Error> {
        let parsed = Arn::parse(arn).ok_or_else(|| Error::UnsupportedArn { arn: arn.to_owned() })?;
        let not_found = || Error::NotFound { kind: "resource", id: arn.to_owned() };
        if parsed.account != caller.account || parsed.region != self.region {
            return Err(not_found());
        }
        if !self.owns(conn, caller, &parsed.resource).await? {
            return Err(not_found());
        }
        Ok(parsed)
    }

    /// True when the resource exists and belongs to `caller`. Each taggable kind adds its arm.
    async fn owns(&self, conn: &mut AnyConnection, caller: &Caller, resource: &Resource) -> Result<bool, Error> {
        match resource {
            Resource::SequenceStore { id } => self.sequence_store_exists(conn, caller, id).await,
            Resource::ReadSet { store, id } => {
                Ok(crate::db::read_sets::get(conn, &caller.account, store, id).await?.is_some())
            }
            Resource::ReferenceStore { id } => {
                Ok(crate::db::reference_stores::get(conn, &caller.account, id).await?.is_some())
            }
            Resource::Reference { store, id } => {
                Ok(crate::db::references::get(conn, &caller.account, store, id).await?.is_some())
            }
        }
    }

    /// Adds or replaces tags on a resource; at most [`MAX_TAGS`] in total afterwards.
    pub async fn tag_resource(&self, caller: &Caller, arn: &str, new: &Tags) -> Result<(), Error> {
        tags::check_user_tags(new.keys()).map_err(|source| Error::Tags { member: "tags".into(), source })?;
        let mut tx = self.db.begin_for(&caller.account).await?;
        let arn = self.resolve(&mut tx, caller, arn).await?.to_string();
        let mut all = db::tags::list(&mut tx, &arn).await?;
        all.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
        // System tags (`aws:…`) do not count toward the limit.
        let count = all.keys().filter(|k| !k.starts_with("aws:")).count();
        if count > MAX_TAGS {
            return Err(Error::Tags { member: "tags".into(), source: TagError::TooMany { count } });
        }
        db::tags::put(&mut tx, &arn, new).await?;
        tx.commit().await.map_err(db::Error::from)?;
        Ok(())
    }

    /// Removes tags by key; keys the resource does not have are ignored. System keys (`aws:`)
    /// cannot be removed.
    pub async fn untag_resource(&self, caller: &Caller, arn: &str, keys: &[String]) -> Result<(), Error> {
        tags::check_user_tags(keys).map_err(|source| Error::Tags { member: "tagKeys".into(), source })?;
        let mut tx = self.db.begin_for(&caller.account).await?;
        let arn = self.resolve(&mut tx, caller, arn).await?.to_string();
        db::tags::remove(&mut tx, &arn, keys).await?;
        tx.commit().await.map_err(db::Error::from)?;
        Ok(())
    }

    /// Every tag of a resource.
    pub async fn list_tags(&self, caller: &Caller, arn: &str) -> Result<Tags, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let arn = self.resolve(&mut conn, caller, arn).await?.to_string();
        Ok(db::tags::list(&mut conn, &arn).await?)
    }
}
