//! `seqstore verify`: re-reads every stored object of read sets (`source1`, `source2`, the index)
//! and references (the FASTA as imported, its BGZF copy, `.fai`, `.gzi`) and compares its size and
//! SHA-256 with what the import recorded, to find data damaged or lost at rest. It only reads: it
//! can run beside `seqstore serve`, and an object whose read set or reference is deleted meanwhile
//! is not reported.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::db::{self, Db, read_sets, references};
use crate::model::read_set::StoredFile;
use crate::report::chain;
use crate::storage::objects::{self, DataStore};

/// Objects read at once.
const CONCURRENCY: usize = 4;
/// Bytes asked for in one request, so that no request streams for long.
const WINDOW: u64 = 16 * 1024 * 1024;
/// Rows fetched per query.
const PAGE: i64 = 500;
/// Shortest interval between two progress lines.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Why a verification could not run, or what it found.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The embedded database does not exist (a wrong `--data-dir`, most likely).
    #[error("no database at `{path}`: point --data-dir (or database.url) at the server's")]
    NoDatabase {
        /// Where it was expected.
        path: PathBuf,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] db::Error),
    /// The data store could not be opened.
    #[error(transparent)]
    Data(#[from] objects::Error),
    /// The report could not be written.
    #[error("cannot write the report")]
    Output(#[source] std::io::Error),
    /// Objects are damaged or missing (each was reported).
    #[error("{problems} of {objects} stored objects are damaged or missing")]
    Found {
        /// Damaged or missing objects.
        problems: usize,
        /// Objects checked.
        objects: u64,
    },
}

/// What a stored file belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    ReadSet(String),
    Reference(String),
}

/// One stored file to check.
#[derive(Debug, Clone)]
struct Item {
    store: String,
    owner: Owner,
    file: &'static str,
    recorded: StoredFile,
}

/// What is wrong with one stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Damage {
    Missing,
    Size { recorded: u64, found: u64 },
    Sha256 { recorded: String, found: String },
    Unreadable(String),
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

/// Checks every stored file of `config`'s read sets and references (of `store` only, a sequence
/// or reference store id, when given), writing one line per damaged or missing object and a
/// summary to `report` and progress to `progress`. [`Error::Found`] when anything is wrong.
pub async fn run(
    config: &Config,
    store: Option<&str>,
    report: &mut impl Write,
    progress: &mut impl Write,
) -> Result<Summary, Error> {
    if config.database.url.is_none() {
        let path = config.data_dir.join("seqstore.db");
        if !path.exists() {
            return Err(Error::NoDatabase { path });
        }
    }
    let db = Db::connect(&config.database_url()).await?;
    let data = DataStore::new(&config.storage, &config.data_dir)?;
    let result = verify(&db, &data, store, report, progress).await;
    db.close().await;
    let summary = result?;
    match summary.problems {
        0 => Ok(summary),
        problems => Err(Error::Found { problems, objects: summary.objects }),
    }
}

async fn verify(
    db: &Db,
    data: &DataStore,
    store: Option<&str>,
    report: &mut impl Write,
    progress: &mut impl Write,
) -> Result<Summary, Error> {
    let (items, mut summary) = inventory(db, store).await?;
    let (count, total) = (items.len(), items.iter().map(|i| i.recorded.content_length).sum::<u64>());
    let (sets, refs) = (summary.read_sets, summary.references);
    let of = format!("{} and {}", counted(sets, "read set"), counted(refs, "reference"));
    let line = format!("verify: {} ({}) of {of}", counted(count as u64, "object"), size(total));
    writeln!(progress, "{line}").map_err(Error::Output)?;
    let mut checks = futures_util::stream::iter(items)
        .map(|item| async move {
            let damage = check(data, &item.recorded).await;
            (item, damage)
        })
        .buffer_unordered(CONCURRENCY);
    let mut shown = Instant::now();
    while let Some((item, damage)) = checks.next().await {
        if damage == Some(Damage::Missing) && !exists(db, &item.owner).await? {
            continue;
        }
        summary.objects += 1;
        summary.bytes += item.recorded.content_length;
        summary.size_only += u64::from(item.recorded.sha256.is_empty());
        if let Some(damage) = damage {
            summary.problems += 1;
            writeln!(report, "{}", describe(&item, &damage)).map_err(Error::Output)?;
        }
        if shown.elapsed() >= PROGRESS_EVERY {
            let line =
                format!("verify: {} of {count} objects, {} of {}", summary.objects, size(summary.bytes), size(total));
            writeln!(progress, "{line}").map_err(Error::Output)?;
            shown = Instant::now();
        }
    }
    writeln!(report, "{}", conclusion(&summary)).map_err(Error::Output)?;
    Ok(summary)
}

