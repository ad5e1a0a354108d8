//! Configuration drift: what changed in the estate between the previous run's inventory and
//! this one.
//!
//! [`compare`] lists, per host, the vmks added and removed and, per vmk, changes of address,
//! netmask, DHCP, gateway override, MTU, services, port group, switch, VLAN, TCP/IP stack and
//! teaming; the TCP/IP stacks' gateways and static routes; the switches' MTU and uplinks; the
//! firewall's default policy and its rulesets (added, removed, enabled, allowed addresses); the
//! host services (running, startup policy); the ESXi version; and hosts added or removed. A value
//! that one of the two inventories does not know (`null`: a source that does not provide it) is
//! not a change. A host is compared only when it was connected both times.
//!
//! A host of the previous inventory that this run could not look at is *unverified*, never
//! removed: it is not connected now, or it is missing while its source (or, when the host does
//! not name its source, any source) failed this time. Every change is one [`Change`], in a
//! deterministic order (host, item, object in natural device order, field); the values are plain
//! text as the inventory has them (`true`/`false` for switches of state), so the report can
//! translate the few words among them.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::{device_order, Host, Inventory, Vmk};

/// What a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Host,
    Vmk,
    Netstack,
    Switch,
    Firewall,
    Ruleset,
    Service,
}

impl Item {
    pub const ALL: [Item; 7] = [
        Item::Host,
        Item::Vmk,
        Item::Netstack,
        Item::Switch,
        Item::Firewall,
        Item::Ruleset,
        Item::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Item::Host => "host",
            Item::Vmk => "vmk",
            Item::Netstack => "netstack",
            Item::Switch => "switch",
            Item::Firewall => "firewall",
            Item::Ruleset => "ruleset",
            Item::Service => "service",
        }
    }
}

/// Added, removed, changed, or not looked at this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Added,
    Removed,
    Changed,
    /// A host of the previous run that this run could not look at (not connected, or its
    /// source failed); `after` is its connection state when it is in the inventory.
    Unverified,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Changed, Kind::Added, Kind::Removed, Kind::Unverified];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Changed => "changed",
            Kind::Unverified => "unverified",
        }
    }
}

/// The setting that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    // A vmk.
    Ipv4,
    Netmask,
    Dhcp,
    Ipv6,
    Gateway,
    Mtu,
    Services,
    Portgroup,
    Switch,
    Vlan,
    Netstack,
    Teaming,
    // A TCP/IP stack (also `Gateway`).
    Routes,
    // A switch (also `Mtu`).
    Uplinks,
    // The firewall's default policy.
    IncomingBlocked,
    OutgoingBlocked,
    // A firewall ruleset.
    Enabled,
    AllowedIps,
    // A host service.
    Running,
    Policy,
    // The host.
    Version,
}

impl Field {
    pub const ALL: [Field; 21] = [
        Field::Ipv4,
        Field::Netmask,
        Field::Dhcp,
        Field::Ipv6,
        Field::Gateway,
        Field::Mtu,
        Field::Services,
        Field::Portgroup,
        Field::Switch,
        Field::Vlan,
        Field::Netstack,
        Field::Teaming,
        Field::Routes,
        Field::Uplinks,
        Field::IncomingBlocked,
        Field::OutgoingBlocked,
        Field::Enabled,
        Field::AllowedIps,
        Field::Running,
        Field::Policy,
        Field::Version,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Ipv4 => "ipv4",
            Field::Netmask => "netmask",
            Field::Dhcp => "dhcp",
            Field::Ipv6 => "ipv6",
            Field::Gateway => "gateway",
            Field::Mtu => "mtu",
            Field::Services => "services",
            Field::Portgroup => "portgroup",
            Field::Switch => "switch",
            Field::Vlan => "vlan",
            Field::Netstack => "netstack",
            Field::Teaming => "teaming",
            Field::Routes => "routes",
            Field::Uplinks => "uplinks",
            Field::IncomingBlocked => "incoming_blocked",
            Field::OutgoingBlocked => "outgoing_blocked",
            Field::Enabled => "enabled",
            Field::AllowedIps => "allowed_ips",
            Field::Running => "running",
            Field::Policy => "policy",
            Field::Version => "version",
        }
    }

    /// The field's values are `true`/`false`.
    pub fn is_flag(self) -> bool {
        matches!(
            self,
            Field::Dhcp
                | Field::IncomingBlocked
                | Field::OutgoingBlocked
                | Field::Enabled
                | Field::Running
        )
    }
}

