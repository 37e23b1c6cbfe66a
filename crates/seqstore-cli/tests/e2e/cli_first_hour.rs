//! The command line as a newcomer meets it in the first hour (#26): no region anywhere means
//! us-east-1 without probing EC2 instance metadata; endpoint mistakes (a path, `https://` to a
//! plain-HTTP server, nothing listening, no endpoint at all) say what to pass; `import` without
//! `--wait` prints the job id alone, `jobs show` gives 100 % for finished sources, `import --wait`
//! relays the "same content" note, `readsets show` prints alignment statistics, `readsets rm`
//! deletes (and names the ids it could not), downloads get the user's umask, and `ref ls` lists
//! the references of every reference store.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cli::{ROLE, Run, cli, client_command, config, create_store, output, serve, testdata};
use super::fastq_data::fastq;
use super::support::{KEY_A, sdk};

/// A server over `dir` with `file://` allowed under `dir/files`, and that directory.
fn server(dir: &Path) -> (super::support::Serve, std::path::PathBuf) {
    let root = dir.join("files");
    std::fs::create_dir(&root).expect("root");
    let config = config(dir, "[worker]\ncount = 2\n");
    (serve(dir, &config, &root), root)
}

#[test]
fn without_a_region_the_cli_signs_for_us_east_1_and_never_asks_instance_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _root) = server(dir.path());
    let endpoint = server.endpoint.as_str();
    let metadata = TcpListener::bind("127.0.0.1:0").expect("listener");
    metadata.set_nonblocking(true).expect("non-blocking");
    let metadata_url = format!("http://{}", metadata.local_addr().expect("address"));
    let run = output(
        client_command(&["store", "ls", "--endpoint-url", endpoint])
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_EC2_METADATA_DISABLED")
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &metadata_url)
            .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("no-credentials")),
    );
    // The server accepts only its own region (us-east-1) in the credential scope.
    assert!(run.ok, "{}", run.stderr);
    let stderr = run.stderr.to_lowercase();
    assert!(!stderr.contains("imds") && !stderr.contains("metadata"), "a warning: {}", run.stderr);
    match metadata.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the CLI connected to the instance metadata endpoint: {other:?}"),
    }
    let elsewhere = cli(endpoint, &["store", "ls", "--region", "eu-west-1"]);
    assert!(!elsewhere.ok && elsewhere.stderr.contains("us-east-1"), "the region is checked: {}", elsewhere.stderr);
}

#[test]
fn endpoint_mistakes_say_what_to_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _root) = server(dir.path());
    let endpoint = server.endpoint.as_str();

    let run = cli(&format!("{endpoint}/ui/"), &["store", "ls"]);
    let expected = format!(
        "error: --endpoint-url `{endpoint}/ui/` has a path (/ui/), but the API is served at the server's root: \
                 pass --endpoint-url {endpoint}\n"
    );
    assert!(!run.ok && run.stderr == expected, "{}", run.stderr);

    let https = endpoint.replace("http://", "https://");
    let run = cli(&https, &["store", "ls"]);
    let authority = endpoint.trim_start_matches("http://");
    let expected = format!(
        "error: ListSequenceStores: the server at {authority} speaks plain HTTP, not HTTPS: pass --endpoint-url \
         {endpoint}\n"
    );
    assert!(!run.ok && run.stderr.starts_with(&expected), "{}", run.stderr);

    let unused = TcpListener::bind("127.0.0.1:0").expect("listener");
    let closed = unused.local_addr().expect("address");
    drop(unused);
    let run = cli(&format!("http://{closed}"), &["store", "ls"]);
    assert!(
        !run.ok && run.stderr.contains(&format!("nothing is listening at {closed}: start `seqstore serve`")),
        "{}",
        run.stderr
    );

    // No endpoint anywhere. A region that is no host label stops the request before any name is
    // looked up, so nothing leaves the machine; the request fails for want of an answer all the same.
    let run = output(client_command(&["store", "ls"]).env("AWS_REGION", "no-where!"));
    assert!(!run.ok, "{}", run.stdout);
    assert!(run.stderr.contains("no endpoint URL is set, so the request went to AWS HealthOmics"), "{}", run.stderr);
    assert!(run.stderr.contains("pass --endpoint-url http://127.0.0.1:4870"), "{}", run.stderr);
    assert!(run.stderr.contains("or set AWS_ENDPOINT_URL_OMICS"), "{}", run.stderr);
}

