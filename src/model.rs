//! The inventory model: the hand-off between collection and evaluation.
//!
//! An [`Inventory`] is what every source (live vSphere collection, the inventory JSON file,
//! RVTools and PowerCLI CSV exports) produces and what the rule engine reads. It is also the
//! "inventory file" users save and re-check later (`schema_version` 2, JSON Schema in
//! `schemas/inventory.schema.json`; version 1 files are still read, the fields they lack are
//! then unknown). A value the source did not provide is `None`/`null`
//! ("unknown"), never a made-up default, so that the evaluation can say which checks could not
//! run instead of passing them silently.

use serde::{Deserialize, Serialize};

/// The inventory `schema_version` this build writes.
pub const SCHEMA_VERSION: u32 = 2;

/// Every inventory `schema_version` this build reads. Version 1 lacks the host services, physical
/// NICs, lockdown mode, static routes, teaming and security policies, IPv6 settings, iSCSI
/// binding and firewall rule details of version 2: read from a version 1 file they are `None`
/// ("not collected"), exactly as when a source does not provide them.
pub const READ_VERSIONS: &[u32] = &[1, 2];

/// The TCP/IP stack key of the default (management) stack.
pub const DEFAULT_NETSTACK: &str = "defaultTcpipStack";

/// vSphere VMkernel service (`nicType`) names this tool knows. Unknown names are kept as-is.
pub mod service {
    pub const MANAGEMENT: &str = "management";
    pub const VMOTION: &str = "vmotion";
    pub const FT_LOGGING: &str = "faultToleranceLogging";
    pub const VSAN: &str = "vsan";
    pub const VSAN_WITNESS: &str = "vsanWitness";
    pub const REPLICATION: &str = "vSphereReplication";
    pub const REPLICATION_NFC: &str = "vSphereReplicationNFC";
    pub const PROVISIONING: &str = "vSphereProvisioning";
    pub const BACKUP_NFC: &str = "vSphereBackupNFC";
    pub const NVME_TCP: &str = "nvmeTcp";
    pub const NVME_RDMA: &str = "nvmeRdma";
    pub const PTP: &str = "ptp";

    /// Every known service, in a stable display order.
    pub const ALL: &[&str] = &[
        MANAGEMENT,
        VMOTION,
        FT_LOGGING,
        VSAN,
        VSAN_WITNESS,
        REPLICATION,
        REPLICATION_NFC,
        PROVISIONING,
        BACKUP_NFC,
        NVME_TCP,
        NVME_RDMA,
        PTP,
    ];
}

/// The inventory file: every host of every source of one collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// [`SCHEMA_VERSION`] when written by this build; any of [`READ_VERSIONS`] when read.
    pub schema_version: u32,
    /// When the data was gathered (RFC 3339), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// Where the data came from.
    #[serde(default)]
    pub sources: Vec<Source>,
    pub hosts: Vec<Host>,
}

impl Inventory {
    pub fn new() -> Self {
        Inventory {
            schema_version: SCHEMA_VERSION,
            collected_at: None,
            sources: Vec::new(),
            hosts: Vec::new(),
        }
    }

    /// Append another inventory's sources and hosts to this one.
    pub fn merge(&mut self, other: Inventory) {
        if self.collected_at.is_none() {
            self.collected_at = other.collected_at;
        }
        self.sources.extend(other.sources);
        self.hosts.extend(other.hosts);
    }

    /// Host names that occur more than once (the same host from two sources or files), sorted.
    pub fn duplicate_host_names(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        let mut dups: Vec<&str> = self
            .hosts
            .iter()
            .map(|h| h.name.as_str())
            .filter(|n| !seen.insert(*n))
            .collect();
        dups.sort_unstable();
        dups.dedup();
        dups
    }

    /// Log a warning when a host occurs more than once: it is then counted once per occurrence.
    pub fn warn_duplicate_hosts(&self) {
        let dups = self.duplicate_host_names();
        if let Some(first) = dups.first() {
            tracing::warn!(
                "{} host(s) occur in more than one source or file (e.g. {first}); each occurrence \
                 is checked and counted, identical findings are reported once",
                dups.len()
            );
        }
    }

