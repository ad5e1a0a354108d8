//! The integration tests: one test binary, one module per area.

mod common;

mod bench;
mod cli;
mod collect;
mod conventions;
mod designs;
mod drift;
mod email;
mod fuzz_corpus;
mod i18n;
mod import;
mod layers;
mod pipeline;
mod remediation;
mod report;
mod rules;
