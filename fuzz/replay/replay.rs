//! Replaying fuzz inputs on stable: every file of `fuzz/regressions/<target>/` (crashes found and
//! fixed) and `fuzz/seeds/<target>/` (the committed seeds, so a target without regressions still
//! runs) through the target's harness. Included by the `fuzz_regressions` test of each crate.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The `fuzz/` directory of the repository.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Runs `harness` on every regression and seed of `target`, in name order, and fails naming every
/// file that panicked. Fails when the target has no file at all.
pub fn replay(target: &str, harness: fn(&[u8])) {
    let mut files = Vec::new();
    for kind in ["regressions", "seeds"] {
        let Ok(entries) = fs::read_dir(fuzz_dir().join(kind).join(target)) else { continue };
        files.extend(entries.map(|e| e.expect("a readable directory entry").path()).filter(|p| p.is_file()));
    }
    files.sort();
    assert!(!files.is_empty(), "no regression or seed to replay for {target}");
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            panic::catch_unwind(AssertUnwindSafe(|| harness(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target}: {} of {} inputs panicked: {failed:?}", failed.len(), files.len());
}
