//! The email body: an email-safe HTML variant (inline styles, no script, no external resource,
//! table layout) and a plain-text alternative. Both carry the verdict, the counts, the
//! configuration changes since the previous run and the trend as a table
//! ([`super::drift`]), and the most severe unwaived findings ([`EMAIL_TOP`]); the full report
//! travels as an attachment.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use super::labels::{self, label};
use super::placement::{Group, Placement};
use super::view::{self, CountView, FindingRow, SourceView, SummaryView, Verdict};
use super::RenderOptions;
use crate::error::Result;
use crate::findings::{Finding, FindingsFile, Severity};
use crate::i18n::Lang;
use crate::model::Inventory;

/// How many findings the email lists.
pub const EMAIL_TOP: usize = 50;

#[derive(Debug, Serialize)]
struct EmailView {
    lang: &'static str,
    t: BTreeMap<&'static str, &'static str>,
    title: String,
    generated_at: String,
    rule_set: Option<String>,
    sources: Vec<SourceView>,
    verdict: Verdict,
    summary: SummaryView,
    severities: Vec<CountView>,
    has_history: bool,
    /// The configuration changes (the first [`super::drift::EMAIL_CHANGES`]) and the trend as a
    /// table.
    drift: Option<super::drift::DriftView>,
    trend: Vec<super::drift::TrendRow>,
    top: Vec<FindingRow>,
    more: usize,
    /// Notes from the delivery step, shown first (an attachment left out, earlier emails that
    /// were not delivered, findings that could not be re-checked).
    notes: Vec<String>,
}

fn top(ff: &FindingsFile) -> (Vec<&Finding>, usize) {
    let mut active: Vec<&Finding> = ff.findings.iter().filter(|f| f.waived.is_none()).collect();
    // Findings files are sorted worst first; sort again (stably) in case one is not.
    active.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let more = active.len().saturating_sub(EMAIL_TOP);
    active.truncate(EMAIL_TOP);
    (active, more)
}

fn counts(ff: &FindingsFile) -> [usize; 3] {
    let mut c = [0; 3];
    for f in ff.findings.iter().filter(|f| f.waived.is_none()) {
        c[match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }] += 1;
    }
    c
}

fn verdict(c: [usize; 3], lang: Lang) -> Verdict {
    Verdict::of(c[0], c[1], lang)
}

/// The email-safe HTML body (template `email.html.hbs`) of the run on `inv`.
pub fn email_html(inv: &Inventory, ff: &FindingsFile, opts: &RenderOptions) -> Result<String> {
    email_html_with_notes(inv, ff, opts, &[])
}

/// [`email_html`] with `notes` at the top (the template's `notes`).
pub fn email_html_with_notes(
    inv: &Inventory,
    ff: &FindingsFile,
    opts: &RenderOptions,
    notes: &[String],
) -> Result<String> {
    let lang = opts.lang;
    let place = Placement::of(inv);
    let templates = super::html::Templates::load(opts.templates_dir.as_deref())?;
    let (top, more) = top(ff);
    let c = counts(ff);
    let active = ff.findings.iter().filter(|f| f.waived.is_none());
    let count_status = |s| active.clone().filter(|f| f.status == Some(s)).count();
    let no_anchors = HashMap::new();
    let data = EmailView {
        lang: lang.code(),
        t: labels::table(lang),
        title: view::title(opts.title.as_deref(), lang),
        generated_at: view::fmt_time(&ff.generated_at),
        rule_set: ff.rule_set.clone(),
        sources: view::sources(ff, lang),
        verdict: verdict(c, lang),
        summary: SummaryView {
            hosts_checked: ff.summary.hosts_checked,
            hosts_with_findings: view::hosts_with_findings(ff, &place),
            vmks_checked: ff.summary.vmks_checked,
            not_connected: 0,
            findings: c.iter().sum(),
            waived: ff.findings.iter().filter(|f| f.waived.is_some()).count(),
            new: count_status(crate::findings::Status::New),
            persisting: count_status(crate::findings::Status::Persisting),
            resolved: ff.resolved.len(),
        },
        severities: Severity::ALL
            .iter()
            .zip(c)
            .map(|(&s, n)| CountView {
                key: s.as_str(),
                label: labels::severity(lang, s),
                count: n,
                pct: 0,
            })
            .collect(),
        has_history: ff.previous_run.is_some(),
        drift: super::drift::view(ff, lang, super::drift::EMAIL_CHANGES),
        trend: super::drift::trend_table(&ff.trend),
        top: top
            .iter()
            .map(|f| view::finding_row(f, lang, &no_anchors, &place))
            .collect(),
        more,
        notes: notes.to_vec(),
    };
    templates.render("email", &data)
}

/// The plain-text alternative of the email body of the run on `inv`.
pub fn email_text(inv: &Inventory, ff: &FindingsFile, opts: &RenderOptions) -> String {
    email_text_with_notes(inv, ff, opts, &[])
}

