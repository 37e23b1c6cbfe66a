//! The start-up sweep, over both tiers: deletes stored objects (and, on local disk, staging
//! files) of read sets and references that were never committed and that no live lease is
//! writing, the parts of uploads that no longer exist, and — within a committed read set's
//! directory — objects its row no longer names (neither as its files in that tier nor as copies a
//! tier move left to delete later): what an attempt interrupted after writing, or a deletion
//! interrupted by a crash, left behind.

use std::collections::{BTreeMap, HashSet};

use crate::db::{self, import_jobs, read_sets, references, tiers, uploads};
use crate::model::read_set::Tier;
use crate::model::time;
use crate::service::Service;
use crate::storage::objects::{READ_SETS, UPLOADS};

/// Runs the sweep once on both tiers. Safe with other processes running: objects under a live
/// lease are kept.
pub(super) async fn run(service: &Service) -> Result<(), db::Error> {
    for tier in [Tier::Hot, Tier::Archive] {
        sweep(service, tier).await?;
    }
    Ok(())
}

async fn sweep(service: &Service, tier: Tier) -> Result<(), db::Error> {
    let data = service.tier(tier);
    let (dirs, keys) = match data.inventory().await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = ?e, tier = tier.as_str(), "sweep could not list stored objects; skipping it");
            return Ok(());
        }
    };
    let mut by_read_set: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for key in &keys {
        let mut parts = key.splitn(4, '/');
        if let (Some(store), Some(READ_SETS), Some(id)) = (parts.next(), parts.next(), parts.next()) {
            by_read_set.entry((store, id)).or_default().push(key);
        }
    }
    let mut conn = service.db.pool().acquire().await?;
    let now = time::now();
    let (mut removed, mut stray) = (0, 0);
    for (store, kind, id) in dirs {
        // The live-lease check comes first: once it finds no live lease, no commit can follow
        // (a commit needs an unexpired lease, and an expired one cannot be renewed), so the
        // committed check after it is final. The other order could miss a commit in between.
        if import_jobs::read_set_in_progress(&mut conn, &id, now).await? {
            continue;
        }
        let set = if kind == READ_SETS { read_sets::find(&mut conn, &id).await? } else { None };
        let committed = match kind.as_str() {
            READ_SETS => set.is_some(),
            UPLOADS => tier == Tier::Hot && uploads::exists(&mut conn, &id).await?,
            _ => tier == Tier::Hot && references::exists(&mut conn, &id).await?,
        };
        if !committed {
            match data.delete_dir(&store, &kind, &id).await {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!(error = ?e, store, kind, id, "sweep could not delete orphan objects"),
            }
            continue;
        }
        let Some(set) = set else { continue };
        let mut named: HashSet<String> = HashSet::new();
        if set.status.tier() == tier {
            named.extend(set.files.stored().iter().map(|f| f.key.clone()));
        }
        for copy in tiers::stale_of(&mut conn, &id).await? {
            if copy.tier == tier {
                named.extend(copy.keys);
            }
        }
        for key in by_read_set.get(&(store.as_str(), id.as_str())).into_iter().flatten() {
            if named.contains(*key) {
                continue;
            }
            match data.delete(key).await {
                Ok(()) => stray += 1,
                Err(e) => tracing::warn!(error = ?e, key, "sweep could not delete a stray object"),
            }
        }
    }
    if removed > 0 || stray > 0 {
        tracing::info!(removed, stray, tier = tier.as_str(), "sweep deleted objects nothing committed names");
    }
    Ok(())
}
