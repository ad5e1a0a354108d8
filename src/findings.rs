//! Findings: what the evaluation produces and every report renders.
//!
//! A [`Finding`] is one problem (or one thing that could not be checked) on one host, tied to
//! the stable ID of the rule that raised it. [`FindingsFile`] is `findings.json`
//! (`schema_version` 1, JSON Schema in `schemas/findings.schema.json`): the findings in a
//! deterministic order plus a [`Summary`]. The run history (`status`, `resolved`) is filled in by
//! the delivery step when a previous run exists.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Msg;
use crate::model::Host;
use crate::msg;

/// The only findings `schema_version` this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `--fail-on`, `[report] fail_on`: the severity at or above which unwaived findings make the
/// exit code 1 (and, with `send = "findings"`, send the email).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    Error,
    #[default]
    Warning,
    Info,
    Never,
}

impl FailOn {
    /// The lowest severity that fails; `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

impl crate::choice::Choice for FailOn {
    const WHAT: &'static str = "fail_on level";
    const ALL: &'static [Self] = &[FailOn::Error, FailOn::Warning, FailOn::Info, FailOn::Never];

    fn name(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Info => "info",
            FailOn::Never => "never",
        }
    }
}

crate::choice_serde!(FailOn);

/// What area of the configuration a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Gateway,
    Separation,
    Mtu,
    Firewall,
    Addressing,
    Coverage,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Gateway,
        Category::Separation,
        Category::Mtu,
        Category::Firewall,
        Category::Addressing,
        Category::Coverage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Gateway => "gateway",
            Category::Separation => "separation",
            Category::Mtu => "mtu",
            Category::Firewall => "firewall",
            Category::Addressing => "addressing",
            Category::Coverage => "coverage",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a finding was already present in the previous run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Persisting,
}

/// A waiver from the rule set that matched a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    pub reason: String,
    /// Expiry date (`YYYY-MM-DD`), if the waiver has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule ID (see `vmkaudit rules`).
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    pub host: String,
    /// `null` for a standalone host.
    pub cluster: Option<String>,
    /// The object the finding is about (`vmk2`, `sshServer`, `defaultTcpipStack`); `null` for
    /// the whole host.
    pub object: Option<String>,
    pub message: String,
    pub remediation: String,
    pub references: Vec<String>,
    /// Present when a waiver of the rule set covers this finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived: Option<Waived>,
    /// `new` or `persisting` when a previous run is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// For coverage findings: IDs of the rules that could not check this host/object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<String>,
}

impl Finding {
    /// The identity of a finding across runs: rule + host + object.
    pub fn identity(&self) -> (&str, &str, Option<&str>) {
        (&self.rule, &self.host, self.object.as_deref())
    }

    /// The deterministic output order: severity (worst first), cluster, host, rule, object, message.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            self.cluster.as_deref(),
            self.host.as_str(),
            self.rule.as_str(),
            self.object.as_deref(),
            self.message.as_str(),
        )
    }
}

/// Sort findings into the deterministic output order.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// A check that could not run for some hosts, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotChecked {
    /// Rule ID.
    pub rule: String,
    /// What data was missing ("firewall", "services", ...).
    pub reason: String,
    /// How many hosts the rule could not check.
    pub hosts: usize,
}

/// Counts over a whole run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub hosts_checked: usize,
    pub hosts_with_findings: usize,
    pub vmks_checked: usize,
    /// Counts of unwaived findings by severity (`error`, `warning`, `info`).
    pub by_severity: BTreeMap<String, usize>,
    /// Counts of unwaived findings by category.
    pub by_category: BTreeMap<String, usize>,
    /// Counts of unwaived findings by cluster (`(standalone)` for hosts without one).
    pub by_cluster: BTreeMap<String, usize>,
    pub waived: usize,
    /// Checks that could not run, per rule.
    pub not_checked: Vec<NotChecked>,
}

/// Label used in [`Summary::by_cluster`] for standalone hosts.
pub const STANDALONE: &str = "(standalone)";

