//! Every response against the model's output shapes, driven by the model: each operation the
//! router implements (`seqstore::api::implements`, over the model's storage and tagging
//! operations) is exercised through `aws-sdk-omics` with realistic data — read sets of every file
//! type imported and uploaded, references, import jobs with a failed source, uploads with and
//! without their optional members, tags, S3 access policies, deletions — while an interceptor keeps
//! every raw response.
//! Each body is checked with the server's own validator against the operation's output shape (or
//! an error's shape), recursively through lists, maps and structures: every member the model marks
//! `required` must be present unless the README's "Wire compatibility" table lists the
//! (operation, member) pair as a deliberate difference, and every present member must satisfy its
//! constraints. The test fails when an implemented operation was not exercised with success, when
//! a README row is never needed, or when a listed member is never sent even where it has a value.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_omics::Client;
use aws_sdk_omics::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_omics::primitives::ByteStream;
use aws_sdk_omics::types::{
    CompleteReadSetUploadPartListItem, ETagAlgorithmFamily, EncryptionType, ExportReadSet, FileType, ReadSetFile,
    ReadSetImportJobStatus, ReadSetPartSource, ReadSetStatus, ReferenceFile, ReferenceImportJobStatus, SourceFiles,
    SseConfig, StartReadSetActivationJobSourceItem, StartReadSetImportJobSourceItem, StartReferenceImportJobSourceItem,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use seqstore::api::botocore::{MODEL, Shape};
use seqstore::api::validate;
use serde_json::Value;

use super::fastq_data::{fastq, gzip};
use super::imports::{ROLE_A, import_config, with_fallback_role, write};
use super::s3::S3Server;
use super::support::{Backend, KEY_A, TestDb, TestServer, sdk};

/// One response as the SDK received it.
#[derive(Debug, Clone)]
struct Exchange {
    operation: String,
    status: u16,
    error_type: Option<String>,
    /// `None` for a streamed payload (GetReadSet, GetReference).
    body: Option<Vec<u8>>,
}

/// Keeps every response of the client it is attached to.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Exchange>>>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "model_outputs::Recorder"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let exchange = Exchange {
            operation: cfg.load::<Metadata>().map(|m| m.name().to_owned()).unwrap_or_default(),
            status: response.status().as_u16(),
            error_type: response.headers().get("x-amzn-ErrorType").map(str::to_owned),
            body: response.body().bytes().map(<[u8]>::to_vec),
        };
        self.0.lock().expect("recorder lock").push(exchange);
        Ok(())
    }
}

fn testdata(path: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

fn copy_in(root: &Path, source: &str) -> String {
    write(root, source.rsplit('/').next().expect("name"), &std::fs::read(testdata(source)).expect("test file"))
}

/// The (operation, member path) pairs of the README's table of required members left out.
fn readme_omissions() -> BTreeSet<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).expect("README");
    let header = "| operation | required member | why it can be missing |";
    let start = readme.find(header).expect("the README's table of required members left out");
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells[1].to_owned(), cells[2].trim_matches('`').to_owned())
        })
        .collect()
}

