//! Requests that typed clients cannot send, signed with the `aws-sigv4` crate and sent through the
//! router in process: the validation matrix, every SigV4 refusal, body limits, unknown and
//! unsupported operations, and the order in which those checks apply.

use std::time::Duration;

use serde_json::{Value, json};

use super::support::{Backend, KEY_A, KEY_B, Raw, Reply, TestDb, config, router, send};

async fn app() -> (TestDb, axum::Router) {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let router = router(&config(&db)).await;
    (db, router)
}

fn assert_request_id(reply: &Reply) {
    let id = reply.headers.get("x-amzn-RequestId").expect("x-amzn-RequestId on every response");
    uuid::Uuid::parse_str(id.to_str().expect("ascii")).expect("request ids are UUIDs");
}

fn assert_error(reply: &Reply, status: u16, kind: &str, needle: &str) {
    assert_eq!((reply.status, reply.error_type()), (status, kind), "{:?}", reply.json);
    assert!(reply.message().contains(needle), "message {:?} should name {needle:?}", reply.message());
    assert_request_id(reply);
}

async fn create(router: &axum::Router, body: Value) -> Reply {
    send(router, Raw::new("POST", "/sequencestore", body.to_string()).build()).await
}

#[tokio::test]
async fn create_sequence_store_validation_matrix() {
    let (_db, router) = app().await;
    let long = |n: usize| "x".repeat(n);
    let many_tags: serde_json::Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "é".repeat(128)}), "name"),
        (json!({"name": "tab\there"}), "name"),
        (json!({"name": 5}), "name"),
        (json!({"name": "n", "description": ""}), "description"),
        (json!({"name": "n", "description": long(256)}), "description"),
        (json!({"name": "n", "description": "line\nbreak"}), "description"),
        (json!({"name": "n", "sseConfig": {}}), "sseConfig.type"),
        (json!({"name": "n", "sseConfig": {"type": "AES256"}}), "sseConfig.type"),
        (json!({"name": "n", "sseConfig": {"type": "KMS", "keyArn": "short"}}), "sseConfig.keyArn"),
        (json!({"name": "n", "sseConfig": {"type": "KMS", "keyArn": long(2049)}}), "sseConfig.keyArn"),
        (json!({"name": "n", "sseConfig": {"type": "KMS", "keyArn": long(40)}}), "sseConfig.keyArn"),
        (json!({"name": "n", "tags": many_tags}), "tags"),
        (json!({"name": "n", "tags": {"": "v"}}), "tags"),
        (json!({"name": "n", "tags": {long(129): "v"}}), "tags"),
        (json!({"name": "n", "tags": {"k": long(257)}}), "tags.k"),
        (json!({"name": "n", "tags": {"aws:reserved": "v"}}), "tags"),
        (json!({"name": "n", "clientToken": ""}), "clientToken"),
        (json!({"name": "n", "clientToken": long(128)}), "clientToken"),
        (json!({"name": "n", "clientToken": "a\u{7}b"}), "clientToken"),
        (json!({"name": "n", "fallbackLocation": "http://bucket/x/"}), "fallbackLocation"),
        (json!({"name": "n", "fallbackLocation": "s3://B/"}), "fallbackLocation"),
        (json!({"name": "n", "eTagAlgorithmFamily": "CRC32"}), "eTagAlgorithmFamily"),
        (json!({"name": "n", "eTagAlgorithmFamily": "md5up"}), "eTagAlgorithmFamily"),
        (json!({"name": "n", "propagatedSetLevelTags": vec!["k"; 51]}), "propagatedSetLevelTags"),
        (json!({"name": "n", "propagatedSetLevelTags": [""]}), "propagatedSetLevelTags.0"),
        (json!({"name": "n", "propagatedSetLevelTags": ["ok", long(129)]}), "propagatedSetLevelTags.1"),
        (json!({"name": "n", "s3AccessConfig": {"accessLogLocation": "ftp://x"}}), "s3AccessConfig.accessLogLocation"),
        (json!({"name": "n", "s3AccessConfig": "s3://b/"}), "s3AccessConfig"),
    ];
    for (body, member) in cases {
        let reply = create(&router, body.clone()).await;
        assert_error(&reply, 400, "ValidationException", member);
        assert!(
            reply.message().contains(&format!("'{member}'")) || !member.contains('.'),
            "{body}: {}",
            reply.message()
        );
    }
    // Lengths count Unicode characters: 127 non-ASCII characters are accepted.
    let ok = create(
        &router,
        json!({"name": "é".repeat(127), "description": "ü".repeat(255), "clientToken": "ß".repeat(127)}),
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.json);
    assert_request_id(&ok);
    let created = &ok.json["creationTime"];
    let millis = regex_like_millis(created.as_str().expect("creationTime is a string"));
    assert!(millis, "RFC 3339 with milliseconds: {created}");
    // Valid edge values of every pattern.
    let edge = json!({"name": "n", "fallbackLocation": "", "sseConfig": {"type": "KMS", "keyArn": "arn:aws:kms:us-east-1:123456789012:key/abc"},
                      "s3AccessConfig": {"accessLogLocation": "s3://log-bucket"}, "tags": {"k": ""}, "propagatedSetLevelTags": []});
    assert_eq!(create(&router, edge).await.status, 200);
}

