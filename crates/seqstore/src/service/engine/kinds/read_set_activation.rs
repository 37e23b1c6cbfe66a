//! Read set activation: each source is one read set made ACTIVATING when the job was submitted,
//! its archived files copied back to the store's own storage (the attempt's own directory there)
//! and verified, then — in the settlement transaction, only while it is still ACTIVATING with the
//! same files — made ACTIVE with the copies, its last access set to now (so the archiver does not
//! take it back at once), its archived copies recorded to be deleted once the grace period has
//! passed. A failed or cancelled source puts the read set back to ARCHIVED; until the commit it is
//! whole in the archive, after it whole in the hot tier.

use super::super::kind::{Attempt, Discard, Kind, Outcome, RunsAs};
use super::super::tier_copy::{self, attempt_dir, previous_dir};
use crate::db::{self, tiers};
use crate::model::read_set::{Files, ReadSet, ReadSetStatus, Tier};
use crate::model::tier::{ActivationSource, StaleCopy};
use crate::model::time;

/// The read set activation kind.
pub(in crate::service::engine) struct ReadSetActivation;

impl RunsAs for ActivationSource {
    type Kind = ReadSetActivation;
}

/// The read set as read before the copy, and its files copied back.
pub(in crate::service::engine) struct Activated {
    set: ReadSet,
    files: Files,
}

impl Kind for ReadSetActivation {
    type Spec = ActivationSource;
    type Output = Activated;
    type Kept = ();
    const OBJECTS: Option<&'static str> = None;

    async fn attempt(at: &Attempt<'_>, spec: &ActivationSource) -> Result<Activated, Outcome> {
        let set = tier_copy::read_set_to_move(at, &spec.read_set_id, ReadSetStatus::Activating, "activated").await?;
        let options = tier_copy::write_options(at, &set).await.map_err(tier_copy::abandoned)?;
        let stores = (&at.service.archive, &at.service.data);
        let files = tier_copy::copy(at, stores, &set.files, &attempt_dir(at.claim), &options).await?;
        Ok(Activated { set, files })
    }

    fn records(_output: &Activated) -> u64 {
        0
    }

    async fn commit(
        at: &Attempt<'_>,
        tx: &mut db::Tx,
        _spec: &ActivationSource,
        output: Activated,
    ) -> Result<Option<String>, db::Error> {
        let set = &output.set;
        let keys = set.files.stored().iter().map(|f| f.key.clone()).collect();
        let now = time::now();
        let moved = tiers::Move {
            account: &set.account,
            store: &set.store_id,
            id: &set.id,
            from: ReadSetStatus::Activating,
            files: &set.files,
            to: ReadSetStatus::Active,
            new_files: &output.files,
            stale: StaleCopy { tier: Tier::Archive, keys, after: now + at.service.tiers.grace.as_millis() as i64 },
            last_access: Some(now),
        };
        Ok(match tiers::move_read_set(tx, &moved).await? {
            true => {
                at.service.qc_after_activation(tx, (&set.account, &set.store_id), &set.id).await?;
                None
            }
            false => Some("not activated: the read set was deleted meanwhile".to_owned()),
        })
    }

    /// The read set goes back to ARCHIVED (inside the settlement transaction).
    async fn fail(
        at: &Attempt<'_>,
        tx: &mut db::Tx,
        spec: &ActivationSource,
        _kept: (),
        _message: &str,
    ) -> Result<(), db::Error> {
        let claim = at.claim;
        let (from, to) = (ReadSetStatus::Activating, ReadSetStatus::Archived);
        tiers::set_status(tx, &claim.account, &claim.store_id, &spec.read_set_id, from, to).await?;
        Ok(())
    }

    async fn discard(at: &Attempt<'_>, _spec: &ActivationSource, _why: Discard) {
        tier_copy::delete_dir(&at.service.data, &at.claim.store_id, &attempt_dir(at.claim)).await;
    }

    async fn discard_previous(at: &Attempt<'_>, _spec: &ActivationSource, _previous: &str) {
        tier_copy::delete_dir(&at.service.data, &at.claim.store_id, &previous_dir(at.claim)).await;
    }

    /// Deletes the copies when the commit found the read set gone.
    async fn settled(at: &Attempt<'_>, _spec: &ActivationSource) {
        tier_copy::drop_unused_copies(at, Tier::Hot).await;
    }
}
