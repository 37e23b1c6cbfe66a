//! The read-only S3 endpoint (`api/s3.rs`): in process on both backends (and, in the S3 run of
//! `.ci/run`, on S3 storage), signed requests list a store and read its objects whole, by range
//! and presigned, the owner's keys only; and the real clients of `tests/python/test_s3_api.py`
//! (boto3's S3 client, the AWS CLI, rclone, samtools) with the access policies they meet.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sdk_omics::types::ETagAlgorithmFamily;

use super::fastq_data::{fastq, md5};
use super::imports::{import_all, import_config, source, store, write};
use super::support::{Answer, Backend, KEY_A, KEY_B, TestDb, TestServer, exchange, on_both_backends, sdk};

/// Signs `request` (its method, URI and headers as they are) for service `s3` with `key`: in
/// headers with `X-Amz-Content-SHA256: UNSIGNED-PAYLOAD`, or presigned in the query for 60 s.
fn sign_s3<B>(request: &mut http::Request<B>, key: (&str, &str, &str), presign: bool) {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    let mut settings = SigningSettings::default();
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    if presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(std::time::Duration::from_secs(60));
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
    }
    let identity = Credentials::new(key.0, key.1, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .expect("params")
        .into();
    let headers: Vec<(String, String)> =
        request.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().expect("ascii").to_owned())).collect();
    let signable = SignableRequest::new(
        request.method().as_str(),
        request.uri().to_string(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::UnsignedPayload,
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    instructions.apply_to_request_http1x(request);
}

/// `GET {endpoint}{path_and_query}` signed for service `s3` with `key` (header form), or
/// presigned for 60 s when `presign`, with extra `headers` (a `host` among them replaces the
/// endpoint's).
async fn s3_get(
    endpoint: &str,
    path_and_query: &str,
    key: (&str, &str, &str),
    presign: bool,
    headers: &[(&str, &str)],
) -> Answer {
    let host = headers.iter().find(|(name, _)| *name == "host").map_or(endpoint.trim_start_matches("http://"), |h| h.1);
    let mut request =
        http::Request::builder().method("GET").uri(format!("{endpoint}{path_and_query}")).header("host", host);
    for (name, value) in headers.iter().filter(|(name, _)| *name != "host") {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Vec::new()).expect("request");
    sign_s3(&mut request, key, presign);
    exchange(request).await
}

/// `{endpoint}{path_and_query}` (`http://` or `https://`) presigned for GET by `key` for 60 s.
pub fn presigned_url(endpoint: &str, path_and_query: &str, key: (&str, &str, &str)) -> String {
    let host = endpoint.split("://").nth(1).expect("scheme://host");
    let uri = format!("{endpoint}{path_and_query}");
    let mut request = http::Request::builder().method("GET").uri(&uri).header("host", host).body(()).expect("request");
    sign_s3(&mut request, key, true);
    request.uri().to_string()
}

on_both_backends!(signed_requests_list_and_read_a_stores_objects);

async fn signed_requests_list_and_read_a_stores_objects(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.s3_api.domain = Some("s3.test".into());
    let server = TestServer::start(&config).await;
    let s3 = server.s3_endpoint.clone().expect("the S3 endpoint is on");
    let client = sdk(&server.endpoint, KEY_A);
    let store_id = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let pair = (fastq(7, 300, 100, Some(1)), fastq(8, 300, 100, Some(2)));
    let (r1, r2) = (write(root.path(), "s3_R1.fastq", &pair.0), write(root.path(), "s3_R2.fastq", &pair.1));
    let single = write(root.path(), "single.fastq", &fastq(9, 50, 80, None));
    let ids = import_all(&client, &store_id, vec![source(&r1, Some(&r2)), source(&single, None)]).await;
    let account = KEY_A.2;
    let bucket = format!("{account}-{store_id}-s3alias");
    let dir = format!("{account}/sequenceStore/{store_id}/readSet/");
    let key1 = format!("{dir}{}/s3_R1.fastq", ids[0]);

    let listed = s3_get(&s3, &format!("/{bucket}?list-type=2&prefix={dir}"), KEY_A, false, &[]).await;
    assert_eq!(listed.status, 200, "{}", String::from_utf8_lossy(&listed.body));
    let text = String::from_utf8_lossy(&listed.body);
    assert!(text.contains("<KeyCount>3</KeyCount>"), "{text}");
    let position = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} in {text}"));
    let mut expected = [
        format!("{dir}{}/s3_R1.fastq", ids[0]),
        format!("{dir}{}/s3_R2.fastq", ids[0]),
        format!("{dir}{}/single.fastq", ids[1]),
    ];
    expected.sort();
    assert!(position(&expected[0]) < position(&expected[1]) && position(&expected[1]) < position(&expected[2]));
    assert!(text.contains(&format!("<ETag>&quot;{}&quot;</ETag>", md5(&pair.0))), "{text}");

    let whole = s3_get(&s3, &format!("/{bucket}/{key1}"), KEY_A, false, &[]).await;
    assert_eq!((whole.status, whole.body.len()), (200, pair.0.len()));
    assert_eq!(whole.body, pair.0);
    assert!(whole.head.contains(&format!("etag: \"{}\"", md5(&pair.0))), "{}", whole.head);
    let range = s3_get(&s3, &format!("/{bucket}/{key1}"), KEY_A, false, &[("range", "bytes=1000-1999")]).await;
    assert_eq!(range.status, 206);
    assert_eq!(range.body, pair.0[1000..2000]);
    // GetObject by part number is not offered: answered NotImplemented, never the whole object.
    let part = s3_get(&s3, &format!("/{bucket}/{key1}?partNumber=1"), KEY_A, false, &[]).await;
    assert_eq!(part.status, 501, "{}", String::from_utf8_lossy(&part.body));
    let presigned = s3_get(&s3, &format!("/{bucket}/{key1}"), KEY_A, true, &[]).await;
    assert_eq!((presigned.status, presigned.body == pair.0), (200, true));
    // Virtual-host style under `s3_api.domain`: the bucket in the host, the key the whole path.
    let port = s3.rsplit(':').next().expect("a port");
    let virtual_host = format!("{bucket}.s3.test:{port}");
    let hosted = s3_get(&s3, &format!("/{key1}"), KEY_A, false, &[("host", &virtual_host)]).await;
    assert_eq!((hosted.status, hosted.body == pair.0), (200, true));

    // Account B: the default policy grants the owner only; a missing key looks the same.
    let other = s3_get(&s3, &format!("/{bucket}/{key1}"), KEY_B, false, &[]).await;
    assert_eq!(other.status, 403);
    assert!(String::from_utf8_lossy(&other.body).contains("<Code>AccessDenied</Code>"));
    let missing = s3_get(&s3, &format!("/{bucket}/{dir}0000000000/x.fastq"), KEY_B, false, &[]).await;
    // The same code and message; only the resource named and the request id differ.
    let error = |body: &[u8]| {
        let text = String::from_utf8_lossy(body).into_owned();
        text.split("<Resource>").next().expect("text before the resource").to_owned()
    };
    assert_eq!((missing.status, error(&missing.body)), (403, error(&other.body)));
    let owner_missing = s3_get(&s3, &format!("/{bucket}/{dir}0000000000/x.fastq"), KEY_A, false, &[]).await;
    assert_eq!(owner_missing.status, 404);
    server.stop().await;
}

