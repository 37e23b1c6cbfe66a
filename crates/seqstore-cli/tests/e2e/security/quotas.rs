//! The quotas of `[quotas]`, each reached with aws-sdk-omics: a 402 ServiceQuotaExceededException
//! whose message says what is counted, the limit and the key to raise, and which frees up when
//! what it counts goes away. (`concurrent_import_jobs` with imports held in progress:
//! `import_failures::refuses_beyond_the_concurrent_job_quota`; under concurrency across two
//! processes: `scale_out`.)

use aws_sdk_omics::Client;
use aws_sdk_omics::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_omics::operation::create_multipart_read_set_upload::CreateMultipartReadSetUploadError;
use aws_sdk_omics::types::{FileType, StartReadSetImportJobSourceItem};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::super::fastq_data::fastq;
use super::super::imports::{ROLE_A, import_config, source, start, wait, write};
use super::super::references::ref_source;
use super::super::support::{Backend, KEY_A, KEY_B, TestDb, TestServer, sdk};
use super::super::uploads::create as create_upload;

#[track_caller]
fn quota<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    result: Result<T, SdkError<E, R>>,
    needles: &[&str],
) {
    let error = result.expect_err("over the quota");
    assert_eq!(error.code(), Some("ServiceQuotaExceededException"), "{error:?}");
    let message = error.message().unwrap_or_default();
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    }
}

async fn import(client: &Client, store: &str, sources: Vec<StartReadSetImportJobSourceItem>) -> Result<String, String> {
    let job = client.start_read_set_import_job().sequence_store_id(store).role_arn(ROLE_A).set_sources(Some(sources));
    match job.send().await {
        Ok(job) => Ok(job.id().to_owned()),
        Err(e) => Err(format!("{}: {}", e.code().unwrap_or_default(), e.message().unwrap_or_default())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_quota_answers_402_naming_its_key_and_frees_up() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.quotas.sequence_stores = 2;
    config.quotas.reference_stores = 1;
    config.quotas.sources_per_job = 2;
    config.quotas.read_sets_per_store = 3;
    config.quotas.uploads_in_progress = 1;
    let server = TestServer::start(&config).await;
    let (a, b) = (sdk(&server.endpoint, KEY_A), sdk(&server.endpoint, KEY_B));

    // Stores per account.
    let store = a.create_sequence_store().name("one").send().await.expect("first").id().to_owned();
    let second = a.create_sequence_store().name("two").send().await.expect("second").id().to_owned();
    quota(
        a.create_sequence_store().name("three").send().await,
        &["at most 2 sequence stores", "quotas.sequence_stores"],
    );
    b.create_sequence_store().name("b").send().await.expect("quotas are per account");
    let references = a.create_reference_store().name("genomes").send().await.expect("reference store");
    quota(
        a.create_reference_store().name("more").send().await,
        &["at most 1 reference stores", "quotas.reference_stores"],
    );
    a.delete_reference_store().id(references.id()).send().await.expect("delete");
    let references = a.create_reference_store().name("again").send().await.expect("room again").id().to_owned();

    // Sources per job, for both kinds of import, before the model's bound of 100.
    let reads = write(root.path(), "r.fq", &fastq(1, 5, 20, None));
    let three: Vec<_> = (0..3).map(|_| source(&reads, None)).collect();
    let refused = import(&a, &store, three).await.expect_err("3 sources");
    assert!(
        refused.contains("ServiceQuotaExceededException") && refused.contains("quotas.sources_per_job"),
        "{refused}"
    );
    assert!(refused.contains("this one has 3"), "{refused}");
    let genome = write(root.path(), "g.fa", b">chr1\nACGT\n");
    let job = a.start_reference_import_job().reference_store_id(&references).role_arn(ROLE_A);
    let sources = (0..3).map(|i| ref_source(&genome, &format!("genome{i}"))).collect();
    quota(job.set_sources(Some(sources)).send().await, &["an import job can have at most 2 sources"]);
    let too_many: Vec<_> = (0..101).map(|_| source(&reads, None)).collect();
    let refused = import(&a, &store, too_many).await.expect_err("101 sources");
    assert!(
        refused.starts_with("ValidationException") && refused.contains("'sources'"),
        "the model's bound: {refused}"
    );

    // Read sets per store count what is imported, being imported and being uploaded.
    let job = start(&a, &store, vec![source(&reads, None), source(&reads, None)]).await;
    let upload = create_upload(&a, &store, FileType::Fastq, None).await;
    let refused = import(&a, &store, vec![source(&reads, None)]).await.expect_err("store full");
    assert!(refused.contains(&format!("sequence store {store} can have at most 3 read sets")), "{refused}");
    assert!(refused.contains("quotas.read_sets_per_store"), "{refused}");
    import(&a, &second, vec![source(&reads, None)]).await.expect("another store has room");
    wait(&a, &store, &job).await;

    // Uploads in progress per account; aborting one frees its place and the store's.
    quota(
        try_upload(&a, &second).await,
        &["an account can have at most 1 uploads in progress", "quotas.uploads_in_progress"],
    );
    a.abort_multipart_read_set_upload().sequence_store_id(&store).upload_id(&upload).send().await.expect("abort");
    let done = wait(&a, &store, &job).await;
    let read_set = done.sources()[0].read_set_id().expect("read set").to_owned();
    a.batch_delete_read_set().sequence_store_id(&store).ids(&read_set).send().await.expect("delete a read set");
    let job = start(&a, &store, vec![source(&reads, None)]).await;
    wait(&a, &store, &job).await;
    try_upload(&a, &store).await.expect("room for a third read set, and no upload in progress");
    let refused = import(&a, &store, vec![source(&reads, None)]).await.expect_err("full again");
    assert!(refused.contains("it holds or is receiving 3; this request adds 1"), "{refused}");
    server.stop().await;
}

/// CreateMultipartReadSetUpload of a FASTQ, as the SDK answers it.
async fn try_upload(
    client: &Client,
    store: &str,
) -> Result<String, SdkError<CreateMultipartReadSetUploadError, HttpResponse>> {
    let upload = client.create_multipart_read_set_upload().sequence_store_id(store).source_file_type(FileType::Fastq);
    let out = upload.subject_id("s").sample_id("s").name("n").send().await?;
    Ok(out.upload_id().to_owned())
}