/// The value of [`Field::AllowedIps`] for a ruleset that accepts every address.
pub const ALL_IPS: &str = "all";

/// One change since the previous run (a `changes.csv` row; `drift` in findings.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub host: String,
    /// The host's cluster (this run's; the previous run's for a host that is gone).
    #[serde(default)]
    pub cluster: Option<String>,
    pub item: Item,
    /// The vmk, stack, switch, ruleset or service; `null` for the host or its firewall.
    #[serde(default)]
    pub object: Option<String>,
    pub kind: Kind,
    /// What changed (for [`Kind::Changed`]).
    #[serde(default)]
    pub field: Option<Field>,
    /// The previous run's value; `null` for none.
    #[serde(default)]
    pub before: Option<String>,
    /// This run's value; `null` for none.
    #[serde(default)]
    pub after: Option<String>,
}

impl Change {
    /// A configuration change (not a host this run could not look at).
    pub fn is_drift(&self) -> bool {
        self.kind != Kind::Unverified
    }
}

/// How many changes of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
    pub unverified: usize,
}

impl Counts {
    pub fn of(changes: &[Change]) -> Counts {
        let mut c = Counts::default();
        for ch in changes {
            *match ch.kind {
                Kind::Changed => &mut c.changed,
                Kind::Added => &mut c.added,
                Kind::Removed => &mut c.removed,
                Kind::Unverified => &mut c.unverified,
            } += 1;
        }
        c
    }

    /// Configuration changes (everything but unverified hosts).
    pub fn drift(&self) -> usize {
        self.changed + self.added + self.removed
    }
}

/// What an inventory could look at: the sources it collected and whether every one was.
struct Reach<'a> {
    collected: BTreeSet<&'a str>,
    complete: bool,
}

impl<'a> Reach<'a> {
    fn of(inv: &'a Inventory) -> Reach<'a> {
        Reach {
            collected: inv
                .sources
                .iter()
                .filter(|s| s.error.is_none())
                .map(|s| s.name.as_str())
                .collect(),
            complete: inv.sources.iter().all(|s| s.error.is_none()),
        }
    }

    /// A host named `host` (of the other inventory, from `source`) would be in this one if it
    /// existed: every source was collected, or the host's own source was.
    fn would_see(&self, source: Option<&str>) -> bool {
        self.complete || source.is_some_and(|s| self.collected.contains(s))
    }
}

/// The hosts of an inventory by name; a name listed twice (two sources) is the connected copy.
fn by_name(inv: &Inventory) -> BTreeMap<&str, &Host> {
    let mut out: BTreeMap<&str, &Host> = BTreeMap::new();
    for h in &inv.hosts {
        match out.get(h.name.as_str()) {
            Some(seen) if seen.is_connected() || !h.is_connected() => {}
            _ => {
                out.insert(h.name.as_str(), h);
            }
        }
    }
    out
}

/// The changes from `before` (the previous run's inventory) to `after` (this run's).
pub fn compare(before: &Inventory, after: &Inventory) -> Vec<Change> {
    let old = by_name(before);
    let new = by_name(after);
    let (old_reach, new_reach) = (Reach::of(before), Reach::of(after));
    let mut out = Vec::new();
    for (&name, &was) in &old {
        let mut at = Out {
            host: name,
            cluster: None,
            out: &mut out,
        };
        match new.get(name) {
            None => {
                at.cluster = was.cluster.as_deref();
                if new_reach.would_see(was.source.as_deref()) {
                    at.push(Item::Host, None, Kind::Removed, None, None, None);
                } else {
                    at.push(Item::Host, None, Kind::Unverified, None, None, None);
                }
            }
            Some(&now) => {
                at.cluster = now.cluster.as_deref();
                if !now.is_connected() {
                    if was.is_connected() {
                        let state = now.connection_state.clone();
                        at.push(Item::Host, None, Kind::Unverified, None, None, state);
                    }
                } else if was.is_connected() {
                    host(&mut at, was, now);
                }
            }
        }
    }
    for (&name, &now) in &new {
        if !old.contains_key(name) && old_reach.would_see(now.source.as_deref()) {
            Out {
                host: name,
                cluster: now.cluster.as_deref(),
                out: &mut out,
            }
            .push(Item::Host, None, Kind::Added, None, None, None);
        }
    }
    out.sort_by(order);
    out
}

/// Hosts by name, then item, then object (natural device order), then field.
fn order(a: &Change, b: &Change) -> Ordering {
    a.host
        .cmp(&b.host)
        .then(a.item.cmp(&b.item))
        .then_with(|| match (&a.object, &b.object) {
            (Some(x), Some(y)) => device_order(x, y),
            (x, y) => x.cmp(y),
        })
        .then(a.field.cmp(&b.field))
}

/// Where the changes of one host go.
struct Out<'a, 'o> {
    host: &'a str,
    cluster: Option<&'a str>,
    out: &'o mut Vec<Change>,
}

impl Out<'_, '_> {
    fn push(
        &mut self,
        item: Item,
        object: Option<&str>,
        kind: Kind,
        field: Option<Field>,
        before: Option<String>,
        after: Option<String>,
    ) {
        self.out.push(Change {
            host: self.host.to_string(),
            cluster: self.cluster.map(str::to_string),
            item,
            object: object.map(str::to_string),
            kind,
            field,
            before,
            after,
        });
    }

