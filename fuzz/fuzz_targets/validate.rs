//! libFuzzer entry for [`harness::validate`]; the harness is shared with the stable replay test in
//! `crates/seqstore/tests/fuzz_regressions.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../harness/api.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::validate(data));
