//! The `db` conformance suite: every query of the database layer, run against SQLite always and
//! against PostgreSQL when `TEST_POSTGRES_URL` is set (always in CI), each in a fresh database.

use seqstore::db::import_jobs::SourceSettled;
use seqstore::db::{
    self, Db, idempotency, import_jobs, s3_access_policies as policies, sequence_stores as stores, settings, tags,
};
use seqstore::model::import::{FileType, JobStatus, Source, SourceSpec, SourceStatus};
use seqstore::model::job::{Claim, Job, JobFamily, JobKind, JobSpec};
use seqstore::model::read_set::ReadSet;
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
    s3_access_policy_rows(&db).await;
    idempotency_rows(&db).await;
    import_queue(&db).await;
    many_sources(&db).await;
    settling_a_cancelling_job(&db).await;
    claims_in_a_settled_job(&db).await;
    shared_job_locks(&db).await;
    transactions(&db).await;
    maintenance_pages(&db).await;
    same_content_rows(&db).await;
    qc_rows(&db).await;
    scale_queries(&db).await;
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

async fn s3_access_policy_rows(db: &Db) {
    let mut conn = db.pool().acquire().await.expect("acquire");
    let store = "1000000001";
    assert_eq!(policies::get(&mut conn, ACCOUNT, store).await.expect("get"), None, "never recorded");
    policies::set(&mut conn, ACCOUNT, store, Some("{\"Version\":\"2012-10-17\"}"), 5).await.expect("set");
    let recorded = policies::get(&mut conn, ACCOUNT, store).await.expect("get");
    let expected = policies::Recorded { policy: Some("{\"Version\":\"2012-10-17\"}".into()), update_time: 5 };
    assert_eq!(recorded, Some(expected));
    assert_eq!(policies::get(&mut conn, OTHER, store).await.expect("get"), None, "per account");
    policies::set(&mut conn, OTHER, store, Some("other's"), 6).await.expect("another account's write");
    policies::set(&mut conn, ACCOUNT, store, None, 7).await.expect("deleted");
    let recorded = policies::get(&mut conn, ACCOUNT, store).await.expect("get");
    assert_eq!(
        recorded,
        Some(policies::Recorded { policy: None, update_time: 7 }),
        "the other account changed nothing"
    );
    policies::clear(&mut conn, OTHER, store).await.expect("clear as another account");
    assert!(policies::get(&mut conn, ACCOUNT, store).await.expect("get").is_some());
    policies::clear(&mut conn, ACCOUNT, store).await.expect("clear");
    assert_eq!(policies::get(&mut conn, ACCOUNT, store).await.expect("get"), None);
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

fn spec(n: usize) -> SourceSpec {
    SourceSpec {
        source1: format!("file:///data/r{n}.fq"),
        source2: None,
        file_type: FileType::Fastq,
        subject_id: "s".into(),
        sample_id: "s".into(),
        generated_from: None,
        reference_arn: Some("arn:aws:omics:us-east-1:111111111111:referenceStore/1/reference/2".into()),
        name: None,
        description: None,
        tags: Default::default(),
    }
}

/// A read set import job `id` of account A's store 1000000001, `status`, created at `created`.
fn read_set_job(id: &str, status: JobStatus, created: i64) -> Job {
    Job {
        id: id.into(),
        kind: JobKind::ReadSet,
        account: ACCOUNT.into(),
        store_id: "1000000001".into(),
        role_arn: "arn:aws:iam::111111111111:role/r".into(),
        status,
        status_message: None,
        creation_time: created,
        completion_time: None,
        destination: None,
    }
}

/// Inserts `job` with `sources` sources (`spec(0)`, `spec(1)`, …) in one transaction.
async fn insert_job(db: &Db, job: &Job, sources: i64) {
    let mut tx = db.begin().await.expect("begin");
    import_jobs::insert_job(&mut tx, job).await.expect("job");
    let specs: Vec<JobSpec> = (0..sources).map(|i| JobSpec::ReadSet(spec(i as usize))).collect();
    import_jobs::insert_sources(&mut tx, job, &specs).await.expect("sources");
    tx.commit().await.expect("commit");
}

/// A job's sources are inserted several hundred per statement: a job with more than one
/// statement's rows keeps every source, each at its index with its own spec, NOT_STARTED.
async fn many_sources(db: &Db) {
    let job = read_set_job("3000000900", JobStatus::Submitted, 5);
    insert_job(db, &job, 1203).await;
    let mut conn = db.pool().acquire().await.expect("acquire");
    let sources: Vec<Source> = import_jobs::sources(&mut conn, &job.id).await.expect("sources");
    assert_eq!(sources.len(), 1203);
    for (i, source) in sources.iter().enumerate() {
        assert_eq!(source.index, i as i64);
        assert_eq!(source.spec, spec(i), "source {i}");
        assert_eq!(source.status, SourceStatus::NotStarted);
    }
    drop(conn);
    let mut tx = db.begin().await.expect("begin");
    import_jobs::cancel(&mut tx, db.backend(), &job.id, 6).await.expect("cancel");
    tx.commit().await.expect("commit");
}

/// A source of a CANCELLING job is not finished (its settlement says so and changes nothing); it
/// is failed.
async fn settling_a_cancelling_job(db: &Db) {
    let backend = db.backend();
    let job = read_set_job("3000000901", JobStatus::Submitted, 1);
    insert_job(db, &job, 1).await;
    let mut tx = db.begin().await.expect("begin");
    let claim = import_jobs::claim(&mut tx, backend, "node-a", 100, 100_000).await.expect("claim").expect("a source");
    assert_eq!(claim.job_id, job.id);
    import_jobs::cancel(&mut tx, backend, &job.id, 150).await.expect("cancel");
    let finished =
        import_jobs::settle_source(&mut tx, backend, &claim, SourceStatus::Finished, (None, None), None, 200).await;
    assert_eq!(finished.expect("settle"), SourceSettled::Cancelling);
    let message = (Some(import_jobs::CANCELLED), None);
    let failed = import_jobs::settle_source(&mut tx, backend, &claim, SourceStatus::Failed, message, None, 200).await;
    assert_eq!(failed.expect("settle"), SourceSettled::Done);
    import_jobs::settle_job(&mut tx, &job.id, 200).await.expect("settle job");
    tx.commit().await.expect("commit");
    let mut conn = db.pool().acquire().await.expect("acquire");
    let sources: Vec<Source> = import_jobs::sources(&mut conn, &job.id).await.expect("sources");
    assert_eq!((sources[0].status, sources[0].status_message.as_deref()), (SourceStatus::Failed, Some("cancelled")));
}

/// Issue #28: a source's settlement claims its worker's next source of the same job in its own
/// transaction (`import_jobs::claim_in_job`): the job's first claimable source, skipping one that
/// another open claim holds (PostgreSQL; without waiting for it), and nothing once none is left.
async fn claims_in_a_settled_job(db: &Db) {
    let backend = db.backend();
    let job = read_set_job("3000000902", JobStatus::InProgress, 30);
    insert_job(db, &job, 3).await;
    async fn in_job(tx: &mut db::Tx, backend: db::Backend, job: &str, owner: &str) -> Option<Claim> {
        let claimed = import_jobs::claim_in_job(tx, backend, job, owner, 100, 100_000);
        let patience = std::time::Duration::from_secs(20);
        tokio::time::timeout(patience, claimed).await.expect("never waits for a source row").expect("claim")
    }
    let mut first = db.begin().await.expect("begin");
    let a = in_job(&mut first, backend, &job.id, "node-a").await.expect("the first source");
    assert_eq!((a.job_id.as_str(), a.index, a.previous.as_deref()), (job.id.as_str(), 0, None));
    first.commit().await.expect("commit");
    // Another worker's claim of the next source: left open on PostgreSQL (its row stays locked).
    let mut second = db.begin().await.expect("begin");
    let b = in_job(&mut second, backend, &job.id, "node-b").await.expect("the second source");
    assert_eq!(b.index, 1);
    let second = if backend == db::Backend::Postgres {
        Some(second)
    } else {
        second.commit().await.expect("commit");
        None
    };
    // a's settlement, then its worker's next claim in the same transaction: the third source.
    let mut settling = db.begin().await.expect("begin");
    let settled =
        import_jobs::settle_source(&mut settling, backend, &a, SourceStatus::Finished, (None, None), None, 200);
    assert_eq!(settled.await.expect("settle"), SourceSettled::Done);
    let c = in_job(&mut settling, backend, &job.id, "node-a").await.expect("the third source, skipping the second");
    assert_eq!((c.job_id.as_str(), c.index, c.cancelling), (job.id.as_str(), 2, false));
    assert!(c.generation > 0 && !c.output_id.is_empty());
    settling.commit().await.expect("commit");
    if let Some(second) = second {
        second.commit().await.expect("commit");
    }
    let mut tx = db.begin().await.expect("begin");
    assert!(in_job(&mut tx, backend, &job.id, "node-c").await.is_none(), "every source is claimed");
    for claim in [&b, &c] {
        let settled =
            import_jobs::settle_source(&mut tx, backend, claim, SourceStatus::Finished, (None, None), None, 300);
        assert_eq!(settled.await.expect("settle"), SourceSettled::Done);
    }
    import_jobs::settle_job_if_done(&mut tx, backend, &job.id, 300).await.expect("settle job");
    tx.commit().await.expect("commit");
    let mut conn = db.pool().acquire().await.expect("acquire");
    let sources: Vec<Source> = import_jobs::sources(&mut conn, &job.id).await.expect("sources");
    let owners: Vec<_> = sources.iter().map(|s| (s.status, s.index)).collect();
    assert_eq!(owners, [(SourceStatus::Finished, 0), (SourceStatus::Finished, 1), (SourceStatus::Finished, 2)]);
}

/// The job queue: claiming under leases, renewal, the generation check at commit, expiry and
/// takeover, a node resuming its own leases, and job settlement.
async fn import_queue(db: &Db) {
    let backend = db.backend();
    insert_job(db, &read_set_job("3000000001", JobStatus::Submitted, 10), 2).await;
    let mut conn = db.pool().acquire().await.expect("acquire");
    assert_eq!(import_jobs::count_active(&mut conn, ACCOUNT, None, &[JobFamily::Import]).await.expect("count"), 1);
    assert!(import_jobs::reference_in_use(&mut conn, spec(0).reference_arn.as_deref().unwrap()).await.expect("in use"));
    drop(conn);

    let claim = |owner: &'static str, now: i64| {
        let db = db.clone();
        async move {
            let mut tx = db.begin().await.expect("begin");
            let claim = import_jobs::claim(&mut tx, backend, owner, now, now + 1000).await.expect("claim");
            tx.commit().await.expect("commit");
            claim
        }
    };
    let first = claim("node-a", 100).await.expect("first source");
    let second = claim("node-b", 100).await.expect("second source");
    assert_ne!(first.index, second.index, "two workers never get the same source");
    assert!(claim("node-c", 100).await.is_none(), "nothing left while leases are live");
    let mut conn = db.pool().acquire().await.expect("acquire");
    let job_now = import_jobs::job(&mut conn, ACCOUNT, "1000000001", JobKind::ReadSet, "3000000001")
        .await
        .expect("job")
        .expect("exists");
    assert_eq!(job_now.status, JobStatus::InProgress);
    assert!(import_jobs::renew(&mut conn, &first, 200, 5000, 42, Some(100)).await.expect("renew"));
    assert!(import_jobs::read_set_in_progress(&mut conn, &first.output_id, 4000).await.expect("live"));
    drop(conn);

    // node-b's lease (until 1100) expires; node-c takes the source over with a new generation.
    let taken = claim("node-c", 2000).await.expect("expired lease is claimable");
    assert_eq!((taken.index, taken.previous.as_deref()), (second.index, Some(second.output_id.as_str())));
    assert!(taken.generation > second.generation);
    let mut tx = db.begin().await.expect("begin");
    let stale =
        import_jobs::settle_source(&mut tx, backend, &second, SourceStatus::Finished, (None, None), None, 2000).await;
    assert_eq!(stale.expect("settle"), SourceSettled::Lost, "a stale generation cannot commit");
    assert!(!import_jobs::renew(&mut tx, &second, 2000, 9000, 1, None).await.expect("renew"), "nor renew");
    assert!(import_jobs::renew(&mut tx, &taken, 2000, 3000, 7, Some(100)).await.expect("renew"));
    // An expired lease cannot be renewed, even with the current generation: expiry is final.
    assert!(!import_jobs::renew(&mut tx, &first, 6000, 9000, 1, None).await.expect("renew"), "expired");
    let failed = import_jobs::settle_source(
        &mut tx,
        backend,
        &taken,
        SourceStatus::Failed,
        (Some("bad"), Some("bad input")),
        Some((9, Some(100))),
        2100,
    );
    assert_eq!(failed.await.expect("settle"), SourceSettled::Done);
    import_jobs::settle_job(&mut tx, "3000000001", 2100).await.expect("settle job");
    tx.commit().await.expect("commit");

    // A restarted node-a resumes its own lease at once.
    let mut conn = db.pool().acquire().await.expect("acquire");
    assert_eq!(import_jobs::expire_leases_of(&mut conn, "node-a").await.expect("expire"), 1);
    drop(conn);
    let resumed = claim("node-a", 2200).await.expect("own lease resumed");
    assert_eq!(resumed.index, first.index);
    // The last source settles as the engine settles one: under the job's shared lock, without
    // the job; the job is settled after the commit (or, after a stop in between, by the pass that
    // finds it), once, whoever settles it again.
    let mut tx = db.begin().await.expect("begin");
    let finished =
        import_jobs::settle_source(&mut tx, backend, &resumed, SourceStatus::Finished, (None, None), None, 2300);
    assert_eq!(finished.await.expect("settle"), SourceSettled::Done);
    tx.commit().await.expect("commit");
    let mut conn = db.pool().acquire().await.expect("acquire");
    assert!(import_jobs::all_settled(&mut conn, "3000000001").await.expect("all settled"));
    assert_eq!(import_jobs::unsettled_done_jobs(&mut conn).await.expect("done jobs"), ["3000000001"]);
    drop(conn);
    for now in [2300, 9999] {
        let mut tx = db.begin().await.expect("begin");
        import_jobs::settle_job_if_done(&mut tx, backend, "3000000001", now).await.expect("settle job");
        tx.commit().await.expect("commit");
    }
    let mut conn = db.pool().acquire().await.expect("acquire");
    assert!(import_jobs::unsettled_done_jobs(&mut conn).await.expect("done jobs").is_empty());
    let settled = import_jobs::job(&mut conn, ACCOUNT, "1000000001", JobKind::ReadSet, "3000000001")
        .await
        .expect("job")
        .expect("exists");
    assert_eq!((settled.status, settled.completion_time), (JobStatus::CompletedWithFailures, Some(2300)));
    let sources: Vec<Source> = import_jobs::sources(&mut conn, "3000000001").await.expect("sources");
    assert_eq!(sources.iter().map(|s| s.status).collect::<Vec<_>>().len(), 2);
    assert_eq!(import_jobs::count_active(&mut conn, ACCOUNT, None, &[JobFamily::Import]).await.expect("count"), 0);
    let listed = import_jobs::list(
        &mut conn,
        ACCOUNT,
        "1000000001",
        JobKind::ReadSet,
        &import_jobs::Query { limit: 10, ..Default::default() },
    )
    .await
    .expect("list");
    assert_eq!(listed.len(), 1);
}

