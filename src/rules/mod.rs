//! The rule catalog: one rule per file, each declared once, all registered in [`REGISTRY`].
//!
//! Like clippy lints or ruff rules, every rule is a static [`Rule`]: its stable ID, name,
//! category, default severity, summary and documentation (what it checks, why it matters, how to
//! fix it, references; in English, translated by key in the catalogs, see [`DocField`]) and its
//! check function. A check is either per host
//! ([`Check::Host`], run in parallel over hosts by the engine in `evaluate`) or
//! estate-wide ([`Check::Estate`], run after all hosts are known, for duplicates and cluster
//! majorities); coverage rules check a source ([`Check::Source`]) or a host that is not
//! connected ([`Check::Disconnected`]), or are raised by the engine from what only it knows
//! ([`Check::Engine`]: rules that could not run, expired waivers), with their wording in their
//! own file.
//! `vmkaudit rules`, `docs/rules.md` and the report's pre-upgrade checklist are all generated from
//! these declarations (`evaluate::describe`).

pub mod fix;
pub mod net;
pub mod param;
pub mod port;
pub mod retired;

pub use fix::FixTemplate;
pub use param::{Param, ParamDecl, Params};

use crate::findings::{Category, Severity};
use crate::i18n::{Lang, Msg};
use crate::model::{Host, Inventory, Source};
use crate::msg;

pub use crate::findings::Data;

/// What a kind of data means for the rules.
impl Data {
    /// A host-level kind is missing for the whole host; the rule does not run on it at all.
    /// A vmk-level kind is missing for single vmks; the rule runs and skips those vmks.
    pub fn host_level(self) -> bool {
        matches!(
            self,
            Data::Netstacks
                | Data::Switches
                | Data::Firewall
                | Data::HostServices
                | Data::Pnics
                | Data::Lockdown
                | Data::Routes
        )
    }

    /// Whether live collection (vCenter, ESXi) reads this data. It does not read the iSCSI port
    /// binding (no host property carries it; `HostIscsiManager.QueryBoundVnics` would be one call
    /// per host, see docs/collect.md): like a kind an export format lacks, that gap is one
    /// COV002 on the source, not one per host.
    pub fn read_live(self) -> bool {
        !matches!(self, Data::IscsiBinding)
    }

    /// Whether an inventory file of schema `version` cannot record this data (a version-1 file
    /// has none of the kinds of version 2: `null` for every host, one fact about the file).
    /// `None`: not read from an inventory file.
    pub fn not_in_schema(self, version: Option<u32>) -> bool {
        version.is_some_and(|v| self.since_schema() > v)
    }

    /// The inventory schema version that added this data.
    pub fn since_schema(self) -> u32 {
        match self {
            Data::Netstacks
            | Data::Switches
            | Data::Firewall
            | Data::Services
            | Data::Vlan
            | Data::Mtu
            | Data::Ipv4 => 1,
            Data::HostServices
            | Data::Pnics
            | Data::Lockdown
            | Data::Routes
            | Data::Teaming
            | Data::Security
            | Data::IscsiBinding => 2,
        }
    }

