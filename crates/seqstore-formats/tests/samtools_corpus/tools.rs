//! What the samtools comparison tests share: the repository's test data, a scratch directory,
//! and samtools itself (required under `CI=true`, else the tests skip), run without ever fetching a
//! reference from the network.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `path` under the repository's `testdata/`.
pub fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

/// A scratch directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory for `name` under the system's temporary directory.
    pub fn new(name: &str) -> io::Result<Self> {
        let path = std::env::temp_dir().join(format!("seqstore-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    /// The path of `name` in it.
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// True when samtools runs; under `CI=true` its absence fails the test.
pub fn samtools_available() -> bool {
    let found = Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || std::env::var("CI").as_deref() != Ok("true"), "samtools is required under CI");
    if !found {
        eprintln!("samtools not found: skipped");
    }
    found
}

/// Runs samtools with `args`, never fetching a reference from the network; its stdout.
pub fn samtools(args: &[&std::ffi::OsStr]) -> io::Result<Vec<u8>> {
    let output = Command::new("samtools")
        .args(args)
        .env("REF_PATH", "/nonexistent")
        .env("REF_CACHE", "/nonexistent")
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!("samtools {args:?}: {}", String::from_utf8_lossy(&output.stderr))));
    }
    Ok(output.stdout)
}

/// `samtools!(arg, …)`: [`samtools`] with each argument as an `OsStr`.
macro_rules! samtools {
    ($($arg:expr),* $(,)?) => { tools::samtools(&[$(std::ffi::OsStr::new($arg)),*]) };
}
