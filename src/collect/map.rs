//! The mapping of property-collector objects into [`crate::model`].
//!
//! The structure pass fills a [`Structure`] (names and parents of datacenters, folders,
//! compute resources and clusters; distributed switches with their largest MTU and default port
//! setting; distributed port groups with their VLAN, teaming and security policy; the overrides
//! of the distributed ports vmks use); [`map_host`] then maps each HostSystem's properties into
//! a [`Host`] with that structure at hand: placement (cluster, datacenter), switches and uplinks,
//! physical NICs, port groups and VLANs, vmks (NSX tunnel endpoints included) with addresses,
//! MTU, netstack, gateways, IPv6 settings, services, teaming and security policy, netstacks
//! with their static routes, host services, lockdown mode and the firewall with its rules.
//! Properties the server refused per object (`missingSet`) are collected in [`Refused`],
//! logged once per property and reason, and left unknown (`None`) in the inventory. Nothing
//! here talks to the server.

use std::collections::{BTreeMap, HashMap};

use super::object::ObjectContent;
use super::soap::{Fault, MoRef, Node};
use crate::model::{
    Direction, Duplex, Firewall, FirewallRule, FirewallRuleset, Host, HostService, LockdownMode,
    Netstack, Pnic, Route, SecurityPolicy, Switch, SwitchKind, Teaming, Vlan, VlanSpec, Vmk,
    DEFAULT_NETSTACK,
};

/// A distributed switch as the inventory pass saw it.
#[derive(Debug, Clone)]
pub struct DvsInfo {
    pub name: String,
    pub max_mtu: Option<u32>,
    /// The switch object, for FetchDVPorts.
    pub obj: Option<MoRef>,
    /// The switch's default port setting (`config.defaultPortConfig`): what a port group's
    /// inherited policy comes from.
    pub default_port: PortSetting,
}

/// A distributed port group as the inventory pass saw it.
#[derive(Debug, Clone)]
pub struct PortgroupInfo {
    pub name: String,
    /// Its default port setting (`config.defaultPortConfig`).
    pub setting: PortSetting,
    /// Its policy lets a port override the VLAN, teaming or security policy
    /// (`config.policy.vlanOverrideAllowed`, `uplinkTeamingOverrideAllowed`,
    /// `securityPolicyOverrideAllowed`): only then are its ports read.
    pub override_allowed: bool,
    /// The switch UUID is not a port group property; the key of the switch object is.
    pub dvs: Option<MoRef>,
}

/// The VLAN, teaming and security parts of a distributed port setting
/// (`VMwareDVSPortSetting`); each `None` when absent (or, for a port, inherited).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortSetting {
    pub vlan: Option<Vlan>,
    pub teaming: Option<DvTeaming>,
    pub security: Option<SecurityPolicy>,
}

impl PortSetting {
    /// `self`'s parts, each falling back to `under`'s where absent.
    fn over(&self, under: &PortSetting) -> PortSetting {
        PortSetting {
            vlan: self.vlan.clone().or_else(|| under.vlan.clone()),
            teaming: self.teaming.clone().or_else(|| under.teaming.clone()),
            security: self.security.clone().or_else(|| under.security.clone()),
        }
    }
}

/// A distributed teaming policy, with uplink port names (`Uplink 1`, `lag1`).
#[derive(Debug, Clone, PartialEq)]
pub struct DvTeaming {
    pub policy: Option<String>,
    pub active: Vec<String>,
    pub standby: Vec<String>,
}

/// Names and parents of the inventory structure, distributed switches and port groups.
#[derive(Debug, Default)]
pub struct Structure {
    /// name and parent of datacenters, folders, compute resources and clusters.
    pub entities: HashMap<MoRef, (String, Option<MoRef>)>,
    /// By switch UUID.
    pub dvs: HashMap<String, DvsInfo>,
    /// By port group key.
    pub portgroups: HashMap<String, PortgroupInfo>,
    /// The overrides of distributed ports a vmk is connected to, by (switch UUID, port key):
    /// only the parts the port does not inherit.
    pub ports: HashMap<(String, String), PortSetting>,
    /// Properties refused by the server.
    pub refused: Refused,
}

impl Structure {
    /// Cluster and datacenter names of a host whose parent is `parent`.
    pub fn placement(&self, parent: Option<&MoRef>) -> (Option<String>, Option<String>) {
        let mut cluster = None;
        let mut datacenter = None;
        let mut cur = parent.cloned();
        let mut hops = 0;
        while let Some(r) = cur {
            hops += 1;
            if hops > 64 {
                break;
            }
            let Some((name, up)) = self.entities.get(&r) else {
                break;
            };
            match r.kind.as_str() {
                "ClusterComputeResource" => cluster = Some(name.clone()),
                "Datacenter" => {
                    datacenter = Some(name.clone());
                    break;
                }
                _ => {}
            }
            cur = up.clone();
        }
        (cluster, datacenter)
    }

    /// Add one object of the structure pass (a folder, datacenter, compute resource or
    /// cluster, distributed switch or port group), and the properties it was refused.
    pub fn add(&mut self, oc: &ObjectContent) {
        let Some(obj) = oc.obj.clone() else {
            return;
        };
        for (path, fault) in &oc.missing {
            self.refused.add(&obj.to_string(), path, fault);
        }
        let name = oc.text("name").unwrap_or_else(|| obj.value.clone());
        match obj.kind.as_str() {
            "DistributedVirtualPortgroup" => {
                let key = oc.text("key").unwrap_or_else(|| obj.value.clone());
                let setting = oc
                    .props
                    .get("config.defaultPortConfig")
                    .map(|s| port_setting(s, false))
                    .unwrap_or_default();
                let override_allowed = oc.props.get("config.policy").is_some_and(|p| {
                    [
                        "vlanOverrideAllowed",
                        "uplinkTeamingOverrideAllowed",
                        "securityPolicyOverrideAllowed",
                    ]
                    .iter()
                    .any(|f| p.bool_at(f) == Some(true))
                });
                let dvs = oc
                    .props
                    .get("config.distributedVirtualSwitch")
                    .and_then(Node::as_moref);
                self.portgroups.insert(
                    key,
                    PortgroupInfo {
                        name,
                        setting,
                        override_allowed,
                        dvs,
                    },
                );
            }
            k if k.contains("DistributedVirtualSwitch") => {
                let whole = oc.props.get("config");
                let max_mtu = oc
                    .props
                    .get("config.maxMtu")
                    .and_then(|n| n.text.trim().parse().ok())
                    .or_else(|| {
                        whole
                            .and_then(|c| c.int_at("maxMtu"))
                            .and_then(|v| u32::try_from(v).ok())
                    });
                let default_port = oc
                    .props
                    .get("config.defaultPortConfig")
                    .or_else(|| whole.and_then(|c| c.child("defaultPortConfig")))
                    .map(|s| port_setting(s, false))
                    .unwrap_or_default();
                if let Some(uuid) = oc.text("uuid") {
                    self.dvs.insert(
                        uuid,
                        DvsInfo {
                            name,
                            max_mtu,
                            obj: Some(obj),
                            default_port,
                        },
                    );
                }
            }
            _ => {
                let parent = oc.props.get("parent").and_then(Node::as_moref);
                self.entities.insert(obj, (name, parent));
            }
        }
    }

    /// Add the ports of a FetchDVPorts answer: the overrides of those a vmk is connected to.
    pub fn add_ports(&mut self, resp: &Node) {
        for port in resp.all("returnval") {
            let connectee = port.text_at("connectee.type");
            if connectee.as_deref() != Some("hostVmkVirtualNic") {
                continue;
            }
            let (Some(uuid), Some(key)) = (port.text_at("dvsUuid"), port.text_at("key")) else {
                continue;
            };
            let Some(setting) = port.path("config.setting") else {
                continue;
            };
            let own = port_setting(setting, true);
            if own != PortSetting::default() {
                self.ports.insert((uuid, key), own);
            }
        }
    }

