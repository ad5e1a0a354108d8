//! Delivery: place the reports of a run and send them by email.
//!
//! PLACEHOLDER (foundation step): date-stamped run folders, history and email land with the
//! scheduled-runs issue. Until then `run` writes into `report.output_dir` directly.

use std::path::PathBuf;

use crate::config::Validated;
use crate::error::Result;
use crate::findings::FindingsFile;
use crate::model::Inventory;
use crate::render::RenderOptions;

/// Options from the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliverOptions {
    pub dry_run_email: bool,
}

/// What a delivery did.
#[derive(Debug)]
pub struct Delivered {
    pub findings: FindingsFile,
    pub report_dir: PathBuf,
    pub written: Vec<PathBuf>,
    /// Set when the email could not be sent (the reports are written).
    pub email_error: Option<String>,
}

/// Write the reports of a run and deliver them.
pub fn deliver(
    cfg: &Validated,
    inv: &Inventory,
    findings: FindingsFile,
    opts: &RenderOptions,
    _options: DeliverOptions,
) -> Result<Delivered> {
    let written = crate::render::write_reports(&cfg.output_dir, inv, &findings, opts)?;
    Ok(Delivered {
        findings,
        report_dir: cfg.output_dir.clone(),
        written,
        email_error: None,
    })
}
