//! The two `seqstore serve` processes the other-language client tests (`python.rs`, `js.rs`) run
//! against, and the environment that tells their scripts where they are: keys of accounts A and B,
//! a file root for `file://` imports, parts of 1 MiB, and a second server whose processing is held.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::s3::S3Server;
use super::support::{KEY_A, KEY_B, Serve};

/// A server for the client scripts and a held one, with their files, until dropped.
pub struct ClientServers {
    /// The server the scripts use: parts of 1 MiB (instead of 100 MiB, so that files of a few MB
    /// have several), `--file-root` = [`ClientServers::files`].
    pub server: Serve,
    /// A second server whose workers read 1 KiB/s: a direct upload stays PROCESSING_UPLOAD there
    /// for minutes, so a download right after the upload meets it.
    pub held: Serve,
    /// The file root of `server`: the scripts write and copy their import sources here.
    pub files: PathBuf,
    /// moto, where account A's role may write (buckets `exports`, `fallback-bucket` and
    /// `other-bucket`); `None` without the venv.
    pub s3: Option<S3Server>,
    _dir: TempDir,
}

impl ClientServers {
    /// Starts both servers, each with its own config, data directory and storage.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = |(id, secret, account): (&str, &str, &str)| {
            format!(
                "[[auth.keys]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{secret}\"\naccount_id = \"{account}\"\n"
            )
        };
        let keys = key(KEY_A) + &key(KEY_B);
        let files = dir.path().join("files");
        std::fs::create_dir(&files).expect("create files dir");
        // Account A's role reads the file root and may write the exports and the fallback
        // locations the scripts give their stores, on moto.
        let s3 = S3Server::start_blocking();
        let endpoint = s3.as_ref().map_or_else(|| "http://127.0.0.1:9".to_owned(), |s3| s3.endpoint.clone());
        let mut role = format!(
            "[[roles]]\narn = \"arn:aws:iam::{}:role/Import\"\n\n[[roles.locations]]\nuri = \"file://{}/\"\n",
            KEY_A.2,
            files.display()
        );
        for bucket in ["exports", "fallback-bucket", "other-bucket"] {
            if let Some(s3) = &s3 {
                s3.create_bucket(bucket);
            }
            role += &format!(
                "\n[[roles.locations]]\nuri = \"s3://{bucket}/\"\naccess = \"write\"\nendpoint = \"{endpoint}\"\n\
                 path_style = true\naccess_key_id = \"test\"\nsecret_access_key = \"test\"\n"
            );
        }
        let main = keys.clone() + "[storage]\npart_size = 1048576\n\n" + &role;
        let server = serve(dir.path(), "main", &main, Some(&files));
        let held = serve(dir.path(), "held", &(keys + "[worker]\nthrottle_bytes_per_sec = 1024\n"), None);
        Self { server, held, files, s3, _dir: dir }
    }

    /// Sets on `command` the variables the client scripts read: `TEST_ENDPOINT_URL`,
    /// `TEST_HELD_ENDPOINT_URL`, `TEST_REGION`, the two keys (`TEST_KEY_A_ID` …
    /// `TEST_ACCOUNT_B`), `TEST_FILE_ROOT`, `TEST_DATA_DIR` (the repository's `testdata/`), and
    /// the S3 endpoints of the two servers (`TEST_S3_API_ENDPOINT`, `TEST_HELD_S3_API_ENDPOINT`).
    pub fn env<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        command
            .env("TEST_ENDPOINT_URL", &self.server.endpoint)
            .env("TEST_HELD_ENDPOINT_URL", &self.held.endpoint)
            .env("TEST_REGION", "us-east-1")
            .env("TEST_KEY_A_ID", KEY_A.0)
            .env("TEST_KEY_A_SECRET", KEY_A.1)
            .env("TEST_ACCOUNT_A", KEY_A.2)
            .env("TEST_KEY_B_ID", KEY_B.0)
            .env("TEST_KEY_B_SECRET", KEY_B.1)
            .env("TEST_ACCOUNT_B", KEY_B.2)
            .env("TEST_FILE_ROOT", &self.files)
            .env("TEST_DATA_DIR", root.join("testdata"))
            .env("TEST_S3_ENDPOINT", self.s3.as_ref().map_or("", |s3| s3.endpoint.as_str()))
            .env("TEST_S3_API_ENDPOINT", self.server.s3_endpoint.as_deref().unwrap_or(""))
            .env("TEST_HELD_S3_API_ENDPOINT", self.held.s3_endpoint.as_deref().unwrap_or(""))
    }
}

/// `seqstore serve` on 127.0.0.1:0 with `toml` as its config and `dir/NAME-data` as its data.
fn serve(dir: &Path, name: &str, toml: &str, file_root: Option<&Path>) -> Serve {
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, toml).expect("write config");
    let data = dir.join(format!("{name}-data"));
    let mut args = vec!["--listen".into(), "127.0.0.1:0".into(), "--config".into(), config.into_os_string()];
    args.extend(["--data-dir".into(), data.into_os_string()]);
    if let Some(root) = file_root {
        args.extend(["--file-root".into(), root.as_os_str().to_owned()]);
    }
    Serve::start::<std::ffi::OsString>(&args)
}
