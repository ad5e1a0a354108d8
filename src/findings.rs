//! Findings: what the evaluation produces and every report renders.
//!
//! A [`Finding`] is one problem (or one thing that could not be checked) on one host, tied to
//! the stable ID of the rule that raised it. [`FindingsFile`] is `findings.json`
//! (`schema_version` 1, JSON Schema in `schemas/findings.schema.json`): the findings in a
//! deterministic order plus a [`Summary`]. The run history (`status`, `resolved`, the
//! configuration `drift` since the previous run and the `trend` over the kept runs) is filled
//! in by the delivery step when a previous run exists.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

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
    /// Host services (SSH, ESXi Shell, SLP, CIM) and lockdown mode.
    Services,
    /// The physical uplinks of the vmks: redundancy, link state, iSCSI binding, speeds.
    Uplinks,
    Addressing,
    Coverage,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Gateway,
        Category::Separation,
        Category::Mtu,
        Category::Firewall,
        Category::Services,
        Category::Uplinks,
        Category::Addressing,
        Category::Coverage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Gateway => "gateway",
            Category::Separation => "separation",
            Category::Mtu => "mtu",
            Category::Firewall => "firewall",
            Category::Services => "services",
            Category::Uplinks => "uplinks",
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

/// What a finding is about. In `findings.json` a subject is written into the `host`, `cluster`
/// and `object` fields every reader knew before subjects were typed, plus `subject` (its kind)
/// and, for a waiver, `waiver_rule`; see [`Finding`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A host of the inventory, or one object on it (`vmk2`, `sshServer`, `defaultTcpipStack`,
    /// a data kind for COV002).
    Host {
        host: String,
        /// `None` for a standalone host.
        cluster: Option<String>,
        /// `None` for the whole host.
        object: Option<String>,
    },
    /// An inventory source (its URL or file path): one that could not be collected (COV003), or
    /// an imported file that provides a kind of data for none of its hosts (COV002; `object` is
    /// the kind of data).
    Source {
        source: String,
        object: Option<String>,
    },
    /// A waiver of the rule set (COV004): the rule it waives and its host and object globs.
    Waiver {
        rule: String,
        host_glob: String,
        /// `None` for every object.
        object_glob: Option<String>,
    },
    /// The estate as a whole.
    Estate,
}

/// The kind of a [`Subject`]: the `subject` field of a finding in `findings.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Host,
    Source,
    Waiver,
    Estate,
}

/// What identifies a finding's subject across runs (see [`Finding::identity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectId<'a> {
    Host {
        host: &'a str,
        object: Option<&'a str>,
    },
    Source(&'a str, Option<&'a str>),
    /// A waiver is identified by its globs, as before subjects were typed, so that the history
    /// of a `findings.json` written without `waiver_rule` still matches.
    Waiver {
        host_glob: &'a str,
        object_glob: Option<&'a str>,
    },
    Estate,
}

/// The `host` written for an [`Subject::Estate`] finding (the report's estate filter value).
pub const ESTATE: &str = "(estate)";

impl Subject {
    /// A host, or an object on it.
    pub fn host(host: &str, cluster: Option<&str>, object: Option<&str>) -> Subject {
        Subject::Host {
            host: host.to_string(),
            cluster: cluster.map(str::to_string),
            object: object.map(str::to_string),
        }
    }

    pub fn kind(&self) -> SubjectKind {
        match self {
            Subject::Host { .. } => SubjectKind::Host,
            Subject::Source { .. } => SubjectKind::Source,
            Subject::Waiver { .. } => SubjectKind::Waiver,
            Subject::Estate => SubjectKind::Estate,
        }
    }

    /// The name shown in the report's host column and written as `host`: the host, the
    /// source, the waiver's host glob, or [`ESTATE`].
    pub fn name(&self) -> &str {
        match self {
            Subject::Host { host, .. } => host,
            Subject::Source { source, .. } => source,
            Subject::Waiver { host_glob, .. } => host_glob,
            Subject::Estate => ESTATE,
        }
    }