/// Polls `jobs show --json` until job `id` has ended; returns it.
fn ended(endpoint: &str, store: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = cli(endpoint, &["jobs", "show", "--store", store, id, "--json"]).json();
        if !matches!(job["status"].as_str(), Some("SUBMITTED" | "IN_PROGRESS")) {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} did not end: {job}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The `name:` field of `readsets show`'s output.
fn field(run: &Run, name: &str) -> String {
    let prefix = format!("{name}:");
    let line =
        run.stdout.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("{name} in\n{}", run.stdout));
    line[prefix.len()..].trim().to_owned()
}

/// `command` run by `sh` after `umask MASK`, with the same arguments and environment.
fn under_umask(command: &Command, mask: &str) -> Command {
    let mut shell = Command::new("sh");
    shell.arg("-c").arg(format!("umask {mask} && exec \"$0\" \"$@\"")).arg(command.get_program());
    shell.args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    shell
}

#[test]
fn import_jobs_read_sets_and_downloads_as_a_newcomer_uses_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, root) = server(dir.path());
    let endpoint = server.endpoint.as_str();
    let store = create_store(endpoint);
    let reads = fastq(61, 400, 100, None);
    let path = root.join("a.fq");
    std::fs::write(&path, &reads).expect("write");
    let path = path.to_str().expect("utf-8");
    let base = ["import", "--store", &store, "--role-arn", ROLE, "--subject", "p", "--type"];

    // Without --wait: the job id alone on stdout, so that JOB=$(seqstore import …) works.
    let run = cli(endpoint, &[&base[..], &["FASTQ", "--sample", "a", path]].concat());
    assert!(run.ok, "{}", run.stderr);
    let job = run.stdout.trim_end_matches('\n');
    assert!(job.len() == 10 && job.bytes().all(|b| b.is_ascii_digit()), "stdout is the job id alone: {:?}", run.stdout);
    assert!(run.stderr.contains(&format!("import job {job} submitted")), "{}", run.stderr);
    let done = ended(endpoint, &store, job);
    assert_eq!(done["sources"][0]["status"], "FINISHED", "{done}");
    let first = done["sources"][0]["readSetId"].as_str().expect("read set").to_owned();

    // A finished source is 100 %.
    let shown = cli(endpoint, &["jobs", "show", "--store", &store, job]);
    let row = shown.stdout.lines().find(|l| l.contains("FINISHED")).unwrap_or_else(|| panic!("{}", shown.stdout));
    assert!(row.contains("100% of"), "{}", shown.stdout);

    // The same content again, with --wait: the note names the first read set.
    let run = cli(endpoint, &[&base[..], &["FASTQ", "--sample", "a2", "--wait", path]].concat());
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("note: same content as read set {first}")), "{}", run.stderr);
    let second = field(&run, "id");

    // A BAM: readsets show prints its alignment statistics.
    let bam = root.join("level-1.bam");
    std::fs::copy(testdata("hts-specs/bam/level-1.bam"), &bam).expect("copy BAM");
    let run = cli(
        endpoint,
        &[&base[..], &["BAM", "--sample", "b", "--wait", "--json", bam.to_str().expect("utf-8")]].concat(),
    );
    let bam_set = run.json()["readSet"]["id"].as_str().expect("id").to_owned();
    let stats =
        cli(endpoint, &["readsets", "show", "--store", &store, &bam_set, "--json"]).json()["alignmentStatistics"]
            .clone();
    let primary = stats["primary"].as_u64().expect("primary");
    let shown = cli(endpoint, &["readsets", "show", "--store", &store, &bam_set]);
    assert_eq!(field(&shown, "primary"), primary.to_string(), "{}", shown.stdout);
    let mapped = field(&shown, "mapped");
    assert!(mapped.starts_with(&format!("{} (", stats["mapped"])), "{}", shown.stdout);
    assert_eq!(field(&shown, "duplicates"), stats["duplicates"].to_string());
    assert!(field(&shown, "properly paired").starts_with(&stats["properlyPaired"].to_string()));

    // The download gets the umask's permissions, not a temporary file's 0600.
    let out = dir.path().join("b.bam");
    let mut download = client_command(&["download", "--store", &store, &bam_set, "-o", out.to_str().expect("utf-8")]);
    download.args(["--endpoint-url", endpoint]);
    let run = output(&mut under_umask(&download, "027"));
    assert!(run.ok, "{}", run.stderr);
    let mode = std::fs::metadata(&out).expect("downloaded").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "0666 less the umask 027, got {mode:o}");

    // readsets rm: the two FASTQ read sets go, an unknown id is named and fails the command.
    let run = cli(endpoint, &["readsets", "rm", "--store", &store, &first, &second, "9999999999"]);
    assert!(!run.ok, "an id that cannot be deleted fails the command:\n{}", run.stdout);
    assert_eq!(run.stdout, "2 of 3 read sets deleted\n");
    assert!(run.stderr.contains("error: 9999999999: ResourceNotFoundException"), "{}", run.stderr);
    assert!(run.stderr.contains("error: BatchDeleteReadSet: 1 of the 3 read sets failed"), "{}", run.stderr);
    let left = cli(endpoint, &["readsets", "ls", "--store", &store, "--json"]).json();
    let ids: Vec<&str> = left.as_array().expect("list").iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, [bam_set.as_str()]);
    let run = cli(endpoint, &["readsets", "rm", "--store", &store, &bam_set, "--json"]);
    assert!(run.ok && run.json()["errors"] == serde_json::json!([]), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ref_ls_lists_the_references_of_every_reference_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, root) = server(dir.path());
    let endpoint = server.endpoint.clone();
    let fasta = root.join("ce.fa");
    std::fs::copy(testdata("hts-specs/ref/ce.fa"), &fasta).expect("copy reference");
    let client = sdk(&endpoint, KEY_A);
    let mut stores = Vec::new();
    for name in ["first", "second"] {
        stores.push(client.create_reference_store().name(name).send().await.expect("reference store").id().to_owned());
    }
    let fasta = fasta.to_str().expect("utf-8").to_owned();
    let first = stores[0].clone();
    let runs = tokio::task::spawn_blocking(move || {
        let arns: Vec<String> = stores
            .iter()
            .map(|store| {
                let args =
                    ["ref", "import", "--store", store, "--role-arn", ROLE, "--name", "ce-ref", "--json", &fasta];
                cli(&endpoint, &args).json()[0]["arn"].as_str().expect("reference ARN").to_owned()
            })
            .collect();
        (
            arns[0].clone(),
            arns[1].clone(),
            cli(&endpoint, &["ref", "ls"]),
            cli(&endpoint, &["ref", "ls", "--store", &first]),
        )
    })
    .await
    .expect("cli");
    let (one, two, all, only_first) = runs;
    assert!(all.ok, "{}", all.stderr);
    let header: Vec<&str> = all.stdout.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header[..2], ["STORE", "ID"], "{}", all.stdout);
    for arn in [&one, &two] {
        let store = arn.split('/').nth(1).expect("store of the ARN");
        let line =
            all.stdout.lines().find(|l| l.contains(arn.as_str())).unwrap_or_else(|| panic!("{arn} in\n{}", all.stdout));
        assert!(line.starts_with(store), "{line}");
    }
    assert!(only_first.stdout.contains(&one) && !only_first.stdout.contains(&two), "{}", only_first.stdout);
}
