//! SigV4 tampering beyond `raw.rs`: a request signed correctly and then changed on the way (path,
//! query, headers, body), repeated headers and fields, another key's signature, dates out of
//! range or malformed, replays with another body, and case variants. Every change that alters what
//! the request means is a 403; changes HTTP defines as equivalent are not. Paths with empty, `.`
//! or `..` segments are signed in their normal form, as SDKs sign them, and never reach an
//! operation.

use std::time::Duration;

use axum::body::Body;
use http::{HeaderValue, Method, Request};
use serde_json::json;

use super::super::support::{Backend, KEY_A, KEY_B, Raw, Reply, TestDb, config, router, send};

async fn app() -> (TestDb, axum::Router) {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let router = router(&config(&db)).await;
    (db, router)
}

/// `request` changed by `change` after signing.
fn tampered(request: &Raw, change: impl FnOnce(&mut Request<Body>)) -> Request<Body> {
    let mut built = request.build();
    change(&mut built);
    built
}

fn header(request: &Request<Body>, name: &str) -> String {
    request.headers()[name].to_str().expect("ascii").to_owned()
}

fn set(request: &mut Request<Body>, name: &'static str, value: &str) {
    request.headers_mut().insert(name, HeaderValue::from_str(value).expect("header value"));
}

fn append(request: &mut Request<Body>, name: &'static str, value: &str) {
    request.headers_mut().append(name, HeaderValue::from_str(value).expect("header value"));
}

#[track_caller]
fn refused(reply: &Reply, kind: &str, needle: &str) {
    assert_eq!((reply.status, reply.error_type()), (403, kind), "{:?}", reply.json);
    assert!(reply.message().contains(needle), "message {:?} should contain {needle:?}", reply.message());
}

const MISMATCH: &str = "signature we calculated does not match";

#[tokio::test]
async fn changes_after_signing_are_refused() {
    let (_db, router) = app().await;
    let list = Raw::new("POST", "/sequencestores?maxResults=5&nextToken=abc", "{}");
    // The reference does not need to exist: signatures are checked before anything else.
    let get_reference = Raw::new("GET", "/referencestore/1234567890/reference/1234567890?partNumber=1", "");
    let get_store = Raw::new("GET", "/sequencestore/1234567890", "");

    let cases: Vec<(&str, Request<Body>, &str, &str)> = vec![
        (
            "path re-encoded",
            tampered(&get_store, |r| *r.uri_mut() = "/sequencestore/%31234567890".parse().unwrap()),
            "InvalidSignatureException",
            MISMATCH,
        ),
        (
            "path with another normal form",
            tampered(&get_store, |r| *r.uri_mut() = "/sequencestore/1234567890/..".parse().unwrap()),
            "InvalidSignatureException",
            MISMATCH,
        ),
        (
            "query parameter added",
            tampered(&list, |r| {
                *r.uri_mut() = "/sequencestores?maxResults=5&nextToken=abc&maxResults=1".parse().unwrap()
            }),
            "InvalidSignatureException",
            MISMATCH,
        ),
        (
            "query parameter removed",
            tampered(&list, |r| *r.uri_mut() = "/sequencestores?maxResults=5".parse().unwrap()),
            "InvalidSignatureException",
            MISMATCH,
        ),
        (
            "query value in other case",
            tampered(&list, |r| *r.uri_mut() = "/sequencestores?maxResults=5&nextToken=ABC".parse().unwrap()),
            "InvalidSignatureException",
            MISMATCH,
        ),
        (
            "signed header changed",
            tampered(&list, |r| set(r, "content-type", "application/x-amz-json-1.1")),
            "InvalidSignatureException",
            MISMATCH,
        ),
        (
            "X-Amz-Date moved by a minute",
            tampered(&list, |r| {
                let date = header(r, "x-amz-date");
                let minute: u32 = date[11..13].parse().unwrap();
                // A minute later, or earlier at :59, so the hour never changes (that would be
                // 59 minutes away: a clock-skew refusal, not a signature mismatch).
                let moved_minute = if minute == 59 { 58 } else { minute + 1 };
                let moved = format!("{}{moved_minute:02}{}", &date[..11], &date[13..]);
                set(r, "x-amz-date", &moved);
            }),
            "InvalidSignatureException",
            MISMATCH,
        ),
        (
            "Host in upper case",
            tampered(&list, |r| set(r, "host", "CONTROL-STORAGE-127.0.0.1:4870")),
            "InvalidSignatureException",
            MISMATCH,
        ),
        (
            "method in lower case",
            tampered(&list, |r| *r.method_mut() = Method::from_bytes(b"post").unwrap()),
            "InvalidSignatureException",
            MISMATCH,
        ),
        (
            "unsigned x-amz-security-token added",
            tampered(&list, |r| set(r, "x-amz-security-token", "stolen")),
            "InvalidSignatureException",
            "SignedHeaders must include 'x-amz-security-token'",
        ),
        (
            "unsigned Range added to GetReference",
            tampered(&get_reference, |r| set(r, "range", "0-9")),
            "InvalidSignatureException",
            "SignedHeaders must include 'range'",
        ),
    ];
    for (what, request, kind, needle) in cases {
        let reply = send(&router, request).await;
        assert_eq!((reply.status, reply.error_type()), (403, kind), "{what}: {:?}", reply.json);
        assert!(reply.message().contains(needle), "{what}: {}", reply.message());
    }

    // A signed Range cannot be changed either.
    let ranged = |sent: &str| {
        let mut request = signed_with(&get_reference, &[("range", "0-9")]);
        set(&mut request, "range", sent);
        request
    };
    assert_eq!(send(&router, ranged("0-9")).await.status, 404, "a signed Range is accepted");
    refused(&send(&router, ranged("0-99")).await, "InvalidSignatureException", MISMATCH);

    // What SigV4 defines as the same request is accepted: query order and escapes of unreserved
    // characters (header names in any case: limits.rs, on the wire).
    // (The forged nextToken makes every one of them a 400 about the token, past the signature.)
    let untampered = send(&router, list.build()).await;
    assert_eq!((untampered.status, untampered.error_type()), (400, "ValidationException"));
    for uri in ["/sequencestores?nextToken=abc&maxResults=5", "/sequencestores?max%52esults=%35&nextToken=%61bc"] {
        let reply = send(&router, tampered(&list, |r| *r.uri_mut() = uri.parse().unwrap())).await;
        assert_eq!((reply.status, &reply.json), (untampered.status, &untampered.json), "{uri}");
    }
    let upper_signature = tampered(&list, |r| {
        let auth = header(r, "authorization");
        let (head, signature) = auth.rsplit_once("Signature=").unwrap();
        set(r, "authorization", &format!("{head}Signature={}", signature.to_ascii_uppercase()));
    });
    let reply = send(&router, upper_signature).await;
    assert_eq!(reply.status, untampered.status, "hex digits in either case are the same MAC: {:?}", reply.json);
}