    /// The host's cluster; `None` for a standalone host and for every other kind.
    pub fn cluster(&self) -> Option<&str> {
        match self {
            Subject::Host { cluster, .. } => cluster.as_deref(),
            _ => None,
        }
    }

    /// The object on the host, or the waiver's object glob.
    pub fn object(&self) -> Option<&str> {
        match self {
            Subject::Host { object, .. } => object.as_deref(),
            Subject::Waiver { object_glob, .. } => object_glob.as_deref(),
            Subject::Source { object, .. } => object.as_deref(),
            Subject::Estate => None,
        }
    }

    /// The host name for a host subject.
    pub fn host_name(&self) -> Option<&str> {
        match self {
            Subject::Host { host, .. } => Some(host),
            _ => None,
        }
    }

    pub fn id(&self) -> SubjectId<'_> {
        match self {
            Subject::Host { host, object, .. } => SubjectId::Host {
                host,
                object: object.as_deref(),
            },
            Subject::Source { source, object } => SubjectId::Source(source, object.as_deref()),
            Subject::Waiver {
                host_glob,
                object_glob,
                ..
            } => SubjectId::Waiver {
                host_glob,
                object_glob: object_glob.as_deref(),
            },
            Subject::Estate => SubjectId::Estate,
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FindingJson", into = "FindingJson")]
pub struct Finding {
    /// Stable rule ID (see `vmkaudit rules`).
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    /// What the finding is about.
    pub subject: Subject,
    pub message: String,
    pub remediation: String,
    pub references: Vec<String>,
    /// Present when a waiver of the rule set covers this finding.
    pub waived: Option<Waived>,
    /// `new` or `persisting` when a previous run is known.
    pub status: Option<Status>,
    /// For coverage findings: IDs of the rules that could not check this host/object.
    pub not_checked: Vec<String>,
    /// The commands that fix it, when the rule has a deterministic fix (written into the fix
    /// scripts, never run by vmkaudit).
    pub fix: Option<Fix>,
}

/// The commands that fix one finding, filled in from the rule's fix template with the
/// finding's values, each value quoted for its shell. Either list may be empty (no command of
/// that kind can make the change).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    /// esxcli / ESXi Shell commands, run on the host itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub esxcli: Vec<String>,
    /// PowerCLI commands; `$vmhost` is the host (`Get-VMHost`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub powercli: Vec<String>,
}

/// A finding as `findings.json` writes it: the subject spread over `host`, `cluster` and
/// `object` (the fields of schema version 1 from its start), its kind in `subject`.
#[derive(Serialize, Deserialize)]
struct FindingJson {
    rule: String,
    category: Category,
    severity: Severity,
    /// Host name; for a source its name, for a waiver its host glob.
    host: String,
    /// `null` for a standalone host and for subjects other than hosts.
    cluster: Option<String>,
    /// The object on the host, the waiver's object glob; `null` for the whole host.
    object: Option<String>,
    /// The subject's kind; absent in files written before subjects were typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<SubjectKind>,
    /// For a waiver: the rule it waives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waiver_rule: Option<String>,
    message: String,
    remediation: String,
    references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waived: Option<Waived>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    not_checked: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fix: Option<Fix>,
}

/// The rules whose findings had a source or a waiver as subject in files written before the
/// `subject` field existed (`findings.json` of earlier runs, read for the history).
const LEGACY_SOURCE_RULE: &str = "COV003";
const LEGACY_WAIVER_RULE: &str = "COV004";

impl From<FindingJson> for Finding {
    fn from(j: FindingJson) -> Finding {
        let kind = j.subject.unwrap_or(match j.rule.as_str() {
            LEGACY_SOURCE_RULE => SubjectKind::Source,
            LEGACY_WAIVER_RULE => SubjectKind::Waiver,
            _ => SubjectKind::Host,
        });
        let subject = match kind {
            SubjectKind::Host => Subject::Host {
                host: j.host,
                cluster: j.cluster,
                object: j.object,
            },
            SubjectKind::Source => Subject::Source {
                source: j.host,
                object: j.object,
            },
            SubjectKind::Waiver => Subject::Waiver {
                rule: j.waiver_rule.unwrap_or_default(),
                host_glob: j.host,
                object_glob: j.object,
            },
            SubjectKind::Estate => Subject::Estate,
        };
        Finding {
            rule: j.rule,
            category: j.category,
            severity: j.severity,
            subject,
            message: j.message,
            remediation: j.remediation,
            references: j.references,
            waived: j.waived,
            status: j.status,
            not_checked: j.not_checked,
            fix: j.fix,
        }
    }
}

impl From<Finding> for FindingJson {
    fn from(f: Finding) -> FindingJson {
        let kind = f.subject.kind();
        let (host, cluster, object, waiver_rule) = match f.subject {
            Subject::Host {
                host,
                cluster,
                object,
            } => (host, cluster, object, None),
            Subject::Source { source, object } => (source, None, object, None),
            Subject::Waiver {
                rule,
                host_glob,
                object_glob,
            } => (host_glob, None, object_glob, Some(rule)),
            Subject::Estate => (ESTATE.to_string(), None, None, None),
        };
        FindingJson {
            rule: f.rule,
            category: f.category,
            severity: f.severity,
            host,
            cluster,
            object,
            subject: Some(kind),
            waiver_rule,
            message: f.message,
            remediation: f.remediation,
            references: f.references,
            waived: f.waived,
            status: f.status,
            not_checked: f.not_checked,
            fix: f.fix,
        }
    }
}

impl Finding {
    /// The identity of a finding across runs: its rule and what it is about.
    pub fn identity(&self) -> (&str, SubjectId<'_>) {
        (&self.rule, self.subject.id())
    }