    /// The vSphere host properties this data comes from in a live collection, to name the one
    /// the server refused (`Host::not_collected`).
    pub fn vsphere_properties(self) -> &'static [&'static str] {
        match self {
            Data::Firewall => &["config.firewall"],
            Data::Services => &["config.virtualNicManagerInfo"],
            Data::HostServices => &["config.service"],
            Data::Lockdown => &["config.lockdownMode"],
            Data::IscsiBinding => &["config.storageDevice"],
            Data::Netstacks
            | Data::Switches
            | Data::Vlan
            | Data::Mtu
            | Data::Ipv4
            | Data::Pnics
            | Data::Routes
            | Data::Teaming
            | Data::Security => &["config.network"],
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
            Data::HostServices => msg!(
                "data.host_services",
                "the host services (SSH, ESXi Shell, SLP, CIM)"
            ),
            Data::Pnics => msg!("data.pnics", "the physical NICs and their link state"),
            Data::Lockdown => msg!("data.lockdown_mode", "the lockdown mode"),
            Data::Routes => msg!("data.routes", "the static routes of the TCP/IP stacks"),
            Data::Teaming => msg!("data.teaming", "the failover order of the vmk's port"),
            Data::Security => msg!(
                "data.security",
                "the security policy of the vmk's port group"
            ),
            Data::IscsiBinding => msg!("data.iscsi_binding", "the iSCSI port binding of the vmk"),
        }
    }

    /// Whether `host` lacks this data (for vmk-level kinds: the vmks that lack it).
    pub fn missing_on(self, host: &Host) -> Vec<String> {
        match self.host_lacks(host) {
            Some(true) => vec![String::new()],
            Some(false) => Vec::new(),
            None => vmks_where(host, |v| self.vmk_lacks(v)),
        }
    }

    /// Whether `host` lacks this data at all ([`Data::missing_on`] is not empty), without
    /// listing the vmks.
    pub fn lacks(self, host: &Host) -> bool {
        self.host_lacks(host)
            .unwrap_or_else(|| host.vmks.iter().any(|v| self.vmk_lacks(v)))
    }

    /// Whether `host` records this data: host-level data, or the data of at least one vmk.
    pub fn provided_on(self, host: &Host) -> bool {
        match self.host_lacks(host) {
            Some(lacks) => !lacks,
            None => host.vmks.iter().any(|v| !self.vmk_lacks(v)),
        }
    }

    /// Whether `host` lacks host-level data; `None` for a kind recorded per vmk.
    fn host_lacks(self, host: &Host) -> Option<bool> {
        match self {
            Data::Netstacks => Some(host.netstacks.is_none()),
            Data::Switches => Some(host.switches.is_none()),
            Data::Firewall => Some(host.firewall.is_none()),
            Data::HostServices => Some(host.services.is_none()),
            Data::Pnics => Some(host.pnics.is_none()),
            Data::Lockdown => Some(host.lockdown_mode.is_none()),
            Data::Routes => Some(
                host.netstacks
                    .as_ref()
                    .is_none_or(|n| n.iter().any(|s| s.routes.is_none())),
            ),
            Data::Services
            | Data::Vlan
            | Data::Mtu
            | Data::Ipv4
            | Data::Teaming
            | Data::Security
            | Data::IscsiBinding => None,
        }
    }

    /// Whether vmk `v` lacks this data (false for a host-level kind).
    fn vmk_lacks(self, v: &crate::model::Vmk) -> bool {
        match self {
            Data::Services => v.services.is_none(),
            Data::Vlan => v.vlan.is_none(),
            Data::Mtu => v.mtu.is_none(),
            Data::Ipv4 => blank(&v.ipv4) || blank(&v.netmask),
            Data::Teaming => v.teaming.is_none(),
            Data::Security => v.security.is_none(),
            Data::IscsiBinding => v.iscsi_bound.is_none(),
            _ => false,
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

/// What one check found: the engine turns it into a [`crate::findings::Finding`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the host in `Inventory::hosts`.
    pub host: usize,
    /// `vmk1`, `sshServer`, `defaultTcpipStack`; `None` for the whole host.
    pub object: Option<String>,
    pub message: Msg,
    pub remediation: Msg,
}

/// What a per-host check sees.
pub struct HostCtx<'a> {
    /// Index of the host in `Inventory::hosts`.
    pub index: usize,
    pub host: &'a Host,
    pub params: &'a Params,
}

impl HostCtx<'_> {
    /// A hit on this host.
    pub fn hit(&self, object: Option<&str>, message: Msg, remediation: Msg) -> Hit {
        Hit {
            host: self.index,
            object: object.map(str::to_string),
            message,
            remediation,
        }
    }
}

