//! cargo-fuzz target: [`vmkaudit::fuzzing::ruleset_toml`] (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmkaudit::fuzzing::ruleset_toml(data));