    /// Total number of VMkernel adapters.
    pub fn vmk_count(&self) -> usize {
        self.hosts.iter().map(|h| h.vmks.len()).sum()
    }
}

impl Default for Inventory {
    fn default() -> Self {
        Self::new()
    }
}

/// The kind of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Live, from a vCenter Server.
    Vcenter,
    /// Live, from a standalone ESXi host.
    Esxi,
    /// A vmkaudit inventory file.
    Inventory,
    /// An RVTools `vSC_VMK` CSV export.
    Rvtools,
    /// A PowerCLI `Get-VMHostNetworkAdapter -VMKernel | Export-Csv` file.
    Powercli,
}

/// One source of an inventory (a vCenter, an ESXi host, or an imported file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// URL of the endpoint, or path of the imported file.
    pub name: String,
    pub kind: SourceKind,
    /// TLS certificate verification was switched off for this source.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// How long the live collection of this source took, in seconds (successful or not);
    /// absent for an imported file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// Product name and version reported by the endpoint (`VMware vCenter Server 8.0.2 build-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Why this source could not be collected, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The `schema_version` of the inventory file this source was read from (set by the
    /// inventory importer, never written): a version-1 file records none of the data schema 2
    /// added, for any of its hosts, which is one fact about the source for coverage.
    #[serde(skip)]
    pub schema_version: Option<u32>,
}

impl Source {
    /// A source with only a name and a kind; everything else unknown.
    pub fn named(name: impl Into<String>, kind: SourceKind) -> Self {
        Source {
            name: name.into(),
            kind,
            insecure: false,
            collected_at: None,
            duration_seconds: None,
            product: None,
            error: None,
            schema_version: None,
        }
    }
}

/// One ESXi host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub name: String,
    /// Cluster name; `null` for a standalone host (or when the source does not say).
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacenter: Option<String>,
    /// Name of the [`Source`] this host came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// vSphere `runtime.connectionState`: `connected`, `disconnected` or `notResponding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    #[serde(default)]
    pub vmks: Vec<Vmk>,
    /// TCP/IP stacks; `null` when the source does not provide them.
    #[serde(default)]
    pub netstacks: Option<Vec<Netstack>>,
    /// Standard and distributed switches the host is on; `null` when unknown.
    #[serde(default)]
    pub switches: Option<Vec<Switch>>,
    /// Host firewall; `null` when not collected.
    #[serde(default)]
    pub firewall: Option<Firewall>,
    /// Host services (`config.service.service`): SSH, ESXi Shell, SLP, CIM ...; `null` when not
    /// collected.
    #[serde(default)]
    pub services: Option<Vec<HostService>>,
    /// Physical NICs (`config.network.pnic`) with their link state; `null` when not collected.
    #[serde(default)]
    pub pnics: Option<Vec<Pnic>>,
    /// `config.lockdownMode`; `null` when not collected.
    #[serde(default)]
    pub lockdown_mode: Option<LockdownMode>,
    /// vSphere properties the server refused for this host during live collection (its
    /// `missingSet`): property path → reason, e.g. `config.firewall` → `NoPermission, privilege
    /// Host.Config.NetService`. The data they carry is unknown (`null`) above. Absent when
    /// nothing was refused.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub not_collected: std::collections::BTreeMap<String, String>,
}

impl Host {
    /// A host with only a name; every other field unknown.
    pub fn named(name: impl Into<String>) -> Self {
        Host {
            name: name.into(),
            cluster: None,
            datacenter: None,
            source: None,
            connection_state: None,
            version: None,
            build: None,
            vmks: Vec::new(),
            netstacks: None,
            switches: None,
            firewall: None,
            services: None,
            pnics: None,
            lockdown_mode: None,
            not_collected: Default::default(),
        }
    }

