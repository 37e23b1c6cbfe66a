//! `file://` sources that try to leave their root. At submission, every lexical escape (`..`,
//! `.`, relative paths, host names, `//`, percent-escapes, NUL and other control characters) is a
//! 400 naming the member and the rule, for read set and reference imports alike. At open, what the
//! path leads to is checked: symlinks to files or directories outside the root (absolute,
//! relative, chained) end the source FAILED; FIFOs and directories are refused without blocking
//! (also a link flipped to a FIFO at the last moment: `fifo_swap`); symlinks that stay inside the
//! root are followed. Every such failure says the same, whatever the reason, so that a link to `/`
//! cannot be used to find out which host paths exist.

mod fifo_swap;

use std::path::Path;

use aws_sdk_omics::types::{ReadSetImportJobItemStatus, ReadSetImportJobStatus, ReferenceImportJobStatus};
use serde_json::Value;

use super::super::fastq_data::fastq;
use super::super::imports::{ROLE_A, import_config, raw_get, raw_job, source, start, wait, write};
use super::super::references::{fasta, import, ref_source, reference_store};
use super::super::support::{Backend, KEY_A, TestDb, TestServer, code, sdk};

/// Submission refusals: the URI as submitted and what the message must say.
fn lexical_escapes(root: &Path) -> Vec<(String, &'static str)> {
    let r = root.display();
    vec![
        (format!("file://{r}/../etc/passwd"), "'.' or '..' segments"),
        (format!("file://{r}/sub/../../etc/passwd"), "'.' or '..' segments"),
        (format!("file://{r}/./reads.fq"), "'.' or '..' segments"),
        (format!("file://{r}/%2e%2e/etc/passwd"), "not percent-decoded: '%2e'"),
        (format!("file://{r}/%2E%2E%2Fetc%2Fpasswd"), "not percent-decoded: '%2E'"),
        (format!("file://{r}%2f..%2fetc/passwd"), "not percent-decoded: '%2f'"),
        (format!("file://{r}/reads.fq%00.txt"), "not percent-decoded: '%00'"),
        (format!("file://{r}/reads.fq\0.txt"), "without control characters"),
        (format!("file://{r}/reads\n.fq"), "without control characters"),
        (format!("file://{r}//reads.fq"), "empty segments ('//')"),
        (format!("file:///{r}/reads.fq"), "empty segments ('//')"),
        (format!("file://{r}/"), "empty segments ('//')"),
        ("file://reads.fq".to_owned(), "file:// followed by an absolute path"),
        (format!("file://localhost{r}/reads.fq"), "file:// followed by an absolute path"),
        ("file://../etc/passwd".to_owned(), "file:// followed by an absolute path"),
    ]
}

#[tokio::test]
async fn lexical_escapes_are_refused_at_submission_naming_the_member() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = client.create_sequence_store().name("s").send().await.expect("store").id().to_owned();
    let references = reference_store(&client).await;
    write(root.path(), "reads.fq", &fastq(1, 5, 20, None));
    for (uri, rule) in lexical_escapes(root.path()) {
        let job = client.start_read_set_import_job().sequence_store_id(&store).role_arn(ROLE_A);
        let err = job.sources(source(&uri, None)).send().await.expect_err("refused");
        let text = format!("{err:?}");
        assert_eq!(code(&err), "ValidationException", "{uri:?}: {text}");
        assert!(text.contains("sources.0.sourceFiles.source1") && text.contains(rule), "{uri:?}: {text}");
        // The second file of a pair, and reference imports, are checked the same way.
        let good = write(root.path(), "reads.fq", &fastq(1, 5, 20, None));
        let job = client.start_read_set_import_job().sequence_store_id(&store).role_arn(ROLE_A);
        let err = job.sources(source(&good, Some(&uri))).send().await.expect_err("refused");
        assert!(format!("{err:?}").contains("sources.0.sourceFiles.source2"), "{uri:?}");
        let job = client.start_reference_import_job().reference_store_id(&references).role_arn(ROLE_A);
        let err = job.sources(ref_source(&uri, "genome")).send().await.expect_err("refused");
        let text = format!("{err:?}");
        assert_eq!(code(&err), "ValidationException", "{uri:?}: {text}");
        assert!(text.contains("sources.0.sourceFile") && text.contains(rule), "{uri:?}: {text}");
    }
    let jobs = client.list_read_set_import_jobs().sequence_store_id(&store).send().await.expect("jobs");
    assert!(jobs.import_jobs().is_empty(), "no job was created");
    server.stop().await;
}

