//! Rendering: turn the inventory and findings into report files (HTML, CSV, JSON).
//!
//! Every file is written atomically ([`crate::fsutil::write_atomic`]), so a failed run never
//! leaves a half-written report over a good one.

use std::path::{Path, PathBuf};

use crate::config::OutputFormat;
use crate::error::Result;
use crate::findings::FindingsFile;
use crate::i18n::Lang;
use crate::model::Inventory;

/// What to render and how.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub formats: Vec<OutputFormat>,
    pub lang: Lang,
    /// Directory whose templates override the built-in ones.
    pub templates_dir: Option<PathBuf>,
    /// Estate name for the title.
    pub title: Option<String>,
}

/// Write the selected report files into `dir`; returns the paths written.
///
/// PLACEHOLDER (foundation step): JSON is complete; HTML and CSV land with the reports issue.
pub fn write_reports(
    dir: &Path,
    _inv: &Inventory,
    findings: &FindingsFile,
    opts: &RenderOptions,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    if opts.formats.contains(&OutputFormat::Json) {
        let p = dir.join("findings.json");
        let mut s = serde_json::to_string_pretty(findings).expect("findings serialize");
        s.push('\n');
        crate::fsutil::write_atomic(&p, s.as_bytes())?;
        written.push(p);
    }
    Ok(written)
}
