//! The command line as a newcomer meets it in the first hour (#26): no region anywhere means
//! us-east-1 without probing EC2 instance metadata; endpoint mistakes (a path, `https://` to a
//! plain-HTTP server, nothing listening, no endpoint at all) say what to pass.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;

use super::cli::{cli, client_command, config, output, serve};

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
