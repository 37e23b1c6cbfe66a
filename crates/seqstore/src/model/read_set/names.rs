//! The file names of a read set's files: the one layout that exports write
//! (`{destination}{readSetId}/{file}`) and S3 access serves, as HealthOmics shows a read set's
//! files under `…/readSet/{readSetId}/{file}`.
//!
//! - An import names each file after its source: the last path segment of its URI (the `s3://`
//!   key's or the `file://` path's), e.g. `HG00405.final.cram`.
//! - A direct upload, an import whose source names are unusable ([`source_name`]) or equal, and a
//!   read set created before names were recorded get the defaults `{readSetId}_1.{ext}` and
//!   `{readSetId}_2.{ext}`, `ext` from the file type and compression
//!   ([`crate::model::import::FileType::extension`]).
//! - The index is named after its file, `{source1}.bai`, `.csi` or `.crai`, so that htslib finds
//!   it beside the file.
//!
//! The stored objects keep their keys (`source1`, `source2`, `source1.bai` …); only the names
//! change.

/// Longest usable name in bytes: with an index suffix (`.crai`) it stays within the 255 bytes of a
/// file name on common file systems.
const MAX_NAME_BYTES: usize = 250;

/// The file name of source `uri` (`s3://bucket/key` or `file:///path`): its last path segment,
/// when usable as a file name — not empty, `.` or `..`, without control characters, at most 250
/// bytes; `None` otherwise.
pub fn source_name(uri: &str) -> Option<&str> {
    let name = uri.rsplit('/').next()?;
    let usable =
        !matches!(name, "" | "." | "..") && !name.chars().any(char::is_control) && name.len() <= MAX_NAME_BYTES;
    usable.then_some(name)
}

/// The default name of file `number` (1 or 2) of read set `read_set_id`:
/// `{read_set_id}_{number}.{extension}`.
pub fn default_name(read_set_id: &str, number: u8, extension: &str) -> String {
    format!("{read_set_id}_{number}.{extension}")
}

/// The name of the index of the file named `file`: `{file}.{extension}`, beside it.
pub fn index_name(file: &str, extension: &str) -> String {
    format!("{file}.{extension}")
}

/// The names recorded for source1 and source2 of read set `read_set_id`, whose stored files have
/// the `extensions` of their type and compression (source2's when it has one): for an import
/// (`sources`, its source URIs), each source's own name ([`source_name`]); for a direct upload
/// (`sources` is `None`), or when a source's name is unusable or source2's equals source1's, the
/// defaults of both ([`default_name`]), so that the two never collide.
pub fn source_names(
    read_set_id: &str,
    sources: Option<(&str, Option<&str>)>,
    extensions: (&str, Option<&str>),
) -> (String, Option<String>) {
    let named = sources.and_then(|(source1, source2)| {
        let first = source_name(source1)?;
        let second = match (extensions.1, source2) {
            (None, _) => None,
            (Some(_), Some(uri)) => Some(source_name(uri).filter(|second| *second != first)?),
            (Some(_), None) => return None,
        };
        Some((first.to_owned(), second.map(str::to_owned)))
    });
    named.unwrap_or_else(|| {
        let second = extensions.1.map(|extension| default_name(read_set_id, 2, extension));
        (default_name(read_set_id, 1, extensions.0), second)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_named_by_its_last_path_segment() {
        assert_eq!(source_name("s3://bucket/runs/7/HG00405.final.cram"), Some("HG00405.final.cram"));
        assert_eq!(source_name("s3://bucket/r1.fq.gz"), Some("r1.fq.gz"));
        assert_eq!(source_name("file:///data/run 1/reads%20a.fastq"), Some("reads%20a.fastq"));
        assert_eq!(source_name("s3://bucket/dir/"), None, "empty");
        assert_eq!(source_name("file:///data/.."), None);
        assert_eq!(source_name("s3://bucket/a\tb"), None, "control character");
        assert_eq!(source_name(&format!("s3://b/{}", "n".repeat(250))).map(str::len), Some(250));
        assert_eq!(source_name(&format!("s3://b/{}", "n".repeat(251))), None, "too long");
    }

    #[test]
    fn imports_record_source_names_and_fall_back_to_defaults_together() {
        let pair = Some(("s3://b/x/r1.fastq.gz", Some("s3://b/y/r2.fastq.gz")));
        let gz = ("fastq.gz", Some("fastq.gz"));
        assert_eq!(source_names("1234567890", pair, gz), ("r1.fastq.gz".into(), Some("r2.fastq.gz".into())));
        let single = source_names("1234567890", Some(("file:///d/a.bam", None)), ("bam", None));
        assert_eq!(single, ("a.bam".into(), None));

        let defaults = ("1234567890_1.fastq.gz".to_owned(), Some("1234567890_2.fastq".to_owned()));
        let mixed = ("fastq.gz", Some("fastq"));
        let same = Some(("s3://b/run1/reads.fq", Some("s3://b/run2/reads.fq")));
        assert_eq!(source_names("1234567890", same, mixed), defaults, "equal names collide");
        let unusable = Some(("s3://b/r1.fq", Some("s3://b/dir/")));
        assert_eq!(source_names("1234567890", unusable, mixed), defaults, "one unusable name");
        assert_eq!(source_names("1234567890", None, mixed), defaults, "a direct upload");
        let upload = source_names("1234567890", None, ("cram", None));
        assert_eq!(upload, ("1234567890_1.cram".into(), None));
    }

    #[test]
    fn an_index_is_named_beside_its_file() {
        assert_eq!(index_name("HG00405.final.cram", "crai"), "HG00405.final.cram.crai");
        assert_eq!(index_name(&default_name("1234567890", 1, "bam"), "csi"), "1234567890_1.bam.csi");
    }
}