    /// The deterministic output order: severity (worst first), cluster, host, rule, object, message.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            self.subject.cluster(),
            self.subject.name(),
            self.rule.as_str(),
            self.subject.object(),
            self.message.as_str(),
        )
    }
}

/// Sort findings into the deterministic output order.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// A kind of data a rule needs. When a source did not provide it for a host, the engine raises
/// `COV002` naming it and the rules that could not check it. What a kind means for the rules
/// (host or vmk level, where it comes from) is said where the rules are.
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
    /// `Host::services` (SSH, ESXi Shell, SLP, CIM ... and their policies).
    HostServices,
    /// `Host::pnics` (physical NICs and their link state).
    Pnics,
    /// `Host::lockdown_mode`.
    Lockdown,
    /// `Netstack::routes` of every stack of the host (static routes).
    Routes,
    /// `Vmk::teaming` of every vmk (the failover order of its port).
    Teaming,
    /// `Vmk::security` of every vmk (its port group's security policy).
    Security,
    /// `Vmk::iscsi_bound` of every vmk (software iSCSI port binding).
    IscsiBinding,
}

impl Data {
    pub const ALL: [Data; 14] = [
        Data::Netstacks,
        Data::Switches,
        Data::Firewall,
        Data::Services,
        Data::Vlan,
        Data::Mtu,
        Data::Ipv4,
        Data::HostServices,
        Data::Pnics,
        Data::Lockdown,
        Data::Routes,
        Data::Teaming,
        Data::Security,
        Data::IscsiBinding,
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
            Data::HostServices => "host_services",
            Data::Pnics => "pnics",
            Data::Lockdown => "lockdown_mode",
            Data::Routes => "routes",
            Data::Teaming => "teaming",
            Data::Security => "security",
            Data::IscsiBinding => "iscsi_binding",
        }
    }
}

/// Why a rule could not check a host: `reason` of the summary's `not_checked`, written as the
/// data kind's name or `host not connected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The host was not connected, so nothing was read from it.
    NotConnected,
    /// The source did not provide this data.
    Missing(Data),
}