    /// Give back the spare capacity of every list in the host. A list read from JSON grows by
    /// doubling (12 rulesets take room for 16, one allowed network room for four): at 40,000
    /// hosts that is about a third of the model's memory.
    pub fn shrink_to_fit(&mut self) {
        fn each<T>(v: &mut Vec<T>, f: impl FnMut(&mut T)) {
            v.iter_mut().for_each(f);
            v.shrink_to_fit();
        }
        fn strings(v: &mut Vec<String>) {
            v.shrink_to_fit();
        }
        each(&mut self.vmks, |v| {
            v.services.as_mut().map(strings);
            strings(&mut v.ipv6);
            if let Some(t) = &mut v.teaming {
                strings(&mut t.active);
                strings(&mut t.standby);
            }
        });
        if let Some(n) = &mut self.netstacks {
            each(n, |n| {
                n.routes.as_mut().map(Vec::shrink_to_fit);
            });
        }
        if let Some(s) = &mut self.switches {
            each(s, |s| {
                s.uplinks.as_mut().map(strings);
            });
        }
        if let Some(f) = &mut self.firewall {
            each(&mut f.rulesets, |r| {
                strings(&mut r.allowed_ips);
                strings(&mut r.allowed_networks);
                r.rules.as_mut().map(Vec::shrink_to_fit);
            });
        }
        self.services.as_mut().map(Vec::shrink_to_fit);
        self.pnics.as_mut().map(Vec::shrink_to_fit);
    }

    /// `false` only when the source said the host is not connected.
    pub fn is_connected(&self) -> bool {
        self.connection_state
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("connected"))
    }

    pub fn netstack(&self, key: &str) -> Option<&Netstack> {
        self.netstacks.as_ref()?.iter().find(|n| n.key == key)
    }

    pub fn switch(&self, name: &str) -> Option<&Switch> {
        self.switches.as_ref()?.iter().find(|s| s.name == name)
    }

    /// The host service with this key (`TSM-SSH`); `None` when absent or services are unknown.
    pub fn service(&self, key: &str) -> Option<&HostService> {
        self.services.as_ref()?.iter().find(|s| s.key == key)
    }

    /// The physical NIC with this device name (`vmnic0`); `None` when absent or unknown.
    pub fn pnic(&self, device: &str) -> Option<&Pnic> {
        self.pnics.as_ref()?.iter().find(|p| p.device == device)
    }
}

/// One host service (`config.service.service[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostService {
    /// `TSM-SSH`, `TSM`, `slpd`, `sfcbd-watchdog`, `ntpd` ...
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub running: bool,
    /// The startup policy as the API gives it: `on` (start and stop with the host), `off`
    /// (start and stop manually), `automatic` (start and stop with its firewall ports).
    pub policy: String,
}

/// One physical NIC of a host (`config.network.pnic[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pnic {
    /// `vmnic0`, ...
    pub device: String,
    /// The link is up (the API gives a `linkSpeed`); `null` when the source does not say.
    #[serde(default)]
    pub link_up: Option<bool>,
    /// Negotiated speed; `null` when the link is down or unknown.
    #[serde(default)]
    pub speed_mbps: Option<u32>,
    /// Negotiated duplex; `null` when the link is down or unknown.
    #[serde(default)]
    pub duplex: Option<Duplex>,
}

/// Duplex of a physical NIC's link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Duplex {
    Full,
    Half,
}

/// A host's lockdown mode (`config.lockdownMode`: `lockdownDisabled`, `lockdownNormal`,
/// `lockdownStrict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockdownMode {
    Disabled,
    Normal,
    Strict,
}

impl LockdownMode {
    /// From the API's `HostLockdownMode` value; `None` for a value this build does not know.
    pub fn from_api(value: &str) -> Option<Self> {
        match value {
            "lockdownDisabled" => Some(LockdownMode::Disabled),
            "lockdownNormal" => Some(LockdownMode::Normal),
            "lockdownStrict" => Some(LockdownMode::Strict),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LockdownMode::Disabled => "disabled",
            LockdownMode::Normal => "normal",
            LockdownMode::Strict => "strict",
        }
    }
}

/// Whether a switch is a vSphere Standard Switch or a Distributed Switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SwitchKind {
    Standard,
    Distributed,
    /// An NSX switch (an opaque switch / N-VDS, or NSX on a distributed switch): NSX tunnel
    /// endpoints and vmks on an opaque network.
    Nsx,
}