/// Every stored file of the read sets and references (of `store` only, when given).
async fn inventory(db: &Db, store: Option<&str>) -> Result<(Vec<Item>, Summary), Error> {
    let mut conn = db.pool().acquire().await.map_err(db::Error::from)?;
    let (mut items, mut summary) = (Vec::new(), Summary::default());
    let mut after = String::new();
    loop {
        let page = read_sets::page_all(&mut conn, store, &after, PAGE).await?;
        let full = page.len() as i64 == PAGE;
        for set in page {
            summary.read_sets += 1;
            let files = [("source1", set.files.source1), ("source2", set.files.source2), ("index", set.files.index)];
            let owner = Owner::ReadSet(set.id.clone());
            items.extend(files.into_iter().filter_map(|(file, recorded)| {
                Some(Item { store: set.store_id.clone(), owner: owner.clone(), file, recorded: recorded? })
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
            summary.references += 1;
            let f = reference.files;
            let files = [("source", f.source), ("index", f.index), ("bgzf", f.bgzf), ("gzi", f.gzi)];
            let owner = Owner::Reference(reference.id.clone());
            items.extend(files.into_iter().filter_map(|(file, recorded)| {
                Some(Item { store: reference.store_id.clone(), owner: owner.clone(), file, recorded: recorded? })
            }));
            after = reference.id;
        }
        if !full {
            break;
        }
    }
    Ok((items, summary))
}

/// What is wrong with the object of `file`, if anything.
async fn check(data: &DataStore, file: &StoredFile) -> Option<Damage> {
    let key = Path::from(file.key.as_str());
    let meta = match data.object_store().head(&key).await {
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
    match sha256(data, &key, meta.size).await {
        Ok(found) if found == file.sha256 => None,
        Ok(found) => Some(Damage::Sha256 { recorded: file.sha256.clone(), found }),
        Err(object_store::Error::NotFound { .. }) => Some(Damage::Missing),
        Err(e) => Some(Damage::Unreadable(chain(&e))),
    }
}

/// SHA-256 of the `size` bytes of `key`, read in windows of [`WINDOW`] bytes.
async fn sha256(data: &DataStore, key: &Path, size: u64) -> Result<String, object_store::Error> {
    let mut hasher = Sha256::new();
    let mut start = 0;
    while start < size {
        let end = (start + WINDOW).min(size);
        let mut stream = data.get_range(key, start..end).await.map_err(|e| match e {
            objects::Error::Object { source, .. } => source,
            other => object_store::Error::Generic { store: "verify", source: Box::new(other) },
        })?;
        while let Some(chunk) = stream.next().await {
            hasher.update(&chunk?);
        }
        start = end;
    }
    Ok(hex::encode(hasher.finalize()))
}

/// True while the owner of a file is still recorded.
async fn exists(db: &Db, owner: &Owner) -> Result<bool, Error> {
    let mut conn = db.pool().acquire().await.map_err(db::Error::from)?;
    Ok(match owner {
        Owner::ReadSet(id) => read_sets::exists(&mut conn, id).await?,
        Owner::Reference(id) => references::exists(&mut conn, id).await?,
    })
}

/// One report line: what is wrong, and where.
fn describe(item: &Item, damage: &Damage) -> String {
    let owner = match &item.owner {
        Owner::ReadSet(id) => format!("read set {id}"),
        Owner::Reference(id) => format!("reference {id}"),
    };
    let (kind, what) = match damage {
        Damage::Missing => ("MISSING", "the object does not exist".to_owned()),
        Damage::Size { recorded, found } => ("DAMAGED", format!("{found} bytes, {recorded} recorded")),
        Damage::Sha256 { recorded, found } => ("DAMAGED", format!("SHA-256 {found}, {recorded} recorded")),
        Damage::Unreadable(why) => ("UNREADABLE", why.clone()),
    };
    format!("{kind} store {} {owner} file {} key {}: {what}", item.store, item.file, item.recorded.key)
}

/// The summary line.
fn conclusion(s: &Summary) -> String {
    let mut line = format!(
        "verified {} ({}) of {} and {}: ",
        counted(s.objects, "object"),
        size(s.bytes),
        counted(s.read_sets, "read set"),
        counted(s.references, "reference")
    );
    match s.problems {
        0 => line.push_str("all intact"),
        n => line.push_str(&format!("{n} damaged or missing")),
    }
    if s.size_only > 0 {
        line.push_str(&format!(" ({} checked by size only: no SHA-256 was recorded)", s.size_only));
    }
    line
}

/// `n` and `noun`, plural unless `n` is 1.
fn counted(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// `bytes` for people: `512 B`, `1.5 KiB`, `3.2 GiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let (mut value, mut unit) = (bytes as f64, 0);
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_name_store_owner_file_and_key() {
        let item = Item {
            store: "1111111111".into(),
            owner: Owner::ReadSet("2222222222".into()),
            file: "source1",
            recorded: StoredFile::new("1111111111/readSet/2222222222/source1".into(), 10, 1 << 20, "ab".into()),
        };
        let line = describe(&item, &Damage::Sha256 { recorded: "ab".into(), found: "cd".into() });
        assert_eq!(
            line,
            "DAMAGED store 1111111111 read set 2222222222 file source1 key 1111111111/readSet/2222222222/source1: \
             SHA-256 cd, ab recorded"
        );
        assert!(describe(&item, &Damage::Missing).starts_with("MISSING store 1111111111 read set 2222222222"));
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(3 * 1024 * 1024 * 1024), "3.0 GiB");
        let summary =
            Summary { objects: 3, bytes: 2048, read_sets: 1, problems: 1, size_only: 1, ..Summary::default() };
        assert_eq!(
            conclusion(&summary),
            "verified 3 objects (2.0 KiB) of 1 read set and 0 references: 1 damaged or missing \
             (1 checked by size only: no SHA-256 was recorded)"
        );
    }
}
