//! One suite of `DataStore` operations — put, ranged reads, streaming multipart writes of several
//! parts, abort, delete, delete_dir, the sweep's listing and prefix isolation — run against a local
//! directory and against moto; and, on moto, the encryption and tags of [`WriteOptions`].

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::ObjectStore;
use object_store::path::Path;
use seqstore::storage::objects::{DataStore, Encryption, WriteOptions};
use seqstore::storage::s3::Endpoint;

use super::s3::S3Server;

/// Two stores side by side: `a` is tested, `b` shares its directory or bucket and must not see
/// or lose anything of `a`.
struct Pair {
    a: DataStore,
    b: DataStore,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_local_storage() {
    let dir = tempfile::tempdir().expect("dir");
    let pair = Pair {
        a: DataStore::local(&dir.path().join("a")).expect("local a"),
        b: DataStore::local(&dir.path().join("b")).expect("local b"),
    };
    suite(&pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_s3() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket("conformance");
    // `p` and `p2`: a prefix must isolate by segment, not by characters.
    let pair = Pair { a: moto_store(&s3, "conformance", "/p/"), b: moto_store(&s3, "conformance", "p2") };
    suite(&pair).await;
    let client = s3.client("conformance");
    let keys: Vec<String> = client.list(None).map_ok(|m| m.location.to_string()).try_collect().await.expect("list");
    assert!(keys.iter().all(|k| k.starts_with("p/") || k.starts_with("p2/")), "keys live under the prefix: {keys:?}");
}

/// SSE-KMS with a key of moto's KMS, S3's managed key, the bucket default, and object tags, for
/// single-request puts and multipart writes alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_writes_carry_encryption_and_tags() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket("sse");
    let data = moto_store(&s3, "sse", "root");
    let key_arn = s3.create_kms_key().await;
    let kms = WriteOptions {
        encryption: Encryption::Kms(Some(key_arn.clone())),
        tags: vec![("project".into(), "p 1/x".into()), ("owner".into(), "a+b=c@d".into())],
    };
    data.put(&Path::from("s/readSet/1/small"), b"small".to_vec(), &kms).await.expect("put");
    let mut writer = data.writer(&Path::from("s/readSet/1/big"), &kms).await.expect("writer");
    writer.put(Bytes::from(vec![7u8; 9 << 20]));
    writer.finish().await.expect("finish");
    let managed = WriteOptions { encryption: Encryption::Kms(None), tags: Vec::new() };
    data.put(&Path::from("s/readSet/2/managed"), b"m".to_vec(), &managed).await.expect("put");
    data.put(&Path::from("s/readSet/2/plain"), b"p".to_vec(), &WriteOptions::default()).await.expect("put");

    for name in ["1/small", "1/big"] {
        let key = format!("root/s/readSet/{name}");
        let (sse, id) = s3.encryption("sse", &key).await;
        assert_eq!((sse.as_deref(), id.as_deref()), (Some("aws:kms"), Some(key_arn.as_str())), "{key}");
        let tags = s3.tagging("sse", &key).await;
        assert_eq!(tags.get("project").map(String::as_str), Some("p 1/x"), "{key}: {tags:?}");
        assert_eq!(tags.get("owner").map(String::as_str), Some("a+b=c@d"), "{key}: {tags:?}");
    }
    assert_eq!(s3.encryption("sse", "root/s/readSet/2/managed").await.0.as_deref(), Some("aws:kms"));
    assert_eq!(s3.encryption("sse", "root/s/readSet/2/plain").await.0.as_deref(), None);
    assert!(s3.tagging("sse", "root/s/readSet/2/plain").await.is_empty());
    // Encrypted objects read back like any other.
    assert_eq!(read(&data, "s/readSet/1/small", 0..5).await, b"small");
}

fn moto_store(s3: &S3Server, bucket: &str, prefix: &str) -> DataStore {
    let endpoint = Endpoint { url: Some(&s3.endpoint), region: None, path_style: true, keys: Some(("test", "test")) };
    DataStore::s3(bucket, prefix, endpoint).expect("s3 data store")
}

async fn read(data: &DataStore, key: &str, range: std::ops::Range<u64>) -> Vec<u8> {
    let stream = data.get_range(&Path::from(key), range).await.expect("get_range");
    let chunks: Vec<Bytes> = stream.try_collect().await.expect("read");
    chunks.concat()
}

fn is_not_found(error: &seqstore::storage::objects::Error) -> bool {
    matches!(error, seqstore::storage::objects::Error::Object { source: object_store::Error::NotFound { .. }, .. })
}

async fn suite(pair: &Pair) {
    let (a, b) = (&pair.a, &pair.b);
    let plain = WriteOptions::default();
    b.put(&Path::from("s1/readSet/9/source1"), b"of b".to_vec(), &plain).await.expect("put b");

    // put, ranged reads, a missing object.
    let small = DataStore::read_set_key("s1", "1234", "source1.bai");
    a.put(&small, b"0123456789".to_vec(), &plain).await.expect("put");
    assert_eq!(read(a, small.as_ref(), 0..10).await, b"0123456789");
    assert_eq!(read(a, small.as_ref(), 3..7).await, b"3456");
    let missing = a.get_range(&Path::from("s1/readSet/1234/nothing"), 0..1).await.err().expect("missing");
    assert!(is_not_found(&missing), "{missing:?}");

    // A streamed write of several 8 MiB parts is invisible until finished, then whole.
    let big = DataStore::read_set_key("s1", "1234", "source1");
    let bytes: Vec<u8> = (0..20u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let mut writer = a.writer(&big, &plain).await.expect("writer");
    for chunk in bytes.chunks(1 << 20) {
        writer.wait_for_capacity(2).await.expect("capacity");
        writer.put(Bytes::copy_from_slice(chunk));
        assert!(a.get_range(&big, 0..1).await.is_err(), "nothing visible before finish");
    }
    writer.finish().await.expect("finish");
    assert!(read(a, big.as_ref(), 0..bytes.len() as u64).await == bytes, "multipart object whole");
    let middle = (9 << 20) - 5..(9 << 20) + 5;
    assert_eq!(read(a, big.as_ref(), middle.clone()).await, bytes[middle.start as usize..middle.end as usize]);

    // An aborted write leaves nothing.
    let aborted = DataStore::read_set_key("s1", "555", "source1");
    let mut writer = a.writer(&aborted, &plain).await.expect("writer");
    writer.put(Bytes::from(vec![1u8; 9 << 20]));
    writer.abort().await.expect("abort");
    assert!(a.get_range(&aborted, 0..1).await.is_err(), "aborted write invisible");

    // Listing for the sweep: (store, kind, id) of every kind, sorted, nothing of other stores.
    let reference = DataStore::reference_key("s2", "77", "source.fai");
    a.put(&reference, b"fai".to_vec(), &plain).await.expect("put");
    let part = DataStore::upload_part_key("s2", "88", "SOURCE1", 1);
    a.put(&part, b"part".to_vec(), &plain).await.expect("put");
    a.put(&DataStore::read_set_key("s1", "12345", "source1"), b"sibling".to_vec(), &plain).await.expect("put");
    a.put(&Path::from("s1/other/1/x"), b"not ours".to_vec(), &plain).await.expect("put");
    let dirs = a.object_dirs().await.expect("object_dirs");
    let triple = |s: &str, k: &str, i: &str| (s.to_owned(), k.to_owned(), i.to_owned());
    let expected = vec![
        triple("s1", "readSet", "1234"),
        triple("s1", "readSet", "12345"),
        triple("s2", "reference", "77"),
        triple("s2", "upload", "88"),
    ];
    assert_eq!(dirs, expected);

    // delete: present and missing objects alike.
    a.delete(part.as_ref()).await.expect("delete");
    a.delete(part.as_ref()).await.expect("delete again");
    assert!(a.get_range(&part, 0..1).await.is_err());

    // delete_dir removes one directory, not a sibling whose id extends it; twice is fine.
    a.delete_read_set("s1", "1234").await.expect("delete_dir");
    a.delete_read_set("s1", "1234").await.expect("delete_dir again");
    a.delete_reference("s2", "77").await.expect("delete reference");
    let dirs = a.object_dirs().await.expect("object_dirs");
    assert_eq!(dirs, vec![triple("s1", "readSet", "12345")]);
    assert_eq!(read(a, "s1/readSet/12345/source1", 0..7).await, b"sibling");

    // Prefix isolation: `b` saw none of it and lost nothing.
    assert_eq!(b.object_dirs().await.expect("object_dirs b"), vec![triple("s1", "readSet", "9")]);
    a.delete_read_set("s1", "9").await.expect("delete in a");
    assert_eq!(read(b, "s1/readSet/9/source1", 0..4).await, b"of b");
}
