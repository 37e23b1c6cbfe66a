//! The fuzz targets of `fuzz/` for SigV4 and request validation replayed on stable, through the
//! very harness functions the targets call (`fuzz/harness/api.rs`): every minimized crash kept in
//! `fuzz/regressions/<target>/` and every committed seed in `fuzz/seeds/<target>/`. See
//! `fuzz/README.md`.
//!
//! A test binary of its own rather than a module of `e2e`: it needs no server, database or tools,
//! and runs alone with `cargo test -p seqstore --test fuzz_regressions`.

#[path = "../../../fuzz/harness/api.rs"]
mod harness;
#[path = "../../../fuzz/replay/replay.rs"]
mod replay;

use replay::replay;

#[test]
fn sigv4() {
    replay("sigv4", harness::sigv4);
}

#[test]
fn input() {
    replay("input", harness::input);
}

#[test]
fn validate() {
    replay("validate", harness::validate);
}
