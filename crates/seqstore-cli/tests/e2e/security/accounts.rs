//! Account isolation over every operation of the model: account A creates one resource of every
//! kind (sequence store, read set, import job, upload with a part, reference store, reference,
//! reference import job); account B then calls every operation with A's ids and ARNs. Each answer
//! must be exactly what B gets for ids that do not exist (same status, error type and message but
//! for the ids): 404 ResourceNotFoundException, or 405 for the operations not built, never data;
//! the stores' S3 access points (and their policies) likewise.
//! Afterwards everything A sees of its resources is unchanged.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use super::super::fastq_data::fastq;
use super::super::imports::{ROLE_A, import_config, source, start, wait, write};
use super::super::references::{fasta, import, ref_source, reference_store};
use super::super::support::{Backend, KEY_A, KEY_B, Raw, TestDb, TestServer, router, sdk};
use super::super::uploads::{create as create_upload, put};
use super::{Answer, answer};

const REGION: &str = "us-east-1";
const ROLE_B: &str = "arn:aws:iam::222222222222:role/Import";

/// The ids one table is built from.
#[derive(Debug, Clone)]
struct Ids {
    account: String,
    sequence_store: String,
    read_set: String,
    job: String,
    upload: String,
    reference_store: String,
    reference: String,
    reference_job: String,
}

impl Ids {
    /// Every id, for replacing one table's ids by another's.
    fn all(&self) -> [&str; 7] {
        [
            &self.sequence_store,
            &self.read_set,
            &self.job,
            &self.upload,
            &self.reference_store,
            &self.reference,
            &self.reference_job,
        ]
    }

    /// Ids of the same shapes that name nothing.
    fn missing(&self) -> Self {
        let fake = |n: u32| format!("{}", 1_000_000_000 + n * 7919);
        Self {
            account: self.account.clone(),
            sequence_store: fake(1),
            read_set: fake(2),
            job: fake(3),
            upload: fake(4),
            reference_store: fake(5),
            reference: fake(6),
            reference_job: fake(7),
        }
    }

    fn arn(&self, resource: &str) -> String {
        format!("arn:aws:omics:{REGION}:{}:{resource}", self.account)
    }

    fn reference_arn(&self) -> String {
        self.arn(&format!("referenceStore/{}/reference/{}", self.reference_store, self.reference))
    }

    /// The S3 access points of the two stores.
    fn access_points(&self) -> [String; 2] {
        [&self.sequence_store, &self.reference_store]
            .map(|store| format!("arn:aws:s3:{REGION}:{}:accesspoint/{store}", self.account))
    }

    /// The four taggable ARNs.
    fn arns(&self) -> [String; 4] {
        [
            self.arn(&format!("sequenceStore/{}", self.sequence_store)),
            self.arn(&format!("sequenceStore/{}/readSet/{}", self.sequence_store, self.read_set)),
            self.arn(&format!("referenceStore/{}", self.reference_store)),
            self.reference_arn(),
        ]
    }
}

/// One call of the table.
struct Case {
    op: &'static str,
    request: Raw,
    /// True when it names a resource inside a store (run again with B's own stores).
    inner: bool,
}

