//! The view model: everything the templates show, computed once in Rust.
//!
//! Templates stay dumb: they loop and print. Labels come in the run's language (`t`), counts,
//! chart geometry, checklist cells and anchors are computed here, and every string is plain
//! text that the template engine escapes. Nothing here is HTML.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::checklist::{self, Checklist, SourceFacts};
use super::labels::{self, label};
use super::placement::{Group, Placement};
use super::rulemeta;
use crate::findings::{Finding, FindingsFile, Severity};
use crate::i18n::Lang;
use crate::model::{Host, Inventory, SourceKind, DEFAULT_NETSTACK};

/// How many clusters the summary chart draws (the table lists them all).
pub const CHART_CLUSTERS: usize = 12;

/// Findings rows in the table as the page loads; the rest wait, inert, in a `<template>` that
/// the page's script draws from (it shows at most this many matching rows at a time, too).
/// This keeps a page with 100,000 findings quick to open.
pub const TABLE_ROWS: usize = 1000;

/// At most this many hosts get a details block (the worst first), so that a systemic fault on
/// a 40,000-host estate still gives a page a browser opens; `vmks.csv` has every adapter.
pub const HOST_DETAILS_MAX: usize = 5000;

#[derive(Debug, Serialize)]
pub struct ReportView {
    pub lang: &'static str,
    pub t: BTreeMap<&'static str, &'static str>,
    pub title: String,
    pub generated_at: String,
    pub collected_at: Option<String>,
    pub rule_set: Option<String>,
    pub rules_enabled: usize,
    pub sources: Vec<SourceView>,
    pub verdict: Verdict,
    pub summary: SummaryView,
    pub severities: Vec<CountView>,
    pub categories: Vec<CountView>,
    /// One row per rule with unwaived findings, worst first: "what is wrong".
    pub by_rule: Vec<RuleRow>,
    pub clusters: Vec<ClusterRow>,
    pub chart: Chart,
    pub has_history: bool,
    pub previous_run: Option<String>,
    /// Configuration changes since the previous run (with a previous run).
    pub drift: Option<super::drift::DriftView>,
    /// Findings by severity over the kept runs (two runs or more).
    pub trend: Option<super::drift::TrendChart>,
    /// The first [`TABLE_ROWS`] findings (unwaived, in output order).
    pub findings: Vec<FindingRow>,
    /// The other findings.
    pub findings_deferred: Vec<FindingRow>,
    pub findings_count: usize,
    pub findings_deferred_count: usize,
    pub filter_clusters: Vec<OptionView>,
    pub filter_categories: Vec<OptionView>,
    pub not_checked: Vec<NotCheckedRow>,
    pub coverage_groups: Vec<CoverageGroup>,
    /// Waived and resolved findings, at most [`TABLE_ROWS`] of each listed.
    pub waived: Vec<FindingRow>,
    pub resolved: Vec<FindingRow>,
    pub waived_omitted: usize,
    pub resolved_omitted: usize,
    pub hosts: Vec<HostView>,
    /// Hosts with findings left without details ([`HOST_DETAILS_MAX`]).
    pub hosts_omitted: usize,
    pub checklist: Checklist,
}

