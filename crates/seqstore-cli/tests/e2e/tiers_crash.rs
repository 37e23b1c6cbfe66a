//! Crash safety of tier moves: `seqstore serve` archives six throttled read sets, then activates
//! them, and is killed with SIGKILL at random moments of each (sometimes restarting as a new node,
//! so the interrupted sources wait for their leases to expire). After every kill, while the
//! server is down, `seqstore verify` — which reads every recorded file in the tier its read set's
//! status names — finds every read set complete: ACTIVE and whole in the hot tier, or ARCHIVED (or
//! ACTIVATING) and whole in the archive. At the end every read set is ACTIVE with its bytes, and
//! neither tier holds an object its read set does not name. The seed is `CRASH_SEED`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use aws_sdk_omics::types::{
    ETagAlgorithmFamily, ReadSetActivationJobStatus, ReadSetFile, ReadSetStatus, StartReadSetActivationJobSourceItem,
};
use seqstore::config::Config;
use seqstore::storage::objects::DataStore;

use super::fastq_data::{Rng, fastq, gzip};
use super::imports::{import_all, source, store, write};
use super::support::{Backend, KEY_A, Serve, TestDb, TestStorage, sdk, seqstore_command};
use super::tiers::{archive, settled, until_status};
use super::uploads::download;

/// Six read sets of 100 to 600 kB read at 400 kB/s by two workers: each move takes a second or
/// more, so the kills land inside copies as well as between them.
const READ_SETS: u64 = 6;
const EXTRA: &str = "[worker]\ncount = 2\nlease_seconds = 3\nthrottle_bytes_per_sec = 400000\n\n\
                     [archive]\ngrace = \"1s\"\n";
const ROUNDS: usize = 4;

/// `seqstore verify` of the server's data while it is down; asserts it finds nothing wrong.
fn verify_clean(config_file: &Path, data: &Path, storage: &TestStorage, when: &str) {
    let output: Output = seqstore_command()
        .arg("verify")
        .arg("--config")
        .arg(config_file)
        .arg("--data-dir")
        .arg(data)
        .envs(storage.env())
        .output()
        .expect("run seqstore verify");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "verify after {when} found problems:\n{stdout}\n{stderr}");
    eprintln!("tier crash: verify after {when}: {}", stdout.lines().last().unwrap_or_default());
}

/// `(status, count)` of the read sets, for the log: where each kill landed.
async fn statuses(db: &TestDb) -> Vec<(String, i64)> {
    let database = seqstore::db::Db::connect(&db.url).await.expect("database");
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM read_sets GROUP BY status ORDER BY status")
        .fetch_all(database.pool())
        .await
        .expect("statuses");
    let found = rows.iter().map(|r| (sqlx::Row::get(r, "status"), sqlx::Row::get(r, "n"))).collect();
    database.close().await;
    found
}

/// Kills `serve` at `ROUNDS` random moments, verifying while it is down and restarting it.
async fn kill_and_restart(
    mut serve: Serve,
    rng: &mut Rng,
    phase: &str,
    (db, data, config_file): (&TestDb, &Path, &Path),
) -> Serve {
    for round in 1..=ROUNDS {
        let delay = Duration::from_millis(150 + rng.next_u64() % 1500);
        tokio::time::sleep(delay).await;
        serve.kill();
        let new_node = rng.next_u64() % 10 < 3;
        if new_node {
            std::fs::remove_file(data.join("node-id")).expect("node id");
        }
        let statuses = statuses(db).await;
        let new_node = if new_node { ", new node" } else { "" };
        let when = format!("{phase} kill {round} ({} ms{new_node}; read sets {statuses:?})", delay.as_millis());
        verify_clean(config_file, data, &db.storage, &when);
        serve = Serve::with_key_a(db, data, &data.with_file_name("sources"), EXTRA);
    }
    serve
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_archiving_and_activation_never_leaves_a_read_set_without_a_copy() {
    let seed = std::env::var("CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_206);
    let mut rng = Rng::new(seed);
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("sources");
    let data = db.dir().join("data");
    let config_file = db.dir().join("seqstore.toml");
    let serve = Serve::with_key_a(&db, &data, &root, EXTRA);
    let client = sdk(&serve.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let sources = (0..READ_SETS)
        .map(|i| {
            source(
                &write(&root, &format!("t{i}.fq.gz"), &gzip(&fastq(70 + i, 500 + 600 * i as usize, 150, None))),
                None,
            )
        })
        .collect();
    let ids = import_all(&client, &store, sources).await;
    let mut bytes = Vec::new();
    for id in &ids {
        bytes.push(download(&client, &store, id, ReadSetFile::Source1).await);
    }
    eprintln!("tier crash: seed {seed}, {} read sets imported", ids.len());

    // Archiving, killed at random moments.
    let asked: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert!(archive(&serve.endpoint, &store, &asked).await.is_empty());
    let serve = kill_and_restart(serve, &mut rng, "archiving", (&db, &data, &config_file)).await;
    let client = sdk(&serve.endpoint, KEY_A);
    until_status(&client, &store, &ids, ReadSetStatus::Archived).await;

    // Activation, killed at random moments.
    let items: Vec<_> = ids
        .iter()
        .map(|id| StartReadSetActivationJobSourceItem::builder().read_set_id(id).build().expect("source"))
        .collect();
    let job = client
        .start_read_set_activation_job()
        .sequence_store_id(&store)
        .set_sources(Some(items))
        .send()
        .await
        .expect("activation");
    let serve = kill_and_restart(serve, &mut rng, "activation", (&db, &data, &config_file)).await;
    let client = sdk(&serve.endpoint, KEY_A);
    let settled = settled(&client, &store, job.id()).await;
    assert_eq!(settled.status(), &ReadSetActivationJobStatus::Completed, "{settled:?}");
    until_status(&client, &store, &ids, ReadSetStatus::Active).await;
    for (id, expected) in ids.iter().zip(&bytes) {
        assert!(download(&client, &store, id, ReadSetFile::Source1).await == *expected, "{id} byte for byte");
    }

    // Once the grace period has passed, the archive holds nothing and the hot tier only the read
    // sets' own files (a restart's sweep removes what interrupted attempts left).
    tokio::time::sleep(Duration::from_secs(2)).await;
    serve.kill();
    verify_clean(&config_file, &data, &db.storage, "the end");
    let serve = Serve::with_key_a(&db, &data, &root, EXTRA);
    let config = Config { data_dir: data.clone(), storage: db.storage.config.clone(), ..Config::default() };
    let hot = DataStore::new(&config.storage, &data).expect("hot");
    let cold = DataStore::archive(&db.storage.archive, &data).expect("archive");
    let deadline = Instant::now() + Duration::from_secs(30);
    let expected: BTreeSet<String> = ids.iter().map(|id| format!("{store}/readSet/{id}/")).collect();
    loop {
        let (_, hot_keys) = hot.inventory().await.expect("hot");
        let (_, cold_keys) = cold.inventory().await.expect("archive");
        let owners: BTreeSet<String> =
            hot_keys.iter().map(|k| k.splitn(4, '/').take(3).collect::<Vec<_>>().join("/") + "/").collect();
        // One object per read set (its source1), nothing in the archive.
        if cold_keys.is_empty() && hot_keys.len() == ids.len() && owners == expected {
            break;
        }
        assert!(Instant::now() < deadline, "left behind: hot {hot_keys:?}, archive {cold_keys:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    serve.kill();
}
