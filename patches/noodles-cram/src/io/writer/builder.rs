mod preset;

use std::{
    fs::File,
    io::{self, Write},
    path::Path,
};

use noodles_fasta as fasta;

pub(crate) use self::preset::Preset;
use super::{Context, DEFAULT_SLICES_PER_CONTAINER, Writer};
use crate::{codecs::Encoder, container::BlockContentEncoderMap, file_definition::Version};

// § 7 "Container header structure" (2025-04-07): "record counter: 0-based sequential index of
// records in the file/stream."
const MIN_RECORD_COUNTER: u64 = 0;

/// A CRAM writer builder.
#[derive(Default)]
pub struct Builder {
    context: Context,
    preset: Preset,
    block_content_encoder_map: Option<BlockContentEncoderMap>,
}

impl Builder {
    /// Sets the reference sequence repository.
    ///
    /// # Examples
    ///
    /// ```
    /// use noodles_cram::io::writer::Builder;
    /// use noodles_fasta as fasta;
    ///
    /// let repository = fasta::Repository::default();
    /// let builder = Builder::default()
    ///     .set_reference_sequence_repository(repository);
    /// ```
    pub fn set_reference_sequence_repository(
        mut self,
        reference_sequence_repository: fasta::Repository,
    ) -> Self {
        self.context.reference_sequence_repository = reference_sequence_repository;
        self
    }

    /// Sets whether to preserve read names.
    ///
    /// If `false`, read names are discarded.
    ///
    /// The default is `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// use noodles_cram::io::writer::Builder;
    /// let builder = Builder::default().preserve_read_names(false);
    /// ```
    pub fn preserve_read_names(mut self, value: bool) -> Self {
        self.context.preserve_read_names = value;
        self
    }

    /// Sets whether to encode alignment start positions as deltas.
    ///
    /// If `false`, record alignment start positions are written with their actual values.
    ///
    /// The default is `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// use noodles_cram::io::writer::Builder;
    /// let builder = Builder::default()
    ///     .encode_alignment_start_positions_as_deltas(false);
    /// ```
    pub fn encode_alignment_start_positions_as_deltas(mut self, value: bool) -> Self {
        self.context.encode_alignment_start_positions_as_deltas = value;
        self
    }

    /// Sets the block content-encoder map.
    ///
    /// # Examples
    ///
    /// ```
    /// use noodles_cram::{container::BlockContentEncoderMap, io::writer::Builder};
    ///
    /// let block_content_encoder_map = BlockContentEncoderMap::default();
    /// let builder = Builder::default()
    ///     .set_block_content_encoder_map(block_content_encoder_map);
    /// ```
    pub fn set_block_content_encoder_map(
        mut self,
        block_content_encoder_map: BlockContentEncoderMap,
    ) -> Self {
        self.block_content_encoder_map = Some(block_content_encoder_map);
        self
    }

    /// Builds a CRAM writer from a path.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use noodles_cram::io::writer::Builder;
    /// let writer = Builder::default().build_from_path("out.cram")?;
    /// # Ok::<_, std::io::Error>(())
    /// ```
    pub fn build_from_path<P>(self, dst: P) -> io::Result<Writer<File>>
    where
        P: AsRef<Path>,
    {
        File::create(dst).map(|file| self.build_from_writer(file))
    }

    /// Builds a CRAM writer from a writer.
    ///
    /// # Examples
    ///
    /// ```
    /// use noodles_cram::io::writer::Builder;
    /// let writer = Builder::default().build_from_writer(Vec::new());
    /// ```
    pub fn build_from_writer<W>(mut self, writer: W) -> Writer<W>
    where
        W: Write,
    {
        let block_content_encoder_map = self
            .block_content_encoder_map
            .unwrap_or_else(|| self.preset.block_content_encoder_map());

        if uses_cram_3_1_codecs(&block_content_encoder_map) {
            self.context.version = Version::new(3, 1);
        }

        let records_per_slice = self.preset.records_per_slice();
        let records_per_container = DEFAULT_SLICES_PER_CONTAINER * records_per_slice;

        self.context.records_per_slice = records_per_slice;
        self.context.block_content_encoder_map = block_content_encoder_map;

        Writer {
            inner: writer,
            context: self.context,
            records: Vec::with_capacity(records_per_container),
            record_counter: MIN_RECORD_COUNTER,
        }
    }
}

pub fn uses_cram_3_1_codecs(block_content_encoder_map: &BlockContentEncoderMap) -> bool {
    fn is_cram_3_1_codec(encoder: &Encoder) -> bool {
        matches!(
            encoder,
            Encoder::RansNx16(_) | Encoder::AdaptiveArithmeticCoding(_) | Encoder::NameTokenizer
        )
    }

    if let Some(encoder) = block_content_encoder_map.core_data_encoder()
        && is_cram_3_1_codec(encoder)
    {
        return true;
    }

    block_content_encoder_map
        .data_series_encoders()
        .iter()
        .chain(block_content_encoder_map.tag_values_encoders().values())
        .flatten()
        .any(is_cram_3_1_codec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_uses_cram_3_1_codecs() {
        use crate::codecs::rans_nx16::Flags;

        let block_content_encoder_map = BlockContentEncoderMap::default();
        assert!(!uses_cram_3_1_codecs(&block_content_encoder_map));

        let block_content_encoder_map = BlockContentEncoderMap::builder()
            .set_core_data_encoder(Some(Encoder::RansNx16(Flags::empty())))
            .build();
        assert!(uses_cram_3_1_codecs(&block_content_encoder_map));
    }
}