#[derive(Debug, Serialize)]
pub struct SourceView {
    pub name: String,
    pub kind: &'static str,
    pub insecure: bool,
    pub product: Option<String>,
    pub collected_at: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Verdict {
    /// `bad` (errors), `warn` (warnings only) or `ok`.
    pub class: &'static str,
    pub text: &'static str,
}

impl Verdict {
    /// The verdict of a run with `errors` and `warnings` unwaived findings.
    pub fn of(errors: usize, warnings: usize, lang: Lang) -> Verdict {
        let (class, key) = if errors > 0 {
            ("bad", "verdict_bad")
        } else if warnings > 0 {
            ("warn", "verdict_warn")
        } else {
            ("ok", "verdict_ok")
        };
        Verdict {
            class,
            text: label(lang, key),
        }
    }
}

/// The sources of a run, for the header.
pub fn sources(ff: &FindingsFile, lang: Lang) -> Vec<SourceView> {
    ff.sources
        .iter()
        .map(|s| SourceView {
            name: s.name.clone(),
            kind: source_kind(lang, s.kind),
            insecure: s.insecure,
            product: s.product.clone(),
            collected_at: s.collected_at.as_deref().map(fmt_time),
            error: s.error.clone(),
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub struct SummaryView {
    pub hosts_checked: usize,
    pub hosts_with_findings: usize,
    pub vmks_checked: usize,
    pub not_connected: usize,
    pub findings: usize,
    pub waived: usize,
    pub new: usize,
    pub persisting: usize,
    pub resolved: usize,
}

#[derive(Debug, Serialize)]
pub struct CountView {
    pub key: &'static str,
    pub label: &'static str,
    pub count: usize,
    /// Share of the largest count, 0..=100 (for CSS bars).
    pub pct: u32,
}

#[derive(Debug, Serialize)]
pub struct RuleRow {
    pub rule: String,
    pub summary: Option<String>,
    pub sev: &'static str,
    pub sev_label: &'static str,
    pub findings: usize,
    pub hosts: usize,
}

#[derive(Debug, Serialize)]
pub struct ClusterRow {
    pub label: String,
    /// The estate-wide group: findings about no single host, so no host counts to show.
    pub estate: bool,
    pub hosts: usize,
    pub hosts_with_findings: usize,
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    pub total: usize,
}

#[derive(Debug, Serialize)]
pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub label_width: u32,
    pub bars: Vec<ChartBar>,
    /// Clusters with findings that the chart leaves out.
    pub more: usize,
}

#[derive(Debug, Serialize)]
pub struct ChartBar {
    pub y: u32,
    pub text_y: u32,
    pub label: String,
    pub full_label: String,
    pub segments: Vec<ChartSegment>,
    pub total: usize,
    pub total_x: u32,
}

#[derive(Debug, Serialize)]
pub struct ChartSegment {
    pub sev: &'static str,
    pub x: u32,
    pub width: u32,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct OptionView {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct Reference {
    pub text: String,
    /// Set only for `http(s)://` references.
    pub href: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FindingRow {
    pub sev: &'static str,
    pub sev_label: &'static str,
    pub rank: u8,
    pub rule: String,
    pub rule_summary: Option<String>,
    pub category: &'static str,
    pub cat_label: &'static str,
    pub host: String,
    /// `#id` of the host's details, when the host has them.
    pub host_anchor: Option<String>,
    pub cluster: String,
    /// The cluster filter value (the cluster name, `(standalone)` or `(estate)`).
    pub cluster_key: String,
    pub object: Option<String>,
    pub message: String,
    pub remediation: String,
    pub references: Vec<Reference>,
    pub status: Option<&'static str>,
    pub status_label: Option<&'static str>,
    pub waiver_reason: Option<String>,
    pub waiver_expires: Option<String>,
}

/// Checks that could not run, grouped by what was missing: one row per reason and host count
/// with the rules it stopped (a disconnected host stops every rule; one row says so).
#[derive(Debug, Serialize)]
pub struct NotCheckedRow {
    pub reason: String,
    pub hosts: usize,
    pub rules: Vec<String>,
}

/// Coverage findings (host not connected, check not run, source failed) grouped by what was
/// not checked, so 40,000 identical "no firewall data" findings make one line.
#[derive(Debug, Serialize)]
pub struct CoverageGroup {
    pub rule: String,
    pub rule_summary: Option<String>,
    pub object: Option<String>,
    pub not_checked: String,
    pub message: String,
    pub count: usize,
    pub hosts: Vec<String>,
    pub more_hosts: usize,
}

/// How many host names a coverage group lists before "and N more".
const COVERAGE_HOSTS_SHOWN: usize = 20;

#[derive(Debug, Serialize)]
pub struct HostView {
    pub anchor: String,
    pub name: String,
    pub cluster: String,
    pub datacenter: Option<String>,
    pub version: Option<String>,
    pub connection: Option<String>,
    /// The worst severity among the host's findings (serialized as `error`, `warning`, `info`).
    pub worst: Severity,
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    /// Rule IDs of the host's findings (shown on the collapsed line).
    pub host_rules: Vec<String>,
    /// Rules that could not check this host for data its file provides for no host (reported
    /// once for the file, so not among the host's findings).
    pub not_checked: Vec<String>,
    pub vmks: Vec<VmkRow>,
    pub stacks: Vec<StackRow>,
    pub switches: Vec<SwitchRow>,
    pub firewall: Option<FirewallView>,
}

#[derive(Debug, Serialize)]
pub struct VmkRow {
    pub device: String,
    pub flagged: bool,
    pub rules: Vec<String>,
    pub portgroup: Option<String>,
    pub switch: Option<String>,
    pub switch_kind: Option<&'static str>,
    pub vlan: Option<String>,
    pub ip_mask: Option<String>,
    pub dhcp: bool,
    pub gateway: Option<String>,
    pub mtu: Option<u32>,
    pub switch_mtu: Option<u32>,
    pub stack: Option<String>,
    pub services: String,
}

#[derive(Debug, Serialize)]
pub struct StackRow {
    pub key: String,
    pub gateway: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SwitchRow {
    pub name: String,
    pub kind: &'static str,
    pub mtu: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct FirewallView {
    pub incoming: &'static str,
    pub outgoing: &'static str,
    pub open_rulesets: usize,
}

/// RFC 3339 → `2026-05-04 10:30:00 +08:00`; anything else unchanged.
pub fn fmt_time(s: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => s.to_string(),
    }
}

pub fn title(opts_title: Option<&str>, lang: Lang) -> String {
    match opts_title {
        Some(t) if !t.trim().is_empty() => format!("{} — {t}", label(lang, "title_default")),
        _ => label(lang, "title_default").to_string(),
    }
}

pub fn source_kind(lang: Lang, k: SourceKind) -> &'static str {
    label(
        lang,
        match k {
            SourceKind::Vcenter => "kind_vcenter",
            SourceKind::Esxi => "kind_esxi",
            SourceKind::Inventory => "kind_inventory",
            SourceKind::Rvtools => "kind_rvtools",
            SourceKind::Powercli => "kind_powercli",
        },
    )
}

pub fn cluster_label(lang: Lang, cluster: Option<&str>) -> String {
    match cluster {
        Some(c) => c.to_string(),
        None => label(lang, "standalone").to_string(),
    }
}

fn rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 2,
        Severity::Warning => 1,
        Severity::Info => 0,
    }
}

/// One finding as a table row.
pub fn finding_row(
    f: &Finding,
    lang: Lang,
    anchors: &HashMap<&str, String>,
    place: &Placement,
) -> FindingRow {
    let group = place.group(f);
    FindingRow {
        sev: f.severity.as_str(),
        sev_label: labels::severity(lang, f.severity),
        rank: rank(f.severity),
        rule: f.rule.clone(),
        rule_summary: rulemeta::summary(&f.rule, lang),
        category: f.category.as_str(),
        cat_label: labels::category(lang, f.category),
        host: f.subject.name().to_string(),
        host_anchor: place.host_of(f).and_then(|h| anchors.get(h)).cloned(),
        cluster: group.label(lang),
        cluster_key: group.key(),
        object: f.subject.object().map(str::to_string),
        message: f.message.clone(),
        remediation: f.remediation.clone(),
        references: f
            .references
            .iter()
            .map(|r| Reference {
                text: r.clone(),
                href: (r.starts_with("https://") || r.starts_with("http://")).then(|| r.clone()),
            })
            .collect(),
        status: f.status.map(|s| match s {
            crate::findings::Status::New => "new",
            crate::findings::Status::Persisting => "persisting",
        }),
        status_label: f.status.map(|s| labels::status(lang, s)),
        waiver_reason: f.waived.as_ref().map(|w| w.reason.clone()),
        waiver_expires: f.waived.as_ref().and_then(|w| w.expires.clone()),
    }
}

fn pct(n: usize, max: usize) -> u32 {
    if max == 0 {
        0
    } else {
        ((n * 100).div_ceil(max)) as u32
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Build the whole report view.
pub fn build(
    inv: &Inventory,
    ff: &FindingsFile,
    lang: Lang,
    title_opt: Option<&str>,
) -> ReportView {
    let active: Vec<&Finding> = ff.findings.iter().filter(|f| f.waived.is_none()).collect();
    let place = Placement::of(inv);
    let facts = SourceFacts::of(inv, active.iter().copied());

    // Hosts with unwaived findings get details; index them by name (first host of a name).
    let mut host_index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in inv.hosts.iter().enumerate() {
        host_index.entry(h.name.as_str()).or_insert(i);
    }
    let mut per_host: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    for f in &active {
        if let Some(&i) = place.host_of(f).and_then(|h| host_index.get(h)) {
            per_host.entry(i).or_default().push(f);
        }
    }
    let mut hosts = per_host
        .iter()
        .map(|(&i, fs)| host_view(&inv.hosts[i], i, fs, &facts, lang))
        .collect::<Vec<_>>();
    hosts.sort_by(|a, b| {
        b.worst
            .cmp(&a.worst)
            .then_with(|| (b.error, b.warning).cmp(&(a.error, a.warning)))
            .then_with(|| a.cluster.cmp(&b.cluster))
            .then_with(|| a.name.cmp(&b.name))
    });
    let hosts_omitted = hosts.len().saturating_sub(HOST_DETAILS_MAX);
    hosts.truncate(HOST_DETAILS_MAX);
    // Links from the findings table to the details that exist.
    let anchors: HashMap<&str, String> = hosts
        .iter()
        .map(|h| (h.name.as_str(), h.anchor.clone()))
        .collect();

    let mut findings: Vec<FindingRow> = active
        .iter()
        .map(|f| finding_row(f, lang, &anchors, &place))
        .collect();

    let count_sev = |s: Severity| active.iter().filter(|f| f.severity == s).count();
    let (errors, warnings) = (count_sev(Severity::Error), count_sev(Severity::Warning));
    let verdict = Verdict::of(errors, warnings, lang);

    let sev_counts: Vec<(Severity, usize)> =
        Severity::ALL.iter().map(|&s| (s, count_sev(s))).collect();
    let max_sev = sev_counts.iter().map(|c| c.1).max().unwrap_or(0);
    let severities = sev_counts
        .iter()
        .map(|&(s, n)| CountView {
            key: s.as_str(),
            label: labels::severity(lang, s),
            count: n,
            pct: pct(n, max_sev),
        })
        .collect();
    let cat_counts: Vec<_> = crate::findings::Category::ALL
        .iter()
        .map(|&c| (c, active.iter().filter(|f| f.category == c).count()))
        .collect();
    let max_cat = cat_counts.iter().map(|c| c.1).max().unwrap_or(0);
    let categories = cat_counts
        .iter()
        .map(|&(c, n)| CountView {
            key: c.as_str(),
            label: labels::category(lang, c),
            count: n,
            pct: pct(n, max_cat),
        })
        .collect();

    let clusters = cluster_rows(inv, &active, &place, lang);
    let by_rule = rule_rows(&active, &facts, lang);
    let chart = chart(&clusters);

    let filter_clusters = active
        .iter()
        .map(|f| place.group(f))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|g| OptionView {
            value: g.key(),
            label: g.label(lang),
        })
        .collect();
    let filter_categories = crate::findings::Category::ALL
        .iter()
        .filter(|c| active.iter().any(|f| f.category == **c))
        .map(|c| OptionView {
            value: c.as_str().into(),
            label: labels::category(lang, *c).into(),
        })
        .collect();

    let mut nc: BTreeMap<(crate::findings::Reason, usize), Vec<String>> = BTreeMap::new();
    for n in &ff.summary.not_checked {
        nc.entry((n.reason, n.hosts))
            .or_default()
            .push(n.rule.clone());
    }
    let not_checked = nc
        .into_iter()
        .map(|((reason, hosts), rules)| NotCheckedRow {
            reason: rulemeta::reason(reason, lang),
            hosts,
            rules,
        })
        .collect();

    let no_anchors = HashMap::new();
    let has_history = ff.previous_run.is_some();
    let count_status = |s| active.iter().filter(|f| f.status == Some(s)).count();
    ReportView {
        lang: lang.code(),
        t: labels::table(lang),
        title: title(title_opt, lang),
        generated_at: fmt_time(&ff.generated_at),
        collected_at: inv.collected_at.as_deref().map(fmt_time),
        rule_set: ff.rule_set.clone(),
        rules_enabled: ff.checked_rules.len(),
        sources: sources(ff, lang),
        verdict,
        summary: SummaryView {
            hosts_checked: ff.summary.hosts_checked,
            hosts_with_findings: hosts_with_findings(ff, &place),
            vmks_checked: ff.summary.vmks_checked,
            not_connected: inv.hosts.iter().filter(|h| !h.is_connected()).count(),
            findings: active.len(),
            waived: ff.findings.len() - active.len(),
            new: count_status(crate::findings::Status::New),
            persisting: count_status(crate::findings::Status::Persisting),
            resolved: ff.resolved.len(),
        },
        severities,
        categories,
        by_rule,
        clusters,
        chart,
        has_history,
        previous_run: ff.previous_run.as_deref().map(fmt_time),
        drift: super::drift::view(ff, lang, TABLE_ROWS),
        trend: super::drift::trend_chart(&ff.trend, lang),
        findings_count: findings.len().min(TABLE_ROWS),
        findings_deferred_count: findings.len().saturating_sub(TABLE_ROWS),
        findings_deferred: findings.split_off(findings.len().min(TABLE_ROWS)),
        findings,
        filter_clusters,
        filter_categories,
        not_checked,
        coverage_groups: coverage_groups(&active, &facts, lang),
        waived: ff
            .findings
            .iter()
            .filter(|f| f.waived.is_some())
            .take(TABLE_ROWS)
            .map(|f| finding_row(f, lang, &anchors, &place))
            .collect(),
        resolved: ff
            .resolved
            .iter()
            .take(TABLE_ROWS)
            .map(|f| finding_row(f, lang, &no_anchors, &place))
            .collect(),
        waived_omitted: (ff.findings.len() - active.len()).saturating_sub(TABLE_ROWS),
        resolved_omitted: ff.resolved.len().saturating_sub(TABLE_ROWS),
        hosts,
        hosts_omitted,
        checklist: checklist::build(inv, ff, lang),
    }
}

/// Inventory hosts with unwaived findings. A finding about a source that could not be collected
/// or an expired waiver's host glob names no host, so those are left out of the count.
pub fn hosts_with_findings(ff: &FindingsFile, place: &Placement) -> usize {
    ff.findings
        .iter()
        .filter(|f| f.waived.is_none())
        .filter_map(|f| place.host_of(f))
        .collect::<BTreeSet<_>>()
        .len()
}

/// One row per group (cluster, standalone hosts, the estate as a whole) that has hosts or
/// findings, worst first (by errors, then warnings). Only inventory hosts count as hosts with
/// findings, each in its own group.
fn cluster_rows(
    inv: &Inventory,
    active: &[&Finding],
    place: &Placement,
    lang: Lang,
) -> Vec<ClusterRow> {
    #[derive(Default)]
    struct Acc {
        hosts: usize,
        hosts_with: BTreeSet<String>,
        counts: [usize; 3],
    }
    let mut acc: BTreeMap<Group, Acc> = BTreeMap::new();
    for h in &inv.hosts {
        acc.entry(Group::of_host(h)).or_default().hosts += 1;
    }
    for f in active {
        let a = acc.entry(place.group(f)).or_default();
        if let Some(host) = place.host_of(f) {
            a.hosts_with.insert(host.to_string());
        }
        a.counts[rank(f.severity) as usize] += 1;
    }
    let mut rows: Vec<ClusterRow> = acc
        .into_iter()
        .map(|(g, a)| ClusterRow {
            estate: g == Group::Estate,
            label: g.label(lang),
            hosts: a.hosts,
            hosts_with_findings: a.hosts_with.len(),
            error: a.counts[2],
            warning: a.counts[1],
            info: a.counts[0],
            total: a.counts.iter().sum(),
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.error, b.warning, b.info)
            .cmp(&(a.error, a.warning, a.info))
            .then_with(|| a.label.cmp(&b.label))
    });
    rows
}

/// Findings per rule (with the worst severity a finding of it has), worst and most frequent first.
fn rule_rows(active: &[&Finding], facts: &SourceFacts<'_>, lang: Lang) -> Vec<RuleRow> {
    let mut acc: BTreeMap<&str, (Severity, usize, BTreeSet<&str>)> = BTreeMap::new();
    for f in active {
        let e = acc
            .entry(f.rule.as_str())
            .or_insert((f.severity, 0, BTreeSet::new()));
        e.0 = e.0.max(f.severity);
        e.1 += 1;
        match facts.hosts(f) {
            Some(hosts) => e.2.extend(hosts.iter().map(|h| h.name.as_str())),
            None => {
                e.2.insert(f.subject.name());
            }
        }
    }
    let mut rows: Vec<(Severity, usize, &str, usize)> = acc
        .into_iter()
        .map(|(rule, (sev, n, hosts))| (sev, n, rule, hosts.len()))
        .collect();
    rows.sort_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)).then_with(|| a.2.cmp(b.2)));
    rows.into_iter()
        .map(|(sev, findings, rule, hosts)| RuleRow {
            rule: rule.to_string(),
            summary: rulemeta::summary(rule, lang),
            sev: sev.as_str(),
            sev_label: labels::severity(lang, sev),
            findings,
            hosts,
        })
        .collect()
}

/// A horizontal stacked bar per cluster (errors, warnings, info), worst clusters first.
fn chart(clusters: &[ClusterRow]) -> Chart {
    const WIDTH: u32 = 720;
    const LABEL: u32 = 190;
    const BAR_AREA: u32 = WIDTH - LABEL - 60;
    const ROW: u32 = 26;
    let with: Vec<&ClusterRow> = clusters.iter().filter(|c| c.total > 0).collect();
    let shown = &with[..with.len().min(CHART_CLUSTERS)];
    let max = shown.iter().map(|c| c.total).max().unwrap_or(0).max(1);
    let bars = shown
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let y = i as u32 * ROW + 4;
            let mut x = LABEL;
            let mut segments = Vec::new();
            for (sev, n) in [("error", c.error), ("warning", c.warning), ("info", c.info)] {
                if n == 0 {
                    continue;
                }
                let w = ((n as u64 * BAR_AREA as u64) / max as u64).max(2) as u32;
                segments.push(ChartSegment {
                    sev,
                    x,
                    width: w,
                    count: n,
                });
                x += w;
            }
            ChartBar {
                y,
                text_y: y + 14,
                label: truncate(&c.label, 26),
                full_label: c.label.clone(),
                segments,
                total: c.total,
                total_x: x + 6,
            }
        })
        .collect::<Vec<_>>();
    Chart {
        width: WIDTH,
        height: (bars.len() as u32 * ROW).max(ROW) + 4,
        label_width: LABEL - 8,
        bars,
        more: with.len() - shown.len(),
    }
}

