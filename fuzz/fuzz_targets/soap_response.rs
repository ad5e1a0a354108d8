//! cargo-fuzz target: [`vmkaudit::fuzzing::soap_response`] (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmkaudit::fuzzing::soap_response(data));