/// `raw` signed with `extra` headers included (and signed), as SDKs sign header members.
fn signed_with(raw: &Raw, extra: &[(&str, &str)]) -> Request<Body> {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let (id, secret, _) = raw.key.expect("signed");
    let mut builder = Request::builder().method(raw.method).uri(&raw.uri).header("host", &raw.host);
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    let mut request = builder.body(raw.body.clone()).expect("request");
    let identity = Credentials::new(id, secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(raw.region)
        .name(raw.service)
        .time(raw.time)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let headers = request.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().expect("ascii")));
    let signable =
        SignableRequest::new(raw.method, raw.uri.clone(), headers, SignableBody::Bytes(&raw.body)).expect("ok");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    instructions.apply_to_request_http1x(&mut request);
    request.map(Body::from)
}

#[tokio::test]
async fn repeated_headers_and_fields_are_refused() {
    let (_db, router) = app().await;
    let list = Raw::new("POST", "/sequencestores", "{}");
    let twice = |name: &'static str| {
        tampered(&list, move |r| {
            let value = header(r, name);
            append(r, name, &value);
        })
    };
    for name in ["authorization", "x-amz-date"] {
        refused(
            &send(&router, twice(name)).await,
            "InvalidSignatureException",
            &format!("header '{name}' appears 2 times"),
        );
    }
    let mut hashed = list.clone();
    hashed.sha256_header = true;
    let hash_twice = tampered(&hashed, |r| {
        let value = header(r, "x-amz-content-sha256");
        append(r, "x-amz-content-sha256", &value);
    });
    refused(&send(&router, hash_twice).await, "InvalidSignatureException", "'x-amz-content-sha256' appears 2 times");
    // A signed header sent twice is not the header that was signed.
    for name in ["host", "content-type"] {
        refused(&send(&router, twice(name)).await, "InvalidSignatureException", MISMATCH);
    }
    let field_twice = tampered(&list, |r| {
        let auth = header(r, "authorization");
        let signature = auth.rsplit_once("Signature=").unwrap().1.to_owned();
        set(r, "authorization", &format!("{auth}, Signature={signature}"));
    });
    refused(&send(&router, field_twice).await, "InvalidSignatureException", "must each appear once");
}

