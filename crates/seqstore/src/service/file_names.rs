//! The file names of a read set's files (the layout of [`crate::model::read_set::names`]) for
//! exports, S3 access and the dashboard: the names recorded at import or upload, and for a read set
//! created before names were recorded, the defaults, with the compression read from the stored
//! files where the name depends on it.

use futures_util::TryStreamExt;
use object_store::path::Path;
use seqstore_formats::sniff::{self, Compression};

use super::{Error, Service};
use crate::model::read_set::{FileNames, ReadSet, StoredFile, names};

/// Bytes of a file's start that tell gzip from the rest (its magic, `1f 8b`).
const MAGIC_BYTES: u64 = 2;

impl Service {
    /// The names of `set`'s files: each recorded name, else its default ([`names::default_name`],
    /// a FASTQ file's extension `fastq.gz` when its first bytes are gzip's); the index's
    /// recorded name, else `{source1}.bai` (`.csi` when the stored index is compressed, as CSI
    /// is) or `{source1}.crai`. `source1` is named even before the read set has files (an
    /// upload being processed: a FASTQ is then taken as uncompressed); `source2` and `index` are
    /// `Some` when it has them. `set` must come from a use case that checked the caller may read
    /// it. Reading a legacy file's first bytes reads storage: its failure is [`Error::Storage`].
    pub async fn read_set_file_names(&self, set: &ReadSet) -> Result<FileNames, Error> {
        let files = &set.files;
        let source1 = match files.source1.as_ref() {
            Some(file) => self.file_name(set, file, 1).await?,
            None => names::default_name(&set.id, 1, set.file_type.extension(false)),
        };
        let source2 = match files.source2.as_ref() {
            Some(file) => Some(self.file_name(set, file, 2).await?),
            None => None,
        };
        let index = match files.index.as_ref() {
            Some(file) => self.index_name(set, file, &source1).await?,
            None => None,
        };
        Ok(FileNames { source1, source2, index })
    }

    /// The name of `file`, file `number` of `set`: recorded, or its default.
    async fn file_name(&self, set: &ReadSet, file: &StoredFile, number: u8) -> Result<String, Error> {
        if let Some(name) = &file.name {
            return Ok(name.clone());
        }
        let compressed = set.file_type.compression_in_extension() && self.is_compressed(file).await?;
        Ok(names::default_name(&set.id, number, set.file_type.extension(compressed)))
    }

    /// The name of index `file` of `set`, whose source1 is named `source1`: recorded, or beside
    /// source1 with the extension its kind and compression give; `None` for a type without index.
    async fn index_name(&self, set: &ReadSet, file: &StoredFile, source1: &str) -> Result<Option<String>, Error> {
        if let Some(name) = &file.name {
            return Ok(Some(name.clone()));
        }
        let compressed = self.is_compressed(file).await?;
        Ok(set.file_type.index_extension(compressed).map(|extension| names::index_name(source1, extension)))
    }

    /// Whether stored `file` starts with gzip's magic (gzip or BGZF): reads its first two bytes.
    async fn is_compressed(&self, file: &StoredFile) -> Result<bool, Error> {
        if file.content_length == 0 {
            return Ok(false);
        }
        let end = MAGIC_BYTES.min(file.content_length);
        let storage =
            |source| Error::Storage { what: "the file's first bytes could not be read", source: Box::new(source) };
        let stream = self.data.get_range(&Path::from(file.key.as_str()), 0..end).await.map_err(storage)?;
        let chunks: Vec<bytes::Bytes> = stream
            .try_collect()
            .await
            .map_err(|source| storage(crate::storage::objects::Error::Object { key: file.key.clone(), source }))?;
        Ok(sniff::compression(&chunks.concat()) != Compression::Plain)
    }
}