impl Reason {
    const NOT_CONNECTED: &'static str = "host not connected";

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotConnected => Self::NOT_CONNECTED,
            Reason::Missing(d) => d.as_str(),
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        if s == Self::NOT_CONNECTED {
            return Some(Reason::NotConnected);
        }
        Data::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .map(Reason::Missing)
    }
}

/// Ordered by the written form, the order `findings.json` has always listed them in.
impl Ord for Reason {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Reason {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Reason::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown not-checked reason `{s}`")))
    }
}

/// A check that could not run for some hosts, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotChecked {
    /// Rule ID.
    pub rule: String,
    /// What kept it from running (missing data or a disconnected host).
    pub reason: Reason,
    /// How many hosts the rule could not check.
    pub hosts: usize,
}

/// Unwaived findings per severity. Written as an object with every severity as a key, in the
/// order `error`, `info`, `warning` (the keys' alphabetical order, as always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SeverityCounts {
    #[serde(default)]
    error: usize,
    #[serde(default)]
    info: usize,
    #[serde(default)]
    warning: usize,
}

impl SeverityCounts {
    pub fn get(&self, sev: Severity) -> usize {
        self[sev]
    }

    fn add(&mut self, sev: Severity) {
        *match sev {
            Severity::Error => &mut self.error,
            Severity::Info => &mut self.info,
            Severity::Warning => &mut self.warning,
        } += 1;
    }
}

impl std::ops::Index<Severity> for SeverityCounts {
    type Output = usize;
    fn index(&self, sev: Severity) -> &usize {
        match sev {
            Severity::Error => &self.error,
            Severity::Info => &self.info,
            Severity::Warning => &self.warning,
        }
    }
}

/// Unwaived findings per category, every category a key in alphabetical order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CategoryCounts {
    #[serde(default)]
    addressing: usize,
    #[serde(default)]
    coverage: usize,
    #[serde(default)]
    firewall: usize,
    #[serde(default)]
    gateway: usize,
    #[serde(default)]
    mtu: usize,
    #[serde(default)]
    separation: usize,
    #[serde(default)]
    services: usize,
    #[serde(default)]
    uplinks: usize,
}

impl CategoryCounts {
    fn slot(&mut self, cat: Category) -> &mut usize {
        match cat {
            Category::Addressing => &mut self.addressing,
            Category::Coverage => &mut self.coverage,
            Category::Firewall => &mut self.firewall,
            Category::Gateway => &mut self.gateway,
            Category::Mtu => &mut self.mtu,
            Category::Separation => &mut self.separation,
            Category::Services => &mut self.services,
            Category::Uplinks => &mut self.uplinks,
        }
    }

    pub fn get(&self, cat: Category) -> usize {
        self[cat]
    }
}

impl std::ops::Index<Category> for CategoryCounts {
    type Output = usize;
    fn index(&self, cat: Category) -> &usize {
        match cat {
            Category::Addressing => &self.addressing,
            Category::Coverage => &self.coverage,
            Category::Firewall => &self.firewall,
            Category::Gateway => &self.gateway,
            Category::Mtu => &self.mtu,
            Category::Separation => &self.separation,
            Category::Services => &self.services,
            Category::Uplinks => &self.uplinks,
        }
    }
}

/// Counts over a whole run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub hosts_checked: usize,
    pub hosts_with_findings: usize,
    pub vmks_checked: usize,
    /// Counts of unwaived findings by severity.
    pub by_severity: SeverityCounts,
    /// Counts of unwaived findings by category.
    pub by_category: CategoryCounts,
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
    /// Configuration changes since the previous run's inventory ([`crate::drift::compare`]);
    /// `None` when there was none to compare with (a first run, or a previous run that kept
    /// no inventory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Vec<crate::drift::Change>>,
    /// Unwaived findings by severity over the kept runs, oldest first, this run last; empty
    /// outside a run folder (`vmkaudit check`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trend: Vec<TrendPoint>,
}

