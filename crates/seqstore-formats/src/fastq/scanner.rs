//! One FASTQ source being scanned: its reader stack under a [`Validator`], with I/O errors told
//! apart into gzip and read failures.

use std::io::Read;

use super::source::{self, Text};
use super::{Error, ErrorKind, Options, Summary, Validator, Which};
use crate::digest::Algorithm;
use crate::qc::Mate;
use crate::sniff::Compression;

/// A source opened and sniffed, read record by record.
pub(super) struct Scanner<R> {
    compression: Compression,
    algorithm: Algorithm,
    validator: Validator<Text<R>>,
}

impl<R: Read> Scanner<R> {
    /// Opens `reader` as FASTQ; see [`source::open`]. With [`Options::qc`], its records count
    /// as `mate`'s.
    pub(super) fn open(which: Which, reader: R, options: Options, mate: Mate) -> Result<Self, Error> {
        let (compression, text) = source::open(which, reader, options.algorithm)?;
        let validator = Validator::new(which, text);
        let validator = if options.qc { validator.collect_qc(mate) } else { validator };
        Ok(Self { compression, algorithm: options.algorithm, validator })
    }

    /// Reads the next record; `Ok(false)` at the end of the source.
    pub(super) fn read_record(&mut self) -> Result<bool, Error> {
        self.validator.read_record().map_err(|error| match error {
            Error { which, kind: ErrorKind::Io(source), .. } => {
                Error::new(which, source::classify(self.validator.inner(), source))
            }
            error => error,
        })
    }
}

impl<R> Scanner<R> {
    /// Read name of the last record; see [`Validator::name`].
    pub(super) fn name(&self) -> &[u8] {
        self.validator.name()
    }

    /// Ends the digests; the source must have been read to its end.
    pub(super) fn finish(mut self) -> Summary {
        let (records, bases) = (self.validator.records(), self.validator.bases());
        let qc = self.validator.take_qc();
        let max_read_length = self.validator.max_read_length();
        let digests = source::finish(self.validator.into_inner(), self.algorithm);
        Summary {
            compression: self.compression,
            records,
            bases,
            etag: digests.etag,
            stored_sha256: digests.stored_sha256,
            stored_md5: digests.stored_md5,
            stored_bytes: digests.stored_bytes,
            max_read_length,
            qc,
        }
    }
}
