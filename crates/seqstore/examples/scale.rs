//! `bench/scale`'s Rust half (issue #28): fills a store's database in bulk, prints the query plans
//! of every list, and drives open-loop load at a fixed rate. Not part of the product: an example
//! of the `seqstore` crate, beside the database layer it drives (the CLI crate is an API client and
//! never reaches the database).
//!
//! ```text
//! scale fill  --db URL --store ID --read-sets N --jobs M      rows through the database layer
//! scale plans --db URL --store ID                             EXPLAIN of every list, first and deep
//! scale load  --endpoint URL --requests FILE --rate R --seconds S
//! ```
//!
//! `fill` copies the store's first read set (in list order; one an import made) `N` times through
//! `db::read_sets::insert` — the function an import's commit calls, counter included — in
//! transactions of 1,000, each with a freshly reserved id, a later creation time, and the
//! benchmark's filter values (see [`FILTER_VALUES`]); then inserts `M` settled import job rows
//! (`db::import_jobs::insert_job`, no sources: the job list reads only job rows). It prints one JSON
//! line: rows, seconds.
//!
//! `load` sends the requests of FILE (one a line: `METHOD<TAB>PATH<TAB>BODY`, picked in turn) at
//! `R` a second for `S` seconds, each scheduled at its own time whether or not earlier ones have
//! answered (open loop, at most 512 in flight), with the static SigV4 headers dev mode accepts.
//! Latency runs from the scheduled send time to the last byte, so a stalled server shows in the
//! figures rather than slowing the sender. Prints one JSON line: sent, ok, errors, the achieved
//! rate and the latency percentiles in milliseconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use seqstore::db::{self, Db, import_jobs, plans, read_sets};
use seqstore::model::import::JobStatus;
use seqstore::model::job::{Job, JobKind};
use sqlx::Row;

/// Values given to filled rows: read set `i` gets `sample-A` or `sample-B` (alternating),
/// `run-A` or `run-B` (alternating by pairs), ACTIVE, and creation time `start + i`; so each
/// filter matches half the store or all of it, and a page 5,000 pages deep exists at a million.
const FILTER_VALUES: (&str, &str, &str, &str) = ("sample-A", "sample-B", "run-A", "run-B");

/// Tables with fewer rows than this in the store are not judged by [`print_plans`].
const JUDGED_FROM: i64 = 5_000;

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn arg(args: &[String], name: &str) -> Result<String, Failure> {
    let at = args.iter().position(|a| a == name).ok_or_else(|| format!("{name} is required"))?;
    args.get(at + 1).cloned().ok_or_else(|| format!("{name} needs a value").into())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("fill") => fill(&args).await,
        Some("plans") => print_plans(&args).await,
        Some("load") => load(&args).await,
        _ => Err("usage: scale fill|plans|load … (see the file's documentation)".into()),
    }
}

async fn account_of(db: &Db, store: &str) -> Result<String, Failure> {
    let row = sqlx::query("SELECT account_id FROM sequence_stores WHERE id = $1")
        .bind(store)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| format!("no sequence store {store} in this database"))?;
    Ok(row.try_get("account_id")?)
}