fn percent(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Every operation of the model, calling with the stores of `stores` and the resources inside
/// them (and ARNs) of `inner`, signed by B.
fn cases(stores: &Ids, inner: &Ids, file: &str) -> Vec<Case> {
    let (s, r) = (&stores.sequence_store, &stores.reference_store);
    let (rs, job, up, rf, rjob) = (&inner.read_set, &inner.job, &inner.upload, &inner.reference, &inner.reference_job);
    let reference_arn = inner.reference_arn();
    let read_set_source = json!({"sourceFiles": {"source1": file}, "sourceFileType": "BAM", "subjectId": "s",
                                 "sampleId": "s", "name": "n", "referenceArn": reference_arn});
    let mut cases = Vec::new();
    let mut add = |op, method, uri: String, body: Value, inner| {
        let body = if body.is_null() { String::new() } else { body.to_string() };
        let mut request = Raw::new(method, uri, body);
        request.key = Some(KEY_B);
        request.unsigned_payload = op == "UploadReadSetPart";
        cases.push(Case { op, request, inner });
    };
    add("GetSequenceStore", "GET", format!("/sequencestore/{s}"), Value::Null, false);
    add("UpdateSequenceStore", "PATCH", format!("/sequencestore/{s}"), json!({"name": "taken"}), false);
    add("DeleteSequenceStore", "DELETE", format!("/sequencestore/{s}"), Value::Null, false);
    let start = json!({"roleArn": ROLE_B, "sources": [read_set_source]});
    add("StartReadSetImportJob", "POST", format!("/sequencestore/{s}/importjob"), start, true);
    add("GetReadSetImportJob", "GET", format!("/sequencestore/{s}/importjob/{job}"), Value::Null, true);
    add("ListReadSetImportJobs", "POST", format!("/sequencestore/{s}/importjobs"), json!({}), false);
    add("GetReadSetMetadata", "GET", format!("/sequencestore/{s}/readset/{rs}/metadata"), Value::Null, true);
    add("ListReadSets", "POST", format!("/sequencestore/{s}/readsets"), json!({}), false);
    add("BatchDeleteReadSet", "POST", format!("/sequencestore/{s}/readset/batch/delete"), json!({"ids": [rs]}), true);
    let part = format!("/sequencestore/{s}/readset/{rs}?file=SOURCE1&partNumber=1");
    add("GetReadSet", "GET", part, Value::Null, true);
    let upload = json!({"sourceFileType": "BAM", "subjectId": "s", "sampleId": "s", "name": "n",
                        "referenceArn": reference_arn});
    add("CreateMultipartReadSetUpload", "POST", format!("/sequencestore/{s}/upload"), upload, true);
    let part = format!("/sequencestore/{s}/upload/{up}/part?partSource=SOURCE1&partNumber=1");
    add("UploadReadSetPart", "PUT", part, json!("replaced"), true);
    let parts = json!({"parts": [{"partNumber": 1, "partSource": "SOURCE1", "checksum": "x"}]});
    add("CompleteMultipartReadSetUpload", "POST", format!("/sequencestore/{s}/upload/{up}/complete"), parts, true);
    add("AbortMultipartReadSetUpload", "DELETE", format!("/sequencestore/{s}/upload/{up}/abort"), Value::Null, true);
    add("ListMultipartReadSetUploads", "POST", format!("/sequencestore/{s}/uploads"), Value::Null, false);
    let parts = format!("/sequencestore/{s}/upload/{up}/parts");
    add("ListReadSetUploadParts", "POST", parts, json!({"partSource": "SOURCE1"}), true);
    add("GetReferenceStore", "GET", format!("/referencestore/{r}"), Value::Null, false);
    add("DeleteReferenceStore", "DELETE", format!("/referencestore/{r}"), Value::Null, false);
    let start = json!({"roleArn": ROLE_B, "sources": [{"sourceFile": file, "name": "genome"}]});
    add("StartReferenceImportJob", "POST", format!("/referencestore/{r}/importjob"), start, false);
    add("GetReferenceImportJob", "GET", format!("/referencestore/{r}/importjob/{rjob}"), Value::Null, true);
    add("ListReferenceImportJobs", "POST", format!("/referencestore/{r}/importjobs"), json!({}), false);
    add("ListReferences", "POST", format!("/referencestore/{r}/references"), json!({}), false);
    let metadata = format!("/referencestore/{r}/reference/{rf}/metadata");
    add("GetReferenceMetadata", "GET", metadata, Value::Null, true);
    add("GetReference", "GET", format!("/referencestore/{r}/reference/{rf}?partNumber=1"), Value::Null, true);
    add("DeleteReference", "DELETE", format!("/referencestore/{r}/reference/{rf}"), Value::Null, true);
    for arn in inner.arns() {
        let path = format!("/tags/{}", percent(&arn));
        add("TagResource", "POST", path.clone(), json!({"tags": {"k": "v"}}), false);
        add("UntagResource", "DELETE", format!("{path}?tagKeys=project"), Value::Null, false);
        add("ListTagsForResource", "GET", path, Value::Null, false);
    }
    let export = json!({"destination": "s3://exports/", "roleArn": ROLE_B, "sources": [{"readSetId": rs}]});
    add("StartReadSetExportJob", "POST", format!("/sequencestore/{s}/exportjob"), export, true);
    add("GetReadSetExportJob", "GET", format!("/sequencestore/{s}/exportjob/{job}"), Value::Null, false);
    add("ListReadSetExportJobs", "POST", format!("/sequencestore/{s}/exportjobs"), json!({}), false);
    for arn in stores.access_points() {
        let path = format!("/s3accesspolicy/{}", percent(&arn));
        let policy = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "s3:GetObject",
            "Resource": format!("{arn}/object/*")}});
        add("PutS3AccessPolicy", "PUT", path.clone(), json!({"s3AccessPolicy": policy.to_string()}), false);
        add("GetS3AccessPolicy", "GET", path.clone(), Value::Null, false);
        add("DeleteS3AccessPolicy", "DELETE", path, Value::Null, false);
    }
    let activate = json!({"sources": [{"readSetId": rs}]});
    add("StartReadSetActivationJob", "POST", format!("/sequencestore/{s}/activationjob"), activate, true);
    add("GetReadSetActivationJob", "GET", format!("/sequencestore/{s}/activationjob/{job}"), Value::Null, true);
    add("ListReadSetActivationJobs", "POST", format!("/sequencestore/{s}/activationjobs"), json!({}), false);
    // Account-wide operations take no ids: tested below (lists, and A's clientTokens).
    for op in ["CreateSequenceStore", "ListSequenceStores", "CreateReferenceStore", "ListReferenceStores"] {
        cases.push(Case { op, request: Raw::new("GET", "/", ""), inner: false });
    }
    cases
}