impl SwitchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SwitchKind::Standard => "standard",
            SwitchKind::Distributed => "distributed",
            SwitchKind::Nsx => "nsx",
        }
    }
}

/// One VMkernel network adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vmk {
    /// `vmk0`, `vmk1`, ...
    pub device: String,
    /// Port group name (the distributed port group's name on a distributed switch).
    #[serde(default)]
    pub portgroup: Option<String>,
    /// vSwitch or distributed switch name.
    #[serde(default)]
    pub switch: Option<String>,
    #[serde(default)]
    pub switch_kind: Option<SwitchKind>,
    /// VLAN: an ID (0 = untagged, 4095 = guest tagging on a standard switch), or a trunk or
    /// private-VLAN spec of a distributed port; `null` when unknown. For a distributed vmk this is
    /// the vmk's own port setting where it overrides the port group.
    #[serde(default)]
    pub vlan: Option<Vlan>,
    /// IPv4 address as the source gave it (kept verbatim so invalid values can be reported).
    #[serde(default)]
    pub ipv4: Option<String>,
    /// IPv4 netmask as a dotted quad.
    #[serde(default)]
    pub netmask: Option<String>,
    #[serde(default)]
    pub dhcp: Option<bool>,
    #[serde(default)]
    pub mtu: Option<u32>,
    /// TCP/IP stack key (`defaultTcpipStack`, `vmotion`, `vSphereProvisioning`, custom names).
    #[serde(default)]
    pub netstack: Option<String>,
    /// The vmk's own default-gateway override; `null` when none.
    #[serde(default)]
    pub gateway: Option<String>,
    /// vSphere nicType strings of the services enabled on this vmk; `null` when unknown.
    #[serde(default)]
    pub services: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// IPv6 addresses with their prefix length (`fd00::1/64`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6: Vec<String>,
    /// The vmk's IPv6 default-gateway override; `null` when none or unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_gateway: Option<String>,
    /// IPv6 address from DHCPv6; `null` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_dhcp: Option<bool>,
    /// IPv6 router-advertisement autoconfiguration; `null` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_autoconf: Option<bool>,
    /// The effective failover order of the vmk's port (port group policy, with a distributed
    /// port's own override); `null` when unknown.
    #[serde(default)]
    pub teaming: Option<Teaming>,
    /// The effective security policy of the vmk's port group; `null` when unknown.
    #[serde(default)]
    pub security: Option<SecurityPolicy>,
    /// Bound to the host's software iSCSI adapter (port binding); `null` when the binding is
    /// unknown.
    #[serde(default)]
    pub iscsi_bound: Option<bool>,
    /// The gateway an export tool showed for this vmk without saying whether it is an override
    /// or the stack's gateway (RVTools' "Gateway" column). Informational only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_gateway: Option<String>,
}

impl Vmk {
    /// A vmk with only a device name; every other field unknown.
    pub fn named(device: impl Into<String>) -> Self {
        Vmk {
            device: device.into(),
            portgroup: None,
            switch: None,
            switch_kind: None,
            vlan: None,
            ipv4: None,
            netmask: None,
            dhcp: None,
            mtu: None,
            netstack: None,
            gateway: None,
            services: None,
            mac: None,
            ipv6: Vec::new(),
            ipv6_gateway: None,
            ipv6_dhcp: None,
            ipv6_autoconf: None,
            teaming: None,
            security: None,
            iscsi_bound: None,
            reported_gateway: None,
        }
    }

    /// Whether the vmk carries `service`; `None` when services are unknown.
    pub fn has_service(&self, service: &str) -> Option<bool> {
        self.services
            .as_ref()
            .map(|s| s.iter().any(|x| x == service))
    }

    /// The VLAN ID when the vmk's VLAN is a plain ID (not a trunk or private VLAN), else `None`.
    pub fn vlan_id(&self) -> Option<u16> {
        match self.vlan {
            Some(Vlan::Id(id)) => Some(id),
            _ => None,
        }
    }

