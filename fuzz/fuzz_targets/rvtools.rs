//! cargo-fuzz target: [`vmkaudit::fuzzing::rvtools`] (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmkaudit::fuzzing::rvtools(data));
