//! `junit.xml` (`--format junit`): the run as JUnit XML, so that a CI gate (GitLab, Jenkins,
//! Azure DevOps, GitHub test reporters) shows the failing hosts.
//!
//! One `<testsuite>` per cluster (and one for the standalone hosts), named like the report's
//! groups ([`super::placement`]); in it one `<testcase>` per inventory host and enabled rule
//! (the checklist's items, [`super::checklist::items`]): `classname` is the host, `name` the
//! rule ID and its checklist item. A case *fails* when the host has an unwaived finding of the
//! rule at or above the fail level (`--fail-on`, `report.fail_on`), with every such finding in
//! the failure's text; it is *skipped* when the rule could not check the host (the host was not
//! connected, or its source lacks the data: the checklist's NOT CHECKED); otherwise it passes,
//! and findings below the fail level or waived ones are listed in its `<system-out>`. Findings
//! about something that is not an inventory host (a source that could not be collected, an
//! expired waiver, the estate) are one more suite, `(whole estate)`, with one case per rule and
//! subject. With `--fail-on never` nothing fails. Text from a source is made visible
//! ([`super::controls`]) first: XML 1.0 cannot carry control characters at all.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;

use quick_xml::events::BytesText;
use quick_xml::writer::ElementWriter;
use quick_xml::Writer;

use super::checklist;
use super::controls::visible;
use super::labels::label;
use super::placement::{Group, Placement};
use super::rulemeta;
use crate::findings::{Category, FailOn, Finding, FindingsFile, Severity};
use crate::i18n::Lang;
use crate::model::Inventory;

/// What happened to one test case.
#[derive(Default)]
struct Case<'a> {
    /// Unwaived findings at or above the fail level.
    failed: Vec<&'a Finding>,
    /// Findings below the fail level, and waived ones.
    noted: Vec<&'a Finding>,
    /// Why the rule could not check the host, when it could not.
    skipped: Option<String>,
}

impl<'a> Case<'a> {
    /// A case of findings `fs`, failed by those that `fails`.
    fn of(fs: impl IntoIterator<Item = &'a Finding>, fails: impl Fn(&Finding) -> bool) -> Self {
        let (failed, noted) = fs.into_iter().partition(|f| fails(f));
        Case {
            failed,
            noted,
            skipped: None,
        }
    }
}

/// Counts of a suite or of the whole file.
#[derive(Default, Clone, Copy)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, c: &Case<'_>) {
        self.tests += 1;
        if !c.failed.is_empty() {
            self.failures += 1;
        } else if c.skipped.is_some() {
            self.skipped += 1;
        }
    }

    fn plus(mut self, o: Counts) -> Counts {
        self.tests += o.tests;
        self.failures += o.failures;
        self.skipped += o.skipped;
        self
    }
}

/// One suite: its name and its cases as (classname, name, case).
struct Suite<'a> {
    name: String,
    cases: Vec<(String, String, Case<'a>)>,
}

impl Suite<'_> {
    fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for (_, _, case) in &self.cases {
            c.add(case);
        }
        c
    }
}

/// `junit.xml` of a run: see the module documentation.
pub fn junit_xml(inv: &Inventory, ff: &FindingsFile, fail_on: FailOn, lang: Lang) -> String {
    let suites = suites(inv, ff, fail_on, lang);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    write(&mut w, &suites, ff, lang).expect("write into memory");
    let mut out = w.into_inner();
    out.push(b'\n');
    String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
}

/// The test name of rule `rule`: its ID and checklist item.
fn case_name(rule: &str, lang: Lang) -> String {
    match rulemeta::checklist_item(rule, lang) {
        Some(item) => format!("{rule} {item}"),
        None => rule.to_string(),
    }
}