    /// The parsed IPv4 interface (address + prefix), when both address and mask are valid.
    pub fn ipv4_net(&self) -> Option<ipnet::Ipv4Net> {
        let addr: std::net::Ipv4Addr = self.ipv4.as_deref()?.trim().parse().ok()?;
        let mask: std::net::Ipv4Addr = self.netmask.as_deref()?.trim().parse().ok()?;
        let prefix = ipnet::ipv4_mask_to_prefix(mask).ok()?;
        ipnet::Ipv4Net::new(addr, prefix).ok()
    }
}

/// One TCP/IP stack instance of a host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Netstack {
    pub key: String,
    /// The stack's IPv4 default gateway; `null` when none.
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_gateway: Option<String>,
    /// Static routes configured on this stack (not the default route); `null` when not
    /// collected, `[]` when there are none.
    #[serde(default)]
    pub routes: Option<Vec<Route>>,
}

impl Netstack {
    /// A stack with only a key and a gateway; routes unknown.
    pub fn new(key: impl Into<String>, gateway: Option<String>) -> Self {
        Netstack {
            key: key.into(),
            gateway,
            ipv6_gateway: None,
            routes: None,
        }
    }
}

/// One static route of a TCP/IP stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Destination in CIDR notation (`10.1.2.0/24`), as the source gave it.
    pub network: String,
    pub gateway: String,
    /// The vmk the route is bound to; `null` when not bound.
    #[serde(default)]
    pub device: Option<String>,
}

impl Route {
    /// The destination network, when it parses as CIDR.
    pub fn net(&self) -> Option<ipnet::IpNet> {
        self.network.trim().parse().ok()
    }
}

/// A VLAN setting: a plain ID or a distributed port's trunk / private-VLAN spec.
///
/// In JSON an ID is a number (`120`), a trunk `{"trunk": [[0, 99], [200, 200]]}` (inclusive
/// ranges), a private VLAN `{"pvlan": 101}` (the secondary VLAN ID).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Vlan {
    Id(u16),
    Spec(VlanSpec),
}

// By hand rather than `untagged`, so a bad value says what was expected (serde's untagged
// enums only say "did not match any variant").
impl<'de> Deserialize<'de> for Vlan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Vlan;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a VLAN ID 0-4095, {\"trunk\": [[first, last], ...]} or {\"pvlan\": ID}",
                )
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Vlan, E> {
                match u16::try_from(v) {
                    Ok(id) if id <= 4095 => Ok(Vlan::Id(id)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)),
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Vlan, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Vlan, A::Error> {
                VlanSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Vlan::Spec)
            }
        }
        d.deserialize_any(V)
    }
}

/// A distributed port's VLAN spec that is not one ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum VlanSpec {
    /// VLAN trunking: inclusive ranges of VLAN IDs.
    Trunk(Vec<[u16; 2]>),
    /// Private VLAN: the secondary (or isolated/community) VLAN ID.
    Pvlan(u16),
}

impl std::fmt::Display for Vlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Vlan::Id(id) => write!(f, "{id}"),
            Vlan::Spec(VlanSpec::Pvlan(id)) => write!(f, "pvlan {id}"),
            Vlan::Spec(VlanSpec::Trunk(ranges)) => {
                f.write_str("trunk ")?;
                for (i, [a, b]) in ranges.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if a == b {
                        write!(f, "{a}")?;
                    } else {
                        write!(f, "{a}-{b}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The effective NIC teaming and failover order of a vmk's port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Teaming {
    /// The load-balancing policy as the API gives it (`loadbalance_srcid`, `loadbalance_ip`,
    /// `loadbalance_srcmac`, `loadbalance_loadbased`, `failover_explicit`); `null` when unknown.
    #[serde(default)]
    pub policy: Option<String>,
    /// Active uplinks, as the host's physical NIC names (`vmnic0`), in failover order.
    #[serde(default)]
    pub active: Vec<String>,
    /// Standby uplinks, as physical NIC names, in failover order.
    #[serde(default)]
    pub standby: Vec<String>,
}

/// The effective security policy of a vmk's port group; each `null` when unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityPolicy {
    /// Promiscuous mode accepted.
    #[serde(default)]
    pub promiscuous: Option<bool>,
    /// MAC address changes accepted.
    #[serde(default)]
    pub mac_changes: Option<bool>,
    /// Forged transmits accepted.
    #[serde(default)]
    pub forged_transmits: Option<bool>,
}

/// A standard or distributed switch as seen from one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    pub name: String,
    pub kind: SwitchKind,
    #[serde(default)]
    pub mtu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uplinks: Option<Vec<String>>,
}

