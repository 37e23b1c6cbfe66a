//! Verification of stored objects at rest (`seqstore verify`): the stored files of read sets
//! (`source1`, `source2`, the index) and references (the FASTA as imported, its BGZF copy, `.fai`,
//! `.gzi`) are re-read and their size and SHA-256 compared with what the import recorded. It only
//! reads: it can run beside `seqstore serve`, and an object whose read set or reference is deleted
//! meanwhile is not reported. The caller renders what it yields; nothing here prints.

use futures_util::{Stream, StreamExt};
use object_store::ObjectStoreExt;
use object_store::path::Path;
use seqstore_formats::digest::{Algorithm, Digest};

use super::{Error, Service};
use crate::db::{self, read_sets, references};
use crate::model::read_set::{StoredFile, Tier};
use crate::report::chain;
use crate::storage::objects;

/// Objects read at once.
const CONCURRENCY: usize = 4;
/// Bytes asked for in one request, so that no request streams for long.
const WINDOW: u64 = 16 * 1024 * 1024;
/// Rows fetched per query.
const PAGE: i64 = 500;

/// What a stored file belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A read set, by id.
    ReadSet(String),
    /// A reference, by id.
    Reference(String),
}

/// One stored file to check.
#[derive(Debug, Clone)]
pub struct Item {
    /// Its sequence or reference store's id.
    pub store: String,
    /// Its read set or reference.
    pub owner: Owner,
    /// Which of the owner's files: `source1`, `source2`, `index`; `source`, `index`, `bgzf`, `gzi`.
    pub file: &'static str,
    /// Its key, size and SHA-256 as the import recorded them.
    pub recorded: StoredFile,
    /// The tier its key is in (an archived read set's files are in the archive).
    pub tier: Tier,
}

/// What is wrong with one stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The object does not exist.
    Missing,
    /// The object's size is not the recorded one.
    Size {
        /// Bytes recorded.
        recorded: u64,
        /// Bytes found.
        found: u64,
    },
    /// The object's SHA-256 is not the recorded one.
    Sha256 {
        /// Hex digest recorded.
        recorded: String,
        /// Hex digest of the bytes read.
        found: String,
    },
    /// The object could not be read: the error and its sources, on one line.
    Unreadable(String),
}

/// The stored files to check, and how many read sets and references hold them.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    /// Every stored file, read sets' first, in id order.
    pub items: Vec<Item>,
    /// Read sets listed.
    pub read_sets: u64,
    /// References listed.
    pub references: u64,
}

impl Inventory {
    /// The recorded bytes of every item.
    pub fn bytes(&self) -> u64 {
        self.items.iter().map(|i| i.recorded.content_length).sum()
    }
}

/// One stored file checked: `damage` is `None` when it is intact.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The file.
    pub item: Item,
    /// What is wrong with its object.
    pub damage: Option<Damage>,
}

/// What one verification saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Read sets whose files were checked.
    pub read_sets: u64,
    /// References whose files were checked.
    pub references: u64,
    /// Objects checked.
    pub objects: u64,
    /// Their bytes, as recorded.
    pub bytes: u64,
    /// Objects with no recorded SHA-256 (imported by older versions), checked by size only.
    pub size_only: u64,
    /// Damaged or missing objects.
    pub problems: usize,
}

impl Summary {
    /// Nothing checked yet of `inventory`.
    pub fn of(inventory: &Inventory) -> Self {
        Self { read_sets: inventory.read_sets, references: inventory.references, ..Self::default() }
    }

    /// Counts `checked` in.
    pub fn count(&mut self, checked: &Checked) {
        self.objects += 1;
        self.bytes += checked.item.recorded.content_length;
        self.size_only += u64::from(checked.item.recorded.sha256.is_empty());
        self.problems += usize::from(checked.damage.is_some());
    }
}

