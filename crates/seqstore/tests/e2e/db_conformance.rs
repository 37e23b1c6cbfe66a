//! The `db` conformance suite: every query of the database layer, run against SQLite always and
//! against PostgreSQL when `TEST_POSTGRES_URL` is set (always in CI), each in a fresh database.

use seqstore::db::{self, Db, idempotency, sequence_stores as stores, settings, tags};
use seqstore::model::sequence_store::{ETagAlgorithmFamily, SequenceStore, SseConfig};
use seqstore::model::tags::Tags;

use super::support::{Backend, TestDb, on_both_backends};

const ACCOUNT: &str = "111111111111";
const OTHER: &str = "222222222222";

fn store(id: &str, account: &str, name: &str, created: i64) -> SequenceStore {
    SequenceStore {
        id: id.into(),
        account: account.into(),
        name: name.into(),
        description: Some("d".into()),
        sse: Some(SseConfig { kind: "KMS".into(), key_arn: None }),
        fallback_location: None,
        etag_family: ETagAlgorithmFamily::Sha512Up,
        propagated_set_level_tags: vec!["a".into(), "b".into()],
        access_log_location: Some("s3://logs/".into()),
        creation_time: created,
        update_time: created,
    }
}

async fn suite(backend: Backend) {
    let Some(test_db) = TestDb::new(backend).await else { return };
    let db = Db::connect(&test_db.url).await.expect("connect and migrate");
    assert_eq!(db.backend(), backend_of(backend));
    // Migrating an up-to-date database again is a no-op.
    let again = Db::connect(&test_db.url).await.expect("reconnect");
    again.close().await;

    ids(&db).await;
    settings_are_shared(&db).await;
    sequence_store_rows(&db).await;
    tag_rows(&db).await;
    idempotency_rows(&db).await;
    transactions(&db).await;
    db.close().await;
}

fn backend_of(backend: Backend) -> db::Backend {
    match backend {
        Backend::Sqlite => db::Backend::Sqlite,
        Backend::Postgres => db::Backend::Postgres,
    }
}

async fn ids(db: &Db) {
    let mut tx = db.begin().await.expect("begin");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let id = db::ids::reserve(&mut tx, "test").await.expect("reserve");
        assert!(seqstore::model::id::is_well_formed(&id));
        assert!(seen.insert(id), "ids are unique");
    }
    tx.commit().await.expect("commit");
}

async fn settings_are_shared(db: &Db) {
    let first = settings::get_or_init(db, "k", || "one".into()).await.expect("init");
    let second = settings::get_or_init(db, "k", || "two".into()).await.expect("get");
    assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
    // Concurrent first calls agree on one value.
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(
                async move { settings::get_or_init(&db, "race", move || format!("v{i}")).await.expect("race") },
            )
        })
        .collect();
    let mut values = Vec::new();
    for handle in handles {
        values.push(handle.await.expect("join"));
    }
    values.dedup();
    assert_eq!(values.len(), 1, "{values:?}");
}

async fn sequence_store_rows(db: &Db) {
    let mut conn = db.pool().acquire().await.expect("acquire");
    for (id, account, name, created) in [
        ("1000000001", ACCOUNT, "alpha", 1000),
        ("1000000002", ACCOUNT, "beta", 2000),
        ("1000000003", ACCOUNT, "alpha", 2000),
        ("1000000004", OTHER, "alpha", 1500),
        ("1000000005", ACCOUNT, "gamma", 3000),
    ] {
        stores::insert(&mut conn, &store(id, account, name, created)).await.expect("insert");
    }
    assert_eq!(stores::count(&mut conn, ACCOUNT).await.expect("count"), 4);
    let got = stores::get(&mut conn, ACCOUNT, "1000000002").await.expect("get").expect("exists");
    assert_eq!(got, store("1000000002", ACCOUNT, "beta", 2000), "every column round-trips");
    assert_eq!(stores::get(&mut conn, OTHER, "1000000002").await.expect("get"), None, "scoped by account");

    let ids = |rows: Vec<SequenceStore>| rows.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let all = stores::Query { limit: 100, ..Default::default() };
    assert_eq!(
        ids(stores::list(&mut conn, ACCOUNT, &all).await.expect("list")),
        ["1000000001", "1000000002", "1000000003", "1000000005"]
    );
    let named = stores::Query { name: Some("alpha".into()), ..all.clone() };
    assert_eq!(ids(stores::list(&mut conn, ACCOUNT, &named).await.expect("list")), ["1000000001", "1000000003"]);
    let window = stores::Query { created_from: Some(2000), created_before: Some(3000), ..all.clone() };
    assert_eq!(ids(stores::list(&mut conn, ACCOUNT, &window).await.expect("list")), ["1000000002", "1000000003"]);
    let after = stores::Query { after: Some((2000, "1000000002".into())), limit: 1, ..all.clone() };
    assert_eq!(ids(stores::list(&mut conn, ACCOUNT, &after).await.expect("list")), ["1000000003"]);

    let mut changed = got.clone();
    changed.name = "beta2".into();
    changed.fallback_location = Some("s3://fb/".into());
    changed.update_time = 5000;
    stores::update(&mut conn, &changed).await.expect("update");
    assert_eq!(stores::get(&mut conn, ACCOUNT, "1000000002").await.expect("get"), Some(changed));
    let updated = stores::Query { updated_from: Some(5000), ..all.clone() };
    assert_eq!(ids(stores::list(&mut conn, ACCOUNT, &updated).await.expect("list")), ["1000000002"]);
    let not_updated = stores::Query { updated_before: Some(5000), ..all };
    assert_eq!(ids(stores::list(&mut conn, ACCOUNT, &not_updated).await.expect("list")).len(), 3);

    assert!(!stores::delete(&mut conn, OTHER, "1000000002").await.expect("delete"), "not the owner");
    assert!(stores::delete(&mut conn, ACCOUNT, "1000000002").await.expect("delete"));
    assert!(!stores::delete(&mut conn, ACCOUNT, "1000000002").await.expect("delete"), "already gone");
}