/// What every source that cannot be opened says, whatever the reason.
pub const UNREADABLE: &str =
    "could not be read: it does not exist, is not a regular file, or lies outside the directories this role may read";

/// The open-time cases: a name under the root and what its `statusDetail` must say (`None`: it
/// imports).
fn open_cases(root: &Path, outside: &Path) -> Vec<(&'static str, Option<&'static str>)> {
    use std::os::unix::fs::symlink;
    let data = fastq(2, 10, 20, None);
    std::fs::write(outside.join("secret.fq"), &data).expect("secret");
    std::fs::create_dir(root.join("inside")).expect("dir");
    std::fs::write(root.join("inside/real.fq"), &data).expect("real");
    symlink(outside.join("secret.fq"), root.join("file-link.fq")).expect("file symlink");
    symlink(outside, root.join("dir-link")).expect("directory symlink");
    let relative = Path::new("..").join(outside.file_name().expect("name")).join("secret.fq");
    symlink(relative, root.join("relative-link.fq")).expect("relative symlink");
    symlink(root.join("file-link.fq"), root.join("chained-link.fq")).expect("chained symlink");
    symlink(root.join("inside"), root.join("inside-link")).expect("symlink within the root");
    let fifo = std::process::Command::new("mkfifo").arg(root.join("pipe.fq")).status().expect("mkfifo");
    assert!(fifo.success());
    std::fs::create_dir(root.join("directory.fq")).expect("dir");
    vec![
        ("file-link.fq", Some(UNREADABLE)),
        ("dir-link/secret.fq", Some(UNREADABLE)),
        ("relative-link.fq", Some(UNREADABLE)),
        ("chained-link.fq", Some(UNREADABLE)),
        ("pipe.fq", Some(UNREADABLE)),
        ("directory.fq", Some(UNREADABLE)),
        ("missing.fq", Some(UNREADABLE)),
        ("inside-link/real.fq", None),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_path_leads_to_is_checked_when_it_is_opened() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    // The root and the outside directory are siblings, so a relative link can reach across.
    let parent = tempfile::tempdir().expect("parent");
    let (root, outside) = (parent.path().join("root"), parent.path().join("outside"));
    std::fs::create_dir(&root).expect("root");
    std::fs::create_dir(&outside).expect("outside");
    let cases = open_cases(&root, &outside);
    let server = TestServer::start(&import_config(&db, &root)).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = client.create_sequence_store().name("s").send().await.expect("store").id().to_owned();
    let uris: Vec<String> = cases.iter().map(|(name, _)| format!("file://{}/{name}", root.display())).collect();
    let job = start(&client, &store, uris.iter().map(|uri| source(uri, None)).collect()).await;
    let done = wait(&client, &store, &job).await;
    assert_eq!(done.status(), &ReadSetImportJobStatus::CompletedWithFailures);
    let detail = raw_job(&server.endpoint, &store, &job).await;
    for (i, (name, expected)) in cases.iter().enumerate() {
        let status = done.sources()[i].status();
        let text = detail["sources"][i]["statusDetail"].as_str().unwrap_or_default();
        match expected {
            Some(needle) => {
                assert_eq!(status, &ReadSetImportJobItemStatus::Failed, "{name}");
                assert!(text.contains(needle) && text.contains(name), "{name}: {text}");
                assert!(!text.contains(&outside.display().to_string()), "{name}: where it leads is not shown: {text}");
            }
            None => assert_eq!(status, &ReadSetImportJobItemStatus::Finished, "{name}: {text}"),
        }
    }

    // Reference imports open their files the same way.
    let references = reference_store(&client).await;
    let escape = format!("file://{}/dir-link/secret.fq", root.display());
    std::fs::write(outside.join("genome.fa"), fasta(1, &[("chr1", 100, 60)])).expect("genome");
    let genome = format!("file://{}/dir-link/genome.fa", root.display());
    let imported =
        import(&client, &references, vec![ref_source(&escape, "secret"), ref_source(&genome, "genome")]).await;
    assert_eq!(imported.status(), &ReferenceImportJobStatus::Failed);
    let path = format!("/referencestore/{references}/importjob/{}", imported.id());
    let detail: Value = raw_get(&server.endpoint, &path).await;
    for source in detail["sources"].as_array().expect("sources") {
        let text = source["statusDetail"].as_str().or(source["statusMessage"].as_str()).unwrap_or_default();
        assert!(text.contains(UNREADABLE), "{text}");
    }
    server.stop().await;
}

/// Probing the host's paths through a link to `/` inside the root: an existing file, a missing
/// one, an unreadable one, a directory, a FIFO, a device and a looping link all fail with the same
/// `statusDetail` (but for the URI itself), and so do a missing file, a directory and a FIFO
/// inside the root; `statusMessage`s of URIs of one length are byte-identical too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probing_host_paths_through_a_link_to_slash_tells_nothing_about_them() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let parent = tempfile::tempdir().expect("parent");
    let (root, outside) = (parent.path().join("root"), parent.path().join("outside"));
    std::fs::create_dir(&root).expect("root");
    std::fs::create_dir(&outside).expect("outside");
    symlink("/", root.join("host")).expect("link to /");
    let mkfifo = |path: &Path| {
        assert!(std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo").success());
    };
    std::fs::write(outside.join("aaaa.fq"), fastq(3, 5, 20, None)).expect("existing");
    std::fs::create_dir(outside.join("cccc.fq")).expect("directory");
    mkfifo(&outside.join("dddd.fq"));
    symlink(outside.join("eeee.fq"), outside.join("eeee.fq")).expect("looping link");
    std::fs::write(outside.join("ffff.fq"), fastq(3, 5, 20, None)).expect("unreadable");
    std::fs::set_permissions(outside.join("ffff.fq"), std::fs::Permissions::from_mode(0o000)).expect("chmod");
    std::fs::create_dir(root.join("dir00000.fq")).expect("directory inside");
    mkfifo(&root.join("fifo0000.fq"));
    let host = |name: &str| format!("host{}/{name}", outside.display());
    // Names of one length per group; "bbbb.fq" and "missing1.fq" do not exist.
    let groups: Vec<Vec<String>> = vec![
        ["aaaa.fq", "bbbb.fq", "cccc.fq", "dddd.fq", "eeee.fq", "ffff.fq"].map(host).to_vec(),
        vec!["host/etc/passwd".into(), "host/etc/passwq".into()],
        vec!["host/dev/null".into(), "host/dev/nulm".into()],
        vec!["dir00000.fq".into(), "fifo0000.fq".into(), "missing1.fq".into()],
    ];
    let server = TestServer::start(&import_config(&db, &root)).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = client.create_sequence_store().name("s").send().await.expect("store").id().to_owned();
    let good = write(&root, "good.fq", &fastq(4, 5, 20, None));
    let uris: Vec<String> = groups.iter().flatten().map(|name| format!("file://{}/{name}", root.display())).collect();
    let mut sources: Vec<_> = uris.iter().map(|uri| source(uri, None)).collect();
    sources.push(source(&good, None));
    let job = start(&client, &store, sources).await;
    let done = wait(&client, &store, &job).await;
    assert_eq!(done.status(), &ReadSetImportJobStatus::CompletedWithFailures);
    assert_eq!(done.sources()[uris.len()].status(), &ReadSetImportJobItemStatus::Finished, "the good source");
    let detail = raw_job(&server.endpoint, &store, &job).await;
    let mut i = 0;
    let mut details = std::collections::BTreeSet::new();
    for group in &groups {
        let mut messages = std::collections::BTreeSet::new();
        for _ in group {
            let (uri, item) = (&uris[i], &detail["sources"][i]);
            assert_eq!(item["status"], "FAILED", "{uri}: {item}");
            let text = |key: &str| item[key].as_str().unwrap_or_default().replace(uri.as_str(), "<uri>");
            messages.insert(text("statusMessage"));
            details.insert(text("statusDetail"));
            i += 1;
        }
        assert_eq!(messages.len(), 1, "one statusMessage for {group:?}: {messages:#?}");
    }
    assert_eq!(details.len(), 1, "one statusDetail for every probe: {details:#?}");
    let only = details.first().expect("a detail");
    assert!(only.starts_with("source1: <uri> ") && only.contains(UNREADABLE), "{only}");
    assert!(only.contains("check the path"), "it says what to do: {only}");
    server.stop().await;
}
