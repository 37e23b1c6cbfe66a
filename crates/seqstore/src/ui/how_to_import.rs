//! What the page of a store without read sets says: how to import into it, with the command line
//! (`seqstore import`) and with boto3 (`start_read_set_import_job`), the store id, the endpoint,
//! the region and a role the viewer may pass filled in.

use maud::{Markup, html};

use crate::service::dashboard::ImportHint;

/// The section for store `store` of a viewer who reaches the server at `origin`; `signed_in` is
/// false in dev mode, where any key pair is accepted.
pub fn section(store: &str, origin: &str, region: &str, hint: &ImportHint, signed_in: bool) -> Markup {
    let role = &hint.role_arn;
    let keys = match signed_in {
        true => "export AWS_ACCESS_KEY_ID=YOUR_KEY_ID AWS_SECRET_ACCESS_KEY=YOUR_SECRET",
        false => "export AWS_ACCESS_KEY_ID=dev AWS_SECRET_ACCESS_KEY=dev   # dev mode: any key pair",
    };
    let cli = format!(
        "export AWS_ENDPOINT_URL={origin} AWS_REGION={region}\n{keys}\n\
         seqstore import --store {store} --role-arn {role} --type FASTQ --sample S1 --subject P1 \\\n  \
         --wait r1.fastq.gz r2.fastq.gz"
    );
    let root = hint.file_root.as_ref().map_or_else(|| "/data".to_owned(), |r| r.display().to_string());
    let root = root.trim_end_matches('/');
    let boto3 = format!(
        "import boto3\n\n\
         omics = boto3.client(\"omics\", endpoint_url=\"{origin}\", region_name=\"{region}\")\n\
         job = omics.start_read_set_import_job(\n    \
             sequenceStoreId=\"{store}\",\n    \
             roleArn=\"{role}\",\n    \
             sources=[{{\n        \
                 \"sourceFiles\": {{\"source1\": \"file://{root}/r1.fastq.gz\",\n                        \
                                   \"source2\": \"file://{root}/r2.fastq.gz\"}},\n        \
                 \"sourceFileType\": \"FASTQ\", \"subjectId\": \"P1\", \"sampleId\": \"S1\", \"name\": \"S1\",\n    \
             }}],\n\
         )[\"id\"]\n\
         print(job)"
    );
    html! {
        div.howto #how-to-import {
            p.info #empty-store { "This store has no read sets yet. Import a FASTQ pair (or a BAM, uBAM or CRAM: "
                code { "--type" } " and, for CRAM, " code { "--reference" } ") in one of these ways; the job then shows under "
                a href={ "/ui/stores/" (store) "/jobs" } { "Imports and uploads" } "." }
            h2 { "With the command line" }
            p.muted { "Local files the server cannot read itself are uploaded; " code { "--wait" } " shows the progress." }
            pre.copy #import-cli { (cli) }
            h2 { "With boto3" }
            p.muted {
                "The server reads the sources itself: " code { "file://" } " paths must lie under one of its "
                code { "--file-root" } " directories"
                @if hint.file_root.is_none() { " (none is configured: start " code { "seqstore serve" } " with " code { "--file-root DIR" } ")" }
                ", " code { "s3://" } " URIs are read from its " code { "--source-s3-endpoint" } " (or AWS)."
            }
            pre.copy #import-boto3 { (boto3) }
        }
    }
}