#[tokio::test]
async fn another_keys_signature_and_case_variants_of_the_header_are_refused() {
    let (_db, router) = app().await;
    let list = Raw::new("POST", "/sequencestores", "{}");
    // Signed with B's secret but presented as A's key, and the other way round.
    let mut b_secret = list.clone();
    b_secret.key = Some((KEY_A.0, KEY_B.1, KEY_A.2));
    refused(&send(&router, b_secret.build()).await, "InvalidSignatureException", MISMATCH);
    let mut by_b = list.clone();
    by_b.key = Some(KEY_B);
    let as_a = tampered(&by_b, |r| {
        let auth = header(r, "authorization").replace(KEY_B.0, KEY_A.0);
        set(r, "authorization", &auth);
    });
    refused(&send(&router, as_a).await, "InvalidSignatureException", MISMATCH);

    let variants: Vec<(&str, &str, &str, &str)> = vec![
        ("AWS4-HMAC-SHA256 ", "aws4-hmac-sha256 ", "InvalidSignatureException", "must start with AWS4-HMAC-SHA256"),
        ("Credential=", "credential=", "InvalidSignatureException", "lacks Credential"),
        ("Signature=", "signature=", "InvalidSignatureException", "lacks Signature"),
        (KEY_A.0, "akidtestaccounta", "UnrecognizedClientException", "akidtestaccounta"),
        ("/us-east-1/", "/US-EAST-1/", "InvalidSignatureException", "Credential should be scoped"),
        ("/omics/", "/OMICS/", "InvalidSignatureException", "Credential should be scoped"),
        ("/aws4_request", "/AWS4_REQUEST", "InvalidSignatureException", "Credential should be scoped"),
    ];
    for (from, to, kind, needle) in variants {
        let request = tampered(&list, |r| {
            let auth = header(r, "authorization").replacen(from, to, 1);
            set(r, "authorization", &auth);
        });
        let reply = send(&router, request).await;
        assert_eq!((reply.status, reply.error_type()), (403, kind), "{from} -> {to}: {:?}", reply.json);
        assert!(reply.message().contains(needle), "{from} -> {to}: {}", reply.message());
    }
}

#[tokio::test]
async fn dates_out_of_range_or_malformed_are_refused() {
    let (_db, router) = app().await;
    let list = Raw::new("POST", "/sequencestores", "{}");
    for age in [Duration::from_secs(24 * 3600), Duration::from_secs(365 * 24 * 3600)] {
        let mut old = list.clone();
        old.time -= age;
        refused(&send(&router, old.build()).await, "InvalidSignatureException", "Signature expired");
    }
    let mut future = list.clone();
    future.time += Duration::from_secs(24 * 3600);
    refused(&send(&router, future.build()).await, "InvalidSignatureException", "not yet valid");
    for bad in ["2025-01-01T00:00:00Z", "20250101", "20250101T000000", ""] {
        let request = tampered(&list, |r| set(r, "x-amz-date", bad));
        refused(&send(&router, request).await, "InvalidSignatureException", "X-Amz-Date header is required");
    }
    // A Date header does not stand in for X-Amz-Date.
    let date_only = tampered(&list, |r| {
        r.headers_mut().remove("x-amz-date");
        set(r, "date", "Wed, 01 Jan 2025 00:00:00 GMT");
    });
    refused(&send(&router, date_only).await, "InvalidSignatureException", "X-Amz-Date header is required");
}

