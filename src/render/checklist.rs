//! The pre-upgrade checklist: for each cluster (and the standalone hosts), every rule of the run
//! as PASS, FAIL (with the number of findings) or NOT CHECKED.
//!
//! The items are the rules enabled in the run ([`FindingsFile::checked_rules`]). A rule FAILs in
//! a group when an unwaived finding of it is on a host of the group; otherwise it is NOT CHECKED
//! when a coverage finding says it could not run on some host of the group (a disconnected host
//! counts as not checked for every rule); otherwise it PASSes. A waived finding does not fail
//! the item but is counted beside PASS. A file's missing data, one finding on the file, leaves
//! its rules not checked in every group with hosts from that file. A finding is in the group [`super::placement`] gives it:
//! findings about something that is not an inventory host (a failed source, an expired waiver)
//! go to an "estate" group, shown only when it has any. In a group with no inventory host (the
//! estate, or the cluster of a finding whose host is not in the inventory) an item that does not
//! fail is not applicable.
//! Rendered as a section of report.html and as `checklist.txt`, fit to paste into a change
//! ticket.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rustc_hash::{FxHashMap, FxHashSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::labels::label;
use super::placement::{Group as Place, Placement};
use super::rulemeta;
use crate::findings::{Category, Finding, FindingsFile, Subject};
use crate::i18n::Lang;
use crate::model::{Host, Inventory};
use crate::rules::Data;

#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub rules: Vec<RuleHead>,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleHead {
    pub id: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub label: String,
    pub hosts: usize,
    /// How many items fail.
    pub failed: usize,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub rule: String,
    /// `pass`, `fail`, `nc` (not checked) or `na` (estate group: not applicable).
    pub state: &'static str,
    /// Short text for the matrix: `✓`, `✗ 3`, `?`, `–`.
    pub mark: String,
    /// Full text: `FAIL (3)`, `NOT CHECKED (2/10 hosts)`, `PASS (1 waived)`.
    pub text: String,
}

#[derive(Default)]
struct Tally<'a> {
    fails: usize,
    waived: usize,
    /// The hosts (or other subjects) it could not run on, by name...
    not_checked: FxHashSet<&'a str>,
    /// ... and how many others a file's missing data kept it from checking.
    file_hosts: usize,
}

impl Tally<'_> {
    /// How many hosts (or other subjects) it could not run on.
    fn not_checked(&self) -> usize {
        self.not_checked.len() + self.file_hosts
    }
}

/// The checklist items: the enabled rules in run order, without the "check not run" rule (its
/// content is the NOT CHECKED state). When the findings file records no rule list, the rules
/// seen in its findings and not-checked list.
pub fn items(ff: &FindingsFile) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let listed: Vec<String> = if ff.checked_rules.is_empty() {
        let mut all: BTreeSet<String> = ff.findings.iter().map(|f| f.rule.clone()).collect();
        all.extend(ff.summary.not_checked.iter().map(|n| n.rule.clone()));
        all.into_iter().collect()
    } else {
        ff.checked_rules.clone()
    };
    for r in listed {
        if r != rulemeta::CHECK_NOT_RUN && seen.insert(r.clone()) {
            out.push(r);
        }
    }
    out
}

