//! Integration tests: email.