fn regex_like_millis(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 24 && b[10] == b'T' && b[19] == b'.' && b[23] == b'Z' && b[20..23].iter().all(u8::is_ascii_digit)
}

#[tokio::test]
async fn list_sequence_stores_validation_matrix() {
    let (_db, router) = app().await;
    for i in 0..3 {
        assert_eq!(create(&router, json!({"name": format!("s{i}")})).await.status, 200);
    }
    let list = |query: &str, body: Value| Raw::new("POST", format!("/sequencestores{query}"), body.to_string());
    let cases: Vec<(Raw, &str)> = vec![
        (list("?maxResults=0", json!({})), "maxResults"),
        (list("?maxResults=101", json!({})), "maxResults"),
        (list("?maxResults=ten", json!({})), "maxResults"),
        (list("?nextToken=", json!({})), "nextToken"),
        (list(&format!("?nextToken={}", "a".repeat(6145)), json!({})), "nextToken"),
        (list("?nextToken=forged.token", json!({})), "nextToken"),
        (list("", json!({"filter": {"name": ""}})), "filter.name"),
        (list("", json!({"filter": {"name": "x".repeat(128)}})), "filter.name"),
        (list("", json!({"filter": {"name": "é".repeat(128)}})), "filter.name"),
        (list("", json!({"filter": {"status": "GONE"}})), "filter.status"),
        (list("", json!({"filter": {"createdAfter": "yesterday"}})), "filter.createdAfter"),
        (list("", json!({"filter": {"createdBefore": 5}})), "filter.createdBefore"),
        (list("", json!({"filter": {"updatedAfter": "2024-13-01T00:00:00Z"}})), "filter.updatedAfter"),
        (list("", json!({"filter": {"updatedBefore": "2024-01-01"}})), "filter.updatedBefore"),
        (list("", json!({"filter": []})), "filter"),
    ];
    for (request, member) in cases {
        let reply = send(&router, request.build()).await;
        assert_error(&reply, 400, "ValidationException", member);
    }

    // A token is bound to its listing: another filter or another account cannot replay it.
    let first = send(&router, list("?maxResults=1", json!({})).build()).await;
    assert_eq!(first.status, 200);
    let token = first.json["nextToken"].as_str().expect("more pages").to_owned();
    let encoded = percent(&token);
    let same = send(&router, list(&format!("?maxResults=1&nextToken={encoded}"), json!({})).build()).await;
    assert_eq!(same.status, 200, "{:?}", same.json);
    assert_ne!(same.json["sequenceStores"][0]["id"], first.json["sequenceStores"][0]["id"]);
    let other_filter = list(&format!("?nextToken={encoded}"), json!({"filter": {"name": "s1"}}));
    assert_error(&send(&router, other_filter.build()).await, 400, "ValidationException", "nextToken");
    let mut other_account = list(&format!("?nextToken={encoded}"), json!({}));
    other_account.key = Some(KEY_B);
    assert_error(&send(&router, other_account.build()).await, 400, "ValidationException", "nextToken");
    let tampered = token.replacen(|c: char| c.is_ascii_alphanumeric(), "Z", 1);
    let tampered = list(&format!("?nextToken={}", percent(&tampered)), json!({}));
    assert_error(&send(&router, tampered.build()).await, 400, "ValidationException", "nextToken");

    // Timestamps with 0 to 6 fractional digits; an empty POST body counts as {}.
    for t in ["2020-01-01T00:00:00Z", "2020-01-01T00:00:00.1Z", "2020-01-01T00:00:00.123456Z"] {
        let reply = send(&router, list("", json!({"filter": {"createdAfter": t}})).build()).await;
        assert_eq!(reply.status, 200, "{t}: {:?}", reply.json);
        assert_eq!(reply.json["sequenceStores"].as_array().map(Vec::len), Some(3));
    }
    let unicode = send(&router, list("", json!({"filter": {"name": "é".repeat(127)}})).build()).await;
    assert_eq!(unicode.status, 200, "127 non-ASCII characters are accepted in filter.name");
    let empty = send(&router, list("", json!({})).build()).await;
    let no_body = send(&router, Raw::new("POST", "/sequencestores", "").build()).await;
    assert_eq!((no_body.status, no_body.json["sequenceStores"].clone()), (200, empty.json["sequenceStores"].clone()));
}