/// Compute the checklist of a run.
pub fn build(inv: &Inventory, ff: &FindingsFile, lang: Lang) -> Checklist {
    let rules = items(ff);
    let place = Placement::of(inv);
    let mut per_cluster: FxHashMap<Option<&str>, usize> = FxHashMap::default();
    for h in &inv.hosts {
        *per_cluster.entry(h.cluster.as_deref()).or_default() += 1;
    }
    let mut group_hosts: BTreeMap<Place, usize> = per_cluster
        .into_iter()
        .map(|(cluster, n)| (Place::of_cluster(cluster), n))
        .collect();

    // A file's missing data is one finding on the file: its hosts are not checked. Counted
    // per host (each host once per rule, whatever number of the file's findings name it) in
    // one pass over the hosts: per cluster, a count per rule.
    let facts = SourceFacts::of(
        inv,
        ff.findings
            .iter()
            .filter(|f| f.waived.is_none() && place.host_of(f).is_none()),
    );
    let rule_index: FxHashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    let fact_rules: Vec<Vec<usize>> = facts
        .iter()
        .map(|fact| {
            let rules = fact.finding.not_checked.iter();
            rules
                .filter_map(|r| rule_index.get(r.as_str()).copied())
                .collect()
        })
        .collect();
    let mut file_counts: FxHashMap<Option<&str>, Vec<usize>> = FxHashMap::default();
    let mut host_by_name: FxHashMap<&str, &Host> = FxHashMap::default();
    if !fact_rules.is_empty() {
        let mut union: Vec<usize> = Vec::new();
        for h in &inv.hosts {
            host_by_name.entry(h.name.as_str()).or_insert(h);
            union.clear();
            for i in facts.about_indexes(h) {
                for &r in &fact_rules[i] {
                    if !union.contains(&r) {
                        union.push(r);
                    }
                }
            }
            if union.is_empty() {
                continue;
            }
            let counts = file_counts
                .entry(h.cluster.as_deref())
                .or_insert_with(|| vec![0; rules.len()]);
            for &r in &union {
                counts[r] += 1;
            }
        }
    }
    // Whether host `name` was counted above for rule `r` (index): a coverage finding on it
    // for that rule is not counted again.
    let counted = |name: &str, r: usize| {
        host_by_name
            .get(name)
            .is_some_and(|h| facts.about_indexes(h).any(|i| fact_rules[i].contains(&r)))
    };
    let mut tallies: BTreeMap<(Place, &str), Tally> = BTreeMap::new();
    for (cluster, counts) in file_counts {
        for (r, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
            tallies
                .entry((Place::of_cluster(cluster), rules[r].as_str()))
                .or_default()
                .file_hosts += n;
        }
    }
    for f in ff.findings.iter().filter(|f| facts.get(f).is_none()) {
        let key = place.group(f);
        // A group without inventory hosts (the estate, an unknown cluster) is shown when it
        // has a finding.
        group_hosts.entry(key.clone()).or_default();
        // Coverage findings say which rules could not run here (none listed on a
        // disconnected host: nothing ran).
        if f.category == Category::Coverage && f.waived.is_none() {
            for r in not_checked_by(f, &rules) {
                if counted(f.subject.name(), rule_index[r]) {
                    continue;
                }
                tallies
                    .entry((key.clone(), r))
                    .or_default()
                    .not_checked
                    .insert(f.subject.name());
            }
        }
        if let Some(r) = rules.iter().find(|x| **x == f.rule) {
            let t = tallies.entry((key.clone(), r.as_str())).or_default();
            if f.waived.is_some() {
                t.waived += 1;
            } else {
                t.fails += 1;
            }
        }
    }
    let empty = Tally::default();
    let groups = group_hosts
        .iter()
        .map(|(key, &hosts)| {
            let cells: Vec<Cell> = rules
                .iter()
                .map(|r| {
                    let t = tallies.get(&(key.clone(), r.as_str())).unwrap_or(&empty);
                    cell(r, t, hosts, lang)
                })
                .collect();
            Group {
                label: key.label(lang),
                hosts,
                failed: cells.iter().filter(|c| c.state == "fail").count(),
                cells,
            }
        })
        .collect();
    Checklist {
        rules: rules
            .iter()
            .map(|r| RuleHead {
                id: r.clone(),
                summary: rulemeta::checklist_item(r, lang).unwrap_or_default(),
            })
            .collect(),
        groups,
    }
}

/// The rules among `rules` that coverage finding `f` says could not run on its host: those it
/// lists, or, for a host that is not connected (it lists none: nothing ran), every rule about
/// the host's configuration; the coverage rules themselves (connected, sources, waivers) were
/// still checked.
pub fn not_checked_by<'r>(f: &Finding, rules: &'r [String]) -> Vec<&'r str> {
    let everything = f.not_checked.is_empty() && f.rule == rulemeta::HOST_NOT_CONNECTED;
    rules
        .iter()
        .map(String::as_str)
        .filter(|r| {
            if everything {
                !rulemeta::is_coverage(r)
            } else {
                f.not_checked.iter().any(|n| n == r)
            }
        })
        .collect()
}