const ACCOUNT_WIDE: [&str; 4] =
    ["CreateSequenceStore", "ListSequenceStores", "CreateReferenceStore", "ListReferenceStores"];

/// `answer` with the ids of `from` written as those of `to`, to compare with an answer for `to`.
fn renamed(answer: &Answer, from: &Ids, to: &Ids) -> Answer {
    let mut text = answer.body.to_string();
    for (a, b) in from.all().iter().zip(to.all()) {
        text = text.replace(a, b);
    }
    Answer { body: serde_json::from_str(&text).expect("still JSON"), ..answer.clone() }
}

/// A's resources of every kind, with A's clientTokens on both store kinds.
async fn resources_of_a(server: &TestServer, root: &Path) -> Ids {
    let a = sdk(&server.endpoint, KEY_A);
    let store = a.create_sequence_store().name("private").client_token("token-of-a").tags("project", "a");
    let sequence_store = store.send().await.expect("sequence store").id().to_owned();
    let reads = write(root, "reads.fq", &fastq(1, 20, 50, None));
    let job = start(&a, &sequence_store, vec![source(&reads, None)]).await;
    let done = wait(&a, &sequence_store, &job).await;
    let read_set = done.sources()[0].read_set_id().expect("read set").to_owned();
    let upload = create_upload(&a, &sequence_store, aws_sdk_omics::types::FileType::Fastq, None).await;
    put(&a, &sequence_store, &upload, aws_sdk_omics::types::ReadSetPartSource::Source1, 1, b"@r\nACGT\n+\n!!!!\n")
        .await;
    let store = a.create_reference_store().name("genomes").client_token("token-of-a");
    let reference_store = store.send().await.expect("reference store").id().to_owned();
    let genome = write(root, "genome.fa", &fasta(1, &[("chr1", 500, 60)]));
    let imported = import(&a, &reference_store, vec![ref_source(&genome, "genome")]).await;
    let reference = imported.sources()[0].reference_id().expect("reference").to_owned();
    let jobs = a.list_reference_import_jobs().reference_store_id(&reference_store).send().await.expect("jobs");
    let reference_job = jobs.import_jobs()[0].id().to_owned();
    let _ = ROLE_A;
    Ids {
        account: KEY_A.2.to_owned(),
        sequence_store,
        read_set,
        job,
        upload,
        reference_store,
        reference,
        reference_job,
    }
}

