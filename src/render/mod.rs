//! Rendering: turn the inventory and findings into report files (HTML, CSV, JSON, checklist).
//!
//! [`write_reports`] writes, per the selected formats, `report.html` and `checklist.txt` (html),
//! `findings.csv` and `vmks.csv` (csv) and `findings.json` (json). The email step uses
//! [`email_html`] (an email-safe HTML body: inline styles, no script, table layout) and
//! [`email_text`] (its plain-text alternative). Every word comes in the run's language from
//! [`labels`]; the HTML comes from the handlebars templates in `templates/` ([`html`]), fed by
//! the view model in [`view`]. Every file is written atomically
//! ([`crate::fsutil::write_atomic`]), so a failed run never leaves a half-written report over a
//! good one.

pub mod checklist;
pub mod controls;
pub mod csv;
pub mod email;
pub mod html;
pub mod labels;
pub mod placement;
pub mod rulemeta;
pub mod view;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::OutputFormat;
use crate::error::Result;
use crate::findings::FindingsFile;
use crate::i18n::Lang;
use crate::model::Inventory;

pub use email::{email_html, email_text, EMAIL_TOP};

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

/// File names of the reports.
pub const REPORT_HTML: &str = "report.html";
pub const CHECKLIST_TXT: &str = "checklist.txt";
pub const FINDINGS_CSV: &str = "findings.csv";
pub const VMKS_CSV: &str = "vmks.csv";
pub const FINDINGS_JSON: &str = "findings.json";

/// Write the selected report files into `dir`; returns the paths written, in a fixed order.
pub fn write_reports(
    dir: &Path,
    inv: &Inventory,
    findings: &FindingsFile,
    opts: &RenderOptions,
) -> Result<Vec<PathBuf>> {
    type Job<'a> = Box<dyn Fn() -> Result<Vec<u8>> + Send + Sync + 'a>;
    let mut jobs: Vec<(&str, Job<'_>)> = Vec::new();
    if opts.formats.contains(&OutputFormat::Html) {
        jobs.push((
            REPORT_HTML,
            Box::new(|| Ok(report_html(inv, findings, opts)?.into_bytes())),
        ));
        jobs.push((
            CHECKLIST_TXT,
            Box::new(|| Ok(checklist_text(inv, findings, opts).into_bytes())),
        ));
    }
    if opts.formats.contains(&OutputFormat::Csv) {
        jobs.push((
            FINDINGS_CSV,
            Box::new(|| Ok(csv::findings_csv(inv, findings, opts.lang))),
        ));
        jobs.push((VMKS_CSV, Box::new(|| Ok(csv::vmks_csv(inv, opts.lang)))));
    }
    if opts.formats.contains(&OutputFormat::Json) {
        jobs.push((
            FINDINGS_JSON,
            Box::new(|| Ok(findings_json(findings).into_bytes())),
        ));
    }
    // The files are independent: render them in parallel (the HTML report and vmks.csv are
    // the big ones at 40,000 hosts), and write them only when every one rendered, so a failed
    // run leaves the previous reports whole.
    // One job per task (`with_max_len(1)`), so that a free thread takes the next file while
    // another is still on the HTML report.
    let out: Vec<(&str, Vec<u8>)> = jobs
        .par_iter()
        .with_max_len(1)
        .map(|(name, job)| Ok((*name, job()?)))
        .collect::<Result<_>>()?;
    out.par_iter()
        .map(|(name, bytes)| {
            let p = dir.join(name);
            crate::fsutil::write_atomic(&p, bytes)?;
            Ok(p)
        })
        .collect()
}

pub fn report_html(
    inv: &Inventory,
    findings: &FindingsFile,
    opts: &RenderOptions,
) -> Result<String> {
    let templates = html::Templates::load(opts.templates_dir.as_deref())?;
    let view = view::build(inv, findings, opts.lang, opts.title.as_deref());
    templates.render("report", &view)
}

/// `checklist.txt`: the pre-upgrade checklist as plain text for a change ticket.
pub fn checklist_text(inv: &Inventory, findings: &FindingsFile, opts: &RenderOptions) -> String {
    let c = checklist::build(inv, findings, opts.lang);
    let title = view::title(opts.title.as_deref(), opts.lang);
    controls::visible_string(checklist::to_text(&c, findings, &title, opts.lang))
}

/// `findings.json`: the findings file as pretty JSON (schema: `schemas/findings.schema.json`).
pub fn findings_json(findings: &FindingsFile) -> String {
    // Serialising plain structs with string keys cannot fail.
    let mut s = serde_json::to_string_pretty(findings).expect("findings serialize");
    s.push('\n');
    controls::json_escape_rest(s)
}
