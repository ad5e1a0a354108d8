//! `vmkaudit.prom` (`--format prometheus`): the run's numbers in the Prometheus text exposition
//! format, for node_exporter's textfile collector (`--collector.textfile.directory`).
//!
//! Written like every report file through [`crate::fsutil::write_set`]: staged, then renamed
//! into place, so the collector never reads half a file. Every metric is a gauge of this run:
//! findings by severity, rule and cluster (unwaived; the cluster label is the report's group:
//! a cluster, `(standalone)` or `(estate)`), waived findings by rule, hosts checked, not
//! connected and with findings, vmks checked, the hosts each rule could not check and why,
//! per source whether it was collected and how long that took (when the inventory records
//! it), the run's time and the build. No sample carries a timestamp (the textfile collector
//! refuses them); the run's time is `vmkaudit_run_timestamp_seconds`. Label values are
//! escaped as the format wants (backslash, double quote, line feed) after control characters
//! were made visible ([`super::controls`]). `promtool check metrics` accepts the output (a
//! test runs it on the sample lab).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::placement::Placement;
use crate::findings::{FindingsFile, Severity};
use crate::model::{Inventory, SourceKind};

/// A metric's samples: label pairs and value.
type Samples = Vec<(Vec<(&'static str, String)>, f64)>;

/// Appends metrics in the exposition format.
struct Out(String);

impl Out {
    /// `# HELP`, `# TYPE gauge` and the samples of `name` (nothing when there are none).
    fn gauge(&mut self, name: &str, help: &str, samples: Samples) {
        if samples.is_empty() {
            return;
        }
        let s = &mut self.0;
        let _ = writeln!(s, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(s, "# TYPE {name} gauge");
        for (labels, value) in samples {
            s.push_str(name);
            if !labels.is_empty() {
                s.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    let _ = write!(s, "{k}=\"{}\"", escape_label(v));
                }
                s.push('}');
            }
            let _ = writeln!(s, " {}", number(value));
        }
    }

    /// A gauge without labels.
    fn single(&mut self, name: &str, help: &str, value: f64) {
        self.gauge(name, help, vec![(Vec::new(), value)]);
    }
}

/// A sample value: whole numbers without a fraction.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A label value as the format wants it: `\` `"` and line feed escaped, after control
/// characters were made visible.
fn escape_label(v: &str) -> String {
    let v = super::controls::visible(v);
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Help text: `\` and line feed escaped.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

fn kind(k: SourceKind) -> &'static str {
    match k {
        SourceKind::Vcenter => "vcenter",
        SourceKind::Esxi => "esxi",
        SourceKind::Inventory => "inventory",
        SourceKind::Rvtools => "rvtools",
        SourceKind::Powercli => "powercli",
    }
}

/// Seconds since the Unix epoch of an RFC 3339 time.
fn unix_seconds(t: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.timestamp() as f64)
}

/// The `vmkaudit.prom` text of a run: see the module documentation.
pub fn textfile(inv: &Inventory, ff: &FindingsFile) -> String {
    let mut out = Out(String::new());
    let s = &ff.summary;
    if let Some(t) = unix_seconds(&ff.generated_at) {
        out.single(
            "vmkaudit_run_timestamp_seconds",
            "When this vmkaudit run evaluated the inventory (Unix time).",
            t,
        );
    }
    out.gauge(
        "vmkaudit_build_info",
        "The vmkaudit version and commit that wrote these metrics.",
        vec![(
            vec![
                ("version", env!("CARGO_PKG_VERSION").to_string()),
                ("commit", env!("VMKAUDIT_COMMIT").to_string()),
            ],
            1.0,
        )],
    );
    out.single(
        "vmkaudit_hosts_checked",
        "Hosts in the inventory of this run.",
        s.hosts_checked as f64,
    );
    let not_connected = inv.hosts.iter().filter(|h| !h.is_connected()).count();
    out.single(
        "vmkaudit_hosts_not_connected",
        "Hosts that were not connected, so nothing was read from them.",
        not_connected as f64,
    );
    out.single(
        "vmkaudit_hosts_with_findings",
        "Hosts with at least one unwaived finding.",
        s.hosts_with_findings as f64,
    );
    out.single(
        "vmkaudit_vmks_checked",
        "VMkernel adapters checked.",
        s.vmks_checked as f64,
    );
    out.gauge(
        "vmkaudit_findings_by_severity",
        "Unwaived findings of this run by severity (every severity, 0 when none).",
        Severity::ALL
            .iter()
            .map(|sev| {
                (
                    vec![("severity", sev.as_str().to_string())],
                    s.by_severity[*sev] as f64,
                )
            })
            .collect(),
    );
    let place = Placement::of(inv);
    let mut findings: BTreeMap<(Severity, &str, String), usize> = BTreeMap::new();
    let mut waived: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &ff.findings {
        if f.waived.is_some() {
            *waived.entry(f.rule.as_str()).or_default() += 1;
        } else {
            *findings
                .entry((f.severity, f.rule.as_str(), place.group(f).key()))
                .or_default() += 1;
        }
    }
    out.gauge(
        "vmkaudit_findings",
        "Unwaived findings of this run by severity, rule and cluster ((standalone): hosts \
         in no cluster; (estate): sources, waivers, the estate).",
        findings
            .into_iter()
            .rev()
            .map(|((sev, rule, cluster), n)| {
                (
                    vec![
                        ("severity", sev.as_str().to_string()),
                        ("rule", rule.to_string()),
                        ("cluster", cluster),
                    ],
                    n as f64,
                )
            })
            .collect(),
    );
    out.gauge(
        "vmkaudit_findings_waived",
        "Findings a waiver of the rule set covers, by rule.",
        waived
            .into_iter()
            .map(|(rule, n)| (vec![("rule", rule.to_string())], n as f64))
            .collect(),
    );
    out.gauge(
        "vmkaudit_rule_hosts_not_checked",
        "Hosts a rule could not check, by rule and reason (missing data or a disconnected host).",
        s.not_checked
            .iter()
            .map(|n| {
                (
                    vec![
                        ("rule", n.rule.clone()),
                        ("reason", n.reason.as_str().to_string()),
                    ],
                    n.hosts as f64,
                )
            })
            .collect(),
    );
    let source_labels = |src: &crate::model::Source| {
        vec![
            ("source", src.name.clone()),
            ("kind", kind(src.kind).to_string()),
        ]
    };
    out.gauge(
        "vmkaudit_source_up",
        "1 when the source was collected or read, 0 when it could not be.",
        inv.sources
            .iter()
            .map(|src| (source_labels(src), f64::from(u8::from(src.error.is_none()))))
            .collect(),
    );
    out.gauge(
        "vmkaudit_source_collection_duration_seconds",
        "How long the live collection of the source took, successful or not.",
        inv.sources
            .iter()
            .filter_map(|src| Some((source_labels(src), src.duration_seconds?)))
            .collect(),
    );
    out.gauge(
        "vmkaudit_source_collected_timestamp_seconds",
        "When the source's data was collected (Unix time), where the inventory records it.",
        inv.sources
            .iter()
            .filter_map(|src| {
                let t = unix_seconds(src.collected_at.as_deref()?)?;
                Some((source_labels(src), t))
            })
            .collect(),
    );
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_and_numbers_are_written_as_the_format_wants() {
        assert_eq!(escape_label("a\"b\\c\nd\u{1b}"), "a\\\"b\\\\c\\nd\\\\u{1b}");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(escape_help("x\\y\nz"), "x\\\\y\\nz");
    }
}
