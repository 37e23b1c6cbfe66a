//! Read set archiving: each source is one ACTIVE read set of the job's store, its files copied to
//! the archive tier (the attempt's own directory there) and verified, then — in the settlement
//! transaction, only while the read set is still ACTIVE with the same files — made ARCHIVED with
//! the archived files, its hot copies recorded to be deleted once the grace period has passed
//! (downloads already reading them finish). Until that commit the read set is ACTIVE and whole in
//! the hot tier; after it, ARCHIVED and whole in the archive: a crash anywhere leaves one of the
//! two, and the copies of an unfinished attempt are deleted by the next attempt or the sweep.

use super::super::kind::{Attempt, Discard, Kind, Outcome, RunsAs};
use super::super::tier_copy::{self, attempt_dir, previous_dir};
use crate::db::{self, tiers};
use crate::model::read_set::{Files, ReadSet, ReadSetStatus, Tier};
use crate::model::tier::{ArchiveSource, StaleCopy};
use crate::model::time;

/// The read set archive kind.
pub(in crate::service::engine) struct ReadSetArchive;

impl RunsAs for ArchiveSource {
    type Kind = ReadSetArchive;
}

/// The read set as read before the copy, and its archived files.
pub(in crate::service::engine) struct Archived {
    set: ReadSet,
    files: Files,
}

impl Kind for ReadSetArchive {
    type Spec = ArchiveSource;
    type Output = Archived;
    type Kept = ();
    const OBJECTS: Option<&'static str> = None;

    async fn attempt(at: &Attempt<'_>, spec: &ArchiveSource) -> Result<Archived, Outcome> {
        let set = tier_copy::read_set_to_move(at, &spec.read_set_id, ReadSetStatus::Active, "archived").await?;
        let options = tier_copy::write_options(at, &set).await.map_err(tier_copy::abandoned)?;
        let stores = (&at.service.data, &at.service.archive);
        let files = tier_copy::copy(at, stores, &set.files, &attempt_dir(at.claim), &options).await?;
        Ok(Archived { set, files })
    }

    fn records(_output: &Archived) -> u64 {
        0
    }

    async fn commit(
        at: &Attempt<'_>,
        tx: &mut db::Tx,
        _spec: &ArchiveSource,
        output: Archived,
    ) -> Result<Option<String>, db::Error> {
        let set = &output.set;
        let keys = set.files.stored().iter().map(|f| f.key.clone()).collect();
        let after = time::now() + at.service.tiers.grace.as_millis() as i64;
        let moved = tiers::Move {
            account: &set.account,
            store: &set.store_id,
            id: &set.id,
            from: ReadSetStatus::Active,
            files: &set.files,
            to: ReadSetStatus::Archived,
            new_files: &output.files,
            stale: StaleCopy { tier: Tier::Hot, keys, after },
            last_access: None,
        };
        Ok(Some(match tiers::move_read_set(tx, &moved).await? {
            true => format!("archived {} bytes", set.files.total_bytes()),
            false => "not archived: the read set was deleted or changed meanwhile".to_owned(),
        }))
    }

    async fn discard(at: &Attempt<'_>, _spec: &ArchiveSource, _why: Discard) {
        tier_copy::delete_dir(&at.service.archive, &at.claim.store_id, &attempt_dir(at.claim)).await;
    }

    async fn discard_previous(at: &Attempt<'_>, _spec: &ArchiveSource, _previous: &str) {
        tier_copy::delete_dir(&at.service.archive, &at.claim.store_id, &previous_dir(at.claim)).await;
    }

    /// Deletes the archived copies when the commit found the read set changed (they are nobody's).
    async fn settled(at: &Attempt<'_>, _spec: &ArchiveSource) {
        tier_copy::drop_unused_copies(at, Tier::Archive).await;
    }
}
