//! Rendering: turn the inventory and findings into report files (HTML, CSV, JSON, checklist).
//!
//! [`write_reports`] writes, per the selected formats, `report.html` and `checklist.txt` (html),
//! `findings.csv` and `vmks.csv` (csv; and `changes.csv` when the run was compared with a
//! previous run's inventory, [`drift`]), `findings.json` (json), `junit.xml` (junit,
//! [`junit`]), `vmkaudit.prom` (prometheus, [`prometheus`]) and the fix scripts (remediation,
//! [`remediation`]). The email step uses
//! [`email_html`] (an email-safe HTML body: inline styles, no script, table layout) and
//! [`email_text`] (its plain-text alternative). Every word comes in the run's language from
//! [`labels`]; the HTML comes from the handlebars templates in `templates/` ([`html`]), fed by
//! the view model in [`view`]. The files are written as one set
//! ([`crate::fsutil::write_set`]: staged, then moved in when all were written), so a failed run
//! never leaves a half-written or half-replaced report set over a good one.

pub mod checklist;
pub mod controls;
pub mod csv;
pub mod drift;
pub mod email;
pub mod html;
pub mod junit;
pub mod labels;
pub mod placement;
pub mod prometheus;
pub mod remediation;
pub mod rulemeta;
pub mod view;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::choice::Choice;
use crate::error::Result;
use crate::findings::{FailOn, FindingsFile};
use crate::i18n::Lang;
use crate::model::Inventory;

pub use email::{email_html, email_html_with_notes, email_text, email_text_with_notes, EMAIL_TOP};

/// The output formats of a report (`[report] formats`, `check --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Html,
    Csv,
    Json,
    /// The fix scripts `remediation.sh` and `remediation.ps1`.
    Remediation,
    /// `junit.xml` for CI gates.
    Junit,
    /// `vmkaudit.prom` for node_exporter's textfile collector.
    Prometheus,
}

impl Choice for OutputFormat {
    const WHAT: &'static str = "report format";
    const ALL: &'static [Self] = &[
        OutputFormat::Html,
        OutputFormat::Csv,
        OutputFormat::Json,
        OutputFormat::Remediation,
        OutputFormat::Junit,
        OutputFormat::Prometheus,
    ];

    fn name(self) -> &'static str {
        match self {
            OutputFormat::Html => "html",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Remediation => "remediation",
            OutputFormat::Junit => "junit",
            OutputFormat::Prometheus => "prometheus",
        }
    }

    /// Blanks around the name and its case do not matter (`--format "HTML, csv"`).
    fn from_name(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(s))
    }
}

crate::choice_serde!(OutputFormat);

/// The formats written when none are named (`check` without `--format`, `[report]` without
/// `formats`): html, csv, json. `junit` and `prometheus` are asked for by name.
pub const DEFAULT_FORMATS: &[OutputFormat] = &[
    OutputFormat::Html,
    OutputFormat::Csv,
    OutputFormat::Json,
    OutputFormat::Remediation,
];

/// What to render and how.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub formats: Vec<OutputFormat>,
    pub lang: Lang,
    /// Directory whose templates override the built-in ones.
    pub templates_dir: Option<PathBuf>,
    /// Estate name for the title.
    pub title: Option<String>,
    /// The fail level (`--fail-on`, `report.fail_on`): what fails a JUnit test case.
    pub fail_on: FailOn,
}

/// File names of the reports.
pub const REPORT_HTML: &str = "report.html";
pub const CHECKLIST_TXT: &str = "checklist.txt";
pub const FINDINGS_CSV: &str = "findings.csv";
pub const VMKS_CSV: &str = "vmks.csv";
pub const FINDINGS_JSON: &str = "findings.json";
pub const JUNIT_XML: &str = "junit.xml";
/// node_exporter's textfile collector reads `*.prom` files.
pub const PROMETHEUS_PROM: &str = "vmkaudit.prom";
/// Written with `csv` by a run that had a previous run's inventory to compare with.
pub const CHANGES_CSV: &str = "changes.csv";