    /// A change of `field` when the values differ (`None` is a value: none).
    fn value(
        &mut self,
        item: Item,
        object: Option<&str>,
        field: Field,
        before: Option<String>,
        after: Option<String>,
    ) {
        if before != after {
            self.push(item, object, Kind::Changed, Some(field), before, after);
        }
    }

    /// A change of a `true`/`false` setting.
    fn flag(&mut self, item: Item, object: Option<&str>, field: Field, before: bool, after: bool) {
        self.value(item, object, field, Some(flag(before)), Some(flag(after)));
    }

    /// A change of `field` when both runs know it and the values differ.
    fn known(
        &mut self,
        item: Item,
        object: Option<&str>,
        field: Field,
        before: Option<String>,
        after: Option<String>,
    ) {
        if before.is_some() && after.is_some() {
            self.value(item, object, field, before, after);
        }
    }

    /// Objects (keyed by name) added, removed, and compared with `each` when in both.
    fn keyed<T>(
        &mut self,
        item: Item,
        before: &[T],
        after: &[T],
        key: fn(&T) -> &str,
        mut each: impl FnMut(&mut Self, &str, &T, &T),
    ) {
        let mut old: HashMap<&str, &T> = HashMap::new();
        for t in before {
            old.entry(key(t)).or_insert(t);
        }
        let mut new_keys = BTreeSet::new();
        for now in after {
            let key = key(now);
            if !new_keys.insert(key) {
                continue; // a key listed twice: the first counts
            }
            match old.get(key) {
                Some(was) => each(self, key, was, now),
                None => self.push(item, Some(key), Kind::Added, None, None, None),
            }
        }
        let mut gone: Vec<&str> = old
            .keys()
            .copied()
            .filter(|k| !new_keys.contains(k))
            .collect();
        gone.sort();
        for key in gone {
            self.push(item, Some(key), Kind::Removed, None, None, None);
        }
    }
}

fn flag(b: bool) -> String {
    b.to_string()
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

fn sorted(items: &[String]) -> String {
    let mut v = items.to_vec();
    v.sort();
    v.dedup();
    list(&v)
}

/// Compare two connected copies of one host.
fn host(at: &mut Out, was: &Host, now: &Host) {
    let version = |h: &Host| match (&h.version, &h.build) {
        (Some(v), Some(b)) => Some(format!("{v} ({b})")),
        (Some(v), None) => Some(v.clone()),
        _ => None,
    };
    at.known(Item::Host, None, Field::Version, version(was), version(now));

    at.keyed(Item::Vmk, &was.vmks, &now.vmks, |v| &v.device, vmk);

    if let (Some(a), Some(b)) = (&was.netstacks, &now.netstacks) {
        at.keyed(
            Item::Netstack,
            a,
            b,
            |n| &n.key,
            |at, key, x, y| {
                at.value(
                    Item::Netstack,
                    Some(key),
                    Field::Gateway,
                    x.gateway.clone(),
                    y.gateway.clone(),
                );
                let routes = |n: &crate::model::Netstack| {
                    n.routes.as_ref().map(|r| {
                        let mut v: Vec<String> = r
                            .iter()
                            .map(|r| match &r.device {
                                Some(d) => format!("{} via {} dev {d}", r.network, r.gateway),
                                None => format!("{} via {}", r.network, r.gateway),
                            })
                            .collect();
                        v.sort();
                        v.join("; ")
                    })
                };
                at.known(
                    Item::Netstack,
                    Some(key),
                    Field::Routes,
                    routes(x),
                    routes(y),
                );
            },
        );
    }

    if let (Some(a), Some(b)) = (&was.switches, &now.switches) {
        at.keyed(
            Item::Switch,
            a,
            b,
            |s| &s.name,
            |at, name, x, y| {
                let mtu = |s: &crate::model::Switch| s.mtu.map(|m| m.to_string());
                at.known(Item::Switch, Some(name), Field::Mtu, mtu(x), mtu(y));
                let up = |s: &crate::model::Switch| s.uplinks.as_deref().map(sorted);
                at.known(Item::Switch, Some(name), Field::Uplinks, up(x), up(y));
            },
        );
    }

    if let (Some(a), Some(b)) = (&was.firewall, &now.firewall) {
        at.flag(
            Item::Firewall,
            None,
            Field::IncomingBlocked,
            a.incoming_blocked,
            b.incoming_blocked,
        );
        at.flag(
            Item::Firewall,
            None,
            Field::OutgoingBlocked,
            a.outgoing_blocked,
            b.outgoing_blocked,
        );
        at.keyed(
            Item::Ruleset,
            &a.rulesets,
            &b.rulesets,
            |r| &r.key,
            |at, key, x, y| {
                at.flag(
                    Item::Ruleset,
                    Some(key),
                    Field::Enabled,
                    x.enabled,
                    y.enabled,
                );
                let allowed = |r: &crate::model::FirewallRuleset| {
                    if r.all_ip {
                        ALL_IPS.to_string()
                    } else {
                        let mut v = r.allowed_ips.clone();
                        v.extend(r.allowed_networks.iter().cloned());
                        sorted(&v)
                    }
                };
                at.value(
                    Item::Ruleset,
                    Some(key),
                    Field::AllowedIps,
                    Some(allowed(x)),
                    Some(allowed(y)),
                );
            },
        );
    }

    if let (Some(a), Some(b)) = (&was.services, &now.services) {
        at.keyed(
            Item::Service,
            a,
            b,
            |s| &s.key,
            |at, key, x, y| {
                at.flag(
                    Item::Service,
                    Some(key),
                    Field::Running,
                    x.running,
                    y.running,
                );
                at.value(
                    Item::Service,
                    Some(key),
                    Field::Policy,
                    Some(x.policy.clone()),
                    Some(y.policy.clone()),
                );
            },
        );
    }
}

/// Compare two copies of one vmk.
fn vmk(at: &mut Out, device: &str, x: &Vmk, y: &Vmk) {
    let on = Some(device);
    let i = Item::Vmk;
    at.value(i, on, Field::Ipv4, x.ipv4.clone(), y.ipv4.clone());
    at.value(i, on, Field::Netmask, x.netmask.clone(), y.netmask.clone());
    at.known(i, on, Field::Dhcp, x.dhcp.map(flag), y.dhcp.map(flag));
    let v6 = |v: &Vmk| (!v.ipv6.is_empty()).then(|| sorted(&v.ipv6));
    at.value(i, on, Field::Ipv6, v6(x), v6(y));
    at.value(i, on, Field::Gateway, x.gateway.clone(), y.gateway.clone());
    let mtu = |v: &Vmk| v.mtu.map(|m| m.to_string());
    at.known(i, on, Field::Mtu, mtu(x), mtu(y));
    let services = |v: &Vmk| v.services.as_deref().map(sorted);
    at.known(i, on, Field::Services, services(x), services(y));
    at.known(
        i,
        on,
        Field::Portgroup,
        x.portgroup.clone(),
        y.portgroup.clone(),
    );
    at.known(i, on, Field::Switch, x.switch.clone(), y.switch.clone());
    let vlan = |v: &Vmk| v.vlan.as_ref().map(|l| l.to_string());
    at.known(i, on, Field::Vlan, vlan(x), vlan(y));
    at.known(
        i,
        on,
        Field::Netstack,
        x.netstack.clone(),
        y.netstack.clone(),
    );
    let teaming = |v: &Vmk| {
        v.teaming.as_ref().map(|t| {
            let mut s = t.policy.clone().unwrap_or_else(|| "?".into());
            s.push_str(&format!("; active: {}", list(&t.active)));
            if !t.standby.is_empty() {
                s.push_str(&format!("; standby: {}", list(&t.standby)));
            }
            s
        })
    };
    at.known(i, on, Field::Teaming, teaming(x), teaming(y));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Firewall, FirewallRuleset, HostService, Netstack, Source, SourceKind, Teaming, Vlan,
    };

    fn source(name: &str, error: Option<&str>) -> Source {
        Source {
            name: name.into(),
            kind: SourceKind::Vcenter,
            insecure: false,
            collected_at: None,
            product: None,
            error: error.map(str::to_string),
            schema_version: None,
            duration_seconds: None,
        }
    }

    fn vmk(device: &str, ip: &str) -> Vmk {
        Vmk {
            portgroup: Some("Management".into()),
            switch: Some("vSwitch0".into()),
            vlan: Some(Vlan::Id(10)),
            ipv4: Some(ip.into()),
            netmask: Some("255.255.255.0".into()),
            dhcp: Some(false),
            mtu: Some(1500),
            netstack: Some("defaultTcpipStack".into()),
            services: Some(vec!["management".into()]),
            teaming: Some(Teaming {
                policy: Some("loadbalance_srcid".into()),
                active: vec!["vmnic0".into()],
                standby: vec!["vmnic1".into()],
            }),
            ..Vmk::named(device)
        }
    }

    fn host(name: &str, source: &str) -> Host {
        Host {
            cluster: Some("CL1".into()),
            source: Some(source.into()),
            connection_state: Some("connected".into()),
            version: Some("8.0.2".into()),
            build: Some("22380479".into()),
            vmks: vec![vmk("vmk0", "10.0.0.11"), vmk("vmk1", "10.0.1.11")],
            netstacks: Some(vec![Netstack::new(
                "defaultTcpipStack",
                Some("10.0.0.1".into()),
            )]),
            firewall: Some(Firewall {
                incoming_blocked: true,
                outgoing_blocked: true,
                rulesets: vec![FirewallRuleset {
                    key: "sshServer".into(),
                    label: None,
                    enabled: false,
                    all_ip: true,
                    allowed_ips: vec![],
                    allowed_networks: vec![],
                    ip_list_user_configurable: None,
                    user_controllable: None,
                    rules: None,
                }],
            }),
            services: Some(vec![HostService {
                key: "TSM-SSH".into(),
                label: None,
                running: false,
                policy: "off".into(),
            }]),
            ..Host::named(name)
        }
    }

    fn inv(sources: Vec<Source>, hosts: Vec<Host>) -> Inventory {
        Inventory {
            sources,
            hosts,
            ..Inventory::new()
        }
    }

    fn row(c: &Change) -> (String, &str, Option<&str>, &str, Option<&str>) {
        (
            c.host.clone(),
            c.item.as_str(),
            c.object.as_deref(),
            c.kind.as_str(),
            c.field.map(Field::as_str),
        )
    }

    fn lab() -> Inventory {
        inv(
            vec![source("vc1", None), source("vc2", None)],
            vec![
                host("esx1", "vc1"),
                host("esx2", "vc1"),
                host("esx3", "vc2"),
            ],
        )
    }

    #[test]
    fn the_same_inventory_has_no_changes() {
        assert_eq!(compare(&lab(), &lab()), Vec::new());
    }

    #[test]
    fn every_vmk_setting_is_compared() {
        let before = lab();
        let mut after = lab();
        let v = &mut after.hosts[0].vmks[1];
        v.ipv4 = Some("10.0.1.21".into());
        v.netmask = Some("255.255.254.0".into());
        v.gateway = Some("10.0.1.1".into());
        v.mtu = Some(9000);
        v.services = Some(vec!["vSphereProvisioning".into(), "vmotion".into()]);
        v.portgroup = Some("vMotion".into());
        v.vlan = Some(Vlan::Id(20));
        v.netstack = Some("vmotion".into());
        v.teaming.as_mut().unwrap().active = vec!["vmnic1".into()];
        v.teaming.as_mut().unwrap().standby = vec!["vmnic0".into()];
        let got = compare(&before, &after);
        let fields: Vec<_> = got.iter().map(|c| c.field.unwrap().as_str()).collect();
        assert_eq!(
            fields,
            [
                "ipv4",
                "netmask",
                "gateway",
                "mtu",
                "services",
                "portgroup",
                "vlan",
                "netstack",
                "teaming"
            ]
        );
        assert!(got
            .iter()
            .all(|c| c.host == "esx1" && c.object.as_deref() == Some("vmk1")));
        assert!(got.iter().all(|c| c.cluster.as_deref() == Some("CL1")));
        let by = |f: Field| got.iter().find(|c| c.field == Some(f)).unwrap();
        assert_eq!(by(Field::Ipv4).before.as_deref(), Some("10.0.1.11"));
        assert_eq!(by(Field::Ipv4).after.as_deref(), Some("10.0.1.21"));
        assert_eq!(by(Field::Gateway).before, None);
        assert_eq!(
            by(Field::Services).after.as_deref(),
            Some("vSphereProvisioning, vmotion")
        );
        assert_eq!(
            by(Field::Teaming).before.as_deref(),
            Some("loadbalance_srcid; active: vmnic0; standby: vmnic1")
        );
    }

    /// A value one run does not know (an import that lacks it) is not a change.
    #[test]
    fn unknown_values_are_not_changes() {
        let before = lab();
        let mut after = lab();
        for v in &mut after.hosts[1].vmks {
            v.vlan = None;
            v.services = None;
            v.teaming = None;
            v.mtu = None;
        }
        after.hosts[1].firewall = None;
        after.hosts[1].services = None;
        after.hosts[1].netstacks = None;
        after.hosts[1].version = None;
        assert_eq!(compare(&before, &after), Vec::new());
        assert_eq!(compare(&after, &before), Vec::new());
    }

    #[test]
    fn vmks_hosts_rulesets_and_services_added_and_removed() {
        let before = lab();
        let mut after = lab();
        after.hosts[0].vmks.push(vmk("vmk10", "10.0.9.1"));
        after.hosts[0].vmks.push(vmk("vmk2", "10.0.2.1"));
        after.hosts[1].vmks.remove(0);
        after.hosts.push(host("esx4", "vc2"));
        after.hosts.remove(2); // esx3 gone from a source that was collected
        let fw = after.hosts[0].firewall.as_mut().unwrap();
        fw.rulesets[0].enabled = true;
        fw.rulesets[0].all_ip = false;
        fw.rulesets[0].allowed_networks = vec!["10.9.0.0/24".into()];
        fw.incoming_blocked = false;
        let svc = &mut after.hosts[0].services.as_mut().unwrap()[0];
        svc.running = true;
        svc.policy = "on".into();
        after.hosts[0].netstacks.as_mut().unwrap()[0].gateway = Some("10.0.0.254".into());
        after.hosts[0].version = Some("8.0.3".into());
        let got = compare(&before, &after);
        let rows: Vec<_> = got.iter().map(row).collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            rows,
            [
                (s("esx1"), "host", None, "changed", Some("version")),
                (s("esx1"), "vmk", Some("vmk2"), "added", None),
                (s("esx1"), "vmk", Some("vmk10"), "added", None),
                (
                    s("esx1"),
                    "netstack",
                    Some("defaultTcpipStack"),
                    "changed",
                    Some("gateway")
                ),
                (
                    s("esx1"),
                    "firewall",
                    None,
                    "changed",
                    Some("incoming_blocked")
                ),
                (
                    s("esx1"),
                    "ruleset",
                    Some("sshServer"),
                    "changed",
                    Some("enabled")
                ),
                (
                    s("esx1"),
                    "ruleset",
                    Some("sshServer"),
                    "changed",
                    Some("allowed_ips")
                ),
                (
                    s("esx1"),
                    "service",
                    Some("TSM-SSH"),
                    "changed",
                    Some("running")
                ),
                (
                    s("esx1"),
                    "service",
                    Some("TSM-SSH"),
                    "changed",
                    Some("policy")
                ),
                (s("esx2"), "vmk", Some("vmk0"), "removed", None),
                (s("esx3"), "host", None, "removed", None),
                (s("esx4"), "host", None, "added", None),
            ]
        );
        let allowed = got
            .iter()
            .find(|c| c.field == Some(Field::AllowedIps))
            .unwrap();
        assert_eq!(allowed.before.as_deref(), Some(ALL_IPS));
        assert_eq!(allowed.after.as_deref(), Some("10.9.0.0/24"));
        let c = Counts::of(&got);
        assert_eq!((c.changed, c.added, c.removed, c.unverified), (7, 3, 2, 0));
        assert_eq!(c.drift(), 12);
    }