fn suites<'a>(
    inv: &'a Inventory,
    ff: &'a FindingsFile,
    fail_on: FailOn,
    lang: Lang,
) -> Vec<Suite<'a>> {
    // The checklist's items that pass or fail per host; the others (sources, waivers) are
    // cases of the estate suite.
    let rules: Vec<String> = checklist::items(ff)
        .into_iter()
        .filter(|r| rulemeta::checks_hosts(r))
        .collect();
    let place = Placement::of(inv);
    let fails = |f: &Finding| {
        f.waived.is_none() && fail_on.threshold().is_some_and(|level| f.severity >= level)
    };
    // Per (host, rule): its findings; per (host, rule): why it was not checked.
    let mut found: HashMap<(&str, &str), Vec<&Finding>> = HashMap::new();
    let mut not_checked: HashMap<(&str, &str), String> = HashMap::new();
    // Findings about no inventory host: per (rule, subject, object).
    let mut elsewhere: BTreeMap<(&str, &str, Option<&str>), Vec<&Finding>> = BTreeMap::new();
    let facts = checklist::SourceFacts::of(
        inv,
        ff.findings
            .iter()
            .filter(|f| f.waived.is_none() && place.host_of(f).is_none()),
    );
    for f in &ff.findings {
        // A file's missing data, one finding on the file: its hosts are not checked.
        if let Some(hosts) = facts.hosts(f) {
            for h in hosts {
                for r in &f.not_checked {
                    not_checked
                        .entry((h.name.as_str(), r.as_str()))
                        .or_insert_with(|| f.message.clone());
                }
            }
            continue;
        }
        let Some(host) = place.host_of(f) else {
            elsewhere
                .entry((f.rule.as_str(), f.subject.name(), f.subject.object()))
                .or_default()
                .push(f);
            continue;
        };
        if f.category == Category::Coverage && f.waived.is_none() {
            for r in checklist::not_checked_by(f, &rules) {
                not_checked
                    .entry((host, r))
                    .or_insert_with(|| f.message.clone());
            }
        }
        if rules.contains(&f.rule) {
            found.entry((host, f.rule.as_str())).or_default().push(f);
        } else if f.rule != rulemeta::CHECK_NOT_RUN {
            // Not a per-host check (a waiver of this host that expired): an estate case.
            elsewhere
                .entry((f.rule.as_str(), f.subject.name(), f.subject.object()))
                .or_default()
                .push(f);
        }
    }

    let mut groups: BTreeMap<Group, Suite<'a>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let mut hosts: Vec<_> = inv.hosts.iter().collect();
    hosts.sort_by(|a, b| a.name.cmp(&b.name));
    for h in hosts {
        // A host in two sources is one host of the report.
        if !seen.insert(h.name.as_str()) {
            continue;
        }
        let group = Group::of_host(h);
        let suite = groups.entry(group.clone()).or_insert_with(|| Suite {
            name: group.label(lang),
            cases: Vec::new(),
        });
        for r in &rules {
            let fs = found.get(&(h.name.as_str(), r.as_str()));
            let mut case = Case::of(fs.into_iter().flatten().copied(), fails);
            case.skipped = not_checked.get(&(h.name.as_str(), r.as_str())).cloned();
            suite.cases.push((h.name.clone(), case_name(r, lang), case));
        }
    }
    let mut out: Vec<Suite<'a>> = groups.into_values().collect();
    if !elsewhere.is_empty() {
        let mut estate = Suite {
            name: Group::Estate.label(lang),
            cases: Vec::new(),
        };
        for ((rule, subject, object), fs) in elsewhere {
            let case = Case::of(fs, fails);
            let name = match object {
                Some(o) => format!("{} — {o}", case_name(rule, lang)),
                None => case_name(rule, lang),
            };
            estate.cases.push((subject.to_string(), name, case));
        }
        out.push(estate);
    }
    out
}

/// One line per finding: `error vmk1: message`.
fn finding_lines(fs: &[&Finding], lang: Lang) -> String {
    let mut out = String::new();
    for f in fs {
        let sev = label(lang, sev_key(f.severity));
        let _ = match f.subject.object() {
            Some(o) => writeln!(out, "{sev} {o}: {}", f.message),
            None => writeln!(out, "{sev}: {}", f.message),
        };
        if let Some(w) = &f.waived {
            let _ = writeln!(out, "  {}: {}", label(lang, "waived"), w.reason);
        }
    }
    if let Some(f) = fs.first().filter(|f| !f.remediation.is_empty()) {
        let _ = writeln!(out, "{}: {}", label(lang, "remediation"), f.remediation);
    }
    out
}

fn sev_key(s: Severity) -> &'static str {
    match s {
        Severity::Error => "sev_error",
        Severity::Warning => "sev_warning",
        Severity::Info => "sev_info",
    }
}

fn write(
    w: &mut Writer<Vec<u8>>,
    suites: &[Suite<'_>],
    ff: &FindingsFile,
    lang: Lang,
) -> std::io::Result<()> {
    w.get_mut()
        .write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    let total = suites
        .iter()
        .fold(Counts::default(), |acc, s| acc.plus(s.counts()));
    head(
        w.create_element("testsuites"),
        "vmkaudit",
        total,
        &ff.generated_at,
    )
    .write_inner_content(|w| {
        for s in suites {
            head(
                w.create_element("testsuite"),
                &s.name,
                s.counts(),
                &ff.generated_at,
            )
            .write_inner_content(|w| {
                for (class, name, case) in &s.cases {
                    write_case(w, class, name, case, lang)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `el` (`<testsuites>` or a `<testsuite>`) with its name, counts and time.
fn head<'w>(
    el: ElementWriter<'w, Vec<u8>>,
    name: &str,
    c: Counts,
    time: &str,
) -> ElementWriter<'w, Vec<u8>> {
    el.with_attribute(("name", visible(name).as_ref()))
        .with_attribute(("tests", c.tests.to_string().as_str()))
        .with_attribute(("failures", c.failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", c.skipped.to_string().as_str()))
        .with_attribute(("timestamp", time))
}

fn write_case(
    w: &mut Writer<Vec<u8>>,
    class: &str,
    name: &str,
    case: &Case<'_>,
    lang: Lang,
) -> std::io::Result<()> {
    let el = w
        .create_element("testcase")
        .with_attribute(("classname", visible(class).as_ref()))
        .with_attribute(("name", visible(name).as_ref()));
    if case.failed.is_empty() && case.skipped.is_none() && case.noted.is_empty() {
        el.write_empty()?;
        return Ok(());
    }
    el.write_inner_content(|w| {
        if let Some(first) = case.failed.first() {
            let worst = case
                .failed
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(first.severity);
            let text = finding_lines(&case.failed, lang);
            w.create_element("failure")
                .with_attribute(("message", visible(&first.message).as_ref()))
                .with_attribute(("type", worst.as_str()))
                .write_text_content(BytesText::new(&visible(&text)))?;
        } else if let Some(why) = &case.skipped {
            w.create_element("skipped")
                .with_attribute(("message", visible(why).as_ref()))
                .write_empty()?;
        }
        if !case.noted.is_empty() {
            let text = finding_lines(&case.noted, lang);
            w.create_element("system-out")
                .write_text_content(BytesText::new(&visible(&text)))?;
        }
        Ok(())
    })?;
    Ok(())
}