fn coverage_groups(active: &[&Finding], facts: &SourceFacts<'_>, lang: Lang) -> Vec<CoverageGroup> {
    // (rule, object, rules not checked) → (first message, hosts)
    type Key = (String, Option<String>, String);
    let mut groups: BTreeMap<Key, (String, Vec<String>)> = BTreeMap::new();
    for f in active
        .iter()
        .filter(|f| f.category == crate::findings::Category::Coverage)
    {
        let key = (
            f.rule.clone(),
            f.subject.object().map(str::to_string),
            f.not_checked.join(", "),
        );
        let g = groups
            .entry(key)
            .or_insert_with(|| (f.message.clone(), Vec::new()));
        // A file's missing data counts the file's hosts it is about.
        match facts.hosts(f) {
            Some(hosts) => g.1.extend(hosts.iter().map(|h| h.name.clone())),
            None => g.1.push(f.subject.name().to_string()),
        }
    }
    groups
        .into_iter()
        .map(|((rule, object, not_checked), (message, mut hosts))| {
            hosts.sort();
            hosts.dedup();
            let count = hosts.len();
            let more_hosts = count.saturating_sub(COVERAGE_HOSTS_SHOWN);
            hosts.truncate(COVERAGE_HOSTS_SHOWN);
            CoverageGroup {
                rule_summary: rulemeta::summary(&rule, lang),
                rule,
                object,
                not_checked,
                message,
                count,
                hosts,
                more_hosts,
            }
        })
        .collect()
}