/// `findings.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingsFile {
    pub schema_version: u32,
    /// RFC 3339 time of the evaluation.
    pub generated_at: String,
    /// Name of the rule set used.
    #[serde(default)]
    pub rule_set: Option<String>,
    /// IDs of the rules that were enabled in this run (the checklist items).
    #[serde(default)]
    pub checked_rules: Vec<String>,
    /// Report language (`en` or `zh-CN`) the messages are written in.
    #[serde(default)]
    pub language: Option<String>,
    /// The inventory sources (copied so a report can say where the data came from).
    #[serde(default)]
    pub sources: Vec<crate::model::Source>,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// `generated_at` of the previous run this one was compared with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_run: Option<String>,
    /// Findings of the previous run that are gone in this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved: Vec<Finding>,
}

impl FindingsFile {
    /// Unwaived findings at or above `level`.
    pub fn count_at_or_above(&self, level: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.waived.is_none() && f.severity >= level)
            .count()
    }
}

/// Compute the summary counts of `findings` over the inventory's `hosts`.
///
/// `hosts_with_findings` counts inventory hosts only: a finding whose `host` is not an inventory
/// host (a failed source's name, a waiver's host glob) counts by severity, category and cluster,
/// but not as a host.
pub fn summarize(
    findings: &[Finding],
    hosts: &[crate::model::Host],
    vmks_checked: usize,
    not_checked: Vec<NotChecked>,
) -> Summary {
    let inventory_hosts: std::collections::HashSet<&str> =
        hosts.iter().map(|h| h.name.as_str()).collect();
    let mut s = Summary {
        hosts_checked: hosts.len(),
        vmks_checked,
        not_checked,
        ..Summary::default()
    };
    for sev in Severity::ALL {
        s.by_severity.insert(sev.as_str().to_string(), 0);
    }
    for cat in Category::ALL {
        s.by_category.insert(cat.as_str().to_string(), 0);
    }
    let mut with_findings = std::collections::HashSet::new();
    for f in findings {
        if f.waived.is_some() {
            s.waived += 1;
            continue;
        }
        if inventory_hosts.contains(f.host.as_str()) {
            with_findings.insert(f.host.as_str());
        }
        *s.by_severity.entry(f.severity.as_str().into()).or_default() += 1;
        *s.by_category.entry(f.category.as_str().into()).or_default() += 1;
        let cluster = f.cluster.as_deref().unwrap_or(STANDALONE);
        *s.by_cluster.entry(cluster.to_string()).or_default() += 1;
    }
    s.hosts_with_findings = with_findings.len();
    s
}

/// A kind of data a rule needs. When a source did not provide it for a host, the engine raises
/// `COV002` naming it and the rules that could not check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Data {
    /// `Host::netstacks` (TCP/IP stacks and their gateways).
    Netstacks,
    /// `Host::switches` (switch MTUs).
    Switches,
    /// `Host::firewall`.
    Firewall,
    /// `Vmk::services` of every vmk.
    Services,
    /// `Vmk::vlan` of every vmk.
    Vlan,
    /// `Vmk::mtu` of every vmk.
    Mtu,
    /// `Vmk::ipv4` and `Vmk::netmask` of every vmk (absent from an export without the IP
    /// columns).
    Ipv4,
}

impl Data {
    pub const ALL: [Data; 7] = [
        Data::Netstacks,
        Data::Switches,
        Data::Firewall,
        Data::Services,
        Data::Vlan,
        Data::Mtu,
        Data::Ipv4,
    ];