/// [`email_text`] with `notes` at the top, one `* ` line each.
pub fn email_text_with_notes(
    inv: &Inventory,
    ff: &FindingsFile,
    opts: &RenderOptions,
    notes: &[String],
) -> String {
    let lang = opts.lang;
    let place = Placement::of(inv);
    let c = counts(ff);
    let mut out = String::new();
    for n in notes {
        let _ = writeln!(out, "* {n}");
    }
    if !notes.is_empty() {
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "{}", view::title(opts.title.as_deref(), lang));
    let _ = writeln!(
        out,
        "{}: {}",
        label(lang, "generated"),
        view::fmt_time(&ff.generated_at)
    );
    if let Some(rs) = &ff.rule_set {
        let _ = writeln!(out, "{}: {rs}", label(lang, "rule_set"));
    }
    for s in ff
        .sources
        .iter()
        .filter(|s| s.insecure || s.error.is_some())
    {
        if s.insecure {
            let _ = writeln!(out, "! {}: {}", s.name, label(lang, "tls_insecure"));
        }
        if let Some(e) = &s.error {
            let _ = writeln!(out, "! {}: {}: {e}", s.name, label(lang, "source_failed"));
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}: {} {} {} {}",
        verdict(c, lang).text,
        view::hosts_with_findings(ff, &place),
        label(lang, "verdict_hosts"),
        ff.summary.hosts_checked,
        label(lang, "verdict_hosts_tail")
    );
    let _ = writeln!(
        out,
        "{} {} · {} {} · {} {}",
        c[0],
        labels::severity(lang, Severity::Error),
        c[1],
        labels::severity(lang, Severity::Warning),
        c[2],
        labels::severity(lang, Severity::Info)
    );
    let waived = ff.findings.iter().filter(|f| f.waived.is_some()).count();
    if waived > 0 {
        let _ = writeln!(out, "{}: {waived}", label(lang, "waived"));
    }
    if ff.previous_run.is_some() {
        let new = ff
            .findings
            .iter()
            .filter(|f| f.waived.is_none() && f.status == Some(crate::findings::Status::New))
            .count();
        let _ = writeln!(
            out,
            "{}: {new} · {}: {}",
            label(lang, "new_findings"),
            label(lang, "resolved_count"),
            ff.resolved.len()
        );
    }
    for line in super::drift::email_lines(ff, lang) {
        let _ = writeln!(out, "{line}");
    }
    let (top, more) = top(ff);
    if !top.is_empty() {
        let _ = writeln!(out, "\n{}:", label(lang, "top_findings"));
        for f in &top {
            let cluster = match place.group(f) {
                Group::Cluster(c) => format!(" ({c})"),
                // A standalone host or an estate-wide finding: no cluster to name.
                _ => String::new(),
            };
            let object = f
                .subject
                .object()
                .map(|o| format!(" {o}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- [{}] {} {}{cluster}{object}: {}",
                labels::severity(lang, f.severity),
                f.rule,
                f.subject.name(),
                f.message
            );
        }
        if more > 0 {
            let _ = writeln!(out, "  … {more} {}", label(lang, "more_findings"));
        }
    }
    let _ = writeln!(out, "\n{}", label(lang, "full_report"));
    super::controls::visible_string(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(templates_dir: Option<std::path::PathBuf>) -> RenderOptions {
        RenderOptions {
            formats: vec![],
            lang: Lang::En,
            templates_dir,
            title: Some("Prod".into()),
            fail_on: crate::findings::FailOn::default(),
        }
    }

    fn empty() -> FindingsFile {
        crate::findings::testing::file("2026-11-25T06:00:00+00:00", Vec::new())
    }

    #[test]
    fn notes_are_template_data_shown_first_and_escaped() {
        let notes = ["a <b> & c".to_string(), "second".to_string()];
        let html = email_html_with_notes(&Inventory::new(), &empty(), &opts(None), &notes).unwrap();
        let body = html.find("<body").unwrap();
        let first = html.find("a &lt;b&gt; &amp; c").expect("escaped note");
        assert!(
            first > body && first < html.find("<table").unwrap(),
            "{html}"
        );
        assert!(html.find("second").unwrap() > first, "{html}");
        assert!(!html.contains("<b>"), "{html}");
        // No notes, no box.
        let plain = email_html(&Inventory::new(), &empty(), &opts(None)).unwrap();
        assert!(!plain.contains("#fff8e1"), "{plain}");
        let text = email_text_with_notes(&Inventory::new(), &empty(), &opts(None), &notes);
        assert!(
            text.starts_with("* a <b> & c\n* second\n\nVMkernel adapter audit — Prod\n"),
            "{text}"
        );
    }

    #[test]
    fn a_custom_email_template_places_the_notes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("email.html.hbs"),
            "<main>{{title}}</main><aside>{{#each notes}}[{{this}}]{{/each}}</aside>",
        )
        .unwrap();
        let o = opts(Some(dir.path().to_path_buf()));
        let notes = ["x & y".to_string()];
        let html = email_html_with_notes(&Inventory::new(), &empty(), &o, &notes).unwrap();
        assert_eq!(
            html,
            "<main>VMkernel adapter audit — Prod</main><aside>[x &amp; y]</aside>"
        );
    }
}
