//! The reference API the aligned-read importers use: sequence names, lengths and MD5s from the
//! database, and bases read at random through the `.fai` (and `.gzi` for BGZF) with ranged reads
//! of the stored objects.
//!
//! Memory: a read holds only the bytes of the requested range (for BGZF, the blocks that hold it,
//! 64 KiB each at most), never a whole file. An importer that needs whole sequences (CRAM decoding)
//! holds at most one at a time per worker, so the bound is buffers + longest sequence × workers
//! (e.g. ≈ 250 MB × `worker.count` for GRCh38's chr1).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use seqstore_formats::fasta;
use seqstore_formats::sniff::Compression;
use tokio::runtime::Handle;

use super::{Caller, Error, Service};
use crate::db::{self, references};
use crate::model::arn::{Arn, Resource};
use crate::model::read_set::StoredFile;
use crate::model::reference::{Reference, Sequence};
use crate::storage::objects;

/// Bases read from a reference, with the number of stored bytes that were fetched for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bases {
    /// The bases, newlines removed, case preserved.
    pub bases: Vec<u8>,
    /// Stored bytes requested from object storage.
    pub bytes_read: u64,
}

/// A reference's stored file opened for random reads: the file bases are read from (the source,
/// or the BGZF copy of a plain-gzip source) and its `.gzi` when it is BGZF.
#[derive(Debug, Clone)]
pub(super) struct OpenedReference {
    id: String,
    file: StoredFile,
    compression: Compression,
    gzi: Option<Arc<fasta::Gzi>>,
}

impl Service {
    /// The reference `arn` names, if it is an ACTIVE reference of `caller` in this region.
    pub async fn reference_by_arn(&self, caller: &Caller, arn: &str) -> Result<Reference, Error> {
        let not_found = || Error::NotFound { kind: "reference", id: arn.to_owned() };
        let Some(Arn { region, account, resource: Resource::Reference { store, id } }) = Arn::parse(arn) else {
            return Err(not_found());
        };
        if account != caller.account || region != self.region {
            return Err(not_found());
        }
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        references::get(&mut conn, &caller.account, &store, &id).await?.ok_or_else(not_found)
    }

    /// Reads `len` bases of sequence `name` from `start` (0-based). Runs the ranged reads on a
    /// blocking thread; fetches only the bytes (or BGZF blocks) that hold the range.
    pub async fn reference_bases(
        &self,
        reference: &Reference,
        name: &str,
        start: u64,
        len: u64,
    ) -> Result<Bases, Error> {
        let sequence = reference
            .sequences
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::NotFound { kind: "reference sequence", id: name.to_owned() })?;
        let opened = self.open_reference(reference).await?;
        self.read_opened(&opened, sequence, start, len).await
    }

    /// Opens `reference`'s file for random reads (loading its `.gzi` when BGZF), for several
    /// [`Service::read_opened`] calls.
    pub(super) async fn open_reference(&self, reference: &Reference) -> Result<OpenedReference, Error> {
        let files = &reference.files;
        let (file, compression) = match reference.compression.as_str() {
            "BGZF" => (files.source.as_ref(), Compression::Bgzf),
            "GZIP" => (files.bgzf.as_ref(), Compression::Bgzf),
            _ => (files.source.as_ref(), Compression::Plain),
        };
        let missing = || Error::NotFound { kind: "reference file", id: reference.id.clone() };
        let file = file.ok_or_else(missing)?.clone();
        let gzi = match (&compression, &files.gzi) {
            (Compression::Bgzf, Some(gzi)) => Some(Arc::new(self.load_gzi(gzi).await?)),
            (Compression::Bgzf, None) => return Err(missing()),
            _ => None,
        };
        Ok(OpenedReference { id: reference.id.clone(), file, compression, gzi })
    }

    /// Reads `len` bases of `sequence` (one of the opened reference's) from `start` (0-based), as
    /// [`Service::reference_bases`] does.
    pub(super) async fn read_opened(
        &self,
        opened: &OpenedReference,
        sequence: &Sequence,
        start: u64,
        len: u64,
    ) -> Result<Bases, Error> {
        let reader = StoredReader::new(Arc::clone(self.data.object_store()), &opened.file);
        let sequence = fasta::Sequence {
            name: sequence.name.clone(),
            length: sequence.length,
            md5: sequence.md5.clone(),
            refget: sequence.refget.clone().unwrap_or_default(),
            offset: sequence.offset,
            line_bases: sequence.line_bases,
            line_width: sequence.line_width,
        };
        let (compression, gzi) = (opened.compression, opened.gzi.clone());
        let read = tokio::task::spawn_blocking(move || {
            let bases = fasta::read_bases(&reader, compression, gzi.as_deref(), &sequence, start, len);
            bases.map(|bases| Bases { bases, bytes_read: reader.read.load(Ordering::Relaxed) })
        });
        let read = read.await.map_err(|e| storage_failed(objects::Error::Join(e)))?;
        read.map_err(|source| Error::ReferenceRead { id: opened.id.clone(), source })
    }

    async fn load_gzi(&self, file: &StoredFile) -> Result<fasta::Gzi, Error> {
        let key = Path::from(file.key.as_str());
        let stored = self.data.object_store().get(&key).await;
        let bytes = stored.map_err(|e| storage(&key, e))?.bytes().await.map_err(|e| storage(&key, e))?;
        fasta::Gzi::parse(&bytes).map_err(|source| Error::ReferenceRead { id: file.key.clone(), source })
    }
}

fn storage(key: &Path, source: object_store::Error) -> Error {
    storage_failed(objects::Error::Object { key: key.to_string(), source })
}

fn storage_failed(source: objects::Error) -> Error {
    Error::Storage { what: "the stored reference could not be read", source: Box::new(source) }
}

/// [`fasta::ReadAt`] over one stored object, with ranged GETs; counts the bytes it fetched. Must be
/// used on a blocking thread (it waits on the runtime).
struct StoredReader {
    store: Arc<dyn ObjectStore>,
    key: Path,
    len: u64,
    handle: Handle,
    read: AtomicU64,
}

impl StoredReader {
    fn new(store: Arc<dyn ObjectStore>, file: &StoredFile) -> Self {
        let key = Path::from(file.key.as_str());
        Self { store, key, len: file.content_length, handle: Handle::current(), read: AtomicU64::new(0) }
    }
}

impl fasta::ReadAt for StoredReader {
    fn read_at(&self, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
        self.read.fetch_add(len, Ordering::Relaxed);
        let range = offset..offset + len;
        let bytes = self.handle.block_on(self.store.get_range(&self.key, range)).map_err(std::io::Error::other)?;
        Ok(bytes.to_vec())
    }

    fn len(&self) -> u64 {
        self.len
    }
}
