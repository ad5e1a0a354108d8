//! Offline imports: read inventory files, RVTools and PowerCLI CSV exports into the model.
//!
//! [`load`] reads one file in a given [`Format`], or recognises the format from the content when
//! none is given. Every importer produces the same [`Inventory`](crate::model::Inventory); what a
//! format cannot express stays `None` (unknown) so that the evaluation reports the checks it could
//! not run. Errors name the file, the line and, where the parser knows it, the column.

pub mod csvutil;
pub mod json;
pub mod powercli;
pub mod rvtools;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};
use crate::model::Inventory;

/// The formats `vmkaudit` can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A vmkaudit inventory file (JSON, `schema_version` 1).
    Inventory,
    /// RVTools' vmk tab exported as CSV (`RVTools_tabvSC_VMK.csv`).
    Rvtools,
    /// `Get-VMHostNetworkAdapter -VMKernel | Export-Csv` from PowerCLI.
    Powercli,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Inventory => "inventory",
            Format::Rvtools => "rvtools",
            Format::Powercli => "powercli",
        }
    }
}

/// Recognise the format of `text` (read from `path`) from its content.
pub fn detect(path: &Path, text: &str) -> Result<Format> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(Format::Inventory);
    }
    // First line that is not PowerShell's `#TYPE` line is the CSV header.
    let header = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with("#TYPE"))
        .unwrap_or("");
    let cols: Vec<String> = header
        .split([',', ';', '\t'])
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has = |name: &str| cols.iter().any(|c| c == name);
    if has("vmhost") && (has("name") || has("devicename")) {
        return Ok(Format::Powercli);
    }
    if has("host") && has("device") {
        return Ok(Format::Rvtools);
    }
    Err(Error::input(
        Location::at(path, 1, None),
        "cannot tell the file's format: expected a vmkaudit inventory (JSON), an RVTools vSC_VMK \
         CSV (columns Host, Device, ...) or a PowerCLI Export-Csv (columns VMHost, Name, ...); \
         name the format with `format = \"...\"` or `--input-format`",
    ))
}

/// Read one file into an inventory, in `format` or the format recognised from its content.
pub fn load(path: &Path, format: Option<Format>) -> Result<Inventory> {
    let text = crate::fsutil::read_text(path)?;
    let format = match format {
        Some(f) => f,
        None => detect(path, &text)?,
    };
    tracing::debug!(path = %path.display(), format = format.as_str(), "importing");
    match format {
        Format::Inventory => json::parse(path, &text),
        Format::Rvtools => rvtools::parse(path, &text),
        Format::Powercli => powercli::parse(path, &text),
    }
}

/// Read several files and merge them into one inventory.
pub fn load_all<'a>(
    paths: impl IntoIterator<Item = (&'a Path, Option<Format>)>,
) -> Result<Inventory> {
    let mut inv = Inventory::new();
    for (path, format) in paths {
        inv.merge(load(path, format)?);
    }
    Ok(inv)
}
