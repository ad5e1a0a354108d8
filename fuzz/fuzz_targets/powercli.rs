//! cargo-fuzz target: [`vmkaudit::fuzzing::powercli`] (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmkaudit::fuzzing::powercli(data));