async fn fill(args: &[String]) -> Result<(), Failure> {
    let db = Db::connect(&arg(args, "--db")?).await?;
    let store = arg(args, "--store")?;
    let count: u64 = arg(args, "--read-sets")?.parse()?;
    let jobs: u64 = arg(args, "--jobs")?.parse()?;
    let account = account_of(&db, &store).await?;
    let started = Instant::now();
    let mut conn = db.pool().acquire().await?;
    let first = read_sets::Query { limit: 1, ..Default::default() };
    let mut template = read_sets::list(&mut conn, &account, &store, &first).await?;
    drop(conn);
    let mut template = template.pop().ok_or("the store holds no read set to copy: import one first")?;
    let latest = sqlx::query("SELECT MAX(creation_ms) AS t FROM read_sets WHERE store_id = $1")
        .bind(&store)
        .fetch_one(db.pool())
        .await?;
    let start: i64 = latest.try_get::<i64, _>("t")? + 1;
    let (a, b, run_a, run_b) = FILTER_VALUES;
    let mut done = 0u64;
    while done < count {
        let mut tx = db.begin().await?;
        for i in done..(done + 1_000).min(count) {
            template.id = db::ids::reserve(&mut tx, "readSet").await?;
            template.name = Some(format!("bulk-{i}"));
            template.sample_id = (if i % 2 == 0 { a } else { b }).to_owned();
            template.generated_from = Some((if i % 4 < 2 { run_a } else { run_b }).to_owned());
            template.creation_time = start + i as i64;
            template.creation_job_id = None;
            read_sets::insert(&mut tx, &template).await?;
        }
        tx.commit().await?;
        done = (done + 1_000).min(count);
        if done.is_multiple_of(100_000) {
            eprintln!("scale fill: {done} of {count} read sets");
        }
    }
    let mut done_jobs = 0u64;
    while done_jobs < jobs {
        let mut tx = db.begin().await?;
        for i in done_jobs..(done_jobs + 1_000).min(jobs) {
            // Nine in ten COMPLETED, the rest FAILED: a status filter for each.
            let status = if i % 10 == 9 { JobStatus::Failed } else { JobStatus::Completed };
            let job = Job {
                id: db::ids::reserve(&mut tx, "importJob").await?,
                kind: JobKind::ReadSet,
                account: account.clone(),
                store_id: store.clone(),
                role_arn: "arn:aws:iam::123456789012:role/Bench".into(),
                status,
                status_message: None,
                creation_time: start + i as i64,
                completion_time: Some(start + i as i64 + 1),
                destination: None,
            };
            import_jobs::insert_job(&mut tx, &job).await?;
        }
        tx.commit().await?;
        done_jobs = (done_jobs + 1_000).min(jobs);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{}", serde_json::json!({"read_sets": count, "jobs": jobs, "seconds": seconds}));
    db.close().await;
    Ok(())
}

/// Prints, per list, `## name` and the plan's lines: every ListReadSets filter of the API and
/// ListReadSetImportJobs with and without a status, each as a first page and a page after a key
/// in the middle of the store.
async fn print_plans(args: &[String]) -> Result<(), Failure> {
    let db = Db::connect(&arg(args, "--db")?).await?;
    let store = arg(args, "--store")?;
    let account = account_of(&db, &store).await?;
    let middle = sqlx::query(
        "SELECT creation_ms, id FROM read_sets WHERE store_id = $1 ORDER BY creation_ms, id \
         LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM read_sets WHERE store_id = $1)",
    )
    .bind(&store)
    .fetch_one(db.pool())
    .await?;
    let key = (middle.try_get::<i64, _>("creation_ms")?, middle.try_get::<String, _>("id")?);
    let (a, _, run_a, _) = FILTER_VALUES;
    let filters: Vec<(&str, read_sets::Query)> = vec![
        ("unfiltered", read_sets::Query::default()),
        ("sampleId", read_sets::Query { sample_id: Some(a.into()), ..Default::default() }),
        ("status", read_sets::Query { status: Some("ACTIVE".into()), ..Default::default() }),
        ("createdAfter", read_sets::Query { created_from: Some(1), ..Default::default() }),
        ("createdBefore", read_sets::Query { created_before: Some(i64::MAX / 2), ..Default::default() }),
        ("generatedFrom", read_sets::Query { generated_from: Some(run_a.into()), ..Default::default() }),
        ("subjectId", read_sets::Query { subject_id: Some("subject-000".into()), ..Default::default() }),
        ("name", read_sets::Query { name: Some("bulk-7".into()), ..Default::default() }),
        ("referenceArn", read_sets::Query { reference_arn: Some(String::new()), ..Default::default() }),
        ("creationType", read_sets::Query { creation_type: Some("IMPORT".into()), ..Default::default() }),
    ];
    let mut conn = db.pool().acquire().await?;
    let backend = db.backend();
    // A table of a few thousand rows is read whole faster than through an index, and the planner
    // rightly says so: plans are judged only where the table is large enough to matter.
    let mut rows_of = std::collections::HashMap::new();
    for table in ["read_sets", "import_jobs"] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE store_id = $1");
        let n: i64 = sqlx::query(&sql).bind(&store).fetch_one(&mut *conn).await?.try_get("n")?;
        println!("# {table}: {n} rows in the store");
        rows_of.insert(table, n);
    }
    let mut defects = 0;
    let mut show = |title: String, plan: Vec<String>, table: &str| {
        println!("## {title}");
        for line in &plan {
            println!("    {line}");
        }
        if let Some(defect) = plans::defect(backend, table, &plan) {
            if rows_of[table] >= JUDGED_FROM {
                defects += 1;
                println!("DEFECT: {}", defect.lines().next().unwrap_or_default());
            } else {
                println!("(not judged: {} rows)", rows_of[table]);
            }
        }
    };
    for (name, query) in &filters {
        for (depth, after) in [("first page", None), ("deep page", Some(key.clone()))] {
            let query = read_sets::Query { after, limit: 101, ..query.clone() };
            let (sql, filter) = read_sets::list_statement(&account, &store, &query);
            let plan = plans::explain(&mut conn, backend, &sql, &filter).await?;
            show(format!("ListReadSets {name}, {depth}"), plan, "read_sets");
        }
    }
    for status in [None, Some("COMPLETED"), Some("FAILED")] {
        for (depth, after) in [("first page", None), ("deep page", Some(key.clone()))] {
            let query =
                import_jobs::Query { status: status.map(str::to_owned), after, limit: 101, ..Default::default() };
            let (sql, filter) = import_jobs::list_statement(&account, &store, JobKind::ReadSet, &query);
            let plan = plans::explain(&mut conn, backend, &sql, &filter).await?;
            show(format!("ListReadSetImportJobs status {}, {depth}", status.unwrap_or("any")), plan, "import_jobs");
        }
    }
    drop(conn);
    db.close().await;
    if defects > 0 {
        return Err(format!("{defects} plan(s) scan, sort or filter the keyset").into());
    }
    Ok(())
}

