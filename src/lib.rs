//! vmkaudit: audit ESXi VMkernel adapter configuration.
//!
//! The pipeline, one module per step (see ARCHITECTURE.md):
//! [`collect`] / [`inventory`] → [`model`] → [`evaluate`] (with [`rules`]) → [`findings`] →
//! [`render`] → [`deliver`]. [`app`] wires them into the commands; [`cli`] declares them.

pub mod alloc;
pub mod app;
pub mod choice;
pub mod cli;
pub mod collect;
pub mod config;
pub mod deliver;
pub mod drift;
pub mod error;
pub mod evaluate;
pub mod findings;
pub mod fsutil;
pub mod fuzzing;
pub mod i18n;
pub mod inventory;
pub mod model;
pub mod render;
pub mod retry;
pub mod rules;
pub mod secret;
pub mod tls;
pub mod ui;