/// The COV002 findings on a source rather than a host (data an imported file provides for
/// none of its hosts, see [`crate::evaluate`]), each with the kind of data and the hosts it is
/// about: the connected hosts of that source that lack the data. The report and the checklist
/// count and list those hosts, not the file. Worked out in one pass over the hosts, however
/// many such findings there are.
pub struct SourceFacts<'a> {
    facts: Vec<SourceFact<'a>>,
    /// Each fact's index, by the address of its finding.
    index: HashMap<*const Finding, usize>,
    /// The facts of each source, by its name.
    by_source: HashMap<&'a str, Vec<usize>>,
}

/// One finding of [`SourceFacts`].
pub struct SourceFact<'a> {
    pub finding: &'a Finding,
    pub data: Data,
    pub hosts: Vec<&'a Host>,
}

impl<'a> SourceFacts<'a> {
    /// The facts among `findings` (any other finding is left out).
    pub fn of(inv: &'a Inventory, findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut facts = SourceFacts {
            facts: Vec::new(),
            index: HashMap::new(),
            by_source: HashMap::new(),
        };
        for f in findings {
            let Subject::Source { source, .. } = &f.subject else {
                continue;
            };
            if f.rule != rulemeta::CHECK_NOT_RUN || !inv.sources.iter().any(|s| &s.name == source) {
                continue;
            }
            let Some(data) = Data::ALL
                .into_iter()
                .find(|d| Some(d.as_str()) == f.subject.object())
            else {
                continue;
            };
            let i = facts.facts.len();
            facts.facts.push(SourceFact {
                finding: f,
                data,
                hosts: Vec::new(),
            });
            facts.index.insert(std::ptr::from_ref(f), i);
            facts.by_source.entry(source.as_str()).or_default().push(i);
        }
        if !facts.facts.is_empty() {
            for h in inv.hosts.iter().filter(|h| h.is_connected()) {
                let Some(of_source) = h.source.as_deref().and_then(|s| facts.by_source.get(s))
                else {
                    continue;
                };
                for &i in of_source {
                    let fact = &mut facts.facts[i];
                    if fact.data.lacks(h) {
                        fact.hosts.push(h);
                    }
                }
            }
        }
        facts
    }

    /// The indexes (in [`SourceFacts::iter`]'s order) of the facts about host `h`.
    pub fn about_indexes<'s>(&'s self, h: &'s Host) -> impl Iterator<Item = usize> + 's {
        let connected = h.is_connected();
        self.of_source(h)
            .iter()
            .copied()
            .filter(move |&i| connected && self.facts[i].data.lacks(h))
    }

    /// The indexes of the facts on the source of `h`.
    fn of_source(&self, h: &Host) -> &[usize] {
        h.source
            .as_deref()
            .and_then(|s| self.by_source.get(s))
            .map_or(&[], Vec::as_slice)
    }

    /// The kind of data and the hosts `f` is about, when it is such a finding.
    pub fn get(&self, f: &Finding) -> Option<&SourceFact<'a>> {
        self.index
            .get(&std::ptr::from_ref(f))
            .map(|&i| &self.facts[i])
    }

    /// The facts, in the order of their findings.
    pub fn iter(&self) -> impl Iterator<Item = &SourceFact<'a>> {
        self.facts.iter()
    }

    /// The hosts `f` is about, when it is such a finding.
    pub fn hosts(&self, f: &Finding) -> Option<&[&'a Host]> {
        self.get(f).map(|fact| fact.hosts.as_slice())
    }

    /// The facts about host `h`, in the order of their findings.
    pub fn about<'s>(&'s self, h: &'s Host) -> impl Iterator<Item = &'s SourceFact<'a>> {
        self.about_indexes(h).map(|i| &self.facts[i])
    }
}

