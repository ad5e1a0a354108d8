//! cargo-fuzz target: [`vmkaudit::fuzzing::inventory_json`] (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmkaudit::fuzzing::inventory_json(data));
