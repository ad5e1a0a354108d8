//! The mapping of property-collector objects into [`crate::model`].
//!
//! The structure pass fills a [`Structure`] (names and parents of datacenters, folders,
//! compute resources and clusters; distributed switches with their largest MTU; distributed
//! port groups with their VLAN); [`map_host`] then maps each HostSystem's properties into a
//! [`Host`] with that structure at hand: placement (cluster, datacenter), switches and uplinks,
//! port groups and VLANs, vmks with addresses, MTU, netstack, gateway and services, netstacks,
//! and the firewall. Properties the server refused per object (`missingSet`) are collected in
//! [`Refused`], logged once per property and reason, and left unknown (`None`) in the
//! inventory. Nothing here talks to the server.

use std::collections::{BTreeMap, HashMap};

use super::object::ObjectContent;
use super::soap::{Fault, MoRef, Node};
use crate::model::{
    Firewall, FirewallRuleset, Host, Netstack, Switch, SwitchKind, Vlan, Vmk, DEFAULT_NETSTACK,
};

/// A distributed switch as the inventory pass saw it.
#[derive(Debug, Clone)]
pub struct DvsInfo {
    pub name: String,
    pub max_mtu: Option<u32>,
}

/// A distributed port group as the inventory pass saw it.
#[derive(Debug, Clone)]
pub struct PortgroupInfo {
    pub name: String,
    pub vlan: Option<u16>,
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
                let vlan = oc.props.get("config.defaultPortConfig").and_then(dvs_vlan);
                self.portgroups.insert(key, PortgroupInfo { name, vlan });
            }
            k if k.contains("DistributedVirtualSwitch") => {
                let max_mtu = oc
                    .props
                    .get("config.maxMtu")
                    .and_then(|n| n.text.trim().parse().ok())
                    .or_else(|| {
                        oc.props
                            .get("config")
                            .and_then(|c| c.int_at("maxMtu"))
                            .and_then(|v| u32::try_from(v).ok())
                    });
                if let Some(uuid) = oc.text("uuid") {
                    self.dvs.insert(uuid, DvsInfo { name, max_mtu });
                }
            }
            _ => {
                let parent = oc.props.get("parent").and_then(Node::as_moref);
                self.entities.insert(obj, (name, parent));
            }
        }
    }
}

/// The VLAN of a distributed port setting: a single VLAN ID; trunks and private VLANs have none.
fn dvs_vlan(setting: &Node) -> Option<u16> {
    let vlan = setting.child("vlan")?;
    match vlan.xsi_type.as_deref() {
        Some("VmwareDistributedVirtualSwitchVlanIdSpec") | None => {
            vlan.int_at("vlanId").and_then(|v| u16::try_from(v).ok())
        }
        Some(other) => {
            tracing::debug!("distributed port group VLAN of type {other}: no single VLAN ID");
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
    host
}

fn map_network(host: &mut Host, net: &Node, vnm: Option<&Node>, s: &Structure) {
    let pnics: HashMap<String, String> = net
        .list("pnic")
        .into_iter()
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
    // Distributed switches the host is a member of, by UUID: (name, mtu).
    let mut proxies: HashMap<String, (String, Option<u32>)> = HashMap::new();
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
        proxies.insert(uuid, (name.clone(), mtu));
        switches.push(Switch {
            name,
            kind: SwitchKind::Distributed,
            mtu,
            uplinks: Some(uplinks(ps)),
        });
    }

    // Standard port groups by name: (vswitch, vlan).
    let portgroups: HashMap<String, (Option<String>, Option<u16>)> = net
        .list("portgroup")
        .into_iter()
        .filter_map(|pg| {
            Some((
                pg.text_at("spec.name")?,
                (
                    pg.text_at("spec.vswitchName"),
                    pg.int_at("spec.vlanId").and_then(|v| u16::try_from(v).ok()),
                ),
            ))
        })
        .collect();

    // Services: selectedVnic entries are "<nicType>.<vnic key>", matched exactly.
    let selected: Option<Vec<(String, Vec<String>)>> = vnm.map(|v| {
        v.list("netConfig")
            .into_iter()
            .filter_map(|nc| Some((nc.text_at("nicType")?, nc.texts("selectedVnic"))))
            .collect()
    });

    let mut vmks = Vec::new();
    for vn in net.list("vnic") {
        let Some(device) = vn.text_at("device") else {
            continue;
        };
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
                .or_else(|| proxies.get(&uuid).map(|p| p.0.clone()));
            if let Some(pg) = dvp
                .text_at("portgroupKey")
                .and_then(|k| s.portgroups.get(&k))
            {
                vmk.portgroup = Some(pg.name.clone());
                vmk.vlan = pg.vlan.map(Vlan::Id);
            }
        } else if let Some(pg) = vn.text_at("portgroup").or_else(|| at("portgroup")) {
            vmk.switch_kind = Some(SwitchKind::Standard);
            if let Some((vswitch, vlan)) = portgroups.get(&pg) {
                vmk.switch = vswitch.clone();
                vmk.vlan = vlan.map(Vlan::Id);
            }
            vmk.portgroup = Some(pg);
        }
        if let Some(ip) = spec.and_then(|sp| sp.child("ip")) {
            vmk.ipv4 = ip.text_at("ipAddress");
            vmk.netmask = ip.text_at("subnetMask");
            vmk.dhcp = ip.bool_at("dhcp");
            vmk.ipv6 = ip
                .path("ipV6Config")
                .map(|c| c.list("ipV6Address"))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|a| {
                    let addr = a.text_at("ipAddress")?;
                    Some(match a.text_at("prefixLength") {
                        Some(p) => format!("{addr}/{p}"),
                        None => addr,
                    })
                })
                .collect();
        }
        vmk.mtu = spec.and_then(|sp| u32_at(sp, "mtu"));
        vmk.mac = at("mac");
        vmk.netstack = Some(at("netStackInstanceKey").unwrap_or_else(|| DEFAULT_NETSTACK.into()));
        vmk.gateway = at("ipRouteSpec.ipRouteConfig.defaultGateway");
        vmk.services = selected.as_ref().map(|sel| {
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
        vmks.push(vmk);
    }
    vmks.sort_by(|a, b| crate::model::device_order(&a.device, &b.device));

    let mut stacks: Vec<Netstack> = net
        .list("netStackInstance")
        .into_iter()
        .filter_map(|n| {
            Some(Netstack {
                key: n.text_at("key")?,
                gateway: n.text_at("ipRouteConfig.defaultGateway"),
                ipv6_gateway: n.text_at("ipRouteConfig.ipV6DefaultGateway"),
                routes: None,
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
                routes: None,
            });
        }
    }
    stacks.sort_by(|a, b| a.key.cmp(&b.key));
    switches.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.name.cmp(&b.name)));

    host.vmks = vmks;
    host.netstacks = (!stacks.is_empty()).then_some(stacks);
    host.switches = Some(switches);
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
                ip_list_user_configurable: None,
                user_controllable: None,
                rules: None,
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
            },
        );
        s.portgroups.insert(
            "dvportgroup-7".into(),
            PortgroupInfo {
                name: "vMotion".into(),
                vlan: Some(110),
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
        assert_eq!(dvs_vlan(&id), Some(42));
        let trunk = parse(r#"<val xsi:type="VMwareDVSPortSetting"><vlan xsi:type="VmwareDistributedVirtualSwitchTrunkVlanSpec"><vlanId><start>0</start><end>4094</end></vlanId></vlan></val>"#).unwrap();
        assert_eq!(dvs_vlan(&trunk), None);
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