    /// The port groups whose ports may override their policy, by the switch they are on.
    pub fn overridable_portgroups(&self) -> BTreeMap<MoRef, Vec<String>> {
        let mut out: BTreeMap<MoRef, Vec<String>> = BTreeMap::new();
        for (key, pg) in &self.portgroups {
            if let (true, Some(dvs)) = (pg.override_allowed, &pg.dvs) {
                out.entry(dvs.clone()).or_default().push(key.clone());
            }
        }
        for keys in out.values_mut() {
            keys.sort();
        }
        out
    }
}

/// A policy part of a distributed port setting is the port's own when its `inherited` is
/// false; a port's inherited parts are left out (`own_only`), a port group's kept.
fn part<'a>(setting: &'a Node, name: &str, own_only: bool) -> Option<&'a Node> {
    let p = setting.child(name)?;
    (!own_only || p.bool_at("inherited") == Some(false)).then_some(p)
}

/// The VLAN, teaming and security parts of a distributed port setting.
fn port_setting(setting: &Node, own_only: bool) -> PortSetting {
    PortSetting {
        vlan: part(setting, "vlan", own_only).and_then(dvs_vlan),
        teaming: part(setting, "uplinkTeamingPolicy", own_only).map(|t| DvTeaming {
            policy: t.text_at("policy.value"),
            active: texts_at(t, "uplinkPortOrder", "activeUplinkPort"),
            standby: texts_at(t, "uplinkPortOrder", "standbyUplinkPort"),
        }),
        security: part(setting, "securityPolicy", own_only).map(|s| SecurityPolicy {
            promiscuous: s.bool_at("allowPromiscuous.value"),
            mac_changes: s.bool_at("macChanges.value"),
            forged_transmits: s.bool_at("forgedTransmits.value"),
        }),
    }
}

/// The VLAN of a distributed port setting's `vlan` part: an ID, a trunk or a private VLAN.
fn dvs_vlan(vlan: &Node) -> Option<Vlan> {
    match vlan.xsi_type.as_deref() {
        Some("VmwareDistributedVirtualSwitchVlanIdSpec") | None => vlan
            .int_at("vlanId")
            .and_then(|v| u16::try_from(v).ok())
            .map(Vlan::Id),
        Some("VmwareDistributedVirtualSwitchTrunkVlanSpec") => {
            let ranges: Option<Vec<[u16; 2]>> = vlan
                .list("vlanId")
                .into_iter()
                .map(|r| {
                    let start = u16::try_from(r.int_at("start")?).ok()?;
                    let end = u16::try_from(r.int_at("end")?).ok()?;
                    Some([start, end])
                })
                .collect();
            ranges.map(|r| Vlan::Spec(VlanSpec::Trunk(r)))
        }
        Some("VmwareDistributedVirtualSwitchPvlanSpec") => vlan
            .int_at("pvlanId")
            .and_then(|v| u16::try_from(v).ok())
            .map(|v| Vlan::Spec(VlanSpec::Pvlan(v))),
        Some(other) => {
            tracing::debug!("distributed port VLAN of type {other}: not understood");
            None
        }
    }
}

/// The first five of `items` and `...` when there are more.
pub fn sample(items: &[String]) -> String {
    let mut s = items.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > 5 {
        s.push_str(", ...");
    }
    s
}

/// Properties the server refused (`missingSet`), grouped by property and reason, with the
/// objects they were refused on; logged as one warning per group, not one per host.
#[derive(Debug, Default)]
pub struct Refused(BTreeMap<(String, String), Vec<String>>);

impl Refused {
    pub fn add(&mut self, object: &str, path: &str, fault: &Fault) {
        self.0
            .entry((path.to_string(), describe_missing(fault)))
            .or_default()
            .push(object.to_string());
    }

    /// One warning per refused property and reason.
    pub fn log(&self, source: &str) {
        for ((path, why), objects) in &self.0 {
            tracing::warn!(
                "{source}: property {path} not readable on {} object(s) ({why}): {}; left unknown",
                objects.len(),
                sample(objects)
            );
        }
    }

    /// `(property, reason, objects)` of every group, in a stable order.
    pub fn groups(&self) -> impl Iterator<Item = (&str, &str, &[String])> {
        self.0
            .iter()
            .map(|((p, w), o)| (p.as_str(), w.as_str(), o.as_slice()))
    }
}

/// A short description of a missingSet fault.
pub fn describe_missing(f: &Fault) -> String {
    match (&f.kind, &f.privilege) {
        (Some(k), Some(p)) => format!("{k}, privilege {p}"),
        (Some(k), None) => k.clone(),
        (None, _) if !f.message.is_empty() => f.message.clone(),
        _ => "refused".to_string(),
    }
}

/// The texts of list `name` in the data object at `path`; empty when absent.
fn texts_at(n: &Node, path: &str, name: &str) -> Vec<String> {
    n.path(path).map(|p| p.texts(name)).unwrap_or_default()
}

fn u32_at(n: &Node, path: &str) -> Option<u32> {
    n.int_at(path).and_then(|v| u32::try_from(v).ok())
}

/// Canonical order of service names: the known ones in [`crate::model::service::ALL`] order,
/// then unknown ones alphabetically.
fn sort_services(services: &mut [String]) {
    let rank = |s: &str| {
        crate::model::service::ALL
            .iter()
            .position(|k| *k == s)
            .unwrap_or(usize::MAX)
    };
    services.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
}

/// Map one HostSystem's properties into the model.
pub fn map_host(oc: &ObjectContent, s: &Structure, esxi: bool) -> Host {
    let name = oc
        .text("name")
        .or_else(|| oc.obj.as_ref().map(|o| o.value.clone()))
        .unwrap_or_default();
    let mut host = Host::named(name);
    let parent = oc.props.get("parent").and_then(Node::as_moref);
    let (cluster, datacenter) = s.placement(parent.as_ref());
    host.cluster = cluster;
    host.datacenter = if esxi { None } else { datacenter };
    host.connection_state = oc.text("runtime.connectionState");
    if let Some(p) = oc.props.get("summary.config.product") {
        host.version = p.text_at("version");
        host.build = p.text_at("build");
    }
    if let Some(net) = oc.props.get("config.network") {
        map_network(
            &mut host,
            net,
            oc.props.get("config.virtualNicManagerInfo"),
            s,
        );
    }
    host.firewall = oc.props.get("config.firewall").and_then(map_firewall);
    host.services = oc.props.get("config.service").map(map_services);
    host.lockdown_mode = oc.text("config.lockdownMode").and_then(|m| {
        let mode = LockdownMode::from_api(&m);
        if mode.is_none() {
            tracing::debug!("host {}: lockdown mode {m} not understood", host.name);
        }
        mode
    });
    host
}