/// The rules the COV002 findings on a file say could not check `h`, in order, once each.
fn rules_not_checked_on(facts: &SourceFacts<'_>, h: &Host) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for fact in facts.about(h) {
        for r in &fact.finding.not_checked {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
    }
    out
}

fn host_view(
    h: &Host,
    index: usize,
    fs: &[&Finding],
    facts: &SourceFacts<'_>,
    lang: Lang,
) -> HostView {
    let count = |s: Severity| fs.iter().filter(|f| f.severity == s).count();
    let worst = fs
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    let mut host_rules: Vec<String> = fs.iter().map(|f| f.rule.clone()).collect();
    host_rules.sort();
    host_rules.dedup();
    let vmks = h
        .vmks
        .iter()
        .map(|v| {
            let mut rules: Vec<String> = fs
                .iter()
                .filter(|f| f.subject.object() == Some(v.device.as_str()))
                .map(|f| f.rule.clone())
                .collect();
            rules.sort();
            rules.dedup();
            let gateway = match (&v.gateway, &v.netstack) {
                (Some(g), _) => Some(g.clone()),
                (None, stack) => h
                    .netstack(stack.as_deref().unwrap_or(DEFAULT_NETSTACK))
                    .and_then(|n| n.gateway.clone())
                    .map(|g| format!("{g} ({})", label(lang, "via_stack"))),
            };
            VmkRow {
                device: v.device.clone(),
                flagged: !rules.is_empty(),
                rules,
                portgroup: v.portgroup.clone(),
                switch: v.switch.clone(),
                switch_kind: v.switch_kind.map(|k| switch_kind(lang, k)),
                vlan: v.vlan.as_ref().map(|v| v.to_string()),
                ip_mask: ip_mask(v.ipv4.as_deref(), v.netmask.as_deref()),
                dhcp: v.dhcp == Some(true),
                gateway,
                mtu: v.mtu,
                switch_mtu: v
                    .switch
                    .as_deref()
                    .and_then(|s| h.switch(s))
                    .and_then(|s| s.mtu),
                stack: v.netstack.clone(),
                services: v
                    .services
                    .as_ref()
                    .map(|s| s.join(", "))
                    .unwrap_or_default(),
            }
        })
        .collect();
    HostView {
        anchor: format!("host-{index}"),
        name: h.name.clone(),
        cluster: cluster_label(lang, h.cluster.as_deref()),
        datacenter: h.datacenter.clone(),
        version: match (&h.version, &h.build) {
            (Some(v), Some(b)) => Some(format!("{v} ({b})")),
            (Some(v), None) => Some(v.clone()),
            (None, b) => b.clone(),
        },
        connection: h
            .connection_state
            .as_deref()
            .map(|c| connection_state(lang, c)),
        worst,
        error: count(Severity::Error),
        warning: count(Severity::Warning),
        info: count(Severity::Info),
        host_rules,
        not_checked: rules_not_checked_on(facts, h),
        vmks,
        stacks: h
            .netstacks
            .iter()
            .flatten()
            .map(|n| StackRow {
                key: n.key.clone(),
                gateway: n.gateway.clone(),
            })
            .collect(),
        switches: h
            .switches
            .iter()
            .flatten()
            .map(|s| SwitchRow {
                name: s.name.clone(),
                kind: switch_kind(lang, s.kind),
                mtu: s.mtu,
            })
            .collect(),
        firewall: h.firewall.as_ref().map(|fw| FirewallView {
            incoming: label(
                lang,
                if fw.incoming_blocked {
                    "blocked"
                } else {
                    "allowed"
                },
            ),
            outgoing: label(
                lang,
                if fw.outgoing_blocked {
                    "blocked"
                } else {
                    "allowed"
                },
            ),
            open_rulesets: fw.rulesets.iter().filter(|r| r.enabled && r.all_ip).count(),
        }),
    }
}