fn percent(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn sigv4_refusals_are_403_with_their_error_type() {
    let (_db, router) = app().await;
    let good = Raw::new("POST", "/sequencestores?maxResults=5", "{}");
    assert_eq!(send(&router, good.build()).await.status, 200);

    let mut unsigned = good.clone();
    unsigned.key = None;
    assert_error(
        &send(&router, unsigned.build()).await,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );

    let mut unknown = good.clone();
    unknown.key = Some(("AKIDUNKNOWN", "whatever", "333333333333"));
    assert_error(&send(&router, unknown.build()).await, 403, "UnrecognizedClientException", "AKIDUNKNOWN");

    let mut wrong_secret = good.clone();
    wrong_secret.key = Some((KEY_A.0, "not-the-secret", KEY_A.2));
    assert_error(&send(&router, wrong_secret.build()).await, 403, "InvalidSignatureException", "signature");

    let tamper = |f: &dyn Fn(&mut http::Request<axum::body::Body>)| {
        let mut request = good.build();
        f(&mut request);
        request
    };
    let changed_body = tamper(&|r| *r.body_mut() = axum::body::Body::from("{ }"));
    assert_error(&send(&router, changed_body).await, 403, "InvalidSignatureException", "signature");
    let changed_query = tamper(&|r| *r.uri_mut() = "/sequencestores?maxResults=6".parse().unwrap());
    assert_error(&send(&router, changed_query).await, 403, "InvalidSignatureException", "signature");
    let changed_path = tamper(&|r| *r.uri_mut() = "/sequencestore?maxResults=5".parse().unwrap());
    assert_error(&send(&router, changed_path).await, 403, "InvalidSignatureException", "signature");
    let changed_host = tamper(&|r| {
        r.headers_mut().insert("host", "storage-127.0.0.1:4870".parse().unwrap());
    });
    assert_error(&send(&router, changed_host).await, 403, "InvalidSignatureException", "signature");

    for skew in [-16 * 60i64, 16 * 60] {
        let mut skewed = good.clone();
        skewed.time = if skew < 0 {
            skewed.time - Duration::from_secs(skew.unsigned_abs())
        } else {
            skewed.time + Duration::from_secs(skew as u64)
        };
        assert_error(&send(&router, skewed.build()).await, 403, "InvalidSignatureException", "15 minutes");
    }
    let mut within = good.clone();
    within.time -= Duration::from_secs(14 * 60);
    assert_eq!(send(&router, within.build()).await.status, 200, "14 minutes of skew are accepted");

    let mut region = good.clone();
    region.region = "eu-west-1";
    assert_error(
        &send(&router, region.build()).await,
        403,
        "InvalidSignatureException",
        "us-east-1/omics/aws4_request",
    );
    let mut service = good.clone();
    service.service = "s3";
    assert_error(
        &send(&router, service.build()).await,
        403,
        "InvalidSignatureException",
        "us-east-1/omics/aws4_request",
    );

    // A credential scope whose date differs from X-Amz-Date, or whose terminator is not
    // aws4_request, is refused.
    for (from, to) in [
        ("/us-east-1/omics/aws4_request", "/us-east-1/omics/aws4_other"),
        ("Credential=AKIDTESTACCOUNTA/2", "Credential=AKIDTESTACCOUNTA/1"),
    ] {
        let request = tamper(&|r| {
            let auth = r.headers()["authorization"].to_str().unwrap().replacen(from, to, 1);
            r.headers_mut().insert("authorization", auth.parse().unwrap());
        });
        assert_error(&send(&router, request).await, 403, "InvalidSignatureException", "Credential should be scoped");
    }

    // UNSIGNED-PAYLOAD only where the model says so (UploadReadSetPart: accepted, then the store
    // is looked up).
    let mut unsigned_body = good.clone();
    unsigned_body.unsigned_payload = true;
    assert_error(&send(&router, unsigned_body.build()).await, 403, "InvalidSignatureException", "UNSIGNED-PAYLOAD");
    let mut part =
        Raw::new("PUT", "/sequencestore/1234567890/upload/1234567890/part?partSource=SOURCE1&partNumber=1", "@r1");
    part.unsigned_payload = true;
    assert_error(&send(&router, part.build()).await, 404, "ResourceNotFoundException", "sequence store 1234567890");
    // A payload hash header added after signing is refused: every x-amz-* header must be signed
    // (a signed one that does not match the body: security::sigv4).
    let wrong_hash = tamper(&|r| {
        r.headers_mut().insert("x-amz-content-sha256", "0".repeat(64).parse().unwrap());
    });
    assert_error(&send(&router, wrong_hash).await, 403, "InvalidSignatureException", "x-amz-content-sha256");

    // Not a replay: the same signed request twice within the window is accepted both times.
    let signed = good.build();
    let (parts, _) = signed.into_parts();
    for _ in 0..2 {
        let request = http::Request::from_parts(parts.clone(), axum::body::Body::from("{}"));
        assert_eq!(send(&router, request).await.status, 200);
    }
}

#[tokio::test]
async fn body_limit_unknown_and_unsupported_operations() {
    let (_db, router) = app().await;
    let limit = 8 * 1024 * 1024;

    // Body limit comes first: even an unsigned request is refused for size with 400.
    let mut huge = Raw::new("POST", "/sequencestore", vec![b' '; limit + 1]);
    assert_error(&send(&router, huge.build()).await, 400, "ValidationException", "8388608");
    huge.key = None;
    assert_error(&send(&router, huge.build()).await, 400, "ValidationException", "limits.max_body_bytes");

    // A large valid import body (about 2.3 MB) is not refused for size: it passes validation and
    // reaches the existence check of its store.
    let body = large_import_body();
    assert!(body.len() > 2_000_000 && body.len() < limit, "{}", body.len());
    let reply = send(&router, Raw::new("POST", "/sequencestore/1234567890/importjob", body).build()).await;
    assert_error(&reply, 404, "ResourceNotFoundException", "1234567890");

    // SigV4 before routing: an unsigned request to an unknown path is a 403.
    let mut unknown_unsigned = Raw::new("GET", "/nowhere", "");
    unknown_unsigned.key = None;
    assert_eq!(send(&router, unknown_unsigned.build()).await.status, 403);

    // Unknown paths and methods, the model's workflow and analytics operations: 404.
    for (method, uri) in [
        ("GET", "/nowhere"),
        ("PUT", "/sequencestore/1234567890"),
        ("GET", "/sequencestore"),
        ("GET", "/workflow/1234567890"),
        ("POST", "/run"),
        ("POST", "/annotationStore"),
        ("GET", "/sequencestore/1234567890/importjob"),
    ] {
        let reply = send(&router, Raw::new(method, uri, "").build()).await;
        assert_error(&reply, 404, "UnknownOperationException", uri);
    }

    // Every storage and tagging operation of the model is run (none answers 405 any more).
    for op in &seqstore::api::botocore::MODEL.operations {
        assert!(seqstore::api::implements(&op.name), "{} is in the model but not run", op.name);
    }
    // Routing before validation: the activation operations with bad ids are 400s naming them.
    for (method, uri, member) in [
        ("GET", "/sequencestore/1/activationjob/2", "sequenceStoreId"),
        ("POST", "/sequencestore/1234567890/activationjob", "sources"),
    ] {
        let reply = send(&router, Raw::new(method, uri, "{}").build()).await;
        assert_error(&reply, 400, "ValidationException", member);
    }

    // An access point ARN is one percent-encoded label; validation before existence.
    let access_point = "/s3accesspolicy/arn%3Aaws%3As3%3Aus-east-1%3A123456789012%3Aaccesspoint%2F1234567890";
    let no_policy = send(&router, Raw::new("PUT", access_point, "").build()).await;
    assert_error(&no_policy, 400, "ValidationException", "s3AccessPolicy");
    let foreign = send(&router, Raw::new("GET", access_point, "").build()).await;
    assert_error(
        &foreign,
        404,
        "ResourceNotFoundException",
        "arn:aws:s3:us-east-1:123456789012:accesspoint/1234567890",
    );

    // Validation before existence: a malformed id is 400, a well-formed unknown one 404.
    assert_error(
        &send(&router, Raw::new("GET", "/sequencestore/12", "").build()).await,
        400,
        "ValidationException",
        "'id'",
    );
    assert_error(
        &send(&router, Raw::new("GET", "/sequencestore/12345678901x", "").build()).await,
        400,
        "ValidationException",
        "'id'",
    );
    let missing = send(&router, Raw::new("GET", "/sequencestore/1234567890", "").build()).await;
    assert_error(&missing, 404, "ResourceNotFoundException", "1234567890");

    // Bad JSON is a ValidationException too.
    let bad_json = send(&router, Raw::new("POST", "/sequencestore", "{name").build()).await;
    assert_error(&bad_json, 400, "ValidationException", "JSON");
}

fn large_import_body() -> Vec<u8> {
    let s = |n: usize| "a".repeat(n);
    let bucket = format!("b{}b", "x".repeat(61));
    let uri = |n: u8| format!("s3://{bucket}/{}{n}", "k".repeat(1023));
    let tags: serde_json::Map<String, Value> =
        (0..50).map(|i| (format!("{i:02}{}", "t".repeat(126)), json!(s(256)))).collect();
    let sources: Vec<Value> = (0..100)
        .map(|_| {
            json!({
                "sourceFiles": {"source1": uri(1), "source2": uri(2)},
                "sourceFileType": "FASTQ",
                "subjectId": s(127), "sampleId": s(127), "generatedFrom": s(127),
                "referenceArn": format!("arn:{}", s(123)), "name": s(127), "description": s(255),
                "tags": tags,
            })
        })
        .collect();
    json!({"roleArn": format!("arn:{}", s(2044)), "clientToken": s(127), "sources": sources}).to_string().into_bytes()
}

#[tokio::test]
async fn tags_by_raw_request() {
    let (_db, router) = app().await;
    let store = create(&router, json!({"name": "tagged", "tags": {"a": "1"}})).await;
    let arn = store.json["arn"].as_str().expect("arn").to_owned();
    let path = format!("/tags/{}", percent(&arn));
    let tag = send(&router, Raw::new("POST", &path, json!({"tags": {"b": "2"}}).to_string()).build()).await;
    assert_eq!((tag.status, &tag.json), (204, &Value::Null), "TagResource answers 204 with no body");
    let untag = send(&router, Raw::new("DELETE", format!("{path}?tagKeys=a&tagKeys=zz"), "").build()).await;
    assert_eq!(untag.status, 204);
    let listed = send(&router, Raw::new("GET", &path, "").build()).await;
    assert_eq!(listed.json, json!({"tags": {"b": "2"}}));

    let too_many: serde_json::Map<String, Value> = (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    let over = send(&router, Raw::new("POST", &path, json!({"tags": too_many}).to_string()).build()).await;
    assert_error(&over, 400, "ValidationException", "at most 50 tags");
    let reserved = send(&router, Raw::new("POST", &path, json!({"tags": {"aws:x": "v"}}).to_string()).build()).await;
    assert_error(&reserved, 400, "ValidationException", "aws:");
    let missing = send(&router, Raw::new("POST", &path, "{}").build()).await;
    assert_error(&missing, 400, "ValidationException", "'tags'");
    let not_omics = format!("/tags/{}", percent("arn:aws:s3:::bucket"));
    let other = send(&router, Raw::new("GET", not_omics, "").build()).await;
    assert_error(&other, 400, "ValidationException", "arn:aws:s3:::bucket");
    let not_arn = send(&router, Raw::new("GET", "/tags/bucket", "").build()).await;
    assert_error(&not_arn, 400, "ValidationException", "'resourceArn'");
    let _ = KEY_A;
}