/// boto3's S3 client, the AWS CLI, rclone and samtools against the endpoint, with policies.
#[test]
fn real_s3_clients_read_through_the_endpoint() {
    super::python::run_client_script("test_s3_api.py", "python-s3-api");
}

/// The API's protections hold on the S3 listener: wrong signatures from one address are throttled
/// after `limits.auth_failures_per_minute` (503 SlowDown with `Retry-After`, S3's answer), sharing
/// one count with the API's listener, and the right key is still refused while the address is
/// throttled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_signatures_on_the_s3_listener_are_throttled() {
    let Some(db) = TestDb::new(Backend::Sqlite).await else { return };
    let mut config = super::support::config(&db);
    config.limits.auth_failures_per_minute = 6;
    let server = TestServer::start(&config).await;
    let s3 = server.s3_endpoint.clone().expect("the S3 endpoint is on");
    let wrong = (KEY_A.0, "not-the-secret", KEY_A.2);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(s3_get(&s3, "/111111111111-1234567890-s3alias?list-type=2", wrong, false, &[]).await);
    }
    let codes: Vec<u16> = statuses.iter().map(|a| a.status).collect();
    assert_eq!(&codes[..2], [403, 403], "{codes:?}");
    let throttled = statuses.last().expect("answers");
    assert_eq!(throttled.status, 503, "{codes:?}");
    assert!(String::from_utf8_lossy(&throttled.body).contains("<Code>SlowDown</Code>"));
    assert!(throttled.head.to_ascii_lowercase().contains("retry-after:"), "{}", throttled.head);
    let right = s3_get(&s3, "/111111111111-1234567890-s3alias?list-type=2", KEY_A, false, &[]).await;
    assert_eq!(right.status, 503, "the address is throttled, whatever the key");
    server.stop().await;
}

/// `limits.max_connections_per_address` holds on the S3 listener: beyond it a connection from the
/// same address is closed unanswered; once one closes, requests are answered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_address_are_capped_on_the_s3_listener() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(db) = TestDb::new(Backend::Sqlite).await else { return };
    let mut config = super::support::config(&db);
    config.limits.max_connections_per_address = 2;
    let server = TestServer::start(&config).await;
    let s3 = server.s3_endpoint.clone().expect("the S3 endpoint is on");
    let addr = s3.trim_start_matches("http://").to_owned();
    let held = [
        tokio::net::TcpStream::connect(&addr).await.expect("first"),
        tokio::net::TcpStream::connect(&addr).await.expect("second"),
    ];
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Beyond the cap the connection is reset at accept: the connect itself, the write or the read
    // may see it first; no byte of an answer arrives.
    if let Ok(mut third) = tokio::net::TcpStream::connect(&addr).await {
        let _ = third.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), third.read_to_end(&mut answer)).await;
        assert!(
            read.is_ok() && answer.is_empty(),
            "the third is closed unanswered: {:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let answered = s3_get(&s3, "/111111111111-1234567890-s3alias?list-type=2", KEY_A, false, &[]).await;
    assert_eq!(answered.status, 404, "answered again: NoSuchBucket");
    server.stop().await;
}