/// vSphere's `runtime.connectionState` in words; an unknown state as-is.
pub fn connection_state(lang: Lang, state: &str) -> String {
    let key = match state {
        "connected" => "state_connected",
        "disconnected" => "state_disconnected",
        "notResponding" => "state_not_responding",
        other => return other.to_string(),
    };
    label(lang, key).to_string()
}

pub fn switch_kind(lang: Lang, k: crate::model::SwitchKind) -> &'static str {
    label(
        lang,
        match k {
            crate::model::SwitchKind::Standard => "kind_standard",
            crate::model::SwitchKind::Distributed => "kind_distributed",
            crate::model::SwitchKind::Nsx => "kind_nsx",
        },
    )
}

/// `10.0.0.5/24` when the mask is valid, `10.0.0.5 / 255.0.255.0` when it is not.
pub fn ip_mask(ip: Option<&str>, mask: Option<&str>) -> Option<String> {
    match (ip, mask) {
        (Some(ip), Some(m)) => {
            let prefix = m
                .trim()
                .parse::<std::net::Ipv4Addr>()
                .ok()
                .and_then(|m| ipnet::ipv4_mask_to_prefix(m).ok());
            Some(match prefix {
                Some(p) => format!("{ip}/{p}"),
                None => format!("{ip} / {m}"),
            })
        }
        (Some(ip), None) => Some(ip.to_string()),
        (None, Some(m)) => Some(format!("/ {m}")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_mask_shows_prefix_or_raw_mask() {
        assert_eq!(
            ip_mask(Some("10.0.0.5"), Some("255.255.255.0")).unwrap(),
            "10.0.0.5/24"
        );
        assert_eq!(
            ip_mask(Some("10.0.0.5"), Some("255.0.255.0")).unwrap(),
            "10.0.0.5 / 255.0.255.0"
        );
        assert_eq!(ip_mask(None, None), None);
    }

    #[test]
    fn time_is_formatted_when_rfc3339() {
        assert_eq!(
            fmt_time("2026-05-04T10:30:00+08:00"),
            "2026-05-04 10:30:00 +08:00"
        );
        assert_eq!(fmt_time("yesterday"), "yesterday");
    }

    #[test]
    fn chart_keeps_worst_clusters_and_counts_the_rest() {
        let rows: Vec<ClusterRow> = (0..20)
            .map(|i| ClusterRow {
                estate: false,
                label: format!("c{i:02}"),
                hosts: 4,
                hosts_with_findings: 1,
                error: 20 - i,
                warning: 1,
                info: 0,
                total: 21 - i,
            })
            .collect();
        let c = chart(&rows);
        assert_eq!(c.bars.len(), CHART_CLUSTERS);
        assert_eq!(c.more, 20 - CHART_CLUSTERS);
        // The largest bar fills the bar area; every segment is visible.
        let first = &c.bars[0];
        assert!(first.segments.iter().all(|s| s.width >= 2));
        assert!(first.total_x <= c.width);
    }
}