/// The cell of `rule` in a group of `hosts` inventory hosts.
fn cell(rule: &str, t: &Tally, hosts: usize, lang: Lang) -> Cell {
    let waived = if t.waived > 0 {
        format!(" ({} {})", t.waived, label(lang, "waived_suffix"))
    } else {
        String::new()
    };
    let (state, mark, text) = if t.fails > 0 {
        (
            "fail",
            format!("✗ {}", t.fails),
            format!("{} ({}){waived}", label(lang, "fail"), t.fails),
        )
    } else if hosts == 0 {
        ("na", "–".to_string(), "–".to_string())
    } else if t.not_checked() > 0 {
        (
            "nc",
            "?".to_string(),
            format!(
                "{} ({}/{} {})",
                label(lang, "not_checked_status"),
                t.not_checked(),
                hosts,
                label(lang, "hosts_suffix")
            ),
        )
    } else {
        (
            "pass",
            "✓".to_string(),
            format!("{}{waived}", label(lang, "pass")),
        )
    };
    Cell {
        rule: rule.to_string(),
        state,
        mark,
        text,
    }
}

/// Display width of `s` in a fixed-width font (CJK characters take two columns).
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if ('\u{1100}'..='\u{115f}').contains(&c)
                || ('\u{2e80}'..='\u{a4cf}').contains(&c)
                || ('\u{ac00}'..='\u{d7a3}').contains(&c)
                || ('\u{f900}'..='\u{faff}').contains(&c)
                || ('\u{fe30}'..='\u{fe4f}').contains(&c)
                || ('\u{ff00}'..='\u{ff60}').contains(&c)
                || ('\u{ffe0}'..='\u{ffe6}').contains(&c)
            {
                2
            } else {
                1
            }
        })
        .sum()
}

fn pad(s: &str, to: usize) -> String {
    let mut out = s.to_string();
    for _ in width(s)..to {
        out.push(' ');
    }
    out
}

