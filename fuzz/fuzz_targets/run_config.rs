//! cargo-fuzz target: [`vmkaudit::fuzzing::run_config`] (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmkaudit::fuzzing::run_config(data));