#[tokio::test]
async fn replays_with_another_body_are_refused() {
    let (_db, router) = app().await;
    let create = Raw::new("POST", "/sequencestore", json!({"name": "one"}).to_string());
    let other_body = tampered(&create, |r| *r.body_mut() = Body::from(json!({"name": "two"}).to_string()));
    refused(&send(&router, other_body).await, "InvalidSignatureException", MISMATCH);
    let mut hashed = create.clone();
    hashed.sha256_header = true;
    let other_body = tampered(&hashed, |r| *r.body_mut() = Body::from(json!({"name": "two"}).to_string()));
    refused(&send(&router, other_body).await, "InvalidSignatureException", "X-Amz-Content-SHA256");

    // A streamed part signed with its SHA-256 and replayed with other bytes: refused once read,
    // and nothing is kept.
    let store = send(&router, create.build()).await.json["id"].as_str().expect("store").to_owned();
    let upload = json!({"sourceFileType": "FASTQ", "subjectId": "s", "sampleId": "s", "name": "n"});
    let upload = send(&router, Raw::new("POST", format!("/sequencestore/{store}/upload"), upload.to_string()).build())
        .await
        .json["uploadId"]
        .as_str()
        .expect("upload")
        .to_owned();
    let mut part = Raw::new(
        "PUT",
        format!("/sequencestore/{store}/upload/{upload}/part?partSource=SOURCE1&partNumber=1"),
        "@r\nACGT\n+\n!!!!\n",
    );
    part.sha256_header = true;
    let replayed = tampered(&part, |r| *r.body_mut() = Body::from("@r\nTTTT\n+\n!!!!\n"));
    refused(&send(&router, replayed).await, "InvalidSignatureException", "X-Amz-Content-SHA256");
    let parts =
        Raw::new("POST", format!("/sequencestore/{store}/upload/{upload}/parts"), r#"{"partSource":"SOURCE1"}"#);
    assert_eq!(send(&router, parts.build()).await.json["parts"], json!([]), "the replayed part was dropped");
    assert_eq!(send(&router, part.build()).await.status, 200, "the part as signed is accepted");
}

/// SDKs sign the normal form of a path (empty, `.` and `..` segments removed): such a request
/// passes SigV4 and gets the answer its raw path's route gives (400 naming the label, or 404),
/// never the answer of the operation its normal form names (#20).
#[tokio::test]
async fn paths_signed_in_normal_form_never_reach_an_operation() {
    let (_db, router) = app().await;
    let created =
        send(&router, Raw::new("POST", "/sequencestore", json!({"name": "normal"}).to_string()).build()).await;
    let store = created.json["id"].as_str().expect("store id").to_owned();
    let get = |path: String| Raw::new("GET", path, "");
    let cases: Vec<(Raw, u16, &str, &str)> = vec![
        (get("/sequencestore//readset/1234567890/metadata".into()), 400, "ValidationException", "'sequenceStoreId'"),
        (get("/sequencestore/../readset/1234567890/metadata".into()), 400, "ValidationException", "'sequenceStoreId'"),
        (get("/sequencestore/./readset/1234567890/metadata".into()), 400, "ValidationException", "'sequenceStoreId'"),
        (get(format!("/sequencestore/{store}/readset/../metadata")), 400, "ValidationException", "'id'"),
        (get(format!("/sequencestore/{store}/readset//metadata")), 400, "ValidationException", "'id'"),
        (get("/sequencestore/".into()), 400, "ValidationException", "'id'"),
        (get("/sequencestore/..".into()), 400, "ValidationException", "'id'"),
        (get("/sequencestore/.".into()), 400, "ValidationException", "'id'"),
        (get("/referencestore/1234567890/reference/..?partNumber=1".into()), 400, "ValidationException", "'id'"),
        // Normal form: GetSequenceStore of the store; the raw path routes nowhere.
        (get(format!("//sequencestore/{store}")), 404, "UnknownOperationException", "//sequencestore"),
        (get(format!("/sequencestore/./{store}")), 404, "UnknownOperationException", "/./"),
        (get(format!("/sequencestore/1234567890/../{store}")), 404, "UnknownOperationException", "/../"),
        (get(format!("/sequencestore/{store}/.")), 404, "UnknownOperationException", "/."),
        (Raw::new("DELETE", format!("//sequencestore/{store}"), ""), 404, "UnknownOperationException", "DELETE"),
    ];
    for (request, status, kind, needle) in cases {
        let reply = send(&router, request.build()).await;
        assert_eq!((reply.status, reply.error_type()), (status, kind), "{}: {:?}", request.uri, reply.json);
        assert!(reply.message().contains(needle), "{}: {}", request.uri, reply.message());
    }
    // Changed on the way to another path with the same normal form: the signature holds, the
    // request still acts on nothing.
    let plain = get(format!("/sequencestore/{store}"));
    for changed in [format!("/sequencestore/{store}/../{store}"), format!("/sequencestore//{store}")] {
        let reply = send(&router, tampered(&plain, |r| *r.uri_mut() = changed.parse().unwrap())).await;
        assert_eq!(
            (reply.status, reply.error_type()),
            (404, "UnknownOperationException"),
            "{changed}: {:?}",
            reply.json
        );
    }
    let reply = send(&router, plain.build()).await;
    assert_eq!((reply.status, reply.json["id"].as_str()), (200, Some(store.as_str())), "the store is still there");
}