/// The checklist as plain text: a header, then one block per group with one line per item.
pub fn to_text(c: &Checklist, ff: &FindingsFile, title: &str, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {title}", label(lang, "checklist"));
    let _ = writeln!(
        out,
        "{}: {}",
        label(lang, "generated"),
        super::view::fmt_time(&ff.generated_at)
    );
    if let Some(rs) = &ff.rule_set {
        let _ = writeln!(out, "{}: {rs}", label(lang, "rule_set"));
    }
    if c.groups.is_empty() || c.rules.is_empty() {
        let _ = writeln!(out, "\n{}", label(lang, "no_findings"));
        return out;
    }
    let status_w = c
        .groups
        .iter()
        .flat_map(|g| g.cells.iter().map(|x| width(&x.text)))
        .max()
        .unwrap_or(0);
    let id_w = c.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for g in &c.groups {
        let _ = writeln!(out);
        let head = if g.hosts > 0 {
            format!("{} ({} {})", g.label, g.hosts, label(lang, "hosts_suffix"))
        } else {
            g.label.clone()
        };
        let _ = writeln!(out, "== {}: {head}", label(lang, "cluster"));
        for (cell, rule) in g.cells.iter().zip(&c.rules) {
            if cell.state == "na" {
                continue;
            }
            let line = format!(
                "  [{}]  {}  {}",
                pad(&cell.text, status_w),
                pad(&rule.id, id_w),
                rule.summary
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_counts_double_width() {
        assert_eq!(width("PASS"), 4);
        assert_eq!(width("未通过 (3)"), 10);
        assert_eq!(pad("通过", 6), "通过  ");
    }

    /// A finding of a host that is not in the inventory, whose cluster is not either (a
    /// findings file read with another inventory): the checklist, the findings table and the
    /// per-cluster rows put it in the same group, the one [`super::placement`] says.
    #[test]
    fn checklist_and_view_place_a_finding_of_an_unknown_cluster_alike() {
        use crate::findings::{testing, Severity, Subject};
        use crate::model::Host;
        let mut inv = Inventory::new();
        let mut h = Host::named("esx1");
        h.cluster = Some("CL1".into());
        inv.hosts.push(h);
        let mut gone = testing::finding("GW001", "gone", None, Severity::Error);
        gone.subject = Subject::host("gone", Some("CL9"), None);
        let mut known = testing::finding("MTU001", "esx1", None, Severity::Warning);
        known.subject = Subject::host("esx1", Some("CL1"), None);
        let mut ff = testing::file("2026-01-01T00:00:00Z", vec![gone, known]);
        ff.checked_rules = vec!["GW001".into(), "MTU001".into()];

        let view = super::super::view::build(&inv, &ff, Lang::En, None);
        let row = view
            .findings
            .iter()
            .find(|r| r.host == "gone")
            .expect("the finding's row");
        let failed_in: Vec<&str> = view
            .checklist
            .groups
            .iter()
            .filter(|g| {
                g.cells
                    .iter()
                    .any(|c| c.rule == "GW001" && c.state == "fail")
            })
            .map(|g| g.label.as_str())
            .collect();
        assert_eq!(failed_in, [row.cluster.as_str()]);
        let mut table: Vec<&str> = view.clusters.iter().map(|c| c.label.as_str()).collect();
        let mut checklist: Vec<&str> = view
            .checklist
            .groups
            .iter()
            .map(|g| g.label.as_str())
            .collect();
        table.sort();
        checklist.sort();
        assert_eq!(checklist, table);
        assert_eq!(checklist, ["CL1", "CL9"]);
        // No host of CL9 is known: nothing passes or is unchecked there, its finding fails.
        let cl9 = view
            .checklist
            .groups
            .iter()
            .find(|g| g.label == "CL9")
            .unwrap();
        assert_eq!(cl9.hosts, 0);
        let states: Vec<&str> = cl9.cells.iter().map(|c| c.state).collect();
        assert_eq!(states, ["fail", "na"]);
    }

    /// A file's missing data leaves its hosts not checked, each host once per rule however
    /// many of the file's findings name the rule, and a coverage finding on one of them for
    /// the same rule does not count it again.
    #[test]
    fn a_host_a_file_leaves_unchecked_counts_once_per_rule() {
        use crate::findings::{testing, Category, Severity, Subject};
        use crate::model::{Host, Source, SourceKind};
        let mut inv = Inventory::new();
        inv.sources
            .push(Source::named("export.xlsx", SourceKind::Rvtools));
        for name in ["esx1", "esx2", "esx3"] {
            let mut h = Host::named(name);
            h.cluster = Some("CL1".into());
            h.source = Some("export.xlsx".into());
            inv.hosts.push(h);
        }
        // esx3 records its physical NICs: the file's finding about them is not about it.
        inv.hosts[2].pnics = Some(Vec::new());
        let on_file = |data: &str| {
            let mut f = testing::finding(rulemeta::CHECK_NOT_RUN, "x", None, Severity::Info);
            f.category = Category::Coverage;
            f.subject = Subject::Source {
                source: "export.xlsx".into(),
                object: Some(data.into()),
            };
            f.not_checked = vec!["UPL001".into()];
            f
        };
        // Two findings on the file name UPL001 (firewall: all three hosts; pnics: two).
        let mut on_host = testing::finding(rulemeta::CHECK_NOT_RUN, "esx1", None, Severity::Info);
        on_host.category = Category::Coverage;
        on_host.subject = Subject::host("esx1", Some("CL1"), Some("vlan"));
        on_host.not_checked = vec!["UPL001".into()];
        let mut ff = testing::file(
            "2026-01-01T00:00:00Z",
            vec![on_file("firewall"), on_file("pnics"), on_host],
        );
        ff.checked_rules = vec!["UPL001".into()];
        let c = build(&inv, &ff, Lang::En);
        let cl1 = c.groups.iter().find(|g| g.label == "CL1").unwrap();
        assert_eq!(cl1.hosts, 3);
        assert_eq!(cl1.cells[0].state, "nc");
        assert!(cl1.cells[0].text.contains("3/3"), "{}", cl1.cells[0].text);
    }
}
