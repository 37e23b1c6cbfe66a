//! Fuzz harnesses for the request pipeline of `seqstore::api` before any operation runs: SigV4
//! verification, routing on the raw path, and assembling and validating an operation's input.
//!
//! Shared, not copied: each `fuzz/fuzz_targets/<name>.rs` includes this file and calls
//! `<name>(data)` under libFuzzer (nightly), and `crates/seqstore/tests/fuzz_regressions.rs`
//! includes it too and replays every file of `fuzz/regressions/<name>/` and `fuzz/seeds/<name>/`
//! through the same function on stable. Any `Err` is a pass; a panic, a hang or an unbounded
//! allocation is a bug.
//!
//! `sigv4` and `input` read a request as text, HTTP/1.1-like so that seeds are readable and
//! mutations stay meaningful: `METHOD request-target`, then `name: value` header lines, an empty
//! line, and the body (all lines end with `\n`). What hyper would refuse to parse (a bad method,
//! target, header name or value) is skipped.

use std::sync::LazyLock;

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use seqstore::api::botocore::MODEL;
use seqstore::api::sigv4::{self, Verifier};
use seqstore::api::{input, route, validate};
use seqstore::config::{AccessKey, Config};

/// The access key of the keyed verifier; `fuzz/make-seeds` signs with it.
pub const ACCESS_KEY_ID: &str = "AKIDFUZZ";
/// Its secret.
pub const SECRET_ACCESS_KEY: &str = "fuzz/secret/key";

/// The server clock of every verification: the seeds are signed at this time.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("a valid date")
}

/// Dev mode: no keys.
static DEV: LazyLock<Verifier> = LazyLock::new(|| Verifier::new(&Config::default()));

/// One key, [`ACCESS_KEY_ID`].
static KEYED: LazyLock<Verifier> = LazyLock::new(|| {
    let mut config = Config::default();
    config.auth.keys.push(AccessKey {
        access_key_id: ACCESS_KEY_ID.to_owned(),
        secret_access_key: SECRET_ACCESS_KEY.to_owned(),
        account_id: "111122223333".to_owned(),
    });
    Verifier::new(&config)
});

/// A request as hyper would hand it over.
struct Parsed<'a> {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: &'a [u8],
}

fn parse(data: &[u8]) -> Option<Parsed<'_>> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next()?;
    let space = first.iter().position(|&b| b == b' ')?;
    let method = Method::from_bytes(&first[..space]).ok()?;
    let uri = Uri::try_from(&first[space + 1..]).ok()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let colon = line.iter().position(|&b| b == b':')?;
        let name = HeaderName::from_bytes(&line[..colon]).ok()?;
        let value = line[colon + 1..].trim_ascii();
        headers.append(name, HeaderValue::from_bytes(value).ok()?);
    }
    Some(Parsed { method, uri, headers, body })
}

/// `Verifier::verify`, in dev mode and with a key, of a request built as the API's pipeline
/// builds it: routed on the raw path, the body unread for an operation with a streamed payload,
/// the operation's header members to be signed.
pub fn sigv4(data: &[u8]) {
    let Some(request) = parse(data) else { return };
    let route = route::find(&request.method, request.uri.path());
    let streams = matches!(&route, Ok(Some(r)) if r.op.unsigned_payload);
    let member_headers = match &route {
        Ok(Some(route)) => MODEL.header_members(route.op),
        _ => Vec::new(),
    };
    let signed = sigv4::Request {
        method: request.method.as_str(),
        raw_path: request.uri.path(),
        raw_query: request.uri.query().unwrap_or(""),
        headers: &request.headers,
        authority: request.uri.authority().map(|a| a.as_str()),
        body: (!streams).then_some(request.body),
        unsigned_payload_allowed: streams,
        member_headers: &member_headers,
    };
    for verifier in [&*DEV, &*KEYED] {
        if let Err(e) = verifier.verify(&signed, now()) {
            let _ = e.to_string();
        }
    }
}

/// `route::find` on the raw path, then `input::assemble` of the route, query, headers and body
/// (which validates the result against the operation's input shape).
pub fn input(data: &[u8]) {
    let Some(request) = parse(data) else { return };
    let Ok(Some(route)) = route::find(&request.method, request.uri.path()) else { return };
    let body = Bytes::copy_from_slice(request.body);
    if let Err(e) = input::assemble(&route, request.uri.query().unwrap_or(""), &request.headers, &body) {
        let _ = e.to_string();
    }
}

/// `validate::check` of any JSON against the input shape of one operation: the first byte picks
/// the operation (modulo the number with an input), the rest is the JSON.
pub fn validate(data: &[u8]) {
    let Some((&selector, json)) = data.split_first() else { return };
    let inputs: Vec<&str> = MODEL.operations.iter().filter_map(|op| op.input.as_deref()).collect();
    let shape = inputs[usize::from(selector) % inputs.len()];
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else { return };
    let violations = validate::check(shape, &value);
    let _ = validate::message(&violations);
}
