//! The file names of a reference's files in its store's S3 access point, under
//! `{account}/referenceStore/{storeId}/reference/{referenceId}/{name}`
//! ([`crate::model::s3_access::reference_key`]). A reference keeps no name of its source file,
//! and its own name may hold any character, so the names come from its id: the source
//! `{referenceId}.fasta`, `{referenceId}.fasta.gz` when stored gzip or BGZF compressed, and its
//! `.fai` index beside it, `{source}.fai`, where htslib looks for it.

use super::Reference;

/// The name of `reference`'s source file: `{id}.fasta`, or `{id}.fasta.gz` when its stored
/// source is compressed (`compression` `GZIP` or `BGZF`).
pub fn source_name(reference: &Reference) -> String {
    let extension = if reference.compression == "PLAIN" { "fasta" } else { "fasta.gz" };
    format!("{}.{extension}", reference.id)
}

/// The name of `reference`'s index (its `.fai`): `{source}.fai`.
pub fn index_name(reference: &Reference) -> String {
    format!("{}.fai", source_name(reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(compression: &str) -> Reference {
        Reference {
            id: "7777777777".into(),
            account: "123456789012".into(),
            store_id: "1234567890".into(),
            name: "GRCh38 / primary".into(),
            description: None,
            md5: String::new(),
            creation_job_id: None,
            creation_time: 0,
            update_time: 0,
            compression: compression.into(),
            sequences: Vec::new(),
            files: super::super::ReferenceFiles::default(),
        }
    }

    #[test]
    fn names_come_from_the_id_and_the_stored_compression() {
        let plain = reference("PLAIN");
        assert_eq!(
            (source_name(&plain), index_name(&plain)),
            ("7777777777.fasta".into(), "7777777777.fasta.fai".into())
        );
        for compressed in ["GZIP", "BGZF"] {
            let compressed = reference(compressed);
            assert_eq!(source_name(&compressed), "7777777777.fasta.gz");
            assert_eq!(index_name(&compressed), "7777777777.fasta.gz.fai");
        }
    }
}