/// The host firewall configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Firewall {
    /// Default policy blocks incoming traffic.
    pub incoming_blocked: bool,
    /// Default policy blocks outgoing traffic.
    pub outgoing_blocked: bool,
    #[serde(default)]
    pub rulesets: Vec<FirewallRuleset>,
}

/// One firewall ruleset (`sshServer`, `nfc`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallRuleset {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub enabled: bool,
    /// Accepts connections from every IP address.
    pub all_ip: bool,
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    /// CIDR strings (`10.0.0.0/24`).
    #[serde(default)]
    pub allowed_networks: Vec<String>,
    /// The user may set this ruleset's allowed IP list (`ipListUserConfigurable`, vSphere 8.0
    /// U2+); `null` when the server does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_list_user_configurable: Option<bool>,
    /// The user may enable or disable this ruleset (`userControllable`, vSphere 8.0 U2+);
    /// `null` when the server does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_controllable: Option<bool>,
    /// The ruleset's port rules; `null` when not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<FirewallRule>>,
}

/// One port rule of a firewall ruleset (`HostFirewallRule`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallRule {
    pub direction: Direction,
    /// `tcp` or `udp`, as the API gives it.
    pub protocol: String,
    pub port: u16,
    /// Last port of a port range; `null` for a single port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_port: Option<u16>,
}