/// What an estate-wide check sees: the whole inventory and the hosts it may look at (connected,
/// in the rule's scope, with the data the rule needs).
pub struct EstateCtx<'a> {
    pub inventory: &'a Inventory,
    /// Indices into `inventory.hosts`, ascending.
    pub hosts: &'a [usize],
    pub params: &'a Params,
}

impl EstateCtx<'_> {
    pub fn hosts(&self) -> impl Iterator<Item = (usize, &Host)> + '_ {
        self.hosts.iter().map(|&i| (i, &self.inventory.hosts[i]))
    }
}

/// How a rule checks.
#[derive(Clone, Copy)]
pub enum Check {
    /// Runs on one host at a time (in parallel).
    Host(fn(&HostCtx<'_>) -> Vec<Hit>),
    /// Runs once over all eligible hosts (duplicates, cluster or subnet majorities).
    Estate(fn(&EstateCtx<'_>) -> Vec<Hit>),
    /// Runs on each source of the inventory (COV003): the finding's message and remediation.
    Source(fn(&Source) -> Option<(Msg, Msg)>),
    /// Runs on each host that is not connected, instead of every host check (COV001).
    Disconnected(fn(&Host) -> Option<(Msg, Msg)>),
    /// Raised by the engine itself, from what only it knows: which rules could not run
    /// (COV002), which waivers of the rule set expired (COV004).
    Engine,
}

impl Check {
    /// Whether the check reads a host's configuration (and so cannot run on a host that is
    /// not connected).
    pub fn reads_configuration(&self) -> bool {
        matches!(self, Check::Host(_) | Check::Estate(_))
    }
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Check::Host(_) => "Host",
            Check::Estate(_) => "Estate",
            Check::Source(_) => "Source",
            Check::Disconnected(_) => "Disconnected",
            Check::Engine => "Engine",
        })
    }
}

/// A rule: declared once, as a `static`, in its own file.
#[derive(Debug)]
pub struct Rule {
    /// Stable ID (`GW001`).
    pub id: &'static str,
    /// Stable kebab-case name (`multiple-default-gateways`); usable instead of the ID.
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// One line (English; the translations are the catalogs' `<id>.summary`, see [`DocField`]).
    pub summary: &'static str,
    /// What it checks, precisely.
    pub checks: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix it, with the esxcli or PowerCLI command.
    pub remediation: &'static str,
    /// The commands of a deterministic fix, filled in per finding for the fix scripts; `None`
    /// when the fix needs a decision (the scripts then list the manual steps).
    pub fix: Option<&'static FixTemplate>,
    /// The pre-upgrade checklist item: what must hold for the rule to pass ("One default
    /// gateway per TCP/IP stack"), where the summary describes the problem it finds.
    pub checklist: &'static str,
    /// KB articles, STIG IDs, guides.
    pub references: &'static [&'static str],
    /// Data the rule needs (see [`Data`]).
    pub needs: &'static [Data],
    /// Rule-set parameters the rule reads, each a `static` [`Param`] declared in this rule's
    /// file or, when shared, in the file of the rule that owns it.
    pub params: &'static [&'static dyn ParamDecl],
    /// Whether the rule has anything to check under these parameters (`None`: always). A rule
    /// that has nothing to check (SEP004 without expected VLANs) raises no COV002 for data it
    /// would have needed.
    pub active: Option<fn(&Params) -> bool>,
    pub check: Check,
}

/// A part of a rule's documentation. Its text in the rule declaration is the English; the
/// translation of rule `GW001`'s summary is the catalog entry `GW001.summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocField {
    Summary,
    Checks,
    Why,
    Remediation,
    Checklist,
}

impl DocField {
    pub const ALL: [DocField; 5] = [
        DocField::Summary,
        DocField::Checks,
        DocField::Why,
        DocField::Remediation,
        DocField::Checklist,
    ];