/// Everything A can read about its resources, by raw requests signed by A.
async fn view_of_a(router: &axum::Router, ids: &Ids) -> Vec<(String, Answer)> {
    let (s, r) = (&ids.sequence_store, &ids.reference_store);
    let mut reads = vec![
        ("GET", format!("/sequencestore/{s}"), ""),
        ("GET", format!("/sequencestore/{s}/readset/{}/metadata", ids.read_set), ""),
        ("GET", format!("/sequencestore/{s}/readset/{}?file=SOURCE1&partNumber=1", ids.read_set), ""),
        ("GET", format!("/sequencestore/{s}/importjob/{}", ids.job), ""),
        ("POST", format!("/sequencestore/{s}/readsets"), "{}"),
        ("POST", format!("/sequencestore/{s}/importjobs"), "{}"),
        ("POST", format!("/sequencestore/{s}/uploads"), ""),
        ("POST", format!("/sequencestore/{s}/upload/{}/parts", ids.upload), r#"{"partSource": "SOURCE1"}"#),
        ("GET", format!("/referencestore/{r}"), ""),
        ("GET", format!("/referencestore/{r}/reference/{}/metadata", ids.reference), ""),
        ("GET", format!("/referencestore/{r}/reference/{}?partNumber=1", ids.reference), ""),
        ("GET", format!("/referencestore/{r}/importjob/{}", ids.reference_job), ""),
        ("POST", format!("/referencestore/{r}/references"), "{}"),
        ("POST", "/sequencestores".to_owned(), "{}"),
        ("POST", "/referencestores".to_owned(), "{}"),
    ];
    let tags: Vec<String> = ids.arns().iter().map(|arn| format!("/tags/{}", percent(arn))).collect();
    reads.extend(tags.iter().map(|path| ("GET", path.clone(), "")));
    let policies: Vec<String> =
        ids.access_points().iter().map(|arn| format!("/s3accesspolicy/{}", percent(arn))).collect();
    reads.extend(policies.iter().map(|path| ("GET", path.clone(), "")));
    let mut view = Vec::new();
    for (method, uri, body) in reads {
        let reply = answer(router, Raw::new(method, &uri, body).build()).await;
        assert_eq!(reply.status, 200, "A reads {uri}: {:?}", reply.body);
        view.push((uri, reply));
    }
    view
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_with_another_accounts_ids_is_the_same_404_and_changes_nothing() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let a = resources_of_a(&server, root.path()).await;
    let router = router(&config).await;
    let before = view_of_a(&router, &a).await;
    let file = write(root.path(), "b.bam", b"BAM");

    // The table covers every operation of the model.
    let names: BTreeSet<&str> = cases(&a, &a, &file).iter().map(|c| c.op).collect();
    let model: BTreeSet<&str> = seqstore::api::botocore::MODEL.operations.iter().map(|op| op.name.as_str()).collect();
    assert_eq!(names, model, "one case per operation of the model");

    // A's ids and ARNs, and B's account written into A's ARNs, against ids that name nothing.
    let missing = a.missing();
    let as_b = Ids { account: KEY_B.2.to_owned(), ..a.clone() };
    for (ids, what) in [(&a, "A's ids"), (&as_b, "A's ids in B's ARNs")] {
        let missing = Ids { account: ids.account.clone(), ..missing.clone() };
        let pairs = cases(ids, ids, &file).into_iter().zip(cases(&missing, &missing, &file));
        for (case, control) in pairs.filter(|(c, _)| !ACCOUNT_WIDE.contains(&c.op)) {
            let reply = answer(&router, case.request.build()).await;
            let expected = (404, "ResourceNotFoundException");
            assert_eq!(
                (reply.status, reply.error_type.as_str()),
                expected,
                "{} with {what}: {:?}",
                case.op,
                reply.body
            );
            let control = answer(&router, control.request.build()).await;
            assert_eq!(renamed(&reply, ids, &missing), control, "{} with {what} must look like missing ids", case.op);
        }
    }

    // B's own stores with A's read sets, jobs, uploads and references inside: the same as missing
    // ones (404, or BatchDeleteReadSet's per-id NotFound).
    let b = sdk(&server.endpoint, KEY_B);
    let b_store = b.create_sequence_store().name("mine").send().await.expect("B store").id().to_owned();
    let b_refs = reference_store(&b).await;
    let b_ids = Ids { account: KEY_B.2.to_owned(), sequence_store: b_store, reference_store: b_refs, ..a.clone() };
    let mixed = cases(&b_ids, &a, &file).into_iter().zip(cases(&b_ids, &missing, &file));
    for (case, control) in mixed.filter(|(c, _)| c.inner) {
        let reply = answer(&router, case.request.build()).await;
        let expected = if case.op == "BatchDeleteReadSet" { 200 } else { 404 };
        assert_eq!(reply.status, expected, "{} in B's store with A's ids: {:?}", case.op, reply.body);
        let control = answer(&router, control.request.build()).await;
        assert_eq!(renamed(&reply, &a, &missing), control, "{} in B's store", case.op);
    }

    // Account-wide operations: B lists only its own stores; A's clientTokens are B's to reuse.
    let listed = b.list_sequence_stores().send().await.expect("list");
    assert!(listed.sequence_stores().iter().all(|s| s.id() != a.sequence_store), "A's store is not listed for B");
    let listed = b.list_reference_stores().send().await.expect("list");
    assert!(listed.reference_stores().iter().all(|s| s.id() != a.reference_store));
    let same_token = b.create_sequence_store().name("private").client_token("token-of-a").tags("project", "a");
    assert_ne!(same_token.send().await.expect("B's own store").id(), a.sequence_store, "tokens are per account");
    let same_token = b.create_reference_store().name("genomes").client_token("token-of-a");
    assert_ne!(same_token.send().await.expect("B's own store").id(), a.reference_store);

    let after = view_of_a(&router, &a).await;
    for ((uri, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "A's view of {uri} changed");
    }
    server.stop().await;
}
