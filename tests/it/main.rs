//! The integration tests: one test binary, one module per area.

mod common;

mod bench;
mod cli;
mod collect;
mod email;
mod fuzz_corpus;
mod import;
mod report;
mod rules;