struct Request {
    method: hyper::Method,
    path: String,
    body: Bytes,
}

async fn load(args: &[String]) -> Result<(), Failure> {
    let endpoint = arg(args, "--endpoint")?;
    let rate: f64 = arg(args, "--rate")?.parse()?;
    let seconds: f64 = arg(args, "--seconds")?.parse()?;
    let lines = std::fs::read_to_string(arg(args, "--requests")?)?;
    let requests: Vec<Request> = lines
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let method = parts.next().unwrap_or("GET").parse().unwrap_or(hyper::Method::GET);
            let path = parts.next().unwrap_or("/").to_owned();
            let body = Bytes::from(parts.next().unwrap_or("").to_owned());
            Request { method, path, body }
        })
        .collect();
    if requests.is_empty() {
        return Err("the requests file is empty".into());
    }
    let requests = Arc::new(requests);
    let now = chrono::Utc::now();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=bench/{}/us-east-1/omics/aws4_request, SignedHeaders=host;x-amz-date, \
         Signature={}",
        &amz_date[..8],
        "0".repeat(64)
    );
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(512));
    let total = (rate * seconds).round() as u64;
    let started = tokio::time::Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<f64>>();
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            tx.send(None)?;
            continue;
        };
        let request = &requests[(i as usize) % requests.len()];
        let http = hyper::Request::builder()
            .method(request.method.clone())
            .uri(format!("{endpoint}{}", request.path))
            .header("X-Amz-Date", &amz_date)
            .header("Authorization", &authorization)
            .header("Content-Type", "application/json")
            .body(Full::new(request.body.clone()))?;
        let (client, tx) = (client.clone(), tx.clone());
        tokio::spawn(async move {
            let outcome = match client.request(http).await {
                Ok(response) if response.status().is_success() => {
                    response.into_body().collect().await.ok().map(|_| due.elapsed().as_secs_f64() * 1e3)
                }
                _ => None,
            };
            drop(permit);
            let _ = tx.send(outcome);
        });
    }
    drop(tx);
    let mut latencies = Vec::with_capacity(total as usize);
    let mut errors = 0u64;
    while let Some(outcome) = rx.recv().await {
        match outcome {
            Some(ms) => latencies.push(ms),
            None => errors += 1,
        }
    }
    let wall = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if latencies.is_empty() {
            return f64::NAN;
        }
        latencies[((latencies.len() as f64 * p / 100.0).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    println!(
        "{}",
        serde_json::json!({
            "sent": total, "ok": latencies.len(), "errors": errors, "seconds": wall,
            "rate": latencies.len() as f64 / wall,
            "p50": pct(50.0), "p90": pct(90.0), "p99": pct(99.0), "p999": pct(99.9),
            "max": latencies.last().copied().unwrap_or(f64::NAN),
        })
    );
    Ok(())
}