/// Direction of a firewall rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// Natural order of device names: `vmk2` before `vmk10`, `vmk10` before `vmk10a`, `vmk2a`
/// before `vmk10a`. Runs of digits compare by their value (of any length, leading zeros
/// ignored), everything else byte by byte (a digit run sits where a digit would), a name before
/// its own continuation; equal values (`vmk7`, `vmk007`) are then told apart by their text, so
/// the order is total and deterministic. Used wherever vmks are listed (collected hosts, rule
/// messages); it allocates nothing, since it runs for every rule on every host.
pub fn device_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    /// The digit run at the start of `s` without its leading zeros, and the rest.
    fn number(s: &[u8]) -> (&[u8], &[u8]) {
        let len = s.iter().take_while(|c| c.is_ascii_digit()).count();
        let (digits, rest) = s.split_at(len);
        let zeros = digits.iter().take_while(|c| **c == b'0').count();
        (&digits[zeros..], rest)
    }
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    let natural = loop {
        match (x.first(), y.first()) {
            (None, None) => break Ordering::Equal,
            (None, Some(_)) => break Ordering::Less,
            (Some(_), None) => break Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let ((m, x_rest), (n, y_rest)) = (number(x), number(y));
                match m.len().cmp(&n.len()).then_with(|| m.cmp(n)) {
                    Ordering::Equal => (x, y) = (x_rest, y_rest),
                    o => break o,
                }
            }
            (Some(p), Some(q)) if p == q => (x, y) = (&x[1..], &y[1..]),
            (Some(p), Some(q)) => break p.cmp(q),
        }
    };
    natural.then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shrink_to_fit_keeps_the_host_and_drops_spare_room() {
        let text = r#"{"name": "esx1", "vmks": [{"device": "vmk0", "services": ["management"]},
            {"device": "vmk1", "services": ["vmotion", "vsan"]}],
            "switches": [{"name": "vSwitch0", "kind": "standard", "uplinks": ["vmnic0"]}],
            "firewall": {"incoming_blocked": true, "outgoing_blocked": true, "rulesets": [
                {"key": "sshServer", "enabled": true, "all_ip": false,
                 "allowed_ips": ["10.0.0.5"], "allowed_networks": ["10.1.0.0/16"]}]}}"#;
        let read: Host = serde_json::from_str(text).unwrap();
        assert!(
            read.vmks.capacity() > read.vmks.len(),
            "the test needs spare room"
        );
        let mut host = read.clone();
        host.shrink_to_fit();
        assert_eq!(host, read);
        assert_eq!(host.vmks.capacity(), 2);
        assert_eq!(host.vmks[0].services.as_ref().unwrap().capacity(), 1);
        let rulesets = &host.firewall.as_ref().unwrap().rulesets;
        assert_eq!(rulesets.capacity(), 1);
        assert_eq!(rulesets[0].allowed_networks.capacity(), 1);
        assert_eq!(
            host.switches.as_ref().unwrap()[0]
                .uplinks
                .as_ref()
                .unwrap()
                .capacity(),
            1
        );
    }

    use super::*;

    #[test]
    fn duplicate_host_names_are_listed_once() {
        let mut inv = Inventory::new();
        for n in ["b", "a", "b", "c", "b", "a"] {
            inv.hosts.push(Host::named(n));
        }
        assert_eq!(inv.duplicate_host_names(), ["a", "b"]);
    }

    #[test]
    fn devices_are_in_natural_order() {
        use std::cmp::Ordering;
        let sorted = |names: &[&'static str]| {
            let mut v = names.to_vec();
            v.sort_by(|a, b| device_order(a, b));
            v
        };
        assert_eq!(
            sorted(&["vmk10", "vmk2", "vmk1", "vmk0", "vmk10a", "vmk2a"]),
            ["vmk0", "vmk1", "vmk2", "vmk2a", "vmk10", "vmk10a"]
        );
        // Where the collector's and the rules' orders disagreed: a name without digits comes
        // before its numbered ones, a later digit run still counts by value.
        assert_eq!(sorted(&["vmk1", "vmk"]), ["vmk", "vmk1"]);
        assert_eq!(sorted(&["vmk10a", "vmk2a"]), ["vmk2a", "vmk10a"]);
        assert_eq!(sorted(&["vmk1.10", "vmk1.9"]), ["vmk1.9", "vmk1.10"]);
        // Non-vmk names, numbers too large for any integer type, leading zeros.
        assert_eq!(
            sorted(&[
                "eth10",
                "vmk99999999999999999999",
                "eth9",
                "vmk18446744073709551616"
            ]),
            [
                "eth9",
                "eth10",
                "vmk18446744073709551616",
                "vmk99999999999999999999"
            ]
        );
        assert_eq!(
            sorted(&["vmk7", "vmk007", "vmk06"]),
            ["vmk06", "vmk007", "vmk7"]
        );
        assert_eq!(device_order("vmk3", "vmk3"), Ordering::Equal);

        // The byte-wise loop orders like the plain definition: the name as a list of pieces,
        // a run of digits by its value (written at the place of a digit), any other byte as
        // itself; then the text.
        fn key(s: &str) -> Vec<(u8, usize, String)> {
            let mut out = Vec::new();
            let mut rest = s;
            while let Some(c) = rest.chars().next() {
                if c.is_ascii_digit() {
                    let end = rest
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(rest.len());
                    let value = rest[..end].trim_start_matches('0');
                    out.push((b'0', value.len(), value.to_string()));
                    rest = &rest[end..];
                } else {
                    // Each byte of the character (UTF-8 orders as its bytes).
                    out.extend(c.to_string().bytes().map(|b| (b, 0, String::new())));
                    rest = &rest[c.len_utf8()..];
                }
            }
            out
        }
        let names = [
            "",
            "vmk",
            "vmk0",
            "vmk00",
            "vmk7",
            "vmk007",
            "vmk10",
            "vmk10a",
            "vmk2a",
            "vmk2b1",
            "vmk2b10",
            "vmk18446744073709551616",
            "vmk99999999999999999999",
            "vmkä1",
            "vmk1a",
            "vmk-1",
            "1",
            "a10",
            "A10",
            "vmk 1",
            "0",
            "00",
        ];
        for a in names {
            for b in names {
                let reference = key(a).cmp(&key(b)).then_with(|| a.cmp(b));
                assert_eq!(device_order(a, b), reference, "{a:?} vs {b:?}");
            }
        }
    }
}
