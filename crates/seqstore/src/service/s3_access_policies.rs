//! S3 access policies of stores' access points: PutS3AccessPolicy, GetS3AccessPolicy and
//! DeleteS3AccessPolicy, the default policy every new store gets, and the policy in force that the
//! S3 endpoint enforces ([`Service::s3_access_policy_in_force`]).
//!
//! A store's policy is one of three: nothing recorded — every store from its creation until a Put
//! or Delete, those created before policies existed included — which is the default policy
//! ([`Policy::default_text`]: the owner account reads everything), made when asked for and dated
//! with the store's creation; recorded text (PutS3AccessPolicy); or recorded deletion (no S3
//! access at all). The default is made with the current ARN, so a change of the server's region
//! keeps it valid; a policy put names the ARN of its time.

use sqlx::AnyConnection;

use super::{Caller, Error, Service};
use crate::db::{self, s3_access_policies as rows};
use crate::model::s3_access::{self, Policy, StoreType};
use crate::model::time::{self, Millis};

/// A store's access point, as the caller named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPoint {
    /// Its ARN.
    pub arn: String,
    /// The store's id.
    pub store_id: String,
    /// The store's kind.
    pub store_type: StoreType,
    /// The owner account.
    account: String,
    /// When the store was created (the date of a default policy nobody recorded).
    store_creation: Millis,
}

/// A store's policy, as GetS3AccessPolicy shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    /// The access point.
    pub access_point: AccessPoint,
    /// The policy's JSON text.
    pub policy: String,
    /// When it was put (or the store created, for the default).
    pub update_time: Millis,
}

impl Service {
    /// The ARN of store `store_id`'s access point in this region.
    pub fn access_point_arn(&self, account: &str, store_id: &str) -> String {
        s3_access::access_point_arn(&self.region, account, store_id)
    }

    /// Checks `text` against the dialect and makes it the policy of the access point `arn`, in
    /// force from the next request through it. A missing or foreign store is [`Error::NotFound`];
    /// a refused policy is [`Error::S3AccessPolicy`] naming the problem, and changes nothing.
    pub async fn put_s3_access_policy(&self, caller: &Caller, arn: &str, text: &str) -> Result<AccessPoint, Error> {
        let mut tx = self.db.begin_for(&caller.account).await?;
        let access_point = self.access_point(&mut tx, caller, arn).await?;
        Policy::parse(text, &access_point.arn).map_err(|source| Error::S3AccessPolicy { source })?;
        rows::set(&mut tx, &caller.account, &access_point.store_id, Some(text), time::now()).await?;
        tx.commit().await.map_err(db::Error::from)?;
        Ok(access_point)
    }

    /// The policy of the access point `arn`: [`Error::NotFound`] for a missing or foreign store,
    /// and for a store whose policy was deleted.
    pub async fn s3_access_policy(&self, caller: &Caller, arn: &str) -> Result<StoredPolicy, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let access_point = self.access_point(&mut conn, caller, arn).await?;
        match policy_of(&mut conn, &access_point).await? {
            Some((policy, update_time)) => Ok(StoredPolicy { access_point, policy, update_time }),
            None => Err(Error::NotFound { kind: "S3 access policy of", id: access_point.arn }),
        }
    }

    /// Deletes the policy of the access point `arn`: nothing may be read through it from then on,
    /// by the owner neither, until a policy is put. Deleting it again does nothing.
    pub async fn delete_s3_access_policy(&self, caller: &Caller, arn: &str) -> Result<(), Error> {
        let mut tx = self.db.begin_for(&caller.account).await?;
        let access_point = self.access_point(&mut tx, caller, arn).await?;
        let deleted = matches!(
            rows::get(&mut tx, &caller.account, &access_point.store_id).await?,
            Some(rows::Recorded { policy: None, .. })
        );
        if !deleted {
            rows::set(&mut tx, &caller.account, &access_point.store_id, None, time::now()).await?;
        }
        tx.commit().await.map_err(db::Error::from)?;
        Ok(())
    }

    /// The policy in force on store `store_id` of `owner`, for the S3 endpoint to
    /// [`evaluate`](s3_access::evaluate) each request with: `None` when it was deleted (nothing
    /// may be read). A missing store is [`Error::NotFound`]. A recorded policy that no longer
    /// parses (the server's region changed since, so it names another ARN) grants nothing, and is
    /// logged.
    pub async fn s3_access_policy_in_force(&self, owner: &str, store_id: &str) -> Result<Option<Policy>, Error> {
        let caller = Caller { account: owner.to_owned() };
        let arn = self.access_point_arn(owner, store_id);
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let access_point = self.access_point(&mut conn, &caller, &arn).await?;
        let Some((text, _)) = policy_of(&mut conn, &access_point).await? else { return Ok(None) };
        match Policy::parse(&text, &arn) {
            Ok(policy) => Ok(Some(policy)),
            Err(error) => {
                let message = "the recorded S3 access policy no longer parses: it grants nothing";
                tracing::warn!(store = store_id, %error, "{message}");
                Ok(None)
            }
        }
    }

    /// The access point `arn` names, when it is one of `caller`'s stores in this region.
    pub(super) async fn access_point(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        arn: &str,
    ) -> Result<AccessPoint, Error> {
        let Some((region, account, store_id)) = s3_access::parse_access_point_arn(arn) else {
            let problem = "not the ARN of a seqstore S3 access point: arn:aws:s3:REGION:ACCOUNT:accesspoint/STORE_ID \
                           (the id of a sequence or reference store)";
            return Err(Error::Invalid { member: "s3AccessPointArn".into(), problem: problem.into() });
        };
        let not_found = || Error::NotFound { kind: "S3 access point", id: arn.to_owned() };
        if region != self.region || account != caller.account {
            return Err(not_found());
        }
        let (store_type, store_creation) =
            if let Some(store) = db::sequence_stores::get(conn, &caller.account, &store_id).await? {
                (StoreType::Sequence, store.creation_time)
            } else if let Some(store) = db::reference_stores::get(conn, &caller.account, &store_id).await? {
                (StoreType::Reference, store.creation_time)
            } else {
                return Err(not_found());
            };
        Ok(AccessPoint { arn: arn.to_owned(), store_id, store_type, account, store_creation })
    }
}

/// The policy text of `access_point` and its date; `None` when it was deleted.
pub(super) async fn policy_of(
    conn: &mut AnyConnection,
    access_point: &AccessPoint,
) -> Result<Option<(String, Millis)>, Error> {
    Ok(match rows::get(conn, &access_point.account, &access_point.store_id).await? {
        Some(rows::Recorded { policy: Some(policy), update_time }) => Some((policy, update_time)),
        Some(rows::Recorded { policy: None, .. }) => None,
        None => Some((Policy::default_text(&access_point.arn, &access_point.account), access_point.store_creation)),
    })
}