impl Service {
    /// Every stored file of the read sets and references of every account (of `store` only, a
    /// sequence or reference store id, when given).
    pub async fn scrub_inventory(&self, store: Option<&str>) -> Result<Inventory, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let mut inventory = Inventory::default();
        let mut after = String::new();
        loop {
            let page = read_sets::page_all(&mut conn, store, &after, PAGE).await?;
            let full = page.len() as i64 == PAGE;
            for set in page {
                inventory.read_sets += 1;
                let files =
                    [("source1", set.files.source1), ("source2", set.files.source2), ("index", set.files.index)];
                let (owner, tier) = (Owner::ReadSet(set.id.clone()), set.status.tier());
                inventory.items.extend(files.into_iter().filter_map(|(file, recorded)| {
                    Some(Item { store: set.store_id.clone(), owner: owner.clone(), file, recorded: recorded?, tier })
                }));
                after = set.id;
            }
            if !full {
                break;
            }
        }
        after.clear();
        loop {
            let page = references::page_all(&mut conn, store, &after, PAGE).await?;
            let full = page.len() as i64 == PAGE;
            for reference in page {
                inventory.references += 1;
                let f = reference.files;
                let files = [("source", f.source), ("index", f.index), ("bgzf", f.bgzf), ("gzi", f.gzi)];
                let owner = Owner::Reference(reference.id.clone());
                inventory.items.extend(files.into_iter().filter_map(|(file, recorded)| {
                    Some(Item {
                        store: reference.store_id.clone(),
                        owner: owner.clone(),
                        file,
                        recorded: recorded?,
                        tier: Tier::Hot,
                    })
                }));
                after = reference.id;
            }
            if !full {
                break;
            }
        }
        Ok(inventory)
    }

    /// Checks the objects of `items`, a few at once, yielding each as it is checked (in no
    /// particular order). A missing object whose owner no longer exists (deleted since the
    /// inventory) is left out.
    pub fn scrub_objects(&self, items: Vec<Item>) -> impl Stream<Item = Result<Checked, Error>> + '_ {
        futures_util::stream::iter(items)
            .map(move |item| async move {
                let damage = self.scrub_object(item.tier, &item.recorded).await;
                Checked { item, damage }
            })
            .buffer_unordered(CONCURRENCY)
            .filter_map(move |checked| async move {
                if checked.damage != Some(Damage::Missing) {
                    return Some(Ok(checked));
                }
                match self.scrub_owner_exists(&checked.item.owner).await {
                    Ok(true) => Some(Ok(checked)),
                    Ok(false) => None,
                    Err(e) => Some(Err(e)),
                }
            })
    }

    /// What is wrong with the object of `file`, if anything.
    pub async fn scrub_object(&self, tier: Tier, file: &StoredFile) -> Option<Damage> {
        let key = Path::from(file.key.as_str());
        let meta = match self.tier(tier).object_store().head(&key).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => return Some(Damage::Missing),
            Err(e) => return Some(Damage::Unreadable(chain(&e))),
        };
        if meta.size != file.content_length {
            return Some(Damage::Size { recorded: file.content_length, found: meta.size });
        }
        if file.sha256.is_empty() {
            return None;
        }
        match self.object_digests(tier, &key, meta.size, [Algorithm::Sha256]).await {
            Ok([found]) if found == file.sha256 => None,
            Ok([found]) => Some(Damage::Sha256 { recorded: file.sha256.clone(), found }),
            Err(object_store::Error::NotFound { .. }) => Some(Damage::Missing),
            Err(e) => Some(Damage::Unreadable(chain(&e))),
        }
    }

    /// True while the owner of a stored file is still recorded.
    pub async fn scrub_owner_exists(&self, owner: &Owner) -> Result<bool, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(match owner {
            Owner::ReadSet(id) => read_sets::exists(&mut conn, id).await?,
            Owner::Reference(id) => references::exists(&mut conn, id).await?,
        })
    }

    /// The lowercase hex digests (of `algorithms`) of the `size` bytes of `key`, read once in
    /// windows of [`WINDOW`] bytes.
    pub(super) async fn object_digests<const N: usize>(
        &self,
        tier: Tier,
        key: &Path,
        size: u64,
        algorithms: [Algorithm; N],
    ) -> Result<[String; N], object_store::Error> {
        let mut digests = algorithms.map(Digest::new);
        let mut start = 0;
        while start < size {
            let end = (start + WINDOW).min(size);
            let mut stream = self.tier(tier).get_range(key, start..end).await.map_err(|e| match e {
                objects::Error::Object { source, .. } => source,
                other => object_store::Error::Generic { store: "stored objects", source: Box::new(other) },
            })?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                digests.iter_mut().for_each(|digest| digest.update(&chunk));
            }
            start = end;
        }
        Ok(digests.map(Digest::finalize_hex))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_counts_objects_bytes_size_only_and_problems() {
        let item = |sha256: &str| Item {
            store: "1111111111".into(),
            owner: Owner::ReadSet("2222222222".into()),
            file: "source1",
            recorded: StoredFile::new("k".into(), 10, 1 << 20, sha256.into(), String::new()),
            tier: Tier::Hot,
        };
        let inventory = Inventory { items: vec![item("ab"), item("")], read_sets: 1, references: 0 };
        assert_eq!(inventory.bytes(), 20);
        let mut summary = Summary::of(&inventory);
        summary.count(&Checked { item: item("ab"), damage: Some(Damage::Missing) });
        summary.count(&Checked { item: item(""), damage: None });
        assert_eq!(summary, Summary { read_sets: 1, references: 0, objects: 2, bytes: 20, size_only: 1, problems: 1 });
    }
}