/// `uploads.0.referenceArn` → `uploads[].referenceArn`.
fn generic(member: &str) -> String {
    let mut out = String::new();
    for segment in member.split('.') {
        if segment.parse::<usize>().is_ok() {
            out.push_str("[]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

/// True when some value at the generic `path` of `value` exists.
fn present(value: &Value, path: &str) -> bool {
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    let (name, each) = head.strip_suffix("[]").map_or((head, false), |n| (n, true));
    let Some(next) = value.get(name) else { return false };
    let items: Vec<&Value> =
        if each { next.as_array().map(|a| a.iter().collect()).unwrap_or_default() } else { vec![next] };
    items.into_iter().any(|item| rest.is_empty() || present(item, rest))
}

/// The shape a response body must match: the output shape, or the error shape its type names;
/// `None` for a streamed payload or an error type the model does not define.
fn response_shape(exchange: &Exchange) -> Option<String> {
    let op = MODEL.operation(&exchange.operation)?;
    if exchange.status >= 300 {
        let kind = exchange.error_type.as_deref()?;
        return MODEL.shape(kind).is_some().then(|| kind.to_owned());
    }
    let output = op.output.clone()?;
    match MODEL.shape(&output) {
        Some(Shape::Structure { payload: Some(_), .. }) => None,
        _ => Some(output),
    }
}

async fn until<T>(what: &str, mut poll: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(done) = poll().await {
            return done;
        }
        assert!(Instant::now() < deadline, "{what} did not settle");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs every implemented operation at least once with success, with realistic data.
async fn exercise(client: &Client, endpoint: &str, root: &Path) {
    // Sequence stores.
    let sse = SseConfig::builder().r#type(EncryptionType::Kms).build().expect("sse");
    let store = client
        .create_sequence_store()
        .name("wire")
        .description("every member")
        .sse_config(sse.clone())
        .tags("project", "wire")
        .fallback_location("s3://fallback-bucket/wire/")
        .e_tag_algorithm_family(ETagAlgorithmFamily::Sha256Up)
        .propagated_set_level_tags("project")
        .send()
        .await
        .expect("create store");
    let (store, store_arn) = (store.id().to_owned(), store.arn().to_owned());
    client.get_sequence_store().id(&store).send().await.expect("get store");
    client.update_sequence_store().id(&store).description("updated").send().await.expect("update store");
    client.list_sequence_stores().send().await.expect("list stores");
    let doomed = client.create_sequence_store().name("doomed").send().await.expect("store").id().to_owned();
    client.delete_sequence_store().id(&doomed).send().await.expect("delete store");

    // References: ce.fa, a spare one to delete, and a source that is no FASTA (a FAILED item).
    let refs = client
        .create_reference_store()
        .name("genomes")
        .description("references")
        .sse_config(sse)
        .tags("project", "wire")
        .send()
        .await
        .expect("create reference store");
    let refs = refs.id().to_owned();
    client.get_reference_store().id(&refs).send().await.expect("get reference store");
    client.list_reference_stores().send().await.expect("list reference stores");
    let empty_refs = client.create_reference_store().name("empty").send().await.expect("reference store");
    client.delete_reference_store().id(empty_refs.id()).send().await.expect("delete reference store");
    let fasta = |uri: String, name: &str| {
        StartReferenceImportJobSourceItem::builder().source_file(uri).name(name).build().expect("source")
    };
    let sources = vec![
        fasta(copy_in(root, "hts-specs/ref/ce.fa"), "ce-reference"),
        fasta(write(root, "spare.fa", b">chrS spare\nACGTACGTAC\nGGCC\n"), "spare"),
        fasta(write(root, "broken.fa", b"this is not a FASTA file\n"), "broken"),
    ];
    let job = client
        .start_reference_import_job()
        .reference_store_id(&refs)
        .role_arn(ROLE_A)
        .set_sources(Some(sources))
        .send()
        .await
        .expect("start reference import");
    let job = until("reference import", async || {
        let out = client.get_reference_import_job().reference_store_id(&refs).id(job.id()).send().await;
        let out = out.expect("get reference import");
        (!matches!(out.status(), ReferenceImportJobStatus::Submitted | ReferenceImportJobStatus::InProgress))
            .then_some(out)
    })
    .await;
    let ids: Vec<String> = job.sources().iter().filter_map(|s| s.reference_id().map(str::to_owned)).collect();
    assert_eq!(ids.len(), 2, "two references imported, one source failed: {job:?}");
    client.list_reference_import_jobs().reference_store_id(&refs).send().await.expect("list reference imports");
    client.list_references().reference_store_id(&refs).send().await.expect("list references");
    let ce = client.get_reference_metadata().reference_store_id(&refs).id(&ids[0]).send().await.expect("metadata");
    let ce_arn = ce.arn().to_owned();
    for file in [ReferenceFile::Source, ReferenceFile::Index] {
        let out = client.get_reference().reference_store_id(&refs).id(&ids[0]).file(file).part_number(1).send().await;
        out.expect("get reference").payload.collect().await.expect("reference bytes");
    }
    client.delete_reference().reference_store_id(&refs).id(&ids[1]).send().await.expect("delete reference");

    // Read sets of every type, and a source that fails.
    let source = |file_type: FileType, one: String, two: Option<String>, reference: Option<&str>| {
        let files = SourceFiles::builder().source1(one).set_source2(two).build().expect("files");
        StartReadSetImportJobSourceItem::builder()
            .source_files(files)
            .source_file_type(file_type)
            .subject_id("subject")
            .sample_id("sample")
            .set_reference_arn(reference.map(str::to_owned))
            .build()
            .expect("source")
    };
    let mut described = source(
        FileType::Fastq,
        write(root, "r1.fq.gz", &gzip(&fastq(41, 500, 100, Some(1)))),
        Some(write(root, "r2.fq.gz", &gzip(&fastq(42, 500, 100, Some(2))))),
        None,
    );
    described.name = Some("pair".into());
    described.description = Some("a described pair".into());
    described.generated_from = Some("sequencer run 7".into());
    described.tags = Some([("lane".to_owned(), "1".to_owned())].into());
    let sources = vec![
        described,
        source(FileType::Fastq, write(root, "single.fq", &fastq(43, 300, 90, None)), None, None),
        source(FileType::Bam, copy_in(root, "hts-specs/bam/level-1.bam"), None, None),
        source(FileType::Ubam, copy_in(root, "derived/r1r2.ubam.bam"), None, None),
        source(FileType::Cram, copy_in(root, "hts-specs/cram3.0/passed/1400_index_simple.cram"), None, Some(&ce_arn)),
        source(FileType::Fastq, copy_in(root, "derived/r1.truncated.fq.gz"), None, None),
    ];
    let job = client
        .start_read_set_import_job()
        .sequence_store_id(&store)
        .role_arn(ROLE_A)
        .set_sources(Some(sources))
        .send()
        .await
        .expect("start import");
    let job = until("read set import", async || {
        let out = client.get_read_set_import_job().sequence_store_id(&store).id(job.id()).send().await;
        let out = out.expect("get import");
        (!matches!(out.status(), ReadSetImportJobStatus::Submitted | ReadSetImportJobStatus::InProgress)).then_some(out)
    })
    .await;
    let imported: Vec<String> = job.sources().iter().filter_map(|s| s.read_set_id().map(str::to_owned)).collect();
    assert_eq!(imported.len(), 5, "five read sets, one failed source: {job:?}");
    client.list_read_set_import_jobs().sequence_store_id(&store).send().await.expect("list imports");

    // An export of two of them (to a location role A may write).
    let sources = imported[..2].iter().map(|id| ExportReadSet::builder().read_set_id(id).build().expect("source"));
    let export = client
        .start_read_set_export_job()
        .sequence_store_id(&store)
        .destination("s3://fallback-bucket/exports/")
        .role_arn(ROLE_A)
        .set_sources(Some(sources.collect()))
        .send()
        .await
        .expect("start export");
    client.get_read_set_export_job().sequence_store_id(&store).id(export.id()).send().await.expect("get export");
    client.list_read_set_export_jobs().sequence_store_id(&store).send().await.expect("list exports");

    // Uploads: FASTQ without referenceArn or generatedFrom, CRAM with every member, one aborted.
    let bare = client
        .create_multipart_read_set_upload()
        .sequence_store_id(&store)
        .source_file_type(FileType::Fastq)
        .subject_id("subject")
        .sample_id("sample")
        .name("bare")
        .send()
        .await
        .expect("create bare upload");
    let full = client
        .create_multipart_read_set_upload()
        .sequence_store_id(&store)
        .source_file_type(FileType::Cram)
        .subject_id("subject")
        .sample_id("sample")
        .name("full")
        .description("every member")
        .generated_from("sequencer run 8")
        .reference_arn(&ce_arn)
        .tags("lane", "2")
        .send()
        .await
        .expect("create full upload");
    let aborted = client
        .create_multipart_read_set_upload()
        .sequence_store_id(&store)
        .source_file_type(FileType::Ubam)
        .subject_id("subject")
        .sample_id("sample")
        .name("aborted")
        .send()
        .await
        .expect("create upload to abort");
    let cram = std::fs::read(testdata("hts-specs/cram3.0/passed/1400_index_simple.cram")).expect("cram");
    let contents = [(bare.upload_id(), fastq(44, 400, 80, None)), (full.upload_id(), cram)];
    let mut completions = Vec::new();
    for (upload, bytes) in &contents {
        let mut parts = Vec::new();
        for (i, piece) in bytes.chunks(bytes.len().div_ceil(2)).enumerate() {
            let number = i as i32 + 1;
            let out = client
                .upload_read_set_part()
                .sequence_store_id(&store)
                .upload_id(*upload)
                .part_source(ReadSetPartSource::Source1)
                .part_number(number)
                .payload(ByteStream::from(piece.to_vec()))
                .send()
                .await
                .expect("upload part");
            let item = CompleteReadSetUploadPartListItem::builder()
                .part_source(ReadSetPartSource::Source1)
                .part_number(number)
                .checksum(out.checksum())
                .build()
                .expect("part item");
            parts.push(item);
        }
        completions.push((*upload, parts));
    }
    let listed = client.list_read_set_upload_parts().sequence_store_id(&store).upload_id(bare.upload_id());
    listed.part_source(ReadSetPartSource::Source1).send().await.expect("list parts");
    client.list_multipart_read_set_uploads().sequence_store_id(&store).send().await.expect("list uploads");
    let abort = client.abort_multipart_read_set_upload().sequence_store_id(&store).upload_id(aborted.upload_id());
    abort.send().await.expect("abort upload");
    let mut uploaded = Vec::new();
    for (upload, parts) in completions {
        let done = client
            .complete_multipart_read_set_upload()
            .sequence_store_id(&store)
            .upload_id(upload)
            .set_parts(Some(parts))
            .send()
            .await
            .expect("complete upload");
        uploaded.push(done.read_set_id().to_owned());
    }
    // Right after completion (PROCESSING_UPLOAD, or already ACTIVE), then ACTIVE.
    client.get_read_set_metadata().sequence_store_id(&store).id(&uploaded[0]).send().await.expect("metadata");
    for id in &uploaded {
        until("upload processing", async || {
            let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await;
            (meta.expect("metadata").status() != &ReadSetStatus::ProcessingUpload).then_some(())
        })
        .await;
    }

    // Every read set's metadata and files.
    client.list_read_sets().sequence_store_id(&store).send().await.expect("list read sets");
    for id in imported.iter().chain(&uploaded) {
        let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("metadata");
        assert_eq!(meta.status(), &ReadSetStatus::Active, "{meta:?}");
        let files = meta.files().expect("files");
        let present = [
            (ReadSetFile::Source1, files.source1().is_some()),
            (ReadSetFile::Source2, files.source2().is_some()),
            (ReadSetFile::Index, files.index().is_some()),
        ];
        for (file, _) in present.into_iter().filter(|(_, there)| *there) {
            let out = client.get_read_set().sequence_store_id(&store).id(id).file(file).part_number(1).send().await;
            out.expect("get read set").payload.collect().await.expect("read set bytes");
        }
    }

    // An activation job of an archived read set (archived by the extension BatchArchiveReadSet).
    assert!(super::tiers::archive(endpoint, &store, &[imported[0].as_str()]).await.is_empty());
    super::tiers::until_status(client, &store, &imported[..1], ReadSetStatus::Archived).await;
    client.get_read_set_metadata().sequence_store_id(&store).id(&imported[0]).send().await.expect("archived");
    let item = StartReadSetActivationJobSourceItem::builder().read_set_id(&imported[0]).build().expect("source");
    let activation = client
        .start_read_set_activation_job()
        .sequence_store_id(&store)
        .sources(item)
        .client_token("wire")
        .send()
        .await
        .expect("start activation");
    super::tiers::settled(client, &store, activation.id()).await;
    client.list_read_set_activation_jobs().sequence_store_id(&store).send().await.expect("list activations");

    // Tags, and a batch delete with one id that exists and one that does not (an `errors` item).
    client.tag_resource().resource_arn(&store_arn).tags("owner", "lab").send().await.expect("tag");
    client.list_tags_for_resource().resource_arn(&store_arn).send().await.expect("list tags");
    client.untag_resource().resource_arn(&store_arn).tag_keys("owner").send().await.expect("untag");
    let batch = client
        .batch_delete_read_set()
        .sequence_store_id(&store)
        .ids(&uploaded[0])
        .ids("0000000000")
        .send()
        .await
        .expect("batch delete");
    assert_eq!(batch.errors().len(), 1, "{batch:?}");

    // S3 access policies of both kinds of store: the default, one put, one deleted.
    for id in [&store, &refs] {
        let arn = seqstore::model::s3_access::access_point_arn("us-east-1", KEY_A.2, id);
        client.get_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("get default policy");
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "Lab", "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]}, "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [arn.clone(), format!("{arn}/object/*")],
            "Condition": {"StringEquals": {"s3:ExistingObjectTag/share": "lab"}}}]});
        let put = client.put_s3_access_policy().s3_access_point_arn(&arn).s3_access_policy(policy.to_string());
        put.send().await.expect("put policy");
        client.get_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("get policy");
    }
    let arn = seqstore::model::s3_access::access_point_arn("us-east-1", KEY_A.2, &refs);
    client.delete_s3_access_policy().s3_access_point_arn(arn).send().await.expect("delete policy");

    // Error bodies are checked against their shapes too.
    client.get_sequence_store().id("0000000000").send().await.expect_err("ResourceNotFoundException");
    client.delete_reference_store().id(&refs).send().await.expect_err("ConflictException: it holds a reference");
}

/// The model's required members in every response of every implemented operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_implemented_operation_answers_the_models_required_members() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    // The export goes to moto (no upload fails here: nothing is copied to a fallback location).
    let s3 = S3Server::start().await;
    let endpoint = s3.as_ref().map_or_else(|| "http://127.0.0.1:9".to_owned(), |s3| s3.endpoint.clone());
    if let Some(s3) = &s3 {
        s3.create_bucket("fallback-bucket");
    }
    with_fallback_role(&mut config, &endpoint);
    let server = TestServer::start(&config).await;
    let recorder = Recorder::default();
    let config = sdk(&server.endpoint, KEY_A).config().to_builder().interceptor(recorder.clone()).build();
    exercise(&Client::from_conf(config), &server.endpoint, root.path()).await;
    server.stop().await;
    let exchanges = recorder.0.lock().expect("recorder lock").clone();

    let implemented: BTreeSet<&str> =
        MODEL.operations.iter().map(|op| op.name.as_str()).filter(|name| seqstore::api::implements(name)).collect();
    let errors: BTreeSet<&str> = exchanges.iter().filter_map(|e| e.error_type.as_deref()).collect();
    assert_eq!(errors, BTreeSet::from(["ConflictException", "ResourceNotFoundException"]), "the two errors asked for");
    let succeeded: BTreeSet<&str> =
        exchanges.iter().filter(|e| (200..300).contains(&e.status)).map(|e| e.operation.as_str()).collect();
    assert_eq!(succeeded, implemented, "every implemented operation is exercised with success, and only those");

    let allowed = readme_omissions();
    let (mut missing, mut seen, mut broken) = (BTreeMap::new(), BTreeSet::new(), Vec::new());
    for exchange in &exchanges {
        let Some(shape) = response_shape(exchange) else { continue };
        let body = exchange.body.as_deref().unwrap_or_default();
        let json: Value = if body.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(body).expect("JSON")
        };
        for pair in &allowed {
            if pair.0 == exchange.operation && present(&json, &pair.1) {
                seen.insert(pair.clone());
            }
        }
        for violation in validate::check(&shape, &json) {
            if violation.null {
                let pair = (exchange.operation.clone(), generic(&violation.member));
                missing.entry(pair).or_insert_with(|| json.clone());
            } else {
                broken.push(format!(
                    "{} {}: {}: {} in {json}",
                    exchange.operation, exchange.status, violation.member, violation.rule
                ));
            }
        }
    }
    assert!(broken.is_empty(), "responses that break their shape's constraints:\n{}", broken.join("\n"));
    let unlisted: Vec<String> = missing
        .iter()
        .filter(|(pair, _)| !allowed.contains(*pair))
        .map(|((op, member), json)| format!("{op}: {member} missing from {json}"))
        .collect();
    assert!(unlisted.is_empty(), "required members missing and not listed in the README:\n{}", unlisted.join("\n"));
    let stale: Vec<_> = allowed.iter().filter(|pair| !missing.contains_key(*pair)).collect();
    assert!(stale.is_empty(), "README rows never needed (the member was always present): {stale:?}");
    let never: Vec<_> = allowed.difference(&seen).collect();
    assert!(never.is_empty(), "listed members never sent, not even where the request gave a value: {never:?}");
}