/// One run's unwaived findings by severity, for the trend over the kept runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// The run folder's name (`2026-11-24_060000`).
    pub run: String,
    /// The run's `generated_at`.
    pub generated_at: String,
    pub by_severity: SeverityCounts,
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
/// `hosts_with_findings` counts inventory hosts only: a finding about something else (a failed
/// source, a waiver) counts by severity, category and cluster, but not as a host.
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
    let mut with_findings = std::collections::HashSet::new();
    for f in findings {
        if f.waived.is_some() {
            s.waived += 1;
            continue;
        }
        if let Some(host) = f
            .subject
            .host_name()
            .filter(|h| inventory_hosts.contains(h))
        {
            with_findings.insert(host);
        }
        s.by_severity.add(f.severity);
        *s.by_category.slot(f.category) += 1;
        let cluster = f.subject.cluster().unwrap_or(STANDALONE);
        *s.by_cluster.entry(cluster.to_string()).or_default() += 1;
    }
    s.hosts_with_findings = with_findings.len();
    s
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
            subject: Subject::host(host, Some("c1"), object),
            message: format!("{rule} on {host}"),
            remediation: String::new(),
            references: Vec::new(),
            waived: None,
            status: None,
            not_checked: Vec::new(),
            fix: None,
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
            drift: None,
            trend: Vec::new(),
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
            subject: Subject::host(host, None, None),
            message: String::new(),
            remediation: String::new(),
            references: vec![],
            waived: None,
            status: None,
            not_checked: vec![],
            fix: None,
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
            Finding {
                subject: Subject::Source {
                    source: "https://vc-down/sdk".into(),
                    object: None,
                },
                ..finding("esx2", Severity::Warning)
            },
        ];
        let s = summarize(&fs, &hosts, 0, vec![]);
        assert_eq!(s.hosts_checked, 2);
        assert_eq!(s.hosts_with_findings, 1);
        assert_eq!(s.by_severity[Severity::Warning], 1);
        assert_eq!(s.by_cluster[STANDALONE], 3);
    }

    fn json_of(f: &Finding) -> serde_json::Value {
        serde_json::to_value(f).unwrap()
    }

    #[test]
    fn every_subject_round_trips_through_the_json_fields() {
        let subjects = [
            Subject::host("esx1", Some("CL1"), Some("vmk2")),
            Subject::host("esx2", None, None),
            Subject::Source {
                source: "https://vc1/sdk".into(),
                object: None,
            },
            Subject::Waiver {
                rule: "FW004".into(),
                host_glob: "esx-*".into(),
                object_glob: Some("ssh*".into()),
            },
            Subject::Estate,
        ];
        let want = [
            ("esx1", Some("CL1"), Some("vmk2"), "host", None),
            ("esx2", None, None, "host", None),
            ("https://vc1/sdk", None, None, "source", None),
            ("esx-*", None, Some("ssh*"), "waiver", Some("FW004")),
            (ESTATE, None, None, "estate", None),
        ];
        for (subject, (host, cluster, object, kind, waiver_rule)) in subjects.into_iter().zip(want)
        {
            let f = Finding {
                subject: subject.clone(),
                ..finding("esx1", Severity::Error)
            };
            let v = json_of(&f);
            assert_eq!(v["host"], host, "{subject:?}");
            assert_eq!(v["cluster"].as_str(), cluster, "{subject:?}");
            assert_eq!(v["object"].as_str(), object, "{subject:?}");
            assert_eq!(v["subject"], kind, "{subject:?}");
            assert_eq!(v["waiver_rule"].as_str(), waiver_rule, "{subject:?}");
            let back: Finding = serde_json::from_value(v).unwrap();
            assert_eq!(back, f);
        }
    }

    /// The fields keep the order findings.json always had; `subject` comes after `object`.
    #[test]
    fn finding_json_keeps_the_field_order() {
        let f = finding("esx1", Severity::Error);
        let text = serde_json::to_string(&f).unwrap();
        assert!(
            text.starts_with(
                r#"{"rule":"X","category":"coverage","severity":"error","host":"esx1","cluster":null,"object":null,"subject":"host","message":"#
            ),
            "{text}"
        );
    }

    /// A findings.json of an earlier run has no `subject`: COV003 is about a source, COV004
    /// about a waiver, everything else about a host.
    #[test]
    fn findings_without_a_subject_kind_still_read() {
        let old = |rule: &str, host: &str, object: Option<&str>| {
            let mut v = json_of(&finding(host, Severity::Warning));
            let o = v.as_object_mut().unwrap();
            o.remove("subject");
            o.insert("rule".into(), rule.into());
            o.insert("object".into(), object.into());
            serde_json::from_value::<Finding>(v).unwrap().subject
        };
        assert_eq!(
            old("COV003", "https://vc2/sdk", None),
            Subject::Source {
                source: "https://vc2/sdk".into(),
                object: None,
            }
        );
        assert_eq!(
            old("COV004", "esx-*", Some("vmk*")),
            Subject::Waiver {
                rule: String::new(),
                host_glob: "esx-*".into(),
                object_glob: Some("vmk*".into()),
            }
        );
        assert_eq!(
            old("MTU004", "esx1", Some("vmk1")),
            Subject::host("esx1", None, Some("vmk1"))
        );
    }

    #[test]
    fn not_checked_reasons_are_written_as_before() {
        let all = std::iter::once(Reason::NotConnected).chain(Data::ALL.map(Reason::Missing));
        for r in all {
            let v = serde_json::to_value(r).unwrap();
            assert_eq!(v, r.as_str());
            assert_eq!(serde_json::from_value::<Reason>(v).unwrap(), r);
        }
        assert_eq!(
            serde_json::to_value(Reason::NotConnected).unwrap(),
            "host not connected"
        );
        assert_eq!(
            serde_json::to_value(Reason::Missing(Data::Ipv4)).unwrap(),
            "ipv4"
        );
        let err = serde_json::from_str::<Reason>(r#""dns""#).unwrap_err();
        assert!(
            err.to_string().contains("unknown not-checked reason `dns`"),
            "{err}"
        );
        // Ordered by the written form, as the summary has always listed them.
        assert!(Reason::Missing(Data::Firewall) < Reason::NotConnected);
        assert!(Reason::NotConnected < Reason::Missing(Data::Ipv4));
    }

    /// The typed counts are written as the string-keyed maps were: every key, alphabetical.
    #[test]
    fn summary_counts_are_written_as_string_keyed_maps() {
        let fs = vec![
            finding("esx1", Severity::Error),
            Finding {
                category: Category::Mtu,
                ..finding("esx1", Severity::Info)
            },
        ];
        let s = summarize(&fs, &[], 0, vec![]);
        assert_eq!(s.by_severity[Severity::Error], 1);
        assert_eq!(s.by_severity.get(Severity::Warning), 0);
        assert_eq!(s.by_category[Category::Coverage], 1);
        assert_eq!(s.by_category.get(Category::Mtu), 1);
        assert_eq!(
            serde_json::to_string(&s.by_severity).unwrap(),
            r#"{"error":1,"info":1,"warning":0}"#
        );
        assert_eq!(
            serde_json::to_string(&s.by_category).unwrap(),
            r#"{"addressing":0,"coverage":1,"firewall":0,"gateway":0,"mtu":1,"separation":0,"services":0,"uplinks":0}"#
        );
        let mut keys: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        keys.sort();
        let v = serde_json::to_value(s.by_category).unwrap();
        let written: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(written, keys, "one key per category");
        let back: CategoryCounts = serde_json::from_value(v).unwrap();
        assert_eq!(back, s.by_category);
    }
}
