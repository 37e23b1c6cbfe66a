//! libFuzzer entry for [`harness::cram`]; the harness is shared with the stable replay test in
//! `crates/seqstore-formats/tests/fuzz_regressions.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../harness/formats.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::cram(data));
