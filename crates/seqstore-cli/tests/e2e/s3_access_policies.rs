//! S3 access policies end to end with `aws-sdk-omics`: the default policy every new sequence and
//! reference store gets, PutS3AccessPolicy, GetS3AccessPolicy and DeleteS3AccessPolicy on both,
//! another account's access points answered as missing ones, refused policies named in a 400, the
//! default made for a store with nothing recorded, and the policy in force that the S3 endpoint
//! will evaluate.

use aws_sdk_omics::Client;
use aws_sdk_omics::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_omics::types::StoreType;
use seqstore::db::{Db, s3_access_policies};
use seqstore::model::s3_access::{self, Action, Decision, Policy, Request, evaluate};
use seqstore::model::tags::Tags;
use seqstore::service::{Error, Service};
use serde_json::{Value, json};

use super::support::{Backend, KEY_A, KEY_B, TestDb, TestServer, code, config, data_store, sdk};

const REGION: &str = "us-east-1";
const ACCOUNT_A: &str = KEY_A.2;
const ACCOUNT_B: &str = KEY_B.2;

fn arn_of(account: &str, store: &str) -> String {
    s3_access::access_point_arn(REGION, account, store)
}

/// A policy letting account B read objects tagged `share=lab` and list everything.
fn lab_share(arn: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "LabReads", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_B}:root")},
         "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [arn, format!("{arn}/object/*")],
         "Condition": {"StringEquals": {"s3:ExistingObjectTag/share": "lab"}}},
        {"Sid": "NoPlainHttp", "Effect": "Deny", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_B}:root")},
         "Action": "s3:GetObject", "Resource": format!("{arn}/object/*"),
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]})
    .to_string()
}

/// A's sequence store and reference store.
async fn stores(a: &Client) -> [(String, StoreType); 2] {
    let sequence = a.create_sequence_store().name("shared").send().await.expect("sequence store").id().to_owned();
    let reference = a.create_reference_store().name("genomes").send().await.expect("reference store").id().to_owned();
    [(sequence, StoreType::SequenceStore), (reference, StoreType::ReferenceStore)]
}

fn error_of<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    result: Result<impl std::fmt::Debug, SdkError<E, R>>,
) -> (String, String) {
    let error = result.expect_err("an error");
    (code(&error), error.message().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_delete_on_sequence_and_reference_stores() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let server = TestServer::start(&config(&db)).await;
    let a = sdk(&server.endpoint, KEY_A);
    for (store, store_type) in stores(&a).await {
        let arn = arn_of(ACCOUNT_A, &store);

        // After Create: the default, the owner account reading everything.
        let got = a.get_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("get default");
        assert_eq!(got.s3_access_policy(), Policy::default_text(&arn, ACCOUNT_A));
        assert_eq!((got.s3_access_point_arn(), got.store_id()), (Some(arn.as_str()), Some(store.as_str())));
        assert_eq!(got.store_type(), Some(&store_type));
        let created = got.update_time().expect("updateTime").to_millis().expect("millis");

        let text = lab_share(&arn);
        let put = a.put_s3_access_policy().s3_access_point_arn(&arn).s3_access_policy(&text).send().await;
        let put = put.expect("put");
        assert_eq!((put.s3_access_point_arn(), put.store_id()), (Some(arn.as_str()), Some(store.as_str())));
        assert_eq!(put.store_type(), Some(&store_type));
        let got = a.get_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("get");
        assert_eq!(got.s3_access_policy(), text, "the policy as it was put");
        assert!(got.update_time().expect("updateTime").to_millis().expect("millis") >= created);

        // Delete: no policy at all (no S3 access, the owner's included); deleting again is fine.
        a.delete_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("delete");
        a.delete_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("delete again");
        let (kind, message) = error_of(a.get_s3_access_policy().s3_access_point_arn(&arn).send().await);
        assert_eq!(kind, "ResourceNotFoundException");
        assert_eq!(message, format!("S3 access policy of {arn} not found"));

        // A put after a delete restores access.
        a.put_s3_access_policy().s3_access_point_arn(&arn).s3_access_policy(&text).send().await.expect("put again");
        let got = a.get_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("get");
        assert_eq!(got.s3_access_policy(), text);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_access_point_is_a_missing_one() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let server = TestServer::start(&config(&db)).await;
    let (a, b) = (sdk(&server.endpoint, KEY_A), sdk(&server.endpoint, KEY_B));
    let missing = "1234567890";
    for (store, _) in stores(&a).await {
        let text = lab_share(&arn_of(ACCOUNT_A, &store));
        // A's ARN, A's store id in B's ARN, and another region: each as a store that does not exist.
        for (arn, control) in [
            (arn_of(ACCOUNT_A, &store), arn_of(ACCOUNT_A, missing)),
            (arn_of(ACCOUNT_B, &store), arn_of(ACCOUNT_B, missing)),
            (s3_access::access_point_arn("eu-west-1", ACCOUNT_B, &store), arn_of(ACCOUNT_B, missing)),
        ] {
            let expected = ("ResourceNotFoundException".to_owned(), format!("S3 access point {arn} not found"));
            let control_message = format!("S3 access point {control} not found");
            let get = error_of(b.get_s3_access_policy().s3_access_point_arn(&arn).send().await);
            assert_eq!(get, expected, "get {arn}");
            let missing_get = error_of(b.get_s3_access_policy().s3_access_point_arn(&control).send().await);
            assert_eq!(missing_get.1, control_message, "the same answer for a missing store");
            let put = b.put_s3_access_policy().s3_access_point_arn(&arn).s3_access_policy(&text).send().await;
            assert_eq!(error_of(put), expected, "put {arn}");
            let delete = error_of(b.delete_s3_access_policy().s3_access_point_arn(&arn).send().await);
            assert_eq!(delete, expected, "delete {arn}");
        }
        // Nothing changed for A.
        let arn = arn_of(ACCOUNT_A, &store);
        let got = a.get_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("A's policy");
        assert_eq!(got.s3_access_policy(), Policy::default_text(&arn, ACCOUNT_A));
    }

    // ARNs that the model's pattern lets through but that name no seqstore access point: 400.
    for arn in [
        format!("arn:aws:s3:{REGION}:{ACCOUNT_A}:accesspoint/my-access-point"),
        format!("arn:aws:s3:{REGION}:123:accesspoint/1234567890"),
        format!("arn:aws-cn:s3:{REGION}:{ACCOUNT_A}:accesspoint/1234567890"),
    ] {
        let (kind, message) = error_of(a.get_s3_access_policy().s3_access_point_arn(&arn).send().await);
        assert_eq!(kind, "ValidationException", "{arn}");
        assert!(message.starts_with("s3AccessPointArn: not the ARN of a seqstore S3 access point"), "{message}");
    }
    // And one the model's pattern refuses.
    let (kind, message) = error_of(a.get_s3_access_policy().s3_access_point_arn("arn:aws:omics:x").send().await);
    assert_eq!(kind, "ValidationException");
    assert!(message.contains("s3AccessPointArn"), "{message}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_policies_name_the_problem_and_change_nothing() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let server = TestServer::start(&config(&db)).await;
    let a = sdk(&server.endpoint, KEY_A);
    let [(store, _), (references, _)] = stores(&a).await;
    let arn = arn_of(ACCOUNT_A, &store);
    let statement = |extra: Value| {
        let mut s = json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_B}:root")},
                           "Action": "s3:GetObject", "Resource": format!("{arn}/object/*")});
        for (k, v) in extra.as_object().expect("object") {
            s[k] = v.clone();
        }
        json!({"Version": "2012-10-17", "Statement": [s]}).to_string()
    };
    let cases = [
        ("{not json".to_owned(), "the policy is not valid JSON (line 1, column 2)".to_owned()),
        (
            statement(json!({"Action": ["s3:GetObject", "s3:PutObject"]})),
            "Statement[0].Action s3:PutObject is not supported: only s3:GetObject, s3:GetObjectTagging and \
             s3:ListBucket (no wildcards)"
                .to_owned(),
        ),
        (
            statement(json!({"Principal": "*"})),
            "Statement[0].Principal * is not supported: only arn:aws:iam::ACCOUNT:root (every key of that account)"
                .to_owned(),
        ),
        (
            statement(json!({"Resource": format!("{}/object/*", arn_of(ACCOUNT_A, &references))})),
            format!(
                "Statement[0].Resource {}/object/* is not a resource of this access point",
                arn_of(ACCOUNT_A, &references)
            ),
        ),
        (
            statement(json!({"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})),
            "Statement[0].Condition IpAddress is not supported".to_owned(),
        ),
        (
            statement(json!({"Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}})),
            "Statement[0].Condition.StringEquals aws:SourceVpc is not supported".to_owned(),
        ),
        (
            statement(json!({"NotResource": "*"})),
            "Statement[0].NotResource is not supported: a statement has only Sid".to_owned(),
        ),
    ];
    for (text, problem) in cases {
        let put = a.put_s3_access_policy().s3_access_point_arn(&arn).s3_access_policy(&text).send().await;
        let (kind, message) = error_of(put);
        assert_eq!(kind, "ValidationException", "{text}");
        let expected = format!("invalid s3AccessPolicy: {problem}");
        assert!(message.starts_with(&expected), "{message}\n  does not start with\n{expected}");
    }
    let got = a.get_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("get");
    assert_eq!(got.s3_access_policy(), Policy::default_text(&arn, ACCOUNT_A), "still the default");
    server.stop().await;
}

/// Nothing is recorded for a store until a Put or Delete (so a store created before policies
/// existed is like any other): it has the default, dated with its creation. A Delete is recorded;
/// a deleted store takes its row with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_is_made_when_asked_for_and_a_deleted_store_takes_its_row() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let config = config(&db);
    let server = TestServer::start(&config).await;
    let a = sdk(&server.endpoint, KEY_A);
    let metadata = Db::connect(&config.database_url()).await.expect("db");
    let mut conn = metadata.pool().acquire().await.expect("connection");
    for (store, _) in stores(&a).await {
        assert_eq!(s3_access_policies::get(&mut conn, ACCOUNT_A, &store).await.expect("row"), None);
        let arn = arn_of(ACCOUNT_A, &store);
        let got = a.get_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("get");
        assert_eq!(got.s3_access_policy(), Policy::default_text(&arn, ACCOUNT_A));
        let created = match a.get_sequence_store().id(&store).send().await {
            Ok(s) => *s.creation_time(),
            Err(_) => *a.get_reference_store().id(&store).send().await.expect("reference store").creation_time(),
        };
        assert_eq!(got.update_time(), Some(&created), "dated with the store's creation");
        a.delete_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("delete");
        let recorded = s3_access_policies::get(&mut conn, ACCOUNT_A, &store).await.expect("row");
        assert_eq!(recorded.map(|r| r.policy), Some(None), "the deletion is recorded");
    }
    let store = a.create_sequence_store().name("doomed").send().await.expect("store").id().to_owned();
    let arn = arn_of(ACCOUNT_A, &store);
    a.put_s3_access_policy().s3_access_point_arn(&arn).s3_access_policy(lab_share(&arn)).send().await.expect("put");
    assert!(s3_access_policies::get(&mut conn, ACCOUNT_A, &store).await.expect("row").is_some());
    a.delete_sequence_store().id(&store).send().await.expect("delete store");
    assert_eq!(s3_access_policies::get(&mut conn, ACCOUNT_A, &store).await.expect("row"), None);
    drop(conn);
    metadata.close().await;
    server.stop().await;
}

/// What the S3 endpoint will enforce: B denied by the default, allowed by a policy, denied by its
/// tag condition and over plain HTTP; the owner denied once the policy is deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_in_force_decides_each_request() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let config = config(&db);
    let server = TestServer::start(&config).await;
    let a = sdk(&server.endpoint, KEY_A);
    let service = Service::new(&config, Db::connect(&config.database_url()).await.expect("db"), data_store(&config))
        .await
        .expect("service");
    let [(store, _), _] = stores(&a).await;
    let arn = arn_of(ACCOUNT_A, &store);
    let key = format!("{ACCOUNT_A}/sequenceStore/{store}/readSet/1234567890/reads.bam");
    let (lab, untagged): (Tags, Tags) = ([("share".to_owned(), "lab".to_owned())].into(), Tags::new());
    let decide = async |key_of: (&str, &str, &str), tags: &Tags, tls: Option<f64>| {
        let policy = service.s3_access_policy_in_force(ACCOUNT_A, &store).await.expect("policy in force");
        let request = Request {
            account: key_of.2,
            access_key_id: key_of.0,
            action: Action::GetObject,
            key: &key,
            tags,
            signature_version: "AWS4-HMAC-SHA256",
            tls_version: tls,
        };
        evaluate(policy.as_ref(), &request)
    };

    assert_eq!(decide(KEY_A, &untagged, None).await, Decision::Allow, "the owner, by the default");
    assert_eq!(decide(KEY_B, &lab, Some(1.3)).await, Decision::ImplicitDeny, "B, by the default");
    let text = lab_share(&arn);
    a.put_s3_access_policy().s3_access_point_arn(&arn).s3_access_policy(&text).send().await.expect("put");
    assert_eq!(decide(KEY_B, &lab, Some(1.3)).await, Decision::Allow, "B, tagged share=lab");
    assert_eq!(decide(KEY_B, &untagged, Some(1.3)).await, Decision::ImplicitDeny, "B, untagged");
    let plain = decide(KEY_B, &lab, None).await;
    assert_eq!(plain, Decision::ExplicitDeny { sid: Some("NoPlainHttp".into()) }, "Deny beats Allow");
    assert_eq!(decide(KEY_A, &untagged, None).await, Decision::ImplicitDeny, "the policy no longer names A");
    a.delete_s3_access_policy().s3_access_point_arn(&arn).send().await.expect("delete");
    assert_eq!(service.s3_access_policy_in_force(ACCOUNT_A, &store).await.expect("in force"), None);
    assert_eq!(decide(KEY_A, &untagged, Some(1.3)).await, Decision::ImplicitDeny, "no policy: not even the owner");
    let missing = service.s3_access_policy_in_force(ACCOUNT_A, "1234567890").await;
    assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
    let foreign = service.s3_access_policy_in_force(ACCOUNT_B, &store).await;
    assert!(matches!(foreign, Err(Error::NotFound { .. })), "a store id under another owner: {foreign:?}");
    service.close().await;
    server.stop().await;
}