/// `config.service.service[]`, by key.
fn map_services(info: &Node) -> Vec<HostService> {
    let mut out: Vec<HostService> = info
        .list("service")
        .into_iter()
        .filter_map(|s| {
            Some(HostService {
                key: s.text_at("key")?,
                label: s.text_at("label"),
                running: s.bool_at("running").unwrap_or(false),
                policy: s.text_at("policy").unwrap_or_default(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// A standard port group's VLAN and computed (effective) teaming and security policy.
struct StdPortgroup {
    vswitch: Option<String>,
    vlan: Option<u16>,
    teaming: Option<Teaming>,
    security: Option<SecurityPolicy>,
}

/// What a vmk is connected to, for [`map_vnic`].
struct NetContext<'a> {
    s: &'a Structure,
    portgroups: HashMap<String, StdPortgroup>,
    /// Distributed switches the host is a member of, by UUID: (name, mtu).
    proxies: HashMap<String, (String, Option<u32>)>,
    /// Per distributed switch UUID: uplink port name → the host's physical NICs behind it.
    uplinks: HashMap<String, HashMap<String, Vec<String>>>,
    /// Opaque (NSX) network ID → name.
    opaque_networks: HashMap<String, String>,
    /// Services: selectedVnic entries are "<nicType>.<vnic key>", matched exactly.
    selected: Option<Vec<(String, Vec<String>)>>,
}

/// The uplink port names of a host's proxy switch mapped to the physical NICs behind them:
/// `uplinkPort[]` (port key → name) and `spec.backing.pnicSpec[]` (pnic → port key); a link
/// aggregation group (`hostLag[]`) by its name stands for the NICs of its ports.
fn proxy_uplinks(ps: &Node) -> HashMap<String, Vec<String>> {
    let pnic_of_port: HashMap<String, String> = ps
        .list("spec")
        .into_iter()
        .flat_map(|sp| sp.list("backing"))
        .flat_map(|b| b.list("pnicSpec"))
        .filter_map(|p| Some((p.text_at("uplinkPortKey")?, p.text_at("pnicDevice")?)))
        .collect();
    let nics = |ports: Vec<&Node>| -> Vec<String> {
        ports
            .into_iter()
            .filter_map(|kv| pnic_of_port.get(&kv.text_at("key")?).cloned())
            .collect()
    };
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for kv in ps.list("uplinkPort") {
        if let Some(name) = kv.text_at("value") {
            out.insert(name, nics(vec![kv]));
        }
    }
    for lag in ps.list("hostLag") {
        if let Some(name) = lag.text_at("lagName") {
            out.insert(name, nics(lag.list("uplinkPort")));
        }
    }
    out
}

/// A distributed teaming policy with its uplink port names replaced by the host's NICs; an
/// uplink without a NIC on this host is left out (it carries nothing).
fn dv_teaming(t: &DvTeaming, uplinks: Option<&HashMap<String, Vec<String>>>) -> Option<Teaming> {
    let uplinks = uplinks?;
    let nics = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .flat_map(|n| uplinks.get(n).cloned().unwrap_or_default())
            .collect()
    };
    Some(Teaming {
        policy: t.policy.clone(),
        active: nics(&t.active),
        standby: nics(&t.standby),
    })
}

/// The routes of a route table that are static routes: not the default route and not a
/// directly connected network (gateway `0.0.0.0` / `::`). `device` is the bound vmk, if any.
fn static_routes<'a>(entries: impl Iterator<Item = &'a Node>) -> Vec<Route> {
    let mut out: Vec<Route> = entries
        .filter_map(|r| {
            let network = r.text_at("network")?;
            let prefix = r.int_at("prefixLength")?;
            let gateway = r.text_at("gateway")?;
            let unspecified = gateway
                .parse::<std::net::IpAddr>()
                .is_ok_and(|g| g.is_unspecified());
            (prefix != 0 && !unspecified).then(|| Route {
                network: format!("{network}/{prefix}"),
                gateway,
                device: r.text_at("deviceName"),
            })
        })
        .collect();
    out.sort_by(|a, b| a.network.cmp(&b.network).then(a.gateway.cmp(&b.gateway)));
    out.dedup();
    out
}

fn map_network(host: &mut Host, net: &Node, vnm: Option<&Node>, s: &Structure) {
    let pnic_nodes = net.list("pnic");
    let pnics: HashMap<String, String> = pnic_nodes
        .iter()
        .filter_map(|p| Some((p.text_at("key")?, p.text_at("device")?)))
        .collect();
    let uplinks = |sw: &Node| -> Vec<String> {
        sw.texts("pnic")
            .into_iter()
            .map(|k| {
                pnics.get(&k).cloned().unwrap_or_else(|| {
                    k.strip_prefix("key-vim.host.PhysicalNic-")
                        .unwrap_or(&k)
                        .to_string()
                })
            })
            .collect()
    };
    let mut host_pnics: Vec<Pnic> = pnic_nodes
        .iter()
        .filter_map(|p| {
            let link = p.child("linkSpeed");
            Some(Pnic {
                device: p.text_at("device")?,
                link_up: Some(link.is_some()),
                speed_mbps: link
                    .and_then(|l| l.int_at("speedMb"))
                    .and_then(|v| u32::try_from(v).ok()),
                duplex: link.and_then(|l| l.bool_at("duplex")).map(|full| {
                    if full {
                        Duplex::Full
                    } else {
                        Duplex::Half
                    }
                }),
            })
        })
        .collect();
    host_pnics.sort_by(|a, b| crate::model::device_order(&a.device, &b.device));

    let mut switches = Vec::new();
    for vs in net.list("vswitch") {
        let Some(name) = vs.text_at("name") else {
            continue;
        };
        switches.push(Switch {
            name,
            kind: SwitchKind::Standard,
            mtu: u32_at(vs, "spec.mtu").or_else(|| u32_at(vs, "mtu")),
            uplinks: Some(uplinks(vs)),
        });
    }
    let mut cx = NetContext {
        s,
        portgroups: HashMap::new(),
        proxies: HashMap::new(),
        uplinks: HashMap::new(),
        opaque_networks: net
            .list("opaqueNetwork")
            .into_iter()
            .filter_map(|n| {
                Some((
                    n.text_at("opaqueNetworkId")?,
                    n.text_at("opaqueNetworkName")?,
                ))
            })
            .collect(),
        selected: vnm.map(|v| {
            v.list("netConfig")
                .into_iter()
                .filter_map(|nc| Some((nc.text_at("nicType")?, nc.texts("selectedVnic"))))
                .collect()
        }),
    };
    for ps in net.list("proxySwitch") {
        let Some(uuid) = ps.text_at("dvsUuid") else {
            continue;
        };
        let dvs = s.dvs.get(&uuid);
        let name = dvs
            .map(|d| d.name.clone())
            .or_else(|| ps.text_at("dvsName"))
            .unwrap_or_else(|| uuid.clone());
        let mtu = dvs.and_then(|d| d.max_mtu).or_else(|| u32_at(ps, "mtu"));
        switches.push(Switch {
            name: name.clone(),
            kind: SwitchKind::Distributed,
            mtu,
            uplinks: Some(uplinks(ps)),
        });
        cx.uplinks.insert(uuid.clone(), proxy_uplinks(ps));
        cx.proxies.insert(uuid, (name, mtu));
    }
    for os in net.list("opaqueSwitch") {
        let Some(name) = os.text_at("name").or_else(|| os.text_at("key")) else {
            continue;
        };
        switches.push(Switch {
            name,
            kind: SwitchKind::Nsx,
            mtu: None,
            uplinks: Some(uplinks(os)),
        });
    }
    for pg in net.list("portgroup") {
        let Some(name) = pg.text_at("spec.name") else {
            continue;
        };
        let policy = pg.child("computedPolicy");
        let teaming = policy.and_then(|p| p.child("nicTeaming")).map(|t| Teaming {
            policy: t.text_at("policy"),
            active: texts_at(t, "nicOrder", "activeNic"),
            standby: texts_at(t, "nicOrder", "standbyNic"),
        });
        let security = policy
            .and_then(|p| p.child("security"))
            .map(|s| SecurityPolicy {
                promiscuous: s.bool_at("allowPromiscuous"),
                mac_changes: s.bool_at("macChanges"),
                forged_transmits: s.bool_at("forgedTransmits"),
            });
        cx.portgroups.insert(
            name,
            StdPortgroup {
                vswitch: pg.text_at("spec.vswitchName"),
                vlan: pg.int_at("spec.vlanId").and_then(|v| u16::try_from(v).ok()),
                teaming,
                security,
            },
        );
    }

    let mut vmks: Vec<Vmk> = net
        .list("vnic")
        .into_iter()
        .filter_map(|vn| map_vnic(vn, &cx))
        .collect();
    // NSX tunnel endpoints: vmks of the opaque switch, not listed under `vnic`.
    for os in net.list("opaqueSwitch") {
        let switch = os.text_at("name").or_else(|| os.text_at("key"));
        for vt in os.list("vtep") {
            let Some(mut vmk) = map_vnic(vt, &cx) else {
                continue;
            };
            if vmks.iter().any(|v| v.device == vmk.device) {
                continue;
            }
            vmk.switch_kind = Some(SwitchKind::Nsx);
            vmk.switch.clone_from(&switch);
            vmks.push(vmk);
        }
    }
    vmks.sort_by(|a, b| crate::model::device_order(&a.device, &b.device));

    // The default stack's routes come from the host's route table where its instance has no
    // route table config.
    let table_routes = net
        .child("routeTableInfo")
        .map(|t| static_routes(t.list("ipRoute").into_iter().chain(t.list("ipv6Route"))));
    let stack_routes = |n: &Node, key: &str| -> Option<Vec<Route>> {
        match n.child("routeTableConfig") {
            Some(c) => Some(static_routes(
                c.list("ipRoute")
                    .into_iter()
                    .chain(c.list("ipv6Route"))
                    .filter(|op| op.text_at("changeOperation").as_deref() != Some("remove"))
                    .filter_map(|op| op.child("route")),
            )),
            None if key == DEFAULT_NETSTACK => table_routes.clone(),
            None => None,
        }
    };
    let mut stacks: Vec<Netstack> = net
        .list("netStackInstance")
        .into_iter()
        .filter_map(|n| {
            let key = n.text_at("key")?;
            Some(Netstack {
                gateway: n.text_at("ipRouteConfig.defaultGateway"),
                ipv6_gateway: n.text_at("ipRouteConfig.ipV6DefaultGateway"),
                routes: stack_routes(n, &key),
                key,
            })
        })
        .collect();
    if stacks.is_empty() {
        // Hosts without TCP/IP stack instances: the host-wide route config is the default stack.
        if let Some(rc) = net.child("ipRouteConfig") {
            stacks.push(Netstack {
                key: DEFAULT_NETSTACK.into(),
                gateway: rc.text_at("defaultGateway"),
                ipv6_gateway: rc.text_at("ipV6DefaultGateway"),
                routes: table_routes.clone(),
            });
        }
    }
    stacks.sort_by(|a, b| a.key.cmp(&b.key));
    switches.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.name.cmp(&b.name)));

    host.vmks = vmks;
    host.netstacks = (!stacks.is_empty()).then_some(stacks);
    host.switches = Some(switches);
    host.pnics = Some(host_pnics);
}

/// One `HostVirtualNic` (a `vnic` or an NSX `vtep`) as a vmk.
fn map_vnic(vn: &Node, cx: &NetContext) -> Option<Vmk> {
    let s = cx.s;
    let device = vn.text_at("device")?;
    let key = vn.text_at("key").unwrap_or_default();
    let spec = vn.child("spec");
    let at = |p: &str| spec.and_then(|sp| sp.text_at(p));
    let mut vmk = Vmk::named(device);
    if let Some(dvp) = spec.and_then(|sp| sp.child("distributedVirtualPort")) {
        vmk.switch_kind = Some(SwitchKind::Distributed);
        let uuid = dvp.text_at("switchUuid").unwrap_or_default();
        vmk.switch = s
            .dvs
            .get(&uuid)
            .map(|d| d.name.clone())
            .or_else(|| cx.proxies.get(&uuid).map(|p| p.0.clone()));
        if let Some(pg) = dvp
            .text_at("portgroupKey")
            .and_then(|k| s.portgroups.get(&k))
        {
            vmk.portgroup = Some(pg.name.clone());
            let mut setting = pg.setting.clone();
            if let Some(d) = s.dvs.get(&uuid) {
                setting = setting.over(&d.default_port);
            }
            if let Some(own) = dvp
                .text_at("portKey")
                .and_then(|k| s.ports.get(&(uuid.clone(), k)))
            {
                setting = own.over(&setting);
            }
            vmk.vlan = setting.vlan;
            vmk.security = setting.security;
            vmk.teaming = setting
                .teaming
                .as_ref()
                .and_then(|t| dv_teaming(t, cx.uplinks.get(&uuid)));
        }
    } else if let Some(on) = spec.and_then(|sp| sp.child("opaqueNetwork")) {
        vmk.switch_kind = Some(SwitchKind::Nsx);
        vmk.portgroup = on
            .text_at("opaqueNetworkId")
            .map(|id| cx.opaque_networks.get(&id).cloned().unwrap_or(id));
    } else if let Some(pg) = vn.text_at("portgroup").or_else(|| at("portgroup")) {
        vmk.switch_kind = Some(SwitchKind::Standard);
        if let Some(p) = cx.portgroups.get(&pg) {
            vmk.switch.clone_from(&p.vswitch);
            vmk.vlan = p.vlan.map(Vlan::Id);
            vmk.teaming.clone_from(&p.teaming);
            vmk.security.clone_from(&p.security);
        }
        vmk.portgroup = Some(pg);
    }
    if let Some(ip) = spec.and_then(|sp| sp.child("ip")) {
        vmk.ipv4 = ip.text_at("ipAddress");
        vmk.netmask = ip.text_at("subnetMask");
        vmk.dhcp = ip.bool_at("dhcp");
        if let Some(v6) = ip.child("ipV6Config") {
            vmk.ipv6 = v6
                .list("ipV6Address")
                .into_iter()
                .filter_map(|a| {
                    let addr = a.text_at("ipAddress")?;
                    Some(match a.text_at("prefixLength") {
                        Some(p) => format!("{addr}/{p}"),
                        None => addr,
                    })
                })
                .collect();
            vmk.ipv6_dhcp = v6.bool_at("dhcpV6Enabled");
            vmk.ipv6_autoconf = v6.bool_at("autoConfigurationEnabled");
        }
    }
    vmk.mtu = spec.and_then(|sp| u32_at(sp, "mtu"));
    vmk.mac = at("mac");
    vmk.netstack = Some(at("netStackInstanceKey").unwrap_or_else(|| DEFAULT_NETSTACK.into()));
    vmk.gateway = at("ipRouteSpec.ipRouteConfig.defaultGateway");
    vmk.ipv6_gateway = at("ipRouteSpec.ipRouteConfig.ipV6DefaultGateway");
    vmk.services = cx.selected.as_ref().map(|sel| {
        let mut svc: Vec<String> = sel
            .iter()
            .filter(|(nic_type, vnics)| {
                let want = format!("{nic_type}.{key}");
                vnics.contains(&want)
            })
            .map(|(t, _)| t.clone())
            .collect();
        svc.dedup();
        sort_services(&mut svc);
        svc
    });
    Some(vmk)
}

fn map_firewall(fw: &Node) -> Option<Firewall> {
    let policy = fw.child("defaultPolicy");
    let incoming = policy.and_then(|p| p.bool_at("incomingBlocked"));
    let outgoing = policy.and_then(|p| p.bool_at("outgoingBlocked"));
    let (Some(incoming_blocked), Some(outgoing_blocked)) = (incoming, outgoing) else {
        tracing::warn!("host firewall without a complete default policy; left unknown");
        return None;
    };
    let mut rulesets: Vec<FirewallRuleset> = fw
        .list("ruleset")
        .into_iter()
        .filter_map(|r| {
            let allowed = r.child("allowedHosts");
            let mut allowed_ips = allowed.map(|a| a.texts("ipAddress")).unwrap_or_default();
            let mut allowed_networks: Vec<String> = allowed
                .map(|a| a.list("ipNetwork"))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|n| {
                    Some(format!(
                        "{}/{}",
                        n.text_at("network")?,
                        n.text_at("prefixLength")?
                    ))
                })
                .collect();
            allowed_ips.sort();
            allowed_networks.sort();
            Some(FirewallRuleset {
                key: r.text_at("key")?,
                label: r.text_at("label"),
                enabled: r.bool_at("enabled").unwrap_or(false),
                // No allowedHosts list means no IP restriction.
                all_ip: allowed.is_none_or(|a| a.bool_at("allIp").unwrap_or(false)),
                allowed_ips,
                allowed_networks,
                ip_list_user_configurable: r.bool_at("ipListUserConfigurable"),
                user_controllable: r.bool_at("userControllable"),
                rules: Some(map_rules(r)),
            })
        })
        .collect();
    rulesets.sort_by(|a, b| a.key.cmp(&b.key));
    Some(Firewall {
        incoming_blocked,
        outgoing_blocked,
        rulesets,
    })
}