/// Issue #28, PostgreSQL: claims and source settlements of one job share its lock, so neither
/// waits for the other's commit; a cancellation's lock waits for them (SQLite serialises every
/// writer, so there is nothing to show there).
async fn shared_job_locks(db: &Db) {
    if db.backend() != db::Backend::Postgres {
        return;
    }
    let backend = db.backend();
    // Past its first claim, which alone writes the job row (a second first claim waits for that
    // write's commit, then writes nothing).
    insert_job(db, &read_set_job("3000000002", JobStatus::InProgress, 20), 3).await;
    // Long enough for a claim that is not blocked on a commit; a blocked one never returns.
    let patience = std::time::Duration::from_secs(20);
    async fn claim(tx: &mut db::Tx, owner: &str, patience: std::time::Duration) -> Option<Claim> {
        let claimed = import_jobs::claim(tx, db::Backend::Postgres, owner, 100, 100_000);
        tokio::time::timeout(patience, claimed).await.expect("not blocked").expect("claim")
    }
    let mut first = db.begin().await.expect("begin");
    let a = claim(&mut first, "node-a", patience).await.expect("a source");
    let mut second = db.begin().await.expect("begin");
    let b = claim(&mut second, "node-b", patience).await.expect("another source while the first claim is open");
    assert_eq!(a.job_id, "3000000002");
    assert_eq!((a.job_id.as_str(), a.index == b.index), (b.job_id.as_str(), false));
    // A settlement of the job takes the same shared lock beside both (its statement locks the
    // job row whether or not a source row matches: here none does, a generation never claimed).
    let mut third = db.begin().await.expect("begin");
    let stale = Claim { generation: a.generation + 100, ..a.clone() };
    let settled =
        import_jobs::settle_source(&mut third, backend, &stale, SourceStatus::Finished, (None, None), None, 200);
    let settled = tokio::time::timeout(patience, settled).await.expect("not blocked").expect("settle");
    assert_eq!(settled, SourceSettled::Lost);
    // A cancellation's lock waits until both claims and the settlement have ended.
    let cancel_db = db.clone();
    let cancel = tokio::spawn(async move {
        let mut tx = cancel_db.begin().await.expect("begin");
        import_jobs::lock_job(&mut tx, db::Backend::Postgres, "3000000002").await.expect("lock");
        tx.rollback().await.expect("rollback");
    });
    let wait = std::time::Duration::from_millis(300);
    tokio::time::sleep(wait).await;
    assert!(!cancel.is_finished(), "a cancellation waits for the claims in flight");
    first.commit().await.expect("commit");
    second.commit().await.expect("commit");
    tokio::time::sleep(wait).await;
    assert!(!cancel.is_finished(), "and for the settlement's lock, taken though no source row matched");
    third.rollback().await.expect("rollback");
    tokio::time::timeout(patience, cancel).await.expect("the cancellation goes on").expect("task");
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

/// An ACTIVE FASTQ read set row with this ETag.
fn read_set(id: &str, account: &str, store: &str, etag: seqstore::model::read_set::ETag) -> ReadSet {
    use seqstore::model::read_set::{Alignment, CreationType, ReadSetStatus};
    ReadSet {
        id: id.into(),
        status: ReadSetStatus::Active,
        account: account.into(),
        store_id: store.into(),
        name: None,
        description: None,
        subject_id: "subject".into(),
        sample_id: "sample".into(),
        generated_from: None,
        reference_arn: None,
        file_type: FileType::Fastq,
        creation_type: CreationType::Import,
        creation_job_id: None,
        creation_time: id.parse().expect("numeric id"),
        total_read_count: 1,
        total_base_count: 1,
        alignment: Alignment::Unaligned,
        etag,
        files: seqstore::model::read_set::Files::default(),
        statistics: None,
        status_message: None,
        last_access: None,
    }
}

/// `page_all` of read sets and references: every account, id order, optionally one store.
async fn maintenance_pages(db: &Db) {
    use seqstore::db::{read_sets, references};
    use seqstore::model::read_set::ETag;
    use seqstore::model::reference::{Reference, ReferenceFiles};
    let mut tx = db.begin().await.expect("begin");
    for (id, account, store) in
        [("9000000003", ACCOUNT, "s1"), ("9000000001", OTHER, "s2"), ("9000000002", ACCOUNT, "s1")]
    {
        let etag = ETag { algorithm: "FASTQ_MD5up".into(), source1: format!("etag-{id}"), source2: None };
        read_sets::insert(&mut tx, &read_set(id, account, store, etag)).await.expect("insert read set");
        let reference = Reference {
            id: id.replace("9000", "8000"),
            account: account.into(),
            store_id: store.replace('s', "r"),
            name: "genome".into(),
            description: None,
            md5: "md5".into(),
            creation_job_id: None,
            creation_time: 1,
            update_time: 1,
            compression: "PLAIN".into(),
            sequences: Vec::new(),
            files: ReferenceFiles::default(),
        };
        references::insert(&mut tx, &reference).await.expect("insert reference");
    }
    let ids = |sets: Vec<ReadSet>| sets.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(ids(read_sets::page_all(&mut tx, None, "", 2).await.expect("page")), ["9000000001", "9000000002"]);
    assert_eq!(ids(read_sets::page_all(&mut tx, None, "9000000002", 2).await.expect("page")), ["9000000003"]);
    assert_eq!(
        ids(read_sets::page_all(&mut tx, Some("s1"), "", 10).await.expect("page")),
        ["9000000002", "9000000003"]
    );
    let refs = references::page_all(&mut tx, Some("r2"), "", 10).await.expect("page");
    assert_eq!(refs.into_iter().map(|r| r.id).collect::<Vec<_>>(), ["8000000001"]);
    assert_eq!(references::page_all(&mut tx, None, "8000000001", 10).await.expect("page").len(), 2);
    tx.rollback().await.expect("rollback");
}

/// `read_sets::same_content`: the first earlier read set of the store and account with the same
/// file type, ETag algorithm and digest of every file; a pair is not its single first file.
async fn same_content_rows(db: &Db) {
    use seqstore::db::read_sets;
    use seqstore::model::read_set::ETag;
    let etag = |algorithm: &str, source2: Option<&str>| ETag {
        algorithm: algorithm.into(),
        source1: "aaaa".into(),
        source2: source2.map(Into::into),
    };
    let of_type = |file_type, set: ReadSet| ReadSet { file_type, ..set };
    let mut tx = db.begin().await.expect("begin");
    for row in [
        read_set("7000000001", ACCOUNT, "d1", etag("FASTQ_MD5up", None)),
        read_set("7000000002", OTHER, "d1", etag("FASTQ_MD5up", Some("aaaa"))),
        read_set("7000000003", ACCOUNT, "d1", etag("FASTQ_MD5up", Some("bbbb"))),
        of_type(FileType::Bam, read_set("7000000004", ACCOUNT, "d1", etag("BAM_MD5up", None))),
    ] {
        read_sets::insert(&mut tx, &row).await.expect("insert read set");
    }
    for (set, expected) in [
        (read_set("7000000010", ACCOUNT, "d1", etag("FASTQ_MD5up", None)), Some("7000000001")),
        (read_set("7000000011", ACCOUNT, "d1", etag("FASTQ_MD5up", Some("aaaa"))), None),
        (read_set("7000000012", ACCOUNT, "d1", etag("FASTQ_MD5up", Some("bbbb"))), Some("7000000003")),
        (read_set("7000000013", ACCOUNT, "d1", etag("FASTQ_SHA256up", None)), None),
        (read_set("7000000014", ACCOUNT, "d2", etag("FASTQ_MD5up", None)), None),
        (read_set("7000000001", ACCOUNT, "d1", etag("FASTQ_MD5up", None)), None),
        (of_type(FileType::Bam, read_set("7000000015", ACCOUNT, "d1", etag("BAM_MD5up", None))), Some("7000000004")),
        (of_type(FileType::Ubam, read_set("7000000016", ACCOUNT, "d1", etag("BAM_MD5up", None))), None),
    ] {
        let found = read_sets::same_content(&mut tx, &set).await.expect("same content");
        assert_eq!(found.as_deref(), expected, "{} {:?} {:?}", set.id, set.file_type, set.etag);
    }
    tx.rollback().await.expect("rollback");
}

/// `db::qc`: a report written and read back, a failure, the comparison view's sorts (only rows
/// with the figure when sorting by one), coverage, what has no statistics, the progress of
/// unsettled `qc` sources, and deletion with the read set.
async fn qc_rows(db: &Db) {
    use seqstore::db::{qc, read_sets};
    use seqstore::model::qc::{QcFigures, QcSource, QcStatus, SortBy};
    use seqstore::model::read_set::ETag;
    use seqstore_formats::qc::{Mate, QcCollector};
    let etag = |digest: &str| ETag { algorithm: "FASTQ_MD5up".into(), source1: digest.into(), source2: None };
    let mut tx = db.begin().await.expect("begin");
    let ids = ["7100000001", "7100000002", "7100000003", "7100000004"];
    for (i, id) in ids.iter().enumerate() {
        let digest = if i < 2 { "same" } else { id };
        read_sets::insert(&mut tx, &read_set(id, ACCOUNT, "q1", etag(digest))).await.expect("insert read set");
    }
    let mut collector = QcCollector::new(0);
    collector.add_fastq(b"ACGG", b"II#I", Mate::Single);
    let report = collector.report();
    let figures = QcFigures { mean_quality: Some(31.5), gc_percent: Some(75.0), mapped_percent: None };
    let prepare = |figures| qc::Prepared::new(&report, figures).expect("prepare");
    qc::put(&mut tx, (ACCOUNT, "q1", ids[0]), 5, qc::Outcome::Report(&prepare(figures))).await.expect("put");
    let low = QcFigures { mean_quality: Some(12.0), ..figures };
    qc::put(&mut tx, (ACCOUNT, "q1", ids[1]), 6, qc::Outcome::Report(&prepare(low))).await.expect("put");
    qc::put(&mut tx, (ACCOUNT, "q1", ids[2]), 7, qc::Outcome::Failed("bad")).await.expect("put");
    // A figure given after the same statement ran without it, on the same connection (an aligned
    // read set after unaligned ones: sqlx 0.8.6 types a missing double as a 4-byte float, which
    // PostgreSQL kept for a cached statement and then refused the 8-byte value with).
    let mapped = QcFigures { mapped_percent: Some(97.5), ..low };
    qc::put(&mut tx, (ACCOUNT, "q1", ids[1]), 6, qc::Outcome::Report(&prepare(mapped)))
        .await
        .expect("put a mapped percentage after none");
    let found = qc::get(&mut tx, ACCOUNT, "q1", ids[0]).await.expect("get");
    assert_eq!((found.status, found.computed_ms, found.report.as_ref()), (QcStatus::Available, Some(5), Some(&report)));
    let failed = qc::get(&mut tx, ACCOUNT, "q1", ids[2]).await.expect("get");
    assert_eq!((failed.status, failed.status_message.as_deref()), (QcStatus::Failed, Some("bad")));
    assert_eq!(qc::get(&mut tx, ACCOUNT, "q1", ids[3]).await.expect("get").status, QcStatus::Pending);
    assert_eq!(
        qc::get(&mut tx, OTHER, "q1", ids[0]).await.expect("get").status,
        QcStatus::Pending,
        "another account's"
    );
    assert!(qc::exists(&mut tx, ids[2]).await.expect("exists") && !qc::exists(&mut tx, ids[3]).await.expect("exists"));
    let by_quality = qc::compare(&mut tx, ACCOUNT, "q1", (SortBy::MeanQuality, false), 0, 10).await.expect("compare");
    assert_eq!(by_quality.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [ids[1], ids[0]]);
    assert_eq!((by_quality[0].same_etag, by_quality[0].figures.mean_quality), (1, Some(12.0)));
    assert_eq!(by_quality[0].figures.mapped_percent, Some(97.5));
    let newest = qc::compare(&mut tx, ACCOUNT, "q1", (SortBy::Created, true), 1, 2).await.expect("compare");
    assert_eq!(
        newest.iter().map(|r| (r.id.as_str(), r.qc)).collect::<Vec<_>>(),
        [(ids[2], QcStatus::Failed), (ids[1], QcStatus::Available)]
    );
    assert_eq!(qc::coverage(&mut tx, ACCOUNT, "q1").await.expect("coverage"), (2, 4));
    let missing = qc::missing(&mut tx, "", 10).await.expect("missing");
    assert_eq!(missing.iter().map(|(_, _, id)| id.as_str()).collect::<Vec<_>>(), [ids[3]]);
    // An unsettled qc source: not missing any more, and counted as queued.
    let job = Job {
        id: "7199999999".into(),
        kind: JobKind::Qc,
        account: ACCOUNT.into(),
        store_id: "q1".into(),
        role_arn: String::new(),
        status: JobStatus::Submitted,
        status_message: None,
        creation_time: 1,
        completion_time: None,
        destination: None,
    };
    import_jobs::insert_job(&mut tx, &job).await.expect("job");
    let spec = JobSpec::Qc(QcSource { read_set_id: ids[3].into() });
    import_jobs::insert_sources(&mut tx, &job, &[spec]).await.expect("source");
    assert!(qc::missing(&mut tx, "", 10).await.expect("missing").is_empty());
    let progress = qc::progress(&mut tx, ACCOUNT, "q1", None).await.expect("progress");
    assert_eq!((progress.queued, progress.running, progress.bytes_total), (1, 0, 0));
    let one = qc::progress(&mut tx, ACCOUNT, "q1", Some(ids[0])).await.expect("progress");
    assert_eq!((one.queued, one.running), (0, 0));
    assert!(read_sets::delete(&mut tx, ACCOUNT, "q1", ids[0]).await.expect("delete"));
    assert!(!qc::exists(&mut tx, ids[0]).await.expect("exists"), "deleted with the read set");
    tx.rollback().await.expect("rollback");
}

on_both_backends!(suite);

/// Issue #28: the read set counter behind `quotas.read_sets_per_store` equals the store's rows
/// through inserts and deletes; keyset pages (row values) walk every filter in `(creation_ms,
/// id)` order; and an index serves every list and filter, first page and deep, without a sort
/// (PostgreSQL asked to avoid sequential scans and sorts where it can: on a table this small it
/// would rightly prefer them, so the check is that an index plan exists; `bench/scale` shows the
/// plans chosen at a million rows).
async fn scale_queries(db: &Db) {
    use seqstore::db::{plans, quotas, read_set_counts, read_sets};
    use seqstore::model::read_set::{ETag, ReadSetStatus};
    let mut tx = db.begin().await.expect("begin");
    let store = "scale";
    let mut all = Vec::new();
    for i in 0..60u32 {
        let id = format!("{}", 7_000_000_000u64 + u64::from(i));
        let etag = ETag { algorithm: "FASTQ_MD5up".into(), source1: format!("e{i}"), source2: None };
        let mut set = read_set(&id, ACCOUNT, store, etag);
        // Three read sets share each creation time: the keyset's id breaks the ties.
        set.creation_time = 1_000 + i64::from(i / 3);
        set.sample_id = format!("sample-{}", i % 4);
        set.generated_from = Some(format!("run-{}", i % 3));
        if i % 5 == 0 {
            set.status = ReadSetStatus::Archived;
        }
        read_sets::insert(&mut tx, &set).await.expect("insert read set");
        all.push(set);
    }
    assert_eq!(read_set_counts::count(&mut tx, ACCOUNT, store).await.expect("count"), 60);
    assert_eq!(quotas::read_sets_in_store(&mut tx, ACCOUNT, store).await.expect("quota count"), 60);
    for id in ["7000000007", "7000000011"] {
        assert!(read_sets::delete(&mut tx, ACCOUNT, store, id).await.expect("delete"));
    }
    all.retain(|s| s.id != "7000000007" && s.id != "7000000011");
    assert_eq!(read_set_counts::count(&mut tx, ACCOUNT, store).await.expect("count"), 58);
    assert_eq!(read_set_counts::count(&mut tx, OTHER, store).await.expect("count"), 0);
    assert!(read_sets::any_in_store(&mut tx, ACCOUNT, store).await.expect("any"));
    assert!(!read_sets::any_in_store(&mut tx, OTHER, store).await.expect("any"));

    let queries: Vec<(&str, read_sets::Query)> = vec![
        ("unfiltered", read_sets::Query::default()),
        ("sampleId", read_sets::Query { sample_id: Some("sample-1".into()), ..Default::default() }),
        ("status", read_sets::Query { status: Some("ARCHIVED".into()), ..Default::default() }),
        ("generatedFrom", read_sets::Query { generated_from: Some("run-2".into()), ..Default::default() }),
        ("createdAfter", read_sets::Query { created_from: Some(1_005), ..Default::default() }),
        ("createdBefore", read_sets::Query { created_before: Some(1_012), ..Default::default() }),
        ("subjectId", read_sets::Query { subject_id: Some("subject".into()), ..Default::default() }),
        ("name", read_sets::Query { name: Some("n".into()), ..Default::default() }),
        ("referenceArn none", read_sets::Query { reference_arn: Some(String::new()), ..Default::default() }),
        ("creationType", read_sets::Query { creation_type: Some("IMPORT".into()), ..Default::default() }),
        ("etag", read_sets::Query { etag: Some("e3".into()), ..Default::default() }),
    ];
    for (what, query) in &queries {
        let keep = |s: &&ReadSet| {
            query.sample_id.as_ref().is_none_or(|v| &s.sample_id == v)
                && query.status.as_ref().is_none_or(|v| s.status.as_str() == v)
                && query.generated_from.as_ref().is_none_or(|v| s.generated_from.as_ref() == Some(v))
                && query.created_from.is_none_or(|t| s.creation_time >= t)
                && query.created_before.is_none_or(|t| s.creation_time < t)
                && query.name.as_ref().is_none_or(|v| s.name.as_ref() == Some(v))
                && query.etag.as_ref().is_none_or(|v| &s.etag.source1 == v)
        };
        let want: Vec<&str> = all.iter().filter(keep).map(|s| s.id.as_str()).collect();
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let page = read_sets::Query { after: after.clone(), limit: 7, ..query.clone() };
            let rows = read_sets::list(&mut tx, ACCOUNT, store, &page).await.expect("list");
            after = rows.last().map(|s| (s.creation_time, s.id.clone()));
            walked.extend(rows.iter().map(|s| s.id.clone()));
            if rows.len() < 7 {
                break;
            }
        }
        assert_eq!(walked, want, "{what}: keyset walk in (creation_ms, id) order");
    }

    let backend = db.backend();
    if backend == db::Backend::Postgres {
        for off in ["SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"] {
            sqlx::query(off).execute(&mut *tx).await.expect("planner setting");
        }
    }
    let deep = Some((1_010, "7000000030".to_owned()));
    for (what, query) in &queries {
        for after in [None, deep.clone()] {
            let query = read_sets::Query { after: after.clone(), limit: 101, ..query.clone() };
            let (sql, filter) = read_sets::list_statement(ACCOUNT, store, &query);
            let plan = plans::explain(&mut tx, backend, &sql, &filter).await.expect("explain");
            let deep = if after.is_some() { "deep page" } else { "first page" };
            assert_eq!(plans::defect(backend, "read_sets", &plan), None, "ListReadSets {what}, {deep}");
        }
    }
    for status in [None, Some("COMPLETED".to_owned())] {
        for after in [None, deep.clone()] {
            let query = import_jobs::Query { status: status.clone(), after, limit: 101, ..Default::default() };
            let (sql, filter) = import_jobs::list_statement(ACCOUNT, store, JobKind::ReadSet, &query);
            let plan = plans::explain(&mut tx, backend, &sql, &filter).await.expect("explain");
            assert_eq!(plans::defect(backend, "import_jobs", &plan), None, "ListReadSetImportJobs {status:?}");
        }
    }
    tx.rollback().await.expect("rollback");
}