/// Write the selected report files into `dir`; returns the paths written, in a fixed order.
pub fn write_reports(
    dir: &Path,
    inv: &Inventory,
    findings: &FindingsFile,
    opts: &RenderOptions,
) -> Result<Vec<PathBuf>> {
    // A job writes its file into the staged file it is given (the path, for its errors).
    type Job<'a> = Box<dyn Fn(&mut dyn std::io::Write, &Path) -> Result<()> + Send + Sync + 'a>;
    // A file rendered whole, then written.
    fn whole<'a>(render: impl Fn() -> Result<Vec<u8>> + Send + Sync + 'a) -> Job<'a> {
        Box::new(move |w, path| {
            w.write_all(&render()?)
                .map_err(|e| crate::error::Error::io(path, e))
        })
    }
    let mut names = report_names(&opts.formats);
    if findings.drift.is_some() {
        // With the other CSV files.
        if let Some(i) = names.iter().position(|n| *n == VMKS_CSV) {
            names.insert(i + 1, CHANGES_CSV);
        }
    }
    let jobs: Vec<(&str, Job<'_>)> = names
        .into_iter()
        .map(|name| {
            let job: Job<'_> = match name {
                // The two big files are written as they are made.
                REPORT_HTML => Box::new(|w, path| report_html_to(inv, findings, opts, w, path)),
                VMKS_CSV => Box::new(|w, path| {
                    csv::write_vmks_csv(inv, opts.lang, w)
                        .map_err(|e| crate::error::Error::io(path, e))
                }),
                CHECKLIST_TXT => whole(|| Ok(checklist_text(inv, findings, opts).into_bytes())),
                FINDINGS_CSV => whole(|| Ok(csv::findings_csv(inv, findings, opts.lang))),
                CHANGES_CSV => whole(|| Ok(drift::changes_csv(findings, opts.lang))),
                JUNIT_XML => whole(|| {
                    Ok(junit::junit_xml(inv, findings, opts.fail_on, opts.lang).into_bytes())
                }),
                PROMETHEUS_PROM => whole(|| Ok(prometheus::textfile(inv, findings).into_bytes())),
                remediation::REMEDIATION_SH => {
                    whole(|| Ok(remediation::remediation_sh(findings, opts.lang).into_bytes()))
                }
                remediation::REMEDIATION_PS1 => {
                    whole(|| Ok(remediation::remediation_ps1(findings, opts.lang).into_bytes()))
                }
                _ => whole(|| Ok(findings_json(findings).into_bytes())),
            };
            (name, job)
        })
        .collect();
    // The files are independent: render them in parallel (the HTML report and vmks.csv are
    // the big ones at 40,000 hosts), each staged as soon as it is rendered (and its text
    // freed), and moved in only when every one was written, as one set, so that a failed run
    // leaves the previous reports whole. One job per task (`with_max_len(1)`), so that a free
    // thread takes the next file while another is still on the HTML report.
    let names: Vec<&str> = jobs.iter().map(|(name, _)| *name).collect();
    let staging = crate::fsutil::Staging::new(dir, &names)?;
    jobs.par_iter()
        .with_max_len(1)
        .try_for_each(|(name, job)| staging.write_with(name, |w, path| job(w, path)))?;
    staging.commit()
}

/// The report files `formats` selects, in the order [`write_reports`] writes them.
pub fn report_names(formats: &[OutputFormat]) -> Vec<&'static str> {
    let mut names = Vec::new();
    if formats.contains(&OutputFormat::Html) {
        names.extend([REPORT_HTML, CHECKLIST_TXT]);
    }
    if formats.contains(&OutputFormat::Csv) {
        names.extend([FINDINGS_CSV, VMKS_CSV]);
    }
    if formats.contains(&OutputFormat::Json) {
        names.push(FINDINGS_JSON);
    }
    if formats.contains(&OutputFormat::Junit) {
        names.push(JUNIT_XML);
    }
    if formats.contains(&OutputFormat::Prometheus) {
        names.push(PROMETHEUS_PROM);
    }
    if formats.contains(&OutputFormat::Remediation) {
        names.extend([remediation::REMEDIATION_SH, remediation::REMEDIATION_PS1]);
    }
    names
}

pub fn report_html(
    inv: &Inventory,
    findings: &FindingsFile,
    opts: &RenderOptions,
) -> Result<String> {
    let mut out = Vec::new();
    report_html_to(inv, findings, opts, &mut out, Path::new(REPORT_HTML))?;
    // handlebars writes `str`s only.
    Ok(String::from_utf8(out).expect("the rendered report is UTF-8"))
}

/// [`report_html`] written into `out` (the file `path`) as it is rendered.
pub fn report_html_to(
    inv: &Inventory,
    findings: &FindingsFile,
    opts: &RenderOptions,
    out: &mut dyn std::io::Write,
    path: &Path,
) -> Result<()> {
    let templates = html::Templates::load(opts.templates_dir.as_deref())?;
    let view = view::build(inv, findings, opts.lang, opts.title.as_deref());
    templates.render_to("report", &view, out, path)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_report_that_cannot_be_replaced_leaves_the_previous_set_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let inv = Inventory::new();
        let rules = crate::evaluate::RuleSet::builtin_default();
        let findings = crate::evaluate::evaluate(&inv, &rules, Lang::En, chrono::Local::now());
        let opts = RenderOptions {
            formats: vec![OutputFormat::Html, OutputFormat::Csv, OutputFormat::Json],
            lang: Lang::En,
            templates_dir: None,
            title: None,
            fail_on: FailOn::default(),
        };
        let names = report_names(&opts.formats);
        assert_eq!(
            names,
            [
                REPORT_HTML,
                CHECKLIST_TXT,
                FINDINGS_CSV,
                VMKS_CSV,
                FINDINGS_JSON
            ]
        );
        let written = write_reports(dir, &inv, &findings, &opts).unwrap();
        let expected: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
        assert_eq!(written, expected);
        // An earlier set, then a directory where one report goes.
        for name in &names {
            std::fs::write(dir.join(name), format!("earlier {name}")).unwrap();
        }
        std::fs::remove_file(dir.join(FINDINGS_CSV)).unwrap();
        std::fs::create_dir(dir.join(FINDINGS_CSV)).unwrap();
        let err = write_reports(dir, &inv, &findings, &opts).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::ExitCode::Usage);
        assert!(
            err.to_string().contains("findings.csv: is a directory"),
            "{err}"
        );
        for name in [REPORT_HTML, CHECKLIST_TXT, VMKS_CSV, FINDINGS_JSON] {
            assert_eq!(
                std::fs::read_to_string(dir.join(name)).unwrap(),
                format!("earlier {name}"),
                "{name} was replaced"
            );
        }
        let left: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".vmkaudit"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
