//! HTTPS with `[tls]` / `--tls-cert` and `--tls-key`: a test CA and a server certificate made
//! here with rcgen, and aws-sdk-omics trusting only that CA, signing with SigV4 over TLS (JSON
//! operations and a streamed part) against the in-process server and `seqstore serve`. Clients
//! that do not trust the CA, or speak plain HTTP to the TLS port, get nowhere; unusable
//! certificate files stop the server with a message naming them; dev mode still refuses
//! non-loopback addresses.

use std::path::{Path, PathBuf};

use aws_sdk_omics::config::{BehaviorVersion, Region};
use aws_sdk_omics::primitives::ByteStream;
use aws_sdk_omics::types::{FileType, ReadSetPartSource};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use seqstore::config::TlsConfig;
use seqstore::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::super::support::{Backend, KEY_A, Loopback, Serve, TestDb, TestServer, code, config, seqstore_command};

/// PEM files of a test CA and of a server certificate it issued for localhost and the SDK's
/// host-prefixed names.
struct Pki {
    ca: String,
    cert: PathBuf,
    key: PathBuf,
}

fn make_pki(dir: &Path) -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "seqstore test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key")).expect("CA");
    let names = ["localhost", "control-storage-localhost", "storage-localhost", "tags-localhost"];
    let server = CertificateParams::new(names.map(str::to_owned).to_vec()).expect("server params");
    let key = KeyPair::generate().expect("server key");
    let cert = server.signed_by(&key, &ca).expect("server certificate");
    let (cert_path, key_path) = (dir.join("server.pem"), dir.join("server.key"));
    // The chain file holds the leaf, then the CA, as servers usually get it.
    std::fs::write(&cert_path, format!("{}{}", cert.pem(), ca.pem())).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    Pki { ca: ca.pem(), cert: cert_path, key: key_path }
}

/// aws-sdk-omics over HTTPS to `endpoint`, trusting `ca_pem` only (no system roots).
fn client(endpoint: &str, key: (&str, &str, &str), ca_pem: &str) -> aws_sdk_omics::Client {
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(ca_pem.as_bytes());
    let context = TlsContext::builder().with_trust_store(trust).build().expect("TLS context");
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_with_resolver(Loopback);
    let config = aws_sdk_omics::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(key.0, key.1, None, None, "test"))
        .http_client(http)
        .build();
    aws_sdk_omics::Client::from_conf(config)
}

/// `https://localhost:PORT` for a server whose endpoint is `http://127.0.0.1:PORT`.
fn https(endpoint: &str) -> String {
    let port = endpoint.rsplit(':').next().expect("port");
    format!("https://localhost:{port}")
}