    /// The last part of the catalog key (`summary`).
    pub fn as_str(self) -> &'static str {
        match self {
            DocField::Summary => "summary",
            DocField::Checks => "checks",
            DocField::Why => "why",
            DocField::Remediation => "remediation",
            DocField::Checklist => "checklist",
        }
    }
}

impl Rule {
    /// The English text of a part of the documentation.
    pub fn english(&self, field: DocField) -> &'static str {
        match field {
            DocField::Summary => self.summary,
            DocField::Checks => self.checks,
            DocField::Why => self.why,
            DocField::Remediation => self.remediation,
            DocField::Checklist => self.checklist,
        }
    }

    /// The catalog key of a part of the documentation (`GW001.summary`).
    pub fn doc_key(&self, field: DocField) -> String {
        format!("{}.{}", self.id, field.as_str())
    }

    /// A part of the documentation in `lang`.
    pub fn doc(&self, field: DocField, lang: Lang) -> &'static str {
        if lang.is_source() {
            return self.english(field);
        }
        crate::i18n::tr(lang, &self.doc_key(field), self.english(field))
    }

    /// See [`Rule::active`].
    pub fn is_active(&self, params: &Params) -> bool {
        self.active.is_none_or(|f| f(params))
    }

    /// The references as owned strings (as a finding carries them).
    pub fn reference_list(&self) -> Vec<String> {
        self.references.iter().map(|s| s.to_string()).collect()
    }
}

/// Declares each rule's module (`src/rules/<id>_<name>.rs`) and lists its `RULE` in
/// [`REGISTRY`]: adding a rule is its file plus one line here.
macro_rules! registry {
    ($($rule:ident,)*) => {
        $(pub mod $rule;)*

        /// Every rule, in ID order within each category (gateway, separation, mtu, firewall,
        /// services, uplinks, addressing, coverage).
        pub static REGISTRY: &[&Rule] = &[$(&$rule::RULE),*];
    };
}

registry! {
    gw001_multiple_default_gateways,
    gw002_gateway_unreachable,
    gw003_override_gateway_outside_subnet,
    gw004_management_stack_no_gateway,
    sep001_management_shared,
    sep002_multiple_traffic_types,
    sep003_traffic_shares_network,
    sep004_unexpected_vlan,
    sep005_vmotion_missing,
    sep006_portgroup_security,
    sep007_vmk_vlan_trunk,
    mtu001_mtu_above_switch,
    mtu002_cluster_mtu_mismatch,
    mtu003_subnet_mtu_mismatch,
    mtu004_mtu_out_of_range,
    fw001_firewall_default_allow,
    fw002_ruleset_allows_all_ips,
    fw003_allowed_network_too_wide,
    svc001_service_must_be_off,
    svc002_lockdown_disabled,
    upl001_management_single_uplink,
    upl002_uplinks_down,
    upl003_standby_only,
    upl004_iscsi_binding_teaming,
    upl005_uplink_speed_mismatch,
    addr001_duplicate_ip,
    addr002_multihoming,
    addr003_dhcp_on_service_vmk,
    addr004_invalid_address,
    addr005_service_subnets_unroutable,
    addr006_iscsi_binding_unknown,
    cov001_host_not_connected,
    cov002_check_not_run,
    cov003_source_failed,
    cov004_waiver_expired,
}

/// The rule with this ID or name (case-insensitive).
pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    let key = id_or_name.trim();
    REGISTRY
        .iter()
        .copied()
        .find(|r| r.id.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

/// IDs and names of every rule, for "did you mean".
pub fn all_keys() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().flat_map(|r| [r.id, r.name])
}

/// IDs of the coverage rules the engine and the reports name (COV003 is a source check like
/// any other, found through the registry).
pub mod ids {
    pub const HOST_NOT_CONNECTED: &str = "COV001";
    pub const CHECK_NOT_RUN: &str = "COV002";
    pub const WAIVER_EXPIRED: &str = "COV004";
}