/// A ruleset's `rule[]`: direction, protocol, port (and end port of a range), in the
/// server's order; a rule with a direction or port this build does not understand is left out.
fn map_rules(ruleset: &Node) -> Vec<FirewallRule> {
    ruleset
        .list("rule")
        .into_iter()
        .filter_map(|r| {
            let direction = match r.text_at("direction")?.as_str() {
                "inbound" => Direction::Inbound,
                "outbound" => Direction::Outbound,
                other => {
                    tracing::debug!("firewall rule direction {other} not understood");
                    return None;
                }
            };
            let port = u16::try_from(r.int_at("port")?).ok()?;
            let end_port = r
                .int_at("endPort")
                .and_then(|v| u16::try_from(v).ok())
                .filter(|e| *e != 0 && *e != port);
            Some(FirewallRule {
                direction,
                protocol: r.text_at("protocol")?,
                port,
                end_port,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::soap::parse;

    fn oc(obj: MoRef, props: &[(&str, &str)]) -> ObjectContent {
        let mut o = ObjectContent {
            obj: Some(obj),
            ..Default::default()
        };
        for (name, xml) in props {
            o.props.insert(name.to_string(), parse(xml).unwrap());
        }
        o
    }

    #[test]
    fn maps_dvs_vmk_services_and_gateways() {
        let mut s = Structure::default();
        s.dvs.insert(
            "50 11".into(),
            DvsInfo {
                name: "dvs-a".into(),
                max_mtu: Some(9000),
                obj: None,
                default_port: PortSetting::default(),
            },
        );
        s.portgroups.insert(
            "dvportgroup-7".into(),
            PortgroupInfo {
                name: "vMotion".into(),
                setting: PortSetting {
                    vlan: Some(Vlan::Id(110)),
                    ..Default::default()
                },
                override_allowed: false,
                dvs: None,
            },
        );
        s.entities.insert(
            MoRef::new("ClusterComputeResource", "domain-c1"),
            ("Prod".into(), Some(MoRef::new("Folder", "group-h2"))),
        );
        s.entities.insert(
            MoRef::new("Folder", "group-h2"),
            (
                "host".into(),
                Some(MoRef::new("Datacenter", "datacenter-1")),
            ),
        );
        s.entities.insert(
            MoRef::new("Datacenter", "datacenter-1"),
            ("DC1".into(), Some(MoRef::new("Folder", "group-d1"))),
        );
        let net = r#"<val xsi:type="HostNetworkInfo">
          <vswitch><name>vSwitch0</name><mtu>1500</mtu><pnic>key-vim.host.PhysicalNic-vmnic0</pnic><spec><mtu>1500</mtu></spec></vswitch>
          <proxySwitch><dvsUuid>50 11</dvsUuid><dvsName>stale</dvsName><mtu>1500</mtu><pnic>key-vim.host.PhysicalNic-vmnic1</pnic></proxySwitch>
          <portgroup><spec><name>Mgmt</name><vlanId>10</vlanId><vswitchName>vSwitch0</vswitchName></spec></portgroup>
          <pnic><key>key-vim.host.PhysicalNic-vmnic0</key><device>vmnic0</device></pnic>
          <vnic><device>vmk10</device><key>key-vim.host.VirtualNic-vmk10</key><portgroup></portgroup><spec>
            <ip><dhcp>false</dhcp><ipAddress>10.1.0.5</ipAddress><subnetMask>255.255.255.0</subnetMask></ip>
            <distributedVirtualPort><switchUuid>50 11</switchUuid><portgroupKey>dvportgroup-7</portgroupKey></distributedVirtualPort>
            <mtu>9000</mtu><netStackInstanceKey>vmotion</netStackInstanceKey>
            <ipRouteSpec><ipRouteConfig xsi:type="HostIpRouteConfig"><defaultGateway>10.1.0.1</defaultGateway></ipRouteConfig></ipRouteSpec>
          </spec></vnic>
          <vnic><device>vmk1</device><key>key-vim.host.VirtualNic-vmk1</key><portgroup>Mgmt</portgroup><spec>
            <ip><dhcp>true</dhcp></ip><mtu>1500</mtu></spec></vnic>
          <netStackInstance><key>vmotion</key><ipRouteConfig xsi:type="HostIpRouteConfig"><defaultGateway>10.1.0.254</defaultGateway></ipRouteConfig></netStackInstance>
          <netStackInstance><key>defaultTcpipStack</key><ipRouteConfig xsi:type="HostIpRouteConfig"/></netStackInstance>
        </val>"#;
        let vnm = r#"<val xsi:type="HostVirtualNicManagerInfo">
          <netConfig><nicType>management</nicType><selectedVnic>management.key-vim.host.VirtualNic-vmk1</selectedVnic></netConfig>
          <netConfig><nicType>vmotion</nicType><selectedVnic>vmotion.key-vim.host.VirtualNic-vmk10</selectedVnic></netConfig>
          <netConfig><nicType>vsan</nicType><selectedVnic>vsan.key-vim.host.VirtualNic-vmk1x</selectedVnic></netConfig>
        </val>"#;
        let o = oc(
            MoRef::new("HostSystem", "host-9"),
            &[
                ("name", "<val>esx1</val>"),
                (
                    "parent",
                    r#"<val type="ClusterComputeResource">domain-c1</val>"#,
                ),
                ("config.network", net),
                ("config.virtualNicManagerInfo", vnm),
            ],
        );
        let h = map_host(&o, &s, false);
        assert_eq!(h.cluster.as_deref(), Some("Prod"));
        assert_eq!(h.datacenter.as_deref(), Some("DC1"));
        assert_eq!(h.vmks[0].device, "vmk1");
        assert_eq!(h.vmks[1].device, "vmk10");
        let v1 = &h.vmks[0];
        assert_eq!(v1.switch.as_deref(), Some("vSwitch0"));
        assert_eq!(v1.vlan_id(), Some(10));
        assert_eq!(v1.dhcp, Some(true));
        assert_eq!(v1.netstack.as_deref(), Some(DEFAULT_NETSTACK));
        assert_eq!(v1.services, Some(vec!["management".to_string()]));
        let v10 = &h.vmks[1];
        assert_eq!(v10.portgroup.as_deref(), Some("vMotion"));
        assert_eq!(v10.switch.as_deref(), Some("dvs-a"));
        assert_eq!(v10.switch_kind, Some(SwitchKind::Distributed));
        assert_eq!(v10.vlan_id(), Some(110));
        assert_eq!(v10.gateway.as_deref(), Some("10.1.0.1"));
        assert_eq!(v10.services, Some(vec!["vmotion".to_string()]));
        let stacks = h.netstacks.unwrap();
        assert_eq!(stacks[0].key, DEFAULT_NETSTACK);
        assert_eq!(stacks[0].gateway, None);
        assert_eq!(stacks[1].gateway.as_deref(), Some("10.1.0.254"));
        let sw = h.switches.unwrap();
        assert_eq!(sw[0].name, "vSwitch0");
        assert_eq!(sw[0].uplinks, Some(vec!["vmnic0".to_string()]));
        assert_eq!(sw[1].name, "dvs-a");
        assert_eq!(sw[1].mtu, Some(9000));
        assert_eq!(sw[1].uplinks, Some(vec!["vmnic1".to_string()]));
        assert_eq!(h.firewall, None);
    }

    #[test]
    fn maps_firewall_and_vlan_kinds() {
        let fw = parse(
            r#"<val xsi:type="HostFirewallInfo"><defaultPolicy><incomingBlocked>true</incomingBlocked><outgoingBlocked>false</outgoingBlocked></defaultPolicy>
            <ruleset><key>sshServer</key><label>SSH</label><enabled>true</enabled><allowedHosts><ipAddress>10.0.0.9</ipAddress><ipNetwork><network>10.1.0.0</network><prefixLength>16</prefixLength></ipNetwork><allIp>false</allIp></allowedHosts></ruleset>
            <ruleset><key>nfc</key><enabled>false</enabled></ruleset></val>"#,
        )
        .unwrap();
        let f = map_firewall(&fw).unwrap();
        assert!(f.incoming_blocked && !f.outgoing_blocked);
        assert_eq!(f.rulesets[0].key, "nfc");
        assert!(f.rulesets[0].all_ip);
        assert_eq!(f.rulesets[1].allowed_ips, vec!["10.0.0.9"]);
        assert_eq!(f.rulesets[1].allowed_networks, vec!["10.1.0.0/16"]);
        assert!(!f.rulesets[1].all_ip);

        let id = parse(r#"<val xsi:type="VMwareDVSPortSetting"><vlan xsi:type="VmwareDistributedVirtualSwitchVlanIdSpec"><inherited>false</inherited><vlanId>42</vlanId></vlan></val>"#).unwrap();
        assert_eq!(port_setting(&id, false).vlan, Some(Vlan::Id(42)));
        let trunk = parse(r#"<val xsi:type="VMwareDVSPortSetting"><vlan xsi:type="VmwareDistributedVirtualSwitchTrunkVlanSpec"><vlanId><start>0</start><end>4094</end></vlanId></vlan></val>"#).unwrap();
        assert_eq!(
            port_setting(&trunk, false).vlan,
            Some(Vlan::Spec(VlanSpec::Trunk(vec![[0, 4094]])))
        );
    }

    /// A structure with one distributed switch (`50 22`, default teaming over Uplink 1 / 2)
    /// and one port group (`dvportgroup-8`, trunk VLAN, overrides allowed).
    fn schema2_structure() -> Structure {
        let mut s = Structure::default();
        let dvs_default = parse(
            r#"<val xsi:type="VMwareDVSPortSetting">
              <uplinkTeamingPolicy><inherited>false</inherited><policy><inherited>false</inherited><value>loadbalance_srcid</value></policy>
                <uplinkPortOrder><inherited>false</inherited><activeUplinkPort>Uplink 1</activeUplinkPort><activeUplinkPort>Uplink 2</activeUplinkPort></uplinkPortOrder></uplinkTeamingPolicy>
              <securityPolicy><inherited>false</inherited><allowPromiscuous><inherited>false</inherited><value>false</value></allowPromiscuous>
                <macChanges><inherited>false</inherited><value>false</value></macChanges><forgedTransmits><inherited>false</inherited><value>false</value></forgedTransmits></securityPolicy>
            </val>"#,
        )
        .unwrap();
        let mut sw = oc(
            MoRef::new("VmwareDistributedVirtualSwitch", "dvs-22"),
            &[("name", "<val>dvs-b</val>"), ("uuid", "<val>50 22</val>")],
        );
        sw.props
            .insert("config.defaultPortConfig".into(), dvs_default);
        s.add(&sw);
        // The port group inherits the switch's teaming (no uplinkTeamingPolicy here), sets
        // its own security policy and a trunk.
        let pg = oc(
            MoRef::new("DistributedVirtualPortgroup", "dvportgroup-8"),
            &[
                ("name", "<val>dvpg-iscsi</val>"),
                ("key", "<val>dvportgroup-8</val>"),
                (
                    "config.defaultPortConfig",
                    r#"<val xsi:type="VMwareDVSPortSetting">
                      <vlan xsi:type="VmwareDistributedVirtualSwitchTrunkVlanSpec"><inherited>false</inherited><vlanId><start>100</start><end>199</end></vlanId><vlanId><start>300</start><end>300</end></vlanId></vlan>
                      <securityPolicy><inherited>false</inherited><allowPromiscuous><inherited>false</inherited><value>true</value></allowPromiscuous>
                        <macChanges><inherited>false</inherited><value>false</value></macChanges><forgedTransmits><inherited>false</inherited><value>true</value></forgedTransmits></securityPolicy>
                    </val>"#,
                ),
                (
                    "config.policy",
                    r#"<val xsi:type="VMwareDVSPortgroupPolicy"><blockOverrideAllowed>true</blockOverrideAllowed><vlanOverrideAllowed>true</vlanOverrideAllowed><uplinkTeamingOverrideAllowed>true</uplinkTeamingOverrideAllowed><securityPolicyOverrideAllowed>false</securityPolicyOverrideAllowed></val>"#,
                ),
                (
                    "config.distributedVirtualSwitch",
                    r#"<val type="VmwareDistributedVirtualSwitch">dvs-22</val>"#,
                ),
            ],
        );
        s.add(&pg);
        s
    }

    #[test]
    fn maps_schema2_host_fields() {
        let mut s = schema2_structure();
        assert_eq!(
            s.overridable_portgroups().into_iter().collect::<Vec<_>>(),
            [(
                MoRef::new("VmwareDistributedVirtualSwitch", "dvs-22"),
                vec!["dvportgroup-8".to_string()]
            )]
        );
        // FetchDVPorts: the vmk's port overrides VLAN (pvlan) and teaming (LAG active,
        // Uplink 2 standby), inherits security; a VM's port is ignored.
        s.add_ports(
            &parse(
                r#"<FetchDVPortsResponse>
              <returnval><key>17</key><dvsUuid>50 22</dvsUuid><portgroupKey>dvportgroup-8</portgroupKey>
                <config><setting xsi:type="VMwareDVSPortSetting">
                  <vlan xsi:type="VmwareDistributedVirtualSwitchPvlanSpec"><inherited>false</inherited><pvlanId>301</pvlanId></vlan>
                  <uplinkTeamingPolicy><inherited>false</inherited><policy><inherited>false</inherited><value>failover_explicit</value></policy>
                    <uplinkPortOrder><inherited>false</inherited><activeUplinkPort>lag1</activeUplinkPort><standbyUplinkPort>Uplink 2</standbyUplinkPort></uplinkPortOrder></uplinkTeamingPolicy>
                  <securityPolicy><inherited>true</inherited><allowPromiscuous><inherited>true</inherited><value>true</value></allowPromiscuous></securityPolicy>
                </setting></config>
                <connectee><connectedEntity type="HostSystem">host-9</connectedEntity><nicKey>vmk3</nicKey><type>hostVmkVirtualNic</type></connectee></returnval>
              <returnval><key>18</key><dvsUuid>50 22</dvsUuid><config><setting xsi:type="VMwareDVSPortSetting">
                  <vlan xsi:type="VmwareDistributedVirtualSwitchVlanIdSpec"><inherited>false</inherited><vlanId>7</vlanId></vlan></setting></config>
                <connectee><type>vmVnic</type></connectee></returnval>
            </FetchDVPortsResponse>"#,
            )
            .unwrap(),
        );
        assert_eq!(s.ports.len(), 1);

        let net = r#"<val xsi:type="HostNetworkInfo">
          <vswitch><name>vSwitch0</name><pnic>key-vim.host.PhysicalNic-vmnic0</pnic><pnic>key-vim.host.PhysicalNic-vmnic1</pnic><spec><mtu>1500</mtu></spec></vswitch>
          <proxySwitch><dvsUuid>50 22</dvsUuid><dvsName>dvs-b</dvsName><mtu>9000</mtu>
            <uplinkPort><key>40</key><value>Uplink 1</value></uplinkPort><uplinkPort><key>41</key><value>Uplink 2</value></uplinkPort>
            <pnic>key-vim.host.PhysicalNic-vmnic2</pnic><pnic>key-vim.host.PhysicalNic-vmnic3</pnic><pnic>key-vim.host.PhysicalNic-vmnic4</pnic>
            <spec><backing xsi:type="DistributedVirtualSwitchHostMemberPnicBacking">
              <pnicSpec><pnicDevice>vmnic2</pnicDevice><uplinkPortKey>40</uplinkPortKey></pnicSpec>
              <pnicSpec><pnicDevice>vmnic3</pnicDevice><uplinkPortKey>41</uplinkPortKey></pnicSpec>
              <pnicSpec><pnicDevice>vmnic4</pnicDevice><uplinkPortKey>50</uplinkPortKey></pnicSpec>
              <pnicSpec><pnicDevice>vmnic5</pnicDevice><uplinkPortKey>51</uplinkPortKey></pnicSpec></backing></spec>
            <hostLag><lagKey>lag-1</lagKey><lagName>lag1</lagName><uplinkPort><key>50</key><value>lag1-0</value></uplinkPort><uplinkPort><key>51</key><value>lag1-1</value></uplinkPort></hostLag>
          </proxySwitch>
          <portgroup><spec><name>Mgmt</name><vlanId>10</vlanId><vswitchName>vSwitch0</vswitchName></spec>
            <computedPolicy><security><allowPromiscuous>false</allowPromiscuous><macChanges>true</macChanges><forgedTransmits>true</forgedTransmits></security>
              <nicTeaming><policy>failover_explicit</policy><nicOrder><activeNic>vmnic1</activeNic><standbyNic>vmnic0</standbyNic></nicOrder></nicTeaming></computedPolicy></portgroup>
          <pnic><key>key-vim.host.PhysicalNic-vmnic0</key><device>vmnic0</device><linkSpeed><speedMb>10000</speedMb><duplex>true</duplex></linkSpeed></pnic>
          <pnic><key>key-vim.host.PhysicalNic-vmnic1</key><device>vmnic1</device></pnic>
          <pnic><key>key-vim.host.PhysicalNic-vmnic10</key><device>vmnic10</device><linkSpeed><speedMb>100</speedMb><duplex>false</duplex></linkSpeed></pnic>
          <vnic><device>vmk0</device><key>key-vim.host.VirtualNic-vmk0</key><portgroup>Mgmt</portgroup><spec>
            <ip><dhcp>false</dhcp><ipAddress>10.0.0.5</ipAddress><subnetMask>255.255.255.0</subnetMask>
              <ipV6Config><ipV6Address><ipAddress>fd00::5</ipAddress><prefixLength>64</prefixLength></ipV6Address><autoConfigurationEnabled>true</autoConfigurationEnabled><dhcpV6Enabled>false</dhcpV6Enabled></ipV6Config></ip>
            <ipRouteSpec><ipRouteConfig xsi:type="HostIpRouteConfig"><ipV6DefaultGateway>fd00::1</ipV6DefaultGateway></ipRouteConfig></ipRouteSpec></spec></vnic>
          <vnic><device>vmk3</device><key>key-vim.host.VirtualNic-vmk3</key><portgroup></portgroup><spec>
            <distributedVirtualPort><switchUuid>50 22</switchUuid><portgroupKey>dvportgroup-8</portgroupKey><portKey>17</portKey></distributedVirtualPort></spec></vnic>
          <vnic><device>vmk4</device><key>key-vim.host.VirtualNic-vmk4</key><portgroup></portgroup><spec>
            <distributedVirtualPort><switchUuid>50 22</switchUuid><portgroupKey>dvportgroup-8</portgroupKey><portKey>19</portKey></distributedVirtualPort></spec></vnic>
          <vnic><device>vmk5</device><key>key-vim.host.VirtualNic-vmk5</key><portgroup></portgroup><spec>
            <opaqueNetwork><opaqueNetworkId>ls-1</opaqueNetworkId><opaqueNetworkType>nsx.LogicalSwitch</opaqueNetworkType></opaqueNetwork><mtu>1700</mtu></spec></vnic>
          <routeTableInfo>
            <ipRoute><network>0.0.0.0</network><prefixLength>0</prefixLength><gateway>10.0.0.1</gateway><deviceName>vmk0</deviceName></ipRoute>
            <ipRoute><network>10.0.0.0</network><prefixLength>24</prefixLength><gateway>0.0.0.0</gateway><deviceName>vmk0</deviceName></ipRoute>
            <ipRoute><network>10.50.0.0</network><prefixLength>16</prefixLength><gateway>10.0.0.254</gateway><deviceName>vmk0</deviceName></ipRoute>
            <ipv6Route><network>fd00::</network><prefixLength>64</prefixLength><gateway>::</gateway><deviceName>vmk0</deviceName></ipv6Route>
            <ipv6Route><network>fd50::</network><prefixLength>48</prefixLength><gateway>fd00::fe</gateway></ipv6Route>
          </routeTableInfo>
          <netStackInstance><key>defaultTcpipStack</key><ipRouteConfig xsi:type="HostIpRouteConfig"><defaultGateway>10.0.0.1</defaultGateway></ipRouteConfig></netStackInstance>
          <netStackInstance><key>vmotion</key><ipRouteConfig xsi:type="HostIpRouteConfig"/>
            <routeTableConfig><ipRoute><changeOperation>ignore</changeOperation><route><network>10.60.0.0</network><prefixLength>24</prefixLength><gateway>10.11.0.1</gateway></route></ipRoute>
              <ipRoute><changeOperation>remove</changeOperation><route><network>10.61.0.0</network><prefixLength>24</prefixLength><gateway>10.11.0.1</gateway></route></ipRoute></routeTableConfig></netStackInstance>
          <netStackInstance><key>vxlan</key></netStackInstance>
          <opaqueSwitch><key>nvds-key</key><name>nvds-1</name><pnic>key-vim.host.PhysicalNic-vmnic10</pnic>
            <vtep><device>vmk10</device><key>key-vim.host.VirtualNic-vmk10</key><portgroup></portgroup><spec>
              <ip><dhcp>false</dhcp><ipAddress>172.16.0.5</ipAddress><subnetMask>255.255.255.0</subnetMask></ip><mtu>1600</mtu><netStackInstanceKey>vxlan</netStackInstanceKey></spec></vtep></opaqueSwitch>
          <opaqueNetwork><opaqueNetworkId>ls-1</opaqueNetworkId><opaqueNetworkName>seg-storage</opaqueNetworkName><opaqueNetworkType>nsx.LogicalSwitch</opaqueNetworkType></opaqueNetwork>
        </val>"#;
        let o = oc(
            MoRef::new("HostSystem", "host-9"),
            &[
                ("name", "<val>esx9</val>"),
                ("config.network", net),
                (
                    "config.service",
                    r#"<val xsi:type="HostServiceInfo">
                      <service><key>TSM-SSH</key><label>SSH</label><required>false</required><uninstallable>false</uninstallable><running>true</running><ruleset>sshServer</ruleset><policy>on</policy></service>
                      <service><key>DCUI</key><label>Direct Console UI</label><running>true</running><policy>on</policy></service>
                      <service><key>slpd</key><label>slpd</label><running>false</running><policy>off</policy></service></val>"#,
                ),
                ("config.lockdownMode", "<val>lockdownNormal</val>"),
                (
                    "config.firewall",
                    r#"<val xsi:type="HostFirewallInfo"><defaultPolicy><incomingBlocked>true</incomingBlocked><outgoingBlocked>true</outgoingBlocked></defaultPolicy>
                      <ruleset><key>sshServer</key><label>SSH Server</label><required>false</required>
                        <rule><port>22</port><direction>inbound</direction><portType>dst</portType><protocol>tcp</protocol></rule>
                        <rule><port>8000</port><endPort>8100</endPort><direction>outbound</direction><portType>dst</portType><protocol>udp</protocol></rule>
                        <service>TSM-SSH</service><enabled>true</enabled><allowedHosts><allIp>true</allIp></allowedHosts>
                        <userControllable>true</userControllable><ipListUserConfigurable>false</ipListUserConfigurable></ruleset>
                      <ruleset><key>nfc</key><label>NFC</label><required>false</required><enabled>true</enabled></ruleset></val>"#,
                ),
            ],
        );
        let h = map_host(&o, &s, false);

        // Host services, by key; lockdown mode.
        let svc: Vec<_> = h
            .services
            .as_ref()
            .unwrap()
            .iter()
            .map(|x| (x.key.as_str(), x.running, x.policy.as_str()))
            .collect();
        assert_eq!(
            svc,
            [
                ("DCUI", true, "on"),
                ("TSM-SSH", true, "on"),
                ("slpd", false, "off")
            ]
        );
        assert_eq!(h.service("TSM-SSH").unwrap().label.as_deref(), Some("SSH"));
        assert_eq!(h.lockdown_mode, Some(LockdownMode::Normal));

        // Physical NICs: no linkSpeed = link down, speed and duplex unknown.
        let pnics = h.pnics.as_ref().unwrap();
        assert_eq!(
            pnics.iter().map(|p| p.device.as_str()).collect::<Vec<_>>(),
            ["vmnic0", "vmnic1", "vmnic10"]
        );
        assert_eq!(
            (pnics[0].link_up, pnics[0].speed_mbps, pnics[0].duplex),
            (Some(true), Some(10000), Some(Duplex::Full))
        );
        assert_eq!(
            (pnics[1].link_up, pnics[1].speed_mbps, pnics[1].duplex),
            (Some(false), None, None)
        );
        assert_eq!(pnics[2].duplex, Some(Duplex::Half));

        // Static routes: the default stack from the route table (no default route, no
        // connected networks), the vmotion stack from its route table config (a removal
        // is not a route), none known for a stack with neither.
        let stacks = h.netstacks.as_ref().unwrap();
        let routes = |key: &str| h.netstack(key).unwrap().routes.clone();
        assert_eq!(
            routes(DEFAULT_NETSTACK),
            Some(vec![
                Route {
                    network: "10.50.0.0/16".into(),
                    gateway: "10.0.0.254".into(),
                    device: Some("vmk0".into())
                },
                Route {
                    network: "fd50::/48".into(),
                    gateway: "fd00::fe".into(),
                    device: None
                },
            ])
        );
        assert_eq!(
            routes("vmotion"),
            Some(vec![Route {
                network: "10.60.0.0/24".into(),
                gateway: "10.11.0.1".into(),
                device: None
            }])
        );
        assert_eq!(routes("vxlan"), None);
        assert_eq!(stacks.len(), 3);

        let vmk = |d: &str| h.vmks.iter().find(|v| v.device == d).unwrap();
        // Standard: the port group's computed policy.
        let v0 = vmk("vmk0");
        assert_eq!(
            v0.teaming,
            Some(Teaming {
                policy: Some("failover_explicit".into()),
                active: vec!["vmnic1".into()],
                standby: vec!["vmnic0".into()]
            })
        );
        assert_eq!(
            v0.security,
            Some(SecurityPolicy {
                promiscuous: Some(false),
                mac_changes: Some(true),
                forged_transmits: Some(true)
            })
        );
        assert_eq!(v0.ipv6, ["fd00::5/64"]);
        assert_eq!(v0.ipv6_gateway.as_deref(), Some("fd00::1"));
        assert_eq!((v0.ipv6_dhcp, v0.ipv6_autoconf), (Some(false), Some(true)));
        assert_eq!(v0.iscsi_bound, None);

        // Distributed with a port override: pvlan and teaming of the port (a LAG mapped to
        // its NICs, Uplink 2 to vmnic3), security of the port group.
        let v3 = vmk("vmk3");
        assert_eq!(v3.portgroup.as_deref(), Some("dvpg-iscsi"));
        assert_eq!(v3.vlan, Some(Vlan::Spec(VlanSpec::Pvlan(301))));
        assert_eq!(
            v3.teaming,
            Some(Teaming {
                policy: Some("failover_explicit".into()),
                active: vec!["vmnic4".into(), "vmnic5".into()],
                standby: vec!["vmnic3".into()]
            })
        );
        assert_eq!(
            v3.security,
            Some(SecurityPolicy {
                promiscuous: Some(true),
                mac_changes: Some(false),
                forged_transmits: Some(true)
            })
        );
        // Distributed without an override: the port group's trunk, the switch's teaming.
        let v4 = vmk("vmk4");
        assert_eq!(
            v4.vlan,
            Some(Vlan::Spec(VlanSpec::Trunk(vec![[100, 199], [300, 300]])))
        );
        assert_eq!(
            v4.teaming,
            Some(Teaming {
                policy: Some("loadbalance_srcid".into()),
                active: vec!["vmnic2".into(), "vmnic3".into()],
                standby: vec![]
            })
        );
        assert_eq!(v4.security, v3.security);

        // NSX: a vmk on an opaque network and a tunnel endpoint of the opaque switch.
        let v5 = vmk("vmk5");
        assert_eq!(v5.switch_kind, Some(SwitchKind::Nsx));
        assert_eq!(v5.portgroup.as_deref(), Some("seg-storage"));
        assert_eq!(v5.mtu, Some(1700));
        let v10 = vmk("vmk10");
        assert_eq!(v10.switch_kind, Some(SwitchKind::Nsx));
        assert_eq!(v10.switch.as_deref(), Some("nvds-1"));
        assert_eq!(v10.ipv4.as_deref(), Some("172.16.0.5"));
        assert_eq!(v10.mtu, Some(1600));
        assert_eq!(v10.netstack.as_deref(), Some("vxlan"));
        assert_eq!(
            h.vmks.iter().map(|v| v.device.as_str()).collect::<Vec<_>>(),
            ["vmk0", "vmk3", "vmk4", "vmk5", "vmk10"]
        );
        let nsx = h.switch("nvds-1").unwrap();
        assert_eq!(nsx.kind, SwitchKind::Nsx);
        assert_eq!(nsx.uplinks, Some(vec!["vmnic10".to_string()]));

        // Firewall: the 8.0 U2 flags where given, each rule.
        let fw = h.firewall.as_ref().unwrap();
        let ssh = fw.rulesets.iter().find(|r| r.key == "sshServer").unwrap();
        assert_eq!(ssh.user_controllable, Some(true));
        assert_eq!(ssh.ip_list_user_configurable, Some(false));
        assert_eq!(
            ssh.rules,
            Some(vec![
                FirewallRule {
                    direction: Direction::Inbound,
                    protocol: "tcp".into(),
                    port: 22,
                    end_port: None
                },
                FirewallRule {
                    direction: Direction::Outbound,
                    protocol: "udp".into(),
                    port: 8000,
                    end_port: Some(8100)
                },
            ])
        );
        let nfc = fw.rulesets.iter().find(|r| r.key == "nfc").unwrap();
        assert_eq!(
            (nfc.user_controllable, nfc.ip_list_user_configurable),
            (None, None)
        );
        assert_eq!(nfc.rules, Some(vec![]));
    }

    #[test]
    fn without_the_new_properties_the_new_fields_stay_unknown() {
        // A host whose server gave only the network (no services, lockdown mode, pnics list
        // elements stay an empty list of a known network, route tables absent).
        let net = r#"<val xsi:type="HostNetworkInfo">
          <netStackInstance><key>vmotion</key></netStackInstance></val>"#;
        let o = oc(
            MoRef::new("HostSystem", "host-1"),
            &[("name", "<val>esx1</val>"), ("config.network", net)],
        );
        let h = map_host(&o, &Structure::default(), false);
        assert_eq!(h.services, None);
        assert_eq!(h.lockdown_mode, None);
        assert_eq!(h.netstack("vmotion").unwrap().routes, None);
        let bare = map_host(
            &oc(
                MoRef::new("HostSystem", "host-2"),
                &[("name", "<val>x</val>")],
            ),
            &Structure::default(),
            false,
        );
        assert_eq!(
            (bare.pnics, bare.switches, bare.services),
            (None, None, None)
        );
    }

    #[test]
    fn describes_and_groups_refused_properties() {
        let fault = |kind: Option<&str>, privilege: Option<&str>, message: &str| Fault {
            kind: kind.map(String::from),
            message: message.into(),
            privilege: privilege.map(String::from),
            object: None,
            property: None,
        };
        let denied = fault(
            Some("NoPermission"),
            Some("Host.Config.NetService"),
            "denied",
        );
        assert_eq!(
            describe_missing(&denied),
            "NoPermission, privilege Host.Config.NetService"
        );
        assert_eq!(
            describe_missing(&fault(Some("InvalidProperty"), None, "x")),
            "InvalidProperty"
        );
        assert_eq!(describe_missing(&fault(None, None, "gone")), "gone");
        assert_eq!(describe_missing(&fault(None, None, "")), "refused");

        let (path, fault) = ("config.firewall", &denied);
        let mut refused = Refused::default();
        refused.add("esx2", path, fault);
        refused.add("esx1", path, fault);
        let groups: Vec<_> = refused.groups().collect();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].0, "config.firewall");
        assert_eq!(groups[0].2, ["esx2".to_string(), "esx1".to_string()]);
    }

    #[test]
    fn orders_services() {
        let mut s = vec!["zzz".to_string(), "vmotion".into(), "management".into()];
        sort_services(&mut s);
        assert_eq!(s, vec!["management", "vmotion", "zzz"]);
    }
}