    /// The `object` of the `COV002` finding and the `reason` of the summary's `not_checked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Data::Netstacks => "netstacks",
            Data::Switches => "switches",
            Data::Firewall => "firewall",
            Data::Services => "services",
            Data::Vlan => "vlan",
            Data::Mtu => "mtu",
            Data::Ipv4 => "ipv4",
        }
    }

    /// A host-level kind is missing for the whole host; the rule does not run on it at all.
    /// A vmk-level kind is missing for single vmks; the rule runs and skips those vmks.
    pub fn host_level(self) -> bool {
        matches!(self, Data::Netstacks | Data::Switches | Data::Firewall)
    }

    /// The vSphere host properties this data comes from in a live collection, to name the one
    /// the server refused (`Host::not_collected`).
    pub fn vsphere_properties(self) -> &'static [&'static str] {
        match self {
            Data::Firewall => &["config.firewall"],
            Data::Services => &["config.virtualNicManagerInfo"],
            Data::Netstacks | Data::Switches | Data::Vlan | Data::Mtu | Data::Ipv4 => {
                &["config.network"]
            }
        }
    }

    /// What the data is, for messages.
    pub fn label(self) -> Msg {
        match self {
            Data::Netstacks => msg!("data.netstacks", "TCP/IP stacks and their default gateways"),
            Data::Switches => msg!("data.switches", "switch MTUs"),
            Data::Firewall => msg!("data.firewall", "the host firewall configuration"),
            Data::Services => msg!("data.services", "the services enabled on the vmk"),
            Data::Vlan => msg!("data.vlan", "the VLAN ID of the vmk"),
            Data::Mtu => msg!("data.mtu", "the MTU of the vmk"),
            Data::Ipv4 => msg!("data.ipv4", "the IPv4 address and netmask of the vmk"),
        }
    }

    /// Whether `host` lacks this data (for vmk-level kinds: the vmks that lack it).
    pub fn missing_on(self, host: &Host) -> Vec<String> {
        let whole = |missing: bool| {
            if missing {
                vec![String::new()]
            } else {
                Vec::new()
            }
        };
        match self {
            Data::Netstacks => whole(host.netstacks.is_none()),
            Data::Switches => whole(host.switches.is_none()),
            Data::Firewall => whole(host.firewall.is_none()),
            Data::Services => vmks_where(host, |v| v.services.is_none()),
            Data::Vlan => vmks_where(host, |v| v.vlan.is_none()),
            Data::Mtu => vmks_where(host, |v| v.mtu.is_none()),
            Data::Ipv4 => vmks_where(host, |v| blank(&v.ipv4) || blank(&v.netmask)),
        }
    }
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|s| s.trim().is_empty())
}

fn vmks_where(host: &Host, pred: impl Fn(&crate::model::Vmk) -> bool) -> Vec<String> {
    let mut v: Vec<String> = host
        .vmks
        .iter()
        .filter(|v| pred(v))
        .map(|v| v.device.clone())
        .collect();
    v.sort_by(|a, b| crate::model::device_order(a, b));
    v
}

/// Findings for unit tests of any layer above this one.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub fn finding(rule: &str, host: &str, object: Option<&str>, sev: Severity) -> Finding {
        Finding {
            rule: rule.into(),
            category: Category::Mtu,
            severity: sev,
            host: host.into(),
            cluster: Some("c1".into()),
            object: object.map(str::to_string),
            message: format!("{rule} on {host}"),
            remediation: String::new(),
            references: Vec::new(),
            waived: None,
            status: None,
            not_checked: Vec::new(),
        }
    }

    fn hosts() -> Vec<crate::model::Host> {
        ["esx1", "esx2", "esx3"]
            .into_iter()
            .map(crate::model::Host::named)
            .collect()
    }

    pub fn file(at: &str, mut findings: Vec<Finding>) -> FindingsFile {
        sort_findings(&mut findings);
        FindingsFile {
            schema_version: SCHEMA_VERSION,
            generated_at: at.into(),
            rule_set: Some("default".into()),
            checked_rules: Vec::new(),
            language: Some("en".into()),
            sources: Vec::new(),
            summary: summarize(&findings, &hosts(), 9, Vec::new()),
            findings,
            previous_run: None,
            resolved: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(host: &str, severity: Severity) -> Finding {
        Finding {
            rule: "X".into(),
            category: Category::Coverage,
            severity,
            host: host.into(),
            cluster: None,
            object: None,
            message: String::new(),
            remediation: String::new(),
            references: vec![],
            waived: None,
            status: None,
            not_checked: vec![],
        }
    }

    #[test]
    fn hosts_with_findings_counts_inventory_hosts_only() {
        let hosts = vec![
            crate::model::Host::named("esx1"),
            crate::model::Host::named("esx2"),
        ];
        let fs = vec![
            finding("esx1", Severity::Error),
            finding("esx1", Severity::Info),
            finding("https://vc-down/sdk", Severity::Warning),
        ];
        let s = summarize(&fs, &hosts, 0, vec![]);
        assert_eq!(s.hosts_checked, 2);
        assert_eq!(s.hosts_with_findings, 1);
        assert_eq!(s.by_severity["warning"], 1);
        assert_eq!(s.by_cluster[STANDALONE], 3);
    }
}
