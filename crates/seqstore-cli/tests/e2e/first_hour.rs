//! The README's first screen, run verbatim (#26): the shell block between `<!-- first-screen -->`
//! markers runs with bash in a fresh directory (where `testdata` is this repository's), with the
//! `seqstore` under test first on the PATH instead of the `cargo install` line, and then every step
//! is checked: the server answered, the store and the read set exist, the dashboard lists the read
//! set, and the download is byte for byte the imported file. So the README cannot drift from what
//! the binary does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::support::in_ci;

/// The first shell block between the first-screen markers of README.md.
fn first_screen(readme: &str) -> String {
    let start = readme.find("<!-- first-screen -->").expect("the README marks its first screen");
    let end = readme[start..].find("<!-- /first-screen -->").expect("the first screen's end marker") + start;
    let section = &readme[start..end];
    let fence = section.find("```sh\n").expect("a sh block in the first screen") + "```sh\n".len();
    let close = section[fence..].find("\n```").expect("the block's end") + fence;
    section[fence..close].to_owned()
}

/// The block without its `cargo install` line (the binary under test is on the PATH instead).
fn runnable(block: &str) -> String {
    block.lines().filter(|line| !line.trim_start().starts_with("cargo install")).collect::<Vec<_>>().join("\n")
}

/// True when `127.0.0.1:port` accepts connections (another server holds the README's port).
fn taken(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

#[test]
fn the_readme_first_screen_runs_as_written() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let block = first_screen(&readme);
    assert!(block.contains("cargo install"), "the first screen says how to install seqstore:\n{block}");
    if taken(4870) || taken(4871) {
        assert!(!in_ci(), "CI=true but 127.0.0.1:4870 or :4871 is taken: the README's first screen uses them");
        eprintln!("skipping: 127.0.0.1:4870 or :4871 is taken");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    // The files the block names, copied (a link would put them outside the --file-root the server
    // resolves, and the CLI would upload them instead of importing them).
    let derived = dir.path().join("testdata/derived");
    std::fs::create_dir_all(&derived).expect("testdata");
    for name in ["hts-level.R1.fq.gz", "hts-level.R2.fq.gz"] {
        std::fs::copy(root.join("testdata/derived").join(name), derived.join(name)).expect("copy test file");
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_seqstore"));
    let path = format!("{}:{}", binary.parent().expect("bin dir").display(), std::env::var("PATH").unwrap_or_default());
    // The block, then what the checks need; the server it started is stopped whatever happens.
    let script = format!(
        "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n{}\n\
         echo \"STORE=$STORE\"\necho \"READ_SET=$READ_SET\"\n\
         python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
         \"http://127.0.0.1:4870/ui/stores/$STORE\" > dashboard.html\n",
        runnable(&block)
    );
    let mut command = Command::new("bash");
    command.arg("-c").arg(&script).current_dir(dir.path()).env("PATH", path);
    // Nothing of this machine's AWS settings, and no traffic beyond it (the region is the CLI's
    // default; instance metadata is never asked).
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("AWS_") || name.starts_with("SEQSTORE_")) {
        command.env_remove(name);
    }
    command.env("AWS_EC2_METADATA_DISABLED", "true").env("HOME", dir.path());
    let output = command.output().expect("run bash");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    eprintln!("first screen:\n{script}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(output.status.success(), "the README's first screen failed");
    let value = |name: &str| {
        stdout.lines().find_map(|l| l.strip_prefix(&format!("{name}="))).expect("printed").trim().to_owned()
    };
    let (store, read_set) = (value("STORE"), value("READ_SET"));
    assert!(store.len() == 10 && store.bytes().all(|b| b.is_ascii_digit()), "store id {store:?}");
    assert!(read_set.len() == 10 && read_set.bytes().all(|b| b.is_ascii_digit()), "read set id {read_set:?}");
    let dashboard = std::fs::read_to_string(dir.path().join("dashboard.html")).expect("dashboard page");
    assert!(dashboard.contains(&read_set), "the dashboard's store page lists the read set");
    assert!(!stderr.contains("IMDS") && !stderr.contains("instance metadata"), "no metadata probe:\n{stderr}");
    // The read set was imported from the file root, not uploaded.
    let log = std::fs::read_to_string(dir.path().join("seqstore.log")).expect("the server's log");
    assert!(log.contains("kind=\"readSet\"") && !log.contains("kind=\"upload\""), "imported, not uploaded:\n{log}");
    assert!(stderr.is_empty(), "the first screen writes nothing on standard error:\n{stderr}");
    assert_downloads(dir.path(), &root);
}

/// Every file the block downloaded (`*.fq.gz` in its directory) is the imported one, byte for byte.
fn assert_downloads(dir: &Path, root: &Path) {
    let pairs = [("S1_R1.fq.gz", "testdata/derived/hts-level.R1.fq.gz")];
    for (downloaded, source) in pairs {
        let got = std::fs::read(dir.join(downloaded)).unwrap_or_else(|e| panic!("{downloaded}: {e}"));
        let want = std::fs::read(root.join(source)).expect("source");
        assert!(got == want, "{downloaded} is {source} byte for byte");
    }
}