    /// A host this run could not look at is unverified, never removed, and nothing on it is
    /// compared.
    #[test]
    fn a_host_not_collected_is_unverified_not_removed() {
        let before = lab();
        // vc2 failed: esx3 is missing; esx2 is in the inventory but not connected.
        let mut after = lab();
        after.sources[1].error = Some("connection refused".into());
        after.hosts.remove(2);
        after.hosts[1].connection_state = Some("notResponding".into());
        after.hosts[1].vmks.clear();
        let got = compare(&before, &after);
        let rows: Vec<_> = got
            .iter()
            .map(|c| (c.host.as_str(), c.kind, c.after.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                ("esx2", Kind::Unverified, Some("notResponding")),
                ("esx3", Kind::Unverified, None)
            ]
        );
        assert!(got.iter().all(|c| !c.is_drift()));
        assert_eq!(Counts::of(&got).drift(), 0);

        // A host missing from a source that was collected, while another failed, is gone.
        let mut after = lab();
        after.sources[1].error = Some("connection refused".into());
        after.hosts.remove(0);
        let got = compare(&before, &after);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].host.as_str(), got[0].kind), ("esx1", Kind::Removed));

        // A host back from a failed source in the previous run is not "added".
        let mut before = lab();
        before.sources[1].error = Some("timeout".into());
        before.hosts.remove(2);
        assert_eq!(compare(&before, &lab()), Vec::new());
        // A host that was not connected has no baseline: nothing to compare when it is back.
        let mut before = lab();
        before.hosts[0].connection_state = Some("disconnected".into());
        before.hosts[0].vmks.clear();
        assert_eq!(compare(&before, &lab()), Vec::new());
    }

    #[test]
    fn changes_round_trip_through_json() {
        let before = lab();
        let mut after = lab();
        after.hosts[0].vmks[0].mtu = Some(9000);
        let got = compare(&before, &after);
        let json = serde_json::to_string(&got).unwrap();
        assert_eq!(
            json,
            r#"[{"host":"esx1","cluster":"CL1","item":"vmk","object":"vmk0","kind":"changed","field":"mtu","before":"1500","after":"9000"}]"#
        );
        let back: Vec<Change> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, got);
        for f in Field::ALL {
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
        for k in Kind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for i in Item::ALL {
            assert_eq!(serde_json::to_value(i).unwrap(), i.as_str());
        }
    }
}
