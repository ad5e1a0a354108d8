//! Integration tests: collect.