/// Creates a store, lists it, and streams an upload part: SigV4 over TLS for buffered and
/// streamed bodies.
async fn round_trip(client: &aws_sdk_omics::Client) {
    let store = client.create_sequence_store().name("over-tls").send().await.expect("create over TLS");
    let listed = client.list_sequence_stores().send().await.expect("list over TLS");
    assert!(listed.sequence_stores().iter().any(|s| s.id() == store.id()));
    let upload = crate::e2e::uploads::create(client, store.id(), FileType::Fastq, None).await;
    let part = vec![b'A'; 3 << 20];
    let sent = client
        .upload_read_set_part()
        .sequence_store_id(store.id())
        .upload_id(&upload)
        .part_source(ReadSetPartSource::Source1)
        .part_number(1)
        .payload(ByteStream::from(part))
        .send()
        .await
        .expect("a 3 MiB part over TLS");
    assert!(!sent.checksum().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_signs_and_streams_over_tls_trusting_the_test_ca() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let pki = make_pki(db.dir());
    let mut config = config(&db);
    config.tls = TlsConfig { cert: Some(pki.cert.clone()), key: Some(pki.key.clone()) };
    let server = TestServer::start(&config).await;
    let endpoint = https(&server.endpoint);
    round_trip(&client(&endpoint, KEY_A, &pki.ca)).await;

    // A client trusting another CA refuses the server; a plain HTTP client gets no HTTP answer.
    let stranger = tempfile::tempdir().expect("dir");
    let untrusted = client(&endpoint, KEY_A, &make_pki(stranger.path()).ca);
    let err = untrusted.list_sequence_stores().send().await.expect_err("unknown issuer");
    assert!(format!("{err:?}").to_lowercase().contains("certificate"), "{err:?}");
    let plain = super::super::support::sdk(&server.endpoint, KEY_A);
    let err = plain.list_sequence_stores().send().await.expect_err("plain HTTP to the TLS port");
    assert_eq!(code(&err), "<no code>", "{err:?}");
    let mut raw = tokio::net::TcpStream::connect(server.endpoint.trim_start_matches("http://")).await.expect("tcp");
    raw.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), raw.read_to_end(&mut answer)).await;
    assert!(!answer.starts_with(b"HTTP/"), "no plain HTTP on the TLS port: {:?}", String::from_utf8_lossy(&answer));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_takes_tls_flags_and_refuses_unusable_files() {
    let dir = tempfile::tempdir().expect("dir");
    let pki = make_pki(dir.path());
    let data = dir.path().join("data");
    let args = |cert: &Path, key: &Path| {
        let mut args: Vec<String> = ["--listen", "127.0.0.1:0", "--data-dir"].map(str::to_owned).to_vec();
        args.push(data.display().to_string());
        args.extend(["--tls-cert".to_owned(), cert.display().to_string()]);
        args.extend(["--tls-key".to_owned(), key.display().to_string()]);
        args
    };
    let serve = Serve::start(&args(&pki.cert, &pki.key));
    assert!(serve.endpoint.starts_with("https://127.0.0.1:"), "{}", serve.endpoint);
    // Dev mode: any key signs for account 123456789012, over TLS too.
    round_trip(&client(&https(&serve.endpoint), ("dev", "dev", ""), &pki.ca)).await;
    drop(serve);

    let failure = |args: Vec<String>| {
        let out = seqstore_command().arg("serve").args(args).output().expect("run seqstore");
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let text = failure(args(&dir.path().join("missing.pem"), &pki.key));
    assert!(text.contains("missing.pem") && text.contains("--tls-cert"), "{text}");
    let text = failure(args(&pki.key, &pki.key));
    assert!(text.contains("BEGIN CERTIFICATE"), "a key given as the certificate: {text}");
    let other = pki_key(dir.path());
    let text = failure(args(&pki.cert, &other));
    assert!(text.contains("cannot be used together"), "another key: {text}");
    let text = failure(vec!["--tls-cert".into(), pki.cert.display().to_string()]);
    assert!(text.contains("--tls-key"), "the flags go together: {text}");
}

fn pki_key(dir: &Path) -> PathBuf {
    let path = dir.join("other.key");
    std::fs::write(&path, KeyPair::generate().expect("key").serialize_pem()).expect("write");
    path
}

#[tokio::test]
async fn dev_mode_with_tls_still_listens_on_loopback_only() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let pki = make_pki(db.dir());
    let mut config = config(&db);
    config.auth.keys.clear();
    config.listen = "0.0.0.0:0".into();
    config.tls = TlsConfig { cert: Some(pki.cert), key: Some(pki.key) };
    let error = Server::bind(&config).await.err().expect("refused");
    assert!(error.to_string().contains("refusing to listen on 0.0.0.0"), "{error}");
}

/// Over TLS the S3 endpoint sees the connection's TLS version (`s3:TlsVersion`): a policy that
/// asks for at least 1.2 lets the second account list the store over HTTPS; one that asks for less
/// than 1.2 does not. (Over plain HTTP the key is absent and such a policy denies:
/// `tests/python/test_s3_api.py`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_s3_endpoint_over_tls_knows_the_tls_version() {
    use super::super::support::KEY_B;
    let db = TestDb::new(Backend::Sqlite).await.expect("database");
    let pki = make_pki(db.dir());
    let mut config = config(&db);
    config.tls = TlsConfig { cert: Some(pki.cert.clone()), key: Some(pki.key.clone()) };
    let server = TestServer::start(&config).await;
    let s3 = https(server.s3_endpoint.as_deref().expect("the S3 endpoint is on"));
    let omics = client(&https(&server.endpoint), KEY_A, &pki.ca);
    let store = omics.create_sequence_store().name("tls-policy").send().await.expect("store");
    let arn = format!("arn:aws:s3:us-east-1:{}:accesspoint/{}", KEY_A.2, store.id());
    let ca = db.dir().join("ca.pem");
    std::fs::write(&ca, &pki.ca).expect("write CA");
    let list_as_b = || {
        let url =
            crate::e2e::s3_api::presigned_url(&s3, &format!("/{}-{}-s3alias?list-type=2", KEY_A.2, store.id()), KEY_B);
        let out = std::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
            .arg(&ca)
            .arg(url)
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for (operator, expected) in [("NumericGreaterThanEquals", "200"), ("NumericLessThan", "403")] {
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", KEY_B.2)},
            "Action": "s3:ListBucket", "Resource": arn,
            "Condition": {operator: {"s3:TlsVersion": "1.2"}}}]});
        omics
            .put_s3_access_policy()
            .s3_access_point_arn(&arn)
            .s3_access_policy(policy.to_string())
            .send()
            .await
            .expect("policy");
        assert_eq!(list_as_b(), expected, "{operator} 1.2 over TLS 1.3");
    }
    server.stop().await;
}