async fn tag_rows(db: &Db) {
    let mut conn = db.pool().acquire().await.expect("acquire");
    let arn = "arn:aws:omics:us-east-1:111111111111:sequenceStore/1000000001";
    let first: Tags = [("a".into(), "1".into()), ("b".into(), "".into())].into();
    tags::put(&mut conn, arn, &first).await.expect("put");
    tags::put(&mut conn, arn, &[("a".to_owned(), "2".to_owned())].into()).await.expect("replace");
    let expected: Tags = [("a".into(), "2".into()), ("b".into(), "".into())].into();
    assert_eq!(tags::list(&mut conn, arn).await.expect("list"), expected);
    tags::remove(&mut conn, arn, &["b".into(), "missing".into()]).await.expect("remove");
    assert_eq!(tags::list(&mut conn, arn).await.expect("list").len(), 1);
    tags::clear(&mut conn, arn).await.expect("clear");
    assert!(tags::list(&mut conn, arn).await.expect("list").is_empty());
}

async fn idempotency_rows(db: &Db) {
    let mut conn = db.pool().acquire().await.expect("acquire");
    let record = idempotency::Record { request_hash: "h".into(), resource_id: "1000000001".into() };
    assert_eq!(idempotency::find(&mut conn, ACCOUNT, "Op", "t").await.expect("find"), None);
    idempotency::insert(&mut conn, ACCOUNT, "Op", "t", &record).await.expect("insert");
    assert_eq!(idempotency::find(&mut conn, ACCOUNT, "Op", "t").await.expect("find"), Some(record.clone()));
    assert_eq!(idempotency::find(&mut conn, OTHER, "Op", "t").await.expect("find"), None, "per account");
    let duplicate = idempotency::insert(&mut conn, ACCOUNT, "Op", "t", &record).await.expect_err("duplicate");
    assert!(duplicate.is_unique_violation(), "{duplicate:?}");
    idempotency::forget_resource(&mut conn, ACCOUNT, "1000000001").await.expect("forget");
    assert_eq!(idempotency::find(&mut conn, ACCOUNT, "Op", "t").await.expect("find"), None);
}

async fn transactions(db: &Db) {
    {
        let mut tx = db.begin().await.expect("begin");
        stores::insert(&mut tx, &store("1000000099", ACCOUNT, "rolled-back", 1)).await.expect("insert");
        // Dropped without commit: rolled back.
    }
    let mut conn = db.pool().acquire().await.expect("acquire");
    assert_eq!(stores::get(&mut conn, ACCOUNT, "1000000099").await.expect("get"), None);
    drop(conn);
    // Concurrent writers queue instead of failing (SQLite takes the write lock at BEGIN).
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin().await.expect("begin");
                let n = stores::count(&mut tx, "333333333333").await.expect("count");
                stores::insert(&mut tx, &store(&format!("20000000{i:02}"), "333333333333", "c", n))
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("writer");
    }
    let mut conn = db.pool().acquire().await.expect("acquire");
    assert_eq!(stores::count(&mut conn, "333333333333").await.expect("count"), 16);
}

on_both_backends!(suite);
